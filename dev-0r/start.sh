#!/usr/bin/env bash
# dev-0r: the two-zone, active-active variant of dev-0 that mirrors prod-0 (one
# runner host double per prod0 zone). Same bootstrap, same stop script
# (dev-0/stop.sh). See docs/bootstrap.md.
set -euo pipefail
export SPIVE_DEV_TARGET=dev-0r
exec bash "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/dev-0/start.sh" "$@"
