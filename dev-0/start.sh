#!/usr/bin/env bash
# dev-0: a local double of prod-0 without replication (one runner host serving
# both prod0 zones, a durable local event store), bootstrapped through the very
# same driver as `pulumi up -s prod0`. Loopback only. It exits when the
# bootstrap is done and leaves the doubles running; dev-0/stop.sh stops them.
# Extra arguments go to `spive bootstrap run` (e.g. --log my-log.jsonl).
# See docs/bootstrap.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET="${SPIVE_DEV_TARGET:-dev-0}"
STOP_HINT="dev-0/stop.sh"

if [ ! -d node_modules/tsx ] || [ ! -d node_modules/zod ]; then
  echo "$TARGET: node_modules is missing or incomplete; run npm ci first, then npm start." >&2
  exit 1
fi

if ! node bin/spive.js bootstrap run --target "$TARGET" --up --status "$@"; then
  echo "$TARGET: the bootstrap failed (the line above names the phase). The doubles are still up:" >&2
  echo "  inspect: node bin/spive.js status --target $TARGET    stop: $STOP_HINT" >&2
  exit 1
fi

cat <<MSG

$TARGET is up on 127.0.0.1 and keeps running in the background (state in ${SPIVE_STATE_DIR:-.spive}/$TARGET/).
  status:     node bin/spive.js status --target $TARGET [--json]
  bootstrap:  node bin/spive.js bootstrap run --target $TARGET [--log FILE]   (wipes and replays again)
  stop:       $STOP_HINT
MSG
