#!/usr/bin/env bash
# install-pulumi-cli.sh - build the Pulumi CLI from Go modules and install it
# where the `pulumi` npm package (devDependency) looks for it, so that
# `npx pulumi` works without downloading anything from get.pulumi.com.
#
# The npm package's lib/resolve.js runs
#   ${PULUMI_HOME:-$HOME/.pulumi}/versions/<version>/bin/pulumi
# when that file exists and is executable, and puts that bin directory first on
# PATH, so the bundled plugins installed next to it are found as well.
#
# What gets installed into ${PULUMI_HOME:-$HOME/.pulumi}/versions/$VERSION/bin:
#   pulumi                         CLI, built from github.com/pulumi/pulumi/pkg/v3
#   pulumi-language-nodejs         Node.js language host (also runs Node policy packs
#                                  via RunPlugin since pulumi v3.221.0), built from
#                                  github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
#   pulumi-resource-pulumi-nodejs  launcher for Node dynamic providers
#                                  (pulumi.dynamic.Resource)
#   pulumi-analyzer-policy         legacy launcher for Node policy packs. The CLI no
#                                  longer calls it (since v3.221.0) but older tooling
#                                  still expects it, so it is installed for compatibility.
#
# Version: node_modules/pulumi/package.json of this repository if installed,
# else $PULUMI_CLI_VERSION, else 3.250.0.
#
# Idempotent: when all four files are already installed (or can be copied from
# the default ~/.pulumi) nothing is built. Set PULUMI_CLI_FORCE_REBUILD=1 to
# rebuild anyway.
#
# Air-gapped / behind a Go module proxy mirror: the build only talks to the Go
# module proxy. An existing GOPROXY (and GONOSUMDB/GOSUMDB/GOFLAGS...) is
# respected, e.g.
#   GOPROXY=https://goproxy.example.internal scripts/install-pulumi-cli.sh
# The mirror must serve github.com/pulumi/pulumi/pkg/v3, .../sdk/v3 (tagged) and
# the language host module above, which has no tags of its own and is resolved to
# the pseudo-version of the release commit (see resolve_langhost below).
# If your mirror cannot serve the language host module, you can
#   - pin its version:   PULUMI_LANGUAGE_NODEJS_MODULE_VERSION=v3.0.0-<time>-<commit>
#   - or provide a prebuilt binary of the same release:
#                        PULUMI_LANGUAGE_NODEJS_BIN=/path/to/pulumi-language-nodejs
#
# Requirements: Go >= the go directive of pulumi's go.mod (1.25.x for 3.250.0;
# with an older Go, GOTOOLCHAIN=auto fetches a newer one through GOPROXY).
# Node.js is needed at run time by the Node language host and launchers.
# The first build takes several minutes (about 10 on 2 cores); re-runs with a warm
# Go build cache (the default one, which this script does not change) are fast.
set -euo pipefail

DEFAULT_VERSION=3.250.0
SDK_MOD=github.com/pulumi/pulumi/sdk/v3
PKG_MOD=github.com/pulumi/pulumi/pkg/v3
CLI_PKG=github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
LANGHOST_MOD=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
# Same variable the upstream Makefile / .goreleaser.yml stamp with -X.
VERSION_VAR=github.com/pulumi/pulumi/sdk/v3/go/common/version.Version
# Build tags used by the upstream release build (.goreleaser.yml).
BUILD_TAGS=osusergo,grpcnotrace
REQUIRED=(pulumi pulumi-language-nodejs pulumi-resource-pulumi-nodejs pulumi-analyzer-policy)

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd -- "$SCRIPT_DIR/.." && pwd)

log() { printf '==> %s\n' "$*" >&2; }
info() { printf '    %s\n' "$*" >&2; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }

STEP="starting"
WORK=""
cleanup() { if [ -n "$WORK" ] && [ -d "$WORK" ]; then chmod -R u+w "$WORK" 2>/dev/null || true; rm -rf "$WORK"; fi; }
on_error() {
    local rc=$?
    {
        printf '\nERROR: install-pulumi-cli failed (exit %s) while: %s\n' "$rc" "$STEP"
        cat <<EOF
Nothing was installed into ${TARGET:-the target directory} (files are only copied there
after every build step succeeded). Things to check:
  - Go module proxy reachable?  GOPROXY=$(go env GOPROXY 2>/dev/null || echo '?')
    Behind a mirror: export GOPROXY=https://<your-module-mirror> (and, if it does not
    proxy the checksum database, GONOSUMDB=github.com/pulumi or GOSUMDB=off).
  - GOFLAGS=$(go env GOFLAGS 2>/dev/null || echo '?')  -- a -mod=vendor/-mod=readonly in
    GOFLAGS can break the throwaway module; try GOFLAGS=-mod=mod.
  - Go version: $(go version 2>/dev/null || echo 'go not found')  (pulumi ${VERSION:-?} needs
    the Go version in its go.mod; GOTOOLCHAIN=auto can fetch one through GOPROXY).
  - Language host module not served by your proxy: see PULUMI_LANGUAGE_NODEJS_MODULE_VERSION
    and PULUMI_LANGUAGE_NODEJS_BIN in the header of $0.
Re-running is safe; downloads and compiled packages are cached by Go.
EOF
    } >&2
    exit "$rc"
}
trap cleanup EXIT
trap on_error ERR

# --- 1. version and target ----------------------------------------------------
STEP="determining the Pulumi CLI version"
VERSION=""
PKG_JSON="$REPO_ROOT/node_modules/pulumi/package.json"
if [ -f "$PKG_JSON" ]; then
    if command -v node >/dev/null 2>&1; then
        VERSION=$(node -p 'require(process.argv[1]).version' "$PKG_JSON")
    else
        VERSION=$(sed -n 's/^[[:space:]]*"version"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$PKG_JSON" | head -n1)
    fi
    VERSION_SOURCE="$PKG_JSON"
    if [ -n "${PULUMI_CLI_VERSION:-}" ] && [ "${PULUMI_CLI_VERSION#v}" != "$VERSION" ]; then
        warn "PULUMI_CLI_VERSION=$PULUMI_CLI_VERSION ignored: node_modules/pulumi is $VERSION"
    fi
elif [ -n "${PULUMI_CLI_VERSION:-}" ]; then
    VERSION=$PULUMI_CLI_VERSION
    VERSION_SOURCE="PULUMI_CLI_VERSION"
else
    VERSION=$DEFAULT_VERSION
    VERSION_SOURCE="default"
fi
VERSION=${VERSION#v}
if ! [[ $VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    echo "ERROR: invalid Pulumi CLI version '$VERSION' (from $VERSION_SOURCE)" >&2
    exit 1
fi
if [ -n "${PULUMI_VERSION:-}" ] && [ "${PULUMI_VERSION#v}" != "$VERSION" ]; then
    warn "PULUMI_VERSION=$PULUMI_VERSION is set: the pulumi npm package will run that version instead of $VERSION"
fi

DEFAULT_HOME="${HOME:?HOME is not set}/.pulumi"
PULUMI_HOME_DIR="${PULUMI_HOME:-$DEFAULT_HOME}"
TARGET="$PULUMI_HOME_DIR/versions/$VERSION/bin"

complete_in() {
    local dir=$1 f
    for f in "${REQUIRED[@]}"; do
        [ -f "$dir/$f" ] && [ -x "$dir/$f" ] && [ -s "$dir/$f" ] || return 1
    done
}

# --- 2. already installed? -----------------------------------------------------
if [ "${PULUMI_CLI_FORCE_REBUILD:-0}" != 1 ]; then
    if complete_in "$TARGET"; then
        echo "Pulumi CLI $VERSION is already installed in $TARGET (nothing to do)."
        exit 0
    fi
    # Other Pulumi homes this script knows about (the default one, when PULUMI_HOME is set).
    KNOWN_HOMES=("$DEFAULT_HOME")
    for other in "${KNOWN_HOMES[@]}"; do
        src="$other/versions/$VERSION/bin"
        [ "$src" = "$TARGET" ] && continue
        [ -d "$TARGET" ] && [ "$src" -ef "$TARGET" ] && continue
        if complete_in "$src"; then
            STEP="copying the existing install from $src"
            mkdir -p "$TARGET"
            for f in "${REQUIRED[@]}"; do
                cp -p "$src/$f" "$TARGET/.$f.tmp.$$"
                mv -f "$TARGET/.$f.tmp.$$" "$TARGET/$f"
            done
            echo "Pulumi CLI $VERSION copied from $src to $TARGET (nothing built)."
            exit 0
        fi
    done
fi

T0=$SECONDS
log "Installing Pulumi CLI v$VERSION (version from $VERSION_SOURCE) into $TARGET"

STEP="checking prerequisites"
if ! command -v go >/dev/null 2>&1; then
    echo "ERROR: 'go' is not on PATH. Install Go (>= 1.25) and re-run." >&2
    exit 1
fi
command -v node >/dev/null 2>&1 || warn "node is not on PATH: it is needed at run time for Node.js programs."
info "$(go version); GOPROXY=$(go env GOPROXY)"
[ -n "${GOFLAGS:-}" ] && info "GOFLAGS=$GOFLAGS"

# Throwaway wrapper module; GOWORK=off so that no go.work above $TMPDIR interferes.
export GOWORK=off
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pulumi-cli-build.XXXXXXXX")
mkdir -p "$WORK/mod" "$WORK/bin"
cd "$WORK/mod"

# --- 3. resolve modules ---------------------------------------------------------
STEP="creating the throwaway wrapper module in $WORK/mod"
log "[1/5] Resolving $PKG_MOD and $SDK_MOD v$VERSION through the module proxy"
go mod init local.invalid/pulumi-cli-build >/dev/null 2>&1

STEP="resolving $PKG_MOD@v$VERSION and $SDK_MOD@v$VERSION (is the version published, is GOPROXY reachable?)"
go mod download "$PKG_MOD@v$VERSION" "$SDK_MOD@v$VERSION"
SDK_DIR=$(go list -m -f '{{.Dir}}' "$SDK_MOD@v$VERSION")

# Replace directives of dependencies are ignored by Go, so copy the non-local ones
# (e.g. atotto/clipboard => tgummerer/clipboard) from pulumi's own go.mod files.
apply_replaces() {
    local gomod=$1 line lhs rhs op ov np nv
    while IFS= read -r line; do
        line=${line%%//*}
        [[ $line == *"=>"* ]] || continue
        lhs=${line%%=>*} rhs=${line#*=>}
        read -r op ov _ <<<"$lhs"
        read -r np nv _ <<<"$rhs"
        case $np in ./* | ../* | /*) continue ;; esac # pulumi's local monorepo paths
        info "replace $op${ov:+@$ov} => $np${nv:+@$nv}"
        go mod edit -replace "$op${ov:+@$ov}=$np${nv:+@$nv}"
    done < <(awk '
        /^replace[ \t]*\(/ { blk = 1; next }
        blk && /^\)/ { blk = 0; next }
        blk { print; next }
        /^replace[ \t]/ { sub(/^replace[ \t]+/, ""); print }' "$gomod")
}
STEP="copying replace directives from $PKG_MOD@v$VERSION/go.mod"
apply_replaces "$(go mod download -json "$PKG_MOD@v$VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')"

# The Node language host is a separate, untagged Go module in the pulumi repo. Its
# matching version is the pseudo-version of the release commit: the commit tagged
# sdk/vX (== vX), or the pkg/vX tag commit (a go.mod-only bump right after it).
# The proxy turns a commit hash into a pseudo-version (go list -m MOD@<hash>).
LANGHOST_VERSION=""
resolve_langhost() {
    local cand hash v
    local -a cands=()
    [ -n "${PULUMI_LANGUAGE_NODEJS_MODULE_VERSION:-}" ] && cands+=("$PULUMI_LANGUAGE_NODEJS_MODULE_VERSION")
    cands+=("v$VERSION") # in case the module is ever tagged itself
    for m in "$SDK_MOD" "$PKG_MOD"; do
        hash=$(go list -m -f '{{with .Origin}}{{.Hash}}{{end}}' "$m@v$VERSION" 2>/dev/null || true)
        [ -n "$hash" ] && cands+=("$hash")
    done
    for cand in "${cands[@]}"; do
        info "trying $LANGHOST_MOD@$cand"
        if v=$(go list -m -f '{{.Version}}' "$LANGHOST_MOD@$cand" 2>"$WORK/langhost.err"); then
            LANGHOST_VERSION=$v
            return 0
        fi
        info "  -> $(tr -s '\n\t' '  ' <"$WORK/langhost.err")"
    done
    return 1
}

LANGHOST_BIN=""
if [ -n "${PULUMI_LANGUAGE_NODEJS_BIN:-}" ]; then
    STEP="checking PULUMI_LANGUAGE_NODEJS_BIN=$PULUMI_LANGUAGE_NODEJS_BIN"
    if ! [ -f "$PULUMI_LANGUAGE_NODEJS_BIN" ] || ! [ -x "$PULUMI_LANGUAGE_NODEJS_BIN" ]; then
        echo "ERROR: PULUMI_LANGUAGE_NODEJS_BIN=$PULUMI_LANGUAGE_NODEJS_BIN is not an executable file" >&2
        false
    fi
    LANGHOST_BIN=$PULUMI_LANGUAGE_NODEJS_BIN
    log "[2/5] Using prebuilt language host $LANGHOST_BIN (PULUMI_LANGUAGE_NODEJS_BIN)"
else
    STEP="resolving the language host module $LANGHOST_MOD for pulumi v$VERSION"
    log "[2/5] Resolving the Node.js language host module"
    if ! resolve_langhost; then
        cat >&2 <<EOF
ERROR: the Go module proxy ($(go env GOPROXY)) does not serve
  $LANGHOST_MOD
for pulumi v$VERSION (neither a tag nor the pseudo-version of the release commit).
Fix one of:
  - point GOPROXY at a proxy/mirror that can serve it (proxy.golang.org serves the
    pseudo-version of any public commit; an allow-listing mirror must allow this module),
  - PULUMI_LANGUAGE_NODEJS_MODULE_VERSION=<pseudo-version your mirror has>,
  - PULUMI_LANGUAGE_NODEJS_BIN=<path to pulumi-language-nodejs of v$VERSION>, e.g. from the
    official pulumi-v$VERSION-linux-x64.tar.gz in your artifact store.
EOF
        false
    fi
    info "language host: $LANGHOST_MOD $LANGHOST_VERSION"
fi

STEP="adding the requirements to the wrapper module (go get)"
get_args=("$CLI_PKG@v$VERSION" "$SDK_MOD@v$VERSION")
[ -n "$LANGHOST_VERSION" ] && get_args+=("$LANGHOST_MOD@$LANGHOST_VERSION")
go get "${get_args[@]}"
if [ -n "$LANGHOST_VERSION" ]; then
    STEP="copying replace directives from $LANGHOST_MOD@$LANGHOST_VERSION/go.mod"
    apply_replaces "$(go mod download -json "$LANGHOST_MOD@$LANGHOST_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')"
fi
# Requirements of the language host may have raised pkg/sdk; they must stay at $VERSION.
for m in "$PKG_MOD" "$SDK_MOD"; do
    got=$(go list -m -f '{{.Version}}' "$m")
    if [ "$got" != "v$VERSION" ]; then
        STEP="checking module versions"
        echo "ERROR: $m resolved to $got, expected v$VERSION" >&2
        false
    fi
done

# --- 4. build ---------------------------------------------------------------------
# Same flags as the upstream release build: CGO off, -trimpath, osusergo/grpcnotrace,
# stripped, and the version stamped into sdk/v3/go/common/version.Version.
export CGO_ENABLED=0
LDFLAGS="-s -w -X $VERSION_VAR=v$VERSION"
build() { go build -mod=mod -trimpath -tags "$BUILD_TAGS" -ldflags "$LDFLAGS" "$@"; }

STEP="building $CLI_PKG (go build)"
log "[3/5] Building pulumi v$VERSION (the first build takes several minutes; later runs use the Go build cache)"
t=$SECONDS
build -o "$WORK/bin/pulumi" "$CLI_PKG"
info "built pulumi in $((SECONDS - t))s"

if [ -n "$LANGHOST_VERSION" ]; then
    STEP="building $LANGHOST_MOD (go build)"
    log "[4/5] Building pulumi-language-nodejs ($LANGHOST_VERSION)"
    t=$SECONDS
    build -o "$WORK/bin/pulumi-language-nodejs" "$LANGHOST_MOD"
    info "built pulumi-language-nodejs in $((SECONDS - t))s"
else
    log "[4/5] Copying the prebuilt pulumi-language-nodejs"
    cp "$LANGHOST_BIN" "$WORK/bin/pulumi-language-nodejs"
fi

STEP="checking the built pulumi binary"
got=$(PULUMI_SKIP_UPDATE_CHECK=true PULUMI_HOME="$WORK/home" "$WORK/bin/pulumi" version 2>/dev/null | head -n1)
if [ "$got" != "v$VERSION" ]; then
    echo "ERROR: built pulumi reports version '$got', expected v$VERSION" >&2
    false
fi

# Launchers shipped next to the binary by the official distribution
# (scripts/prep-for-goreleaser.sh copies sdk/nodejs/dist/* into the archive). Prefer
# the file from the sdk module of this exact release; fall back to an equivalent.
STEP="writing the launcher scripts"
if [ -s "$SDK_DIR/nodejs/dist/pulumi-resource-pulumi-nodejs" ]; then
    cp "$SDK_DIR/nodejs/dist/pulumi-resource-pulumi-nodejs" "$WORK/bin/pulumi-resource-pulumi-nodejs"
else
    cat >"$WORK/bin/pulumi-resource-pulumi-nodejs" <<'EOF'
#!/bin/sh
# Runs the Node.js dynamic provider host of the @pulumi/pulumi found from the program directory.
script=$(node -e "console.log(require.resolve('@pulumi/pulumi/cmd/dynamic-provider'))") || exit 1
exec node "$script" "$@"
EOF
fi
if [ -s "$SDK_DIR/nodejs/dist/pulumi-analyzer-policy" ]; then
    cp "$SDK_DIR/nodejs/dist/pulumi-analyzer-policy" "$WORK/bin/pulumi-analyzer-policy"
else
    # Removed upstream in v3.221.0 (policy packs now run through the language host's
    # RunPlugin); kept for tools that still look for it.
    cat >"$WORK/bin/pulumi-analyzer-policy" <<'EOF'
#!/bin/sh
# Legacy launcher for Node.js policy packs: runs @pulumi/pulumi/cmd/run-policy-pack
# of the @pulumi/pulumi installed in the policy pack directory (cwd).
script=$(node -e "console.log(require.resolve('@pulumi/pulumi/cmd/run-policy-pack'))") || exit 1
exec node "$script" "$@"
EOF
fi

# --- 5. install ---------------------------------------------------------------------
STEP="installing into $TARGET"
log "[5/5] Installing into $TARGET"
mkdir -p "$TARGET"
# pulumi last: the npm package only checks for bin/pulumi, so it must not appear
# before the plugins next to it.
for f in pulumi-language-nodejs pulumi-resource-pulumi-nodejs pulumi-analyzer-policy pulumi; do
    chmod 0755 "$WORK/bin/$f"
    cp "$WORK/bin/$f" "$TARGET/.$f.tmp.$$"
    mv -f "$TARGET/.$f.tmp.$$" "$TARGET/$f"
    info "$TARGET/$f"
done

log "Pulumi CLI v$VERSION installed in $((SECONDS - T0))s. 'npx pulumi' now uses $TARGET/pulumi."
