#!/usr/bin/env bash
# Installs the real Pulumi engine for the rehearsal and the engine tests:
# the `pulumi` CLI, the Node.js language host and the `command` provider, at
# the versions package-lock.json pins for @pulumi/pulumi and @pulumi/command.
#
# They go into a cache folder outside the repository, keyed by version:
#   ${SPIVE_ENGINE_CACHE:-$HOME/.cache/spive-engine}/pulumi-v<sdk>-command-v<cmd>/bin
# A binary already there is reused (idempotent); a `pulumi` on PATH whose
# version matches is used instead of building the CLI. Otherwise each piece is
# built from Go modules through the Go module proxy (10-15 min cold on 2 cores).
# The CLI is required; the language host and the command provider are built
# when the proxy serves them, else the rehearsal uses the TypeScript ones in
# engine/ (docs/real-engine.md says why and what differs).
# Prints the bin folder on its last line of stdout. Progress goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf 'engine:install: %s\n' "$*" >&2; }
die() { printf 'engine:install: %s\n' "$*" >&2; exit 1; }

version_of() { node -e 'const l=require("./package-lock.json");const p=l.packages["node_modules/"+process.argv[1]];if(!p)process.exit(1);console.log(p.version)' "$1"; }
SDK_VERSION="$(version_of @pulumi/pulumi)" || die "package-lock.json does not pin @pulumi/pulumi; run npm install first."
CMD_VERSION="$(version_of @pulumi/command)" || die "package-lock.json does not pin @pulumi/command; run npm install first."
ROOT="${SPIVE_ENGINE_CACHE:-$HOME/.cache/spive-engine}"
DEST="$ROOT/pulumi-v$SDK_VERSION-command-v$CMD_VERSION"
BIN="$DEST/bin"
mkdir -p "$BIN"
TIMEOUT="${SPIVE_ENGINE_BUILD_TIMEOUT:-2400}"

# The commits the tags point at, for modules without tags of their own
# (see docs/real-engine.md).
case "$SDK_VERSION" in
  3.248.0) LANGHOST_REV=dc7edd58bc13 ;;
  *) LANGHOST_REV="${SPIVE_LANGHOST_REV:-}" ;;
esac
case "$CMD_VERSION" in
  1.2.1) COMMAND_REV=7f3eb6f3b77c ;;
  *) COMMAND_REV="${SPIVE_COMMAND_REV:-}" ;;
esac

have_go() { command -v go >/dev/null 2>&1; }
gobuild() { # <name> <workdir> <go build args...>
  local name=$1 dir=$2; shift 2
  local log="$DEST/build-$name.log"
  say "building $name (log: $log, timeout ${TIMEOUT}s)..."
  local start=$SECONDS
  ( cd "$dir" && timeout "$TIMEOUT" "$@" ) >"$log" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 30
    kill -0 "$pid" 2>/dev/null && say "  still building $name: $((SECONDS - start)) s so far, $(du -sh "$(go env GOCACHE)" 2>/dev/null | cut -f1) in the Go build cache"
  done
  if ! wait "$pid"; then
    tail -n 20 "$log" >&2
    die "building $name failed after $((SECONDS - start)) s; the last lines of $log are above."
  fi
  say "built $name in $((SECONDS - start)) s"
}
newmod() { # <dir>
  rm -rf "$1"; mkdir -p "$1"
  (cd "$1" && go mod init spive.local/engine-build >/dev/null 2>&1)
}

export GOFLAGS="${GOFLAGS:-} -mod=mod"
export GOTOOLCHAIN=local
WORK="$DEST/src"

# 1. The CLI.
if [ -x "$BIN/pulumi" ] && "$BIN/pulumi" version 2>/dev/null | grep -qx "v$SDK_VERSION"; then
  say "pulumi v$SDK_VERSION already in $BIN"
elif command -v pulumi >/dev/null 2>&1 && [ "$(pulumi version 2>/dev/null)" = "v$SDK_VERSION" ]; then
  ln -sf "$(command -v pulumi)" "$BIN/pulumi"
  say "using the pulumi v$SDK_VERSION on PATH ($(command -v pulumi))"
else
  have_go || die "pulumi v$SDK_VERSION is neither cached in $BIN nor on PATH, and there is no Go toolchain to build it."
  d="$WORK/cli"; newmod "$d"
  say "resolving github.com/pulumi/pulumi/pkg/v3@v$SDK_VERSION through the Go module proxy..."
  (cd "$d" \
    && go mod edit -replace github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e \
    && timeout 900 go get "github.com/pulumi/pulumi/pkg/v3@v$SDK_VERSION" "github.com/pulumi/pulumi/sdk/v3@v$SDK_VERSION" >"$DEST/get-cli.log" 2>&1) \
    || { tail -n 20 "$DEST/get-cli.log" >&2; die "could not fetch the Pulumi CLI v$SDK_VERSION from the Go module proxy (see $DEST/get-cli.log)."; }
  gobuild cli "$d" go build -tags osusergo,grpcnotrace \
    -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$SDK_VERSION" \
    -o "$BIN/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
fi

# 2. The Node.js language host. Optional: when the Go module proxy does not
# serve it (it refuses this module's pseudo-versions here), the rehearsal uses
# the TypeScript language host in engine/langhost, which runs programs and
# policy packs with the SDK's own launchers. The refusal is remembered in a
# marker (delete it, or set SPIVE_ENGINE_RETRY=1, to try again).
if [ -x "$BIN/pulumi-language-nodejs" ] && [ -f "$BIN/.langhost-v$SDK_VERSION" ]; then
  say "pulumi-language-nodejs for v$SDK_VERSION already in $BIN"
elif [ -f "$BIN/.langhost-unavailable" ] && [ "${SPIVE_ENGINE_RETRY:-}" != 1 ]; then
  say "pulumi-language-nodejs: not available from the Go module proxy (recorded in $BIN/.langhost-unavailable); the rehearsal uses engine/langhost."
elif command -v pulumi-language-nodejs >/dev/null 2>&1 && [ -L "$BIN/pulumi" ]; then
  ln -sf "$(command -v pulumi-language-nodejs)" "$BIN/pulumi-language-nodejs"; touch "$BIN/.langhost-v$SDK_VERSION"
  say "using the pulumi-language-nodejs on PATH"
elif ! have_go || [ -z "$LANGHOST_REV" ]; then
  say "pulumi-language-nodejs: no Go toolchain or no known commit for v$SDK_VERSION; the rehearsal uses engine/langhost."
else
  d="$WORK/langhost"; newmod "$d"
  say "resolving the Node.js language host at commit $LANGHOST_REV..."
  if (cd "$d" \
    && go mod edit -replace github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e \
    && timeout 900 go get "github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3@$LANGHOST_REV" "github.com/pulumi/pulumi/sdk/v3@v$SDK_VERSION" "github.com/pulumi/pulumi/pkg/v3@v$SDK_VERSION" >"$DEST/get-langhost.log" 2>&1); then
    gobuild language-host "$d" go build -tags osusergo,grpcnotrace \
      -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$SDK_VERSION" \
      -o "$BIN/pulumi-language-nodejs" github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
    touch "$BIN/.langhost-v$SDK_VERSION"; rm -f "$BIN/.langhost-unavailable"
  else
    cp "$DEST/get-langhost.log" "$BIN/.langhost-unavailable"
    say "pulumi-language-nodejs: the Go module proxy does not serve it ($(grep -m1 -o '[0-9]\{3\} [A-Za-z ]*' "$DEST/get-langhost.log" || echo 'see the log'), $DEST/get-langhost.log); the rehearsal uses engine/langhost."
  fi
fi

# 3. The command provider. Optional in the same way: without it the
# rehearsal uses the command stand-in (engine/standins), which runs
# local.Command's create/update/delete scripts with /bin/sh as it does.
if [ -x "$BIN/pulumi-resource-command" ] && [ -f "$BIN/.command-v$CMD_VERSION" ]; then
  say "pulumi-resource-command v$CMD_VERSION already in $BIN"
elif [ -f "$BIN/.command-unavailable" ] && [ "${SPIVE_ENGINE_RETRY:-}" != 1 ]; then
  say "pulumi-resource-command: not available from the Go module proxy (recorded in $BIN/.command-unavailable); the rehearsal uses the command stand-in."
elif ! have_go || [ -z "$COMMAND_REV" ]; then
  say "pulumi-resource-command: no Go toolchain or no known commit for v$CMD_VERSION; the rehearsal uses the command stand-in."
else
  d="$WORK/command"; newmod "$d"
  say "resolving github.com/pulumi/pulumi-command/provider at commit $COMMAND_REV..."
  if (cd "$d" && timeout 900 go get "github.com/pulumi/pulumi-command/provider@$COMMAND_REV" >"$DEST/get-command.log" 2>&1); then
    gobuild command "$d" go build \
      -ldflags "-X github.com/pulumi/pulumi-command/provider/pkg/version.Version=$CMD_VERSION" \
      -o "$BIN/pulumi-resource-command" github.com/pulumi/pulumi-command/provider/cmd/pulumi-resource-command
    touch "$BIN/.command-v$CMD_VERSION"; rm -f "$BIN/.command-unavailable"
  else
    cp "$DEST/get-command.log" "$BIN/.command-unavailable"
    say "pulumi-resource-command: the Go module proxy does not serve it ($(grep -m1 -o '[0-9]\{3\} [A-Za-z ]*' "$DEST/get-command.log" || echo 'see the log'), $DEST/get-command.log); the rehearsal uses the command stand-in."
  fi
fi

say "engine ready: $("$BIN/pulumi" version) in $BIN"
echo "$BIN"
