#!/usr/bin/env bash
# Stops everything dev-0/start.sh and dev-0r/start.sh started: every runner
# host double (with every instance it runs) and the event store. The event
# store's data stays in .spive/<target>/event-store/ (it is durable).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
exec node bin/spive.js bootstrap doubles down "$@"
