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
# (checked against the Go module proxy: see docs/real-engine.md).
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

# 2. The Node.js language host.
if [ -x "$BIN/pulumi-language-nodejs" ] && [ -f "$BIN/.langhost-v$SDK_VERSION" ]; then
  say "pulumi-language-nodejs for v$SDK_VERSION already in $BIN"
elif command -v pulumi-language-nodejs >/dev/null 2>&1 && [ -L "$BIN/pulumi" ]; then
  ln -sf "$(command -v pulumi-language-nodejs)" "$BIN/pulumi-language-nodejs"; touch "$BIN/.langhost-v$SDK_VERSION"
  say "using the pulumi-language-nodejs on PATH"
else
  have_go || die "pulumi-language-nodejs is not cached in $BIN and there is no Go toolchain to build it."
  [ -n "$LANGHOST_REV" ] || die "no language-host commit is known for SDK v$SDK_VERSION; set SPIVE_LANGHOST_REV to the commit of tag v$SDK_VERSION."
  d="$WORK/langhost"; newmod "$d"
  say "resolving the Node.js language host at commit $LANGHOST_REV..."
  (cd "$d" \
    && go mod edit -replace github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e \
    && timeout 900 go get "github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3@$LANGHOST_REV" "github.com/pulumi/pulumi/sdk/v3@v$SDK_VERSION" "github.com/pulumi/pulumi/pkg/v3@v$SDK_VERSION" >"$DEST/get-langhost.log" 2>&1) \
    || { tail -n 20 "$DEST/get-langhost.log" >&2; die "could not fetch the Node.js language host at $LANGHOST_REV from the Go module proxy (see $DEST/get-langhost.log)."; }
  gobuild language-host "$d" go build -tags osusergo,grpcnotrace \
    -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$SDK_VERSION" \
    -o "$BIN/pulumi-language-nodejs" github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
  touch "$BIN/.langhost-v$SDK_VERSION"
fi

# 3. The command provider.
if [ -x "$BIN/pulumi-resource-command" ] && [ -f "$BIN/.command-v$CMD_VERSION" ]; then
  say "pulumi-resource-command v$CMD_VERSION already in $BIN"
else
  have_go || die "pulumi-resource-command v$CMD_VERSION is not cached in $BIN and there is no Go toolchain to build it."
  [ -n "$COMMAND_REV" ] || die "no commit is known for pulumi-command v$CMD_VERSION; set SPIVE_COMMAND_REV to the commit of tag v$CMD_VERSION."
  d="$WORK/command"; newmod "$d"
  say "resolving github.com/pulumi/pulumi-command/provider at commit $COMMAND_REV..."
  (cd "$d" && timeout 900 go get "github.com/pulumi/pulumi-command/provider@$COMMAND_REV" >"$DEST/get-command.log" 2>&1) \
    || { tail -n 20 "$DEST/get-command.log" >&2; die "could not fetch pulumi-command at $COMMAND_REV from the Go module proxy (see $DEST/get-command.log)."; }
  gobuild command "$d" go build \
    -ldflags "-X github.com/pulumi/pulumi-command/provider/pkg/version.Version=$CMD_VERSION" \
    -o "$BIN/pulumi-resource-command" github.com/pulumi/pulumi-command/provider/cmd/pulumi-resource-command
  touch "$BIN/.command-v$CMD_VERSION"
fi

say "engine ready: $("$BIN/pulumi" version) in $BIN"
echo "$BIN"
