#!/usr/bin/env bash
# install-pulumi-cli.sh - build the Pulumi CLI from Go modules and install it
# where the `pulumi` npm package (devDependency) looks for it, so that
# `npx pulumi` works without downloading anything from get.pulumi.com.
# Documented in docs/offline-cli.md.
#
# The npm package's lib/resolve.js runs
#   ${PULUMI_HOME:-$HOME/.pulumi}/versions/<version>/bin/pulumi
# when that file exists and is executable, and puts that bin directory first on
# PATH, so the plugins installed next to it are found as well.
#
# What gets installed into ${PULUMI_HOME:-$HOME/.pulumi}/versions/$VERSION/bin:
#   pulumi                         CLI, built from github.com/pulumi/pulumi/pkg/v3 (cmd/pulumi)
#   pulumi-language-nodejs         Node.js language host: runs Node.js/TypeScript programs, and
#                                  Node.js policy packs (through its RunPlugin RPC). Either
#                                  (a) the official one, built from the module
#                                      github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
#                                      at the release commit, when the Go module proxy serves it, or
#                                  (b) otherwise, a launcher for this repository's own Node.js
#                                      implementation (sandbox/language-host), with a loud notice.
#                                  The choice is recorded in ../install-info.txt.
#   pulumi-resource-pulumi-nodejs  launcher for Node dynamic providers (pulumi.dynamic.Resource),
#                                  from the sdk/v3 module of the release
# (pulumi-analyzer-policy is not installed: pulumi >= v3.221 runs policy packs through the
# language host and never calls it; the official v3.250 archive does not ship it either.)
#
# Version: node_modules/pulumi/package.json of this repository if installed,
# else $PULUMI_CLI_VERSION, else 3.256.0.
#
# Idempotent: when everything is installed nothing is done (no go, no network; milliseconds).
# A CLI built by this script into the default ~/.pulumi is copied instead of rebuilt when
# PULUMI_HOME points elsewhere. PULUMI_CLI_FORCE_REBUILD=1 rebuilds everything.
#
# Environment:
#   GOPROXY, GONOSUMDB, GOSUMDB, GOFLAGS...  respected (air-gapped: point GOPROXY at your mirror)
#   PULUMI_HOME                   install root (default ~/.pulumi)
#   PULUMI_CLI_VERSION            version when node_modules/pulumi is absent
#   PULUMI_CLI_FORCE_REBUILD=1    rebuild even when installed
#   PULUMI_LANGUAGE_NODEJS_MODULE_VERSION=v3.0.0-<time>-<commit>
#                                 pseudo-version of the language host module your mirror has
#   PULUMI_LANGUAGE_NODEJS_BIN=/path/to/pulumi-language-nodejs
#                                 explicit override: install this binary as the language host
#                                 (e.g. from the official pulumi-v$VERSION-linux-x64.tar.gz in your
#                                 artifact store). Never used unless set.
#   PULUMI_LANGUAGE_NODEJS_HOST=node
#                                 skip the module and install the Node.js host (b) directly
#
# Requirements: Go >= the go directive of pulumi's go.mod (1.25.x for 3.256.0;
# with an older Go, GOTOOLCHAIN=auto fetches a newer one through GOPROXY) for the build;
# Node.js at run time, and `npm ci` done in this repository for the Node.js language host (b).
# Timings (2 cores): first build with empty Go caches ~15-18 min; rebuild with warm Go caches
# ~30 s-1 min; re-run when installed < 1 s.
set -Eeuo pipefail

DEFAULT_VERSION=3.256.0
SDK_MOD=github.com/pulumi/pulumi/sdk/v3
PKG_MOD=github.com/pulumi/pulumi/pkg/v3
CLI_PKG=github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
LANGHOST_MOD=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
# Same variable the upstream Makefile / .goreleaser.yml stamp with -X.
VERSION_VAR=github.com/pulumi/pulumi/sdk/v3/go/common/version.Version
# Build tags used by the upstream release build (.goreleaser.yml).
BUILD_TAGS=osusergo,grpcnotrace
REQUIRED=(pulumi pulumi-language-nodejs pulumi-resource-pulumi-nodejs)
# First line after the shebang of the launcher for our Node.js language host (b).
NODE_HOST_MARKER='# delivery-platform: Node.js language host launcher'

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd -- "$SCRIPT_DIR/.." && pwd)
NODE_HOST_JS="$REPO_ROOT/sandbox/language-host/index.js"

log() { printf '==> %s\n' "$*" >&2; }
info() { printf '    %s\n' "$*" >&2; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }

STEP="starting"
WORK=""
TICKER=""
cleanup() {
    if [ -n "$TICKER" ]; then kill "$TICKER" 2>/dev/null || true; fi
    if [ -n "$WORK" ] && [ -d "$WORK" ]; then chmod -R u+w "$WORK" 2>/dev/null || true; rm -rf "$WORK"; fi
}
on_error() {
    local rc=$?
    [ "$BASHPID" = "$$" ] || exit "$rc" # report once, from the main shell
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
See docs/offline-cli.md. Re-running is safe; downloads and compiled packages are cached by Go.
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
INFO_FILE="$TARGET/../install-info.txt"
FORCE=${PULUMI_CLI_FORCE_REBUILD:-0}

usable() { [ -f "$1" ] && [ -x "$1" ] && [ -s "$1" ]; }
# Value of a "key: value" line of an install-info.txt.
info_line() { if [ -f "$1" ]; then sed -n "s/^$2: //p" "$1" | head -n1; fi; }

# Is the language host in $1 one we may keep? Prints why not (on stdout) when not.
langhost_ok() {
    local dir=$1 bin=$1/pulumi-language-nodejs recorded js
    usable "$bin" || { echo "missing"; return 1; }
    if [ "$(head -c 2 "$bin")" = '#!' ] && [ "$(sed -n 2p "$bin")" = "$NODE_HOST_MARKER" ]; then
        js=$(sed -n "s/^HOST_JS='\(.*\)'\$/\1/p" "$bin" | head -n1)
        if [ -z "$js" ] || [ ! -f "$js" ]; then echo "its launcher points at ${js:-nothing}, which no longer exists"; return 1; fi
        # Another checkout's host may be older or newer than this one's: run this checkout's.
        if [ "$js" != "$NODE_HOST_JS" ]; then echo "its launcher runs another checkout's host ($js), not this one's ($NODE_HOST_JS)"; return 1; fi
        [ -z "${PULUMI_LANGUAGE_NODEJS_BIN:-}" ] || { echo "PULUMI_LANGUAGE_NODEJS_BIN is set"; return 1; }
        return 0
    fi
    recorded=$(info_line "$dir/../install-info.txt" pulumi-language-nodejs)
    if [ -n "${PULUMI_LANGUAGE_NODEJS_BIN:-}" ]; then
        cmp -s "$bin" "$PULUMI_LANGUAGE_NODEJS_BIN" || { echo "PULUMI_LANGUAGE_NODEJS_BIN=$PULUMI_LANGUAGE_NODEJS_BIN differs from it"; return 1; }
        return 0
    fi
    # A binary copied from a former PULUMI_LANGUAGE_NODEJS_BIN is only kept while that override is set:
    # hand-made binaries must not silently become the install.
    case $recorded in
    *PULUMI_LANGUAGE_NODEJS_BIN*) echo "it was copied from an explicit PULUMI_LANGUAGE_NODEJS_BIN that is not set now"; return 1 ;;
    esac
    # Built from the module by this script, or not installed by this script at all (e.g. the
    # official archive the pulumi npm package downloads when it can): keep it.
    return 0
}

complete_in() {
    local dir=$1 f
    for f in "${REQUIRED[@]}"; do usable "$dir/$f" || return 1; done
    langhost_ok "$dir" >/dev/null
}

# --- 2. already installed? -----------------------------------------------------
if [ "$FORCE" != 1 ] && complete_in "$TARGET"; then
    kind=$(info_line "$INFO_FILE" language-host)
    echo "Pulumi CLI $VERSION is already installed in $TARGET (nothing to do${kind:+; language host: $kind})."
    exit 0
fi

T0=$SECONDS
log "Installing Pulumi CLI v$VERSION (version from $VERSION_SOURCE) into $TARGET"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pulumi-cli-build.XXXXXXXX")
mkdir -p "$WORK/mod" "$WORK/bin"

# What is there already, and what must be (re)done.
NEED_CLI=1
if [ "$FORCE" != 1 ] && usable "$TARGET/pulumi" && usable "$TARGET/pulumi-resource-pulumi-nodejs"; then
    NEED_CLI=0
    info "pulumi and pulumi-resource-pulumi-nodejs are installed; only the language host is missing or replaced ($(langhost_ok "$TARGET" || true))"
fi
CLI_FROM="" # how pulumi was obtained, for install-info.txt
if [ "$NEED_CLI" = 1 ]; then
    CLI_FROM=""
else
    CLI_FROM=$(info_line "$INFO_FILE" pulumi)
    [ -n "$CLI_FROM" ] || CLI_FROM="already installed (not by this script)"
fi
CLI_GO=$(info_line "$INFO_FILE" go)

# A CLI this script built into the default home can be copied instead of rebuilt.
if [ "$NEED_CLI" = 1 ] && [ "$FORCE" != 1 ]; then
    src="$DEFAULT_HOME/versions/$VERSION/bin"
    src_from=$(info_line "$src/../install-info.txt" pulumi)
    if [ "$src" != "$TARGET" ] && ! { [ -d "$TARGET" ] && [ "$src" -ef "$TARGET" ]; } &&
        usable "$src/pulumi" && usable "$src/pulumi-resource-pulumi-nodejs" &&
        [[ $src_from == "$CLI_PKG@v$VERSION"* ]]; then
        STEP="copying the CLI built earlier from $src"
        log "[1/4] Copying pulumi v$VERSION built by this script earlier from $src (nothing to build)"
        cp -p "$src/pulumi" "$src/pulumi-resource-pulumi-nodejs" "$WORK/bin/"
        CLI_FROM="$src_from (copied from $src)"
        CLI_GO=$(info_line "$src/../install-info.txt" go)
        NEED_CLI=0
        # Its language host too, if it was built from the module.
        if [[ $(info_line "$src/../install-info.txt" language-host) == official* ]] && langhost_ok "$src" >/dev/null &&
            [ -z "${PULUMI_LANGUAGE_NODEJS_BIN:-}" ]; then
            cp -p "$src/pulumi-language-nodejs" "$WORK/bin/"
            LANGHOST_KIND=copied
            LANGHOST_RECORD_KIND=$(info_line "$src/../install-info.txt" language-host)
            LANGHOST_FROM="$(info_line "$src/../install-info.txt" pulumi-language-nodejs) (copied from $src)"
        fi
    fi
fi

# --- 3. Go: throwaway wrapper module (only when something is built or resolved) -----
HAVE_GO=0
command -v go >/dev/null 2>&1 && HAVE_GO=1
if [ "$NEED_CLI" = 1 ] && [ "$HAVE_GO" = 0 ]; then
    echo "ERROR: 'go' is not on PATH. Install Go (>= 1.25) and re-run." >&2
    exit 1
fi
GO_READY=0
go_setup() {
    [ "$GO_READY" = 1 ] && return 0
    STEP="creating the throwaway wrapper module in $WORK/mod"
    # GOWORK=off so that no go.work above $TMPDIR interferes.
    export GOWORK=off
    cd "$WORK/mod"
    go mod init local.invalid/pulumi-cli-build >/dev/null 2>&1
    info "$(go version); GOPROXY=$(go env GOPROXY)${GOFLAGS:+; GOFLAGS=$GOFLAGS}"
    GO_READY=1
}

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
gomod_of() { go mod download -json "$1" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p'; }

# The Node language host is a separate, untagged Go module in the pulumi repo. Its
# matching version is the pseudo-version of the release commit: the commit tagged
# sdk/vX (== vX), or the pkg/vX tag commit (a go.mod-only bump right after it).
# The proxy turns a commit hash into a pseudo-version (go list -m MOD@<hash>).
LANGHOST_VERSION=""
LANGHOST_REFUSAL=""
resolve_langhost() {
    local cand hash v m
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
        LANGHOST_REFUSAL=$(tr -s '\n\t' '  ' <"$WORK/langhost.err")
        info "  -> $LANGHOST_REFUSAL"
    done
    return 1
}

# --- 4. decide the language host ------------------------------------------------------
# LANGHOST_KIND: official-module | override | node-host | keep (installed one is fine) | copied (above)
if [ -z "${LANGHOST_KIND:-}" ]; then
    if [ "$NEED_CLI" = 0 ] && [ "$FORCE" != 1 ] && langhost_ok "$TARGET" >/dev/null; then
        LANGHOST_KIND=keep
    elif [ -n "${PULUMI_LANGUAGE_NODEJS_BIN:-}" ]; then
        STEP="checking PULUMI_LANGUAGE_NODEJS_BIN=$PULUMI_LANGUAGE_NODEJS_BIN"
        if ! usable "$PULUMI_LANGUAGE_NODEJS_BIN"; then
            echo "ERROR: PULUMI_LANGUAGE_NODEJS_BIN=$PULUMI_LANGUAGE_NODEJS_BIN is not an executable file" >&2
            false
        fi
        log "[2/4] Language host: the binary given by PULUMI_LANGUAGE_NODEJS_BIN=$PULUMI_LANGUAGE_NODEJS_BIN (explicit override)"
        cp "$PULUMI_LANGUAGE_NODEJS_BIN" "$WORK/bin/pulumi-language-nodejs"
        LANGHOST_KIND="override (PULUMI_LANGUAGE_NODEJS_BIN)"
        LANGHOST_FROM="copied from PULUMI_LANGUAGE_NODEJS_BIN=$PULUMI_LANGUAGE_NODEJS_BIN"
    elif [ "${PULUMI_LANGUAGE_NODEJS_HOST:-}" = node ]; then
        LANGHOST_KIND=node-host
        LANGHOST_REFUSAL="PULUMI_LANGUAGE_NODEJS_HOST=node was set, so the module was not tried"
    elif [ "$HAVE_GO" = 0 ]; then
        LANGHOST_KIND=node-host
        LANGHOST_REFUSAL="'go' is not on PATH, so the module could not be tried"
    else
        go_setup
        STEP="resolving the language host module $LANGHOST_MOD for pulumi v$VERSION"
        log "[2/4] Resolving the official Node.js language host module through the Go module proxy"
        if resolve_langhost; then
            LANGHOST_KIND=official-module
            info "language host: $LANGHOST_MOD $LANGHOST_VERSION"
        else
            LANGHOST_KIND=node-host
            LANGHOST_REFUSAL="the Go module proxy (GOPROXY=$(go env GOPROXY)) did not provide it: $LANGHOST_REFUSAL"
        fi
    fi
fi

# --- 5. build ---------------------------------------------------------------------
# Same flags as the upstream release build: CGO off, -trimpath, osusergo/grpcnotrace,
# stripped, and the version stamped into sdk/v3/go/common/version.Version.
export CGO_ENABLED=0
LDFLAGS="-s -w -X $VERSION_VAR=v$VERSION"
build() { go build -mod=mod -trimpath -tags "$BUILD_TAGS" -ldflags "$LDFLAGS" "$@"; }
# go build is silent for minutes on a cold cache: print a heartbeat meanwhile.
# (sleep runs detached from our stdout/stderr and is killed with the ticker, so that nothing
# keeps a pipe such as `install-pulumi-cli.sh 2>&1 | tee log` open after the script is done.)
start_ticker() {
    (
        trap - ERR
        sp=""
        trap 'kill "$sp" 2>/dev/null; exit 0' TERM
        n=0
        while :; do
            sleep 60 >/dev/null 2>&1 &
            sp=$!
            wait "$sp"
            n=$((n + 1))
            printf '    ... still building (%d min)\n' "$n" >&2
        done
    ) &
    TICKER=$!
}
stop_ticker() { kill "$TICKER" 2>/dev/null || true; wait "$TICKER" 2>/dev/null || true; TICKER=""; }

if [ "$NEED_CLI" = 1 ] || [ "$LANGHOST_KIND" = official-module ]; then
    go_setup
    STEP="resolving $PKG_MOD@v$VERSION and $SDK_MOD@v$VERSION (is the version published, is GOPROXY reachable?)"
    log "[3/4] Resolving and building from Go modules"
    go mod download "$PKG_MOD@v$VERSION" "$SDK_MOD@v$VERSION"
    SDK_DIR=$(go list -m -f '{{.Dir}}' "$SDK_MOD@v$VERSION")
    STEP="copying replace directives from $PKG_MOD@v$VERSION/go.mod"
    apply_replaces "$(gomod_of "$PKG_MOD@v$VERSION")"

    STEP="adding the requirements to the wrapper module (go get)"
    info "go get: downloading the dependencies (first run only, cached in $(go env GOMODCACHE))"
    get_args=("$CLI_PKG@v$VERSION" "$SDK_MOD@v$VERSION")
    [ "$LANGHOST_KIND" = official-module ] && get_args+=("$LANGHOST_MOD@$LANGHOST_VERSION")
    if ! go get "${get_args[@]}" >"$WORK/go-get.log" 2>&1; then
        tail -n 40 "$WORK/go-get.log" >&2
        false
    fi
    info "$(grep -c '^go: added' "$WORK/go-get.log" || true) modules required, $(grep -c '^go: downloading' "$WORK/go-get.log" || true) downloaded now"
    if [ "$LANGHOST_KIND" = official-module ]; then
        STEP="copying replace directives from $LANGHOST_MOD@$LANGHOST_VERSION/go.mod"
        apply_replaces "$(gomod_of "$LANGHOST_MOD@$LANGHOST_VERSION")"
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

    if [ "$NEED_CLI" = 1 ]; then
        STEP="building $CLI_PKG (go build)"
        info "building pulumi v$VERSION (the first build takes several minutes; later runs use the Go build cache)"
        t=$SECONDS
        start_ticker
        build -o "$WORK/bin/pulumi" "$CLI_PKG"
        stop_ticker
        info "built pulumi in $((SECONDS - t))s"

        STEP="checking the built pulumi binary"
        got=$(PULUMI_SKIP_UPDATE_CHECK=true PULUMI_HOME="$WORK/home" "$WORK/bin/pulumi" version 2>/dev/null | head -n1)
        if [ "$got" != "v$VERSION" ]; then
            echo "ERROR: built pulumi reports version '$got', expected v$VERSION" >&2
            false
        fi
        CLI_FROM="$CLI_PKG@v$VERSION, -ldflags '$LDFLAGS', -tags $BUILD_TAGS, -trimpath, CGO_ENABLED=0"
        CLI_GO=$(go version)

        # The dynamic provider launcher the official archive ships (sdk/nodejs/dist of the sdk
        # module of this exact release); an equivalent if that file is ever missing.
        STEP="writing the dynamic provider launcher"
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
    fi

    if [ "$LANGHOST_KIND" = official-module ]; then
        STEP="building $LANGHOST_MOD (go build)"
        info "building pulumi-language-nodejs ($LANGHOST_VERSION)"
        t=$SECONDS
        start_ticker
        build -o "$WORK/bin/pulumi-language-nodejs" "$LANGHOST_MOD"
        stop_ticker
        info "built pulumi-language-nodejs in $((SECONDS - t))s"
        LANGHOST_FROM="$LANGHOST_MOD@$LANGHOST_VERSION (same flags)"
    fi
fi

# --- 6. the Node.js language host (b) ------------------------------------------------
if [ "$LANGHOST_KIND" = node-host ]; then
    STEP="writing the launcher for the Node.js language host"
    log "Language host: this repository's Node.js implementation (sandbox/language-host)"
    {
        printf '#!/usr/bin/env bash\n%s\n' "$NODE_HOST_MARKER"
        cat <<EOF
# Installed by scripts/install-pulumi-cli.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ) instead of the official
# host ($LANGHOST_MOD), which could not be built: ${LANGHOST_REFUSAL:-unknown reason}
# See docs/offline-cli.md.
# It runs the host from the checkout it was installed from (the absolute path below); its
# dependencies (@grpc/grpc-js, google-protobuf, @pulumi/pulumi) resolve from that checkout's
# node_modules. If the checkout moves, re-run scripts/install-pulumi-cli.sh from the new place.
HOST_JS='$NODE_HOST_JS'
if [ ! -f "\$HOST_JS" ]; then
    echo "pulumi-language-nodejs: \$HOST_JS does not exist any more; re-run scripts/install-pulumi-cli.sh" >&2
    exit 1
fi
export PULUMI_LANGUAGE_NODEJS_HOST_VERSION='$VERSION'
exec node "\$HOST_JS" "\$@"
EOF
    } >"$WORK/bin/pulumi-language-nodejs"
    chmod 0755 "$WORK/bin/pulumi-language-nodejs"
    LANGHOST_FROM="launcher for $NODE_HOST_JS (Node.js $(node --version 2>/dev/null || echo 'not found'))"

    # Smoke test: it must start and print its port (this also loads its dependencies).
    STEP="starting the Node.js language host once (smoke test)"
    if ! command -v node >/dev/null 2>&1; then
        warn "node is not on PATH: the Node.js language host cannot run until it is."
    elif ! port=$(node -e '
        const cp = require("child_process");
        const c = cp.spawn(process.argv[1], [], { stdio: ["ignore", "pipe", "inherit"] });
        let out = "";
        const t = setTimeout(() => { c.kill("SIGKILL"); process.exit(1); }, 15000);
        c.stdout.on("data", (d) => { out += d; if (out.includes("\n")) { clearTimeout(t); c.kill(); console.log(out.split("\n")[0]); } });
        c.on("exit", () => { if (!out.includes("\n")) process.exit(1); });
    ' "$WORK/bin/pulumi-language-nodejs") || ! [[ $port =~ ^[0-9]+$ ]]; then
        warn "the Node.js language host did not start (see above). Run 'npm ci' in $REPO_ROOT, then re-run this script."
        false
    else
        info "smoke test: it started and listened on port $port"
    fi

    cat >&2 <<EOF

################################################################################################
#  NOTE: pulumi-language-nodejs is NOT the official Pulumi binary.
#
#  The official Node.js language host of pulumi v$VERSION, the Go module
#      $LANGHOST_MOD
#  could not be built here, because
#      ${LANGHOST_REFUSAL:-(no reason recorded)}
#  so this installed a launcher for this repository's own implementation of the same gRPC
#  protocol, written in Node.js:  $NODE_HOST_JS
#  It runs Node.js/TypeScript programs and Node.js policy packs with this CLI; code generation,
#  'pulumi new' templates, debugger attach and synchronous invokes are not implemented.
#  Details: docs/offline-cli.md.
#  For the official host: let the proxy serve that module and run
#      PULUMI_CLI_FORCE_REBUILD=1 $0
#  or point PULUMI_LANGUAGE_NODEJS_BIN at the pulumi-language-nodejs of the official
#  pulumi-v$VERSION archive.
################################################################################################

EOF
fi

# --- 7. install ---------------------------------------------------------------------
STEP="installing into $TARGET"
log "[4/4] Installing into $TARGET"
mkdir -p "$TARGET"
# pulumi last: the npm package only checks for bin/pulumi, so it must not appear
# before the plugins next to it.
for f in pulumi-language-nodejs pulumi-resource-pulumi-nodejs pulumi; do
    [ -f "$WORK/bin/$f" ] || continue
    chmod 0755 "$WORK/bin/$f"
    cp "$WORK/bin/$f" "$TARGET/.$f.tmp.$$"
    mv -f "$TARGET/.$f.tmp.$$" "$TARGET/$f"
    info "$TARGET/$f"
done
if [ "$LANGHOST_KIND" = keep ]; then
    LANGHOST_KIND=$(info_line "$INFO_FILE" language-host)
    LANGHOST_FROM=$(info_line "$INFO_FILE" pulumi-language-nodejs)
    LANGHOST_REFUSAL=$(info_line "$INFO_FILE" language-host-reason)
    [ -n "$LANGHOST_KIND" ] || { LANGHOST_KIND="official (installed before, not by this script)"; LANGHOST_FROM="$TARGET/pulumi-language-nodejs"; }
elif [ "$LANGHOST_KIND" = copied ]; then
    LANGHOST_KIND=$LANGHOST_RECORD_KIND
fi
# Provenance, next to (not inside) bin/.
{
    echo "installed-by: scripts/install-pulumi-cli.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "go: ${CLI_GO:-unknown}"
    echo "pulumi: $CLI_FROM"
    echo "language-host: ${LANGHOST_KIND:-unknown}"
    echo "pulumi-language-nodejs: ${LANGHOST_FROM:-unknown}"
    [ "$LANGHOST_KIND" != node-host ] || echo "language-host-reason: ${LANGHOST_REFUSAL:-unknown}"
    echo "pulumi-resource-pulumi-nodejs: launcher script from $SDK_MOD@v$VERSION (nodejs/dist)"
} >"$INFO_FILE.tmp.$$"
mv -f "$INFO_FILE.tmp.$$" "$INFO_FILE"

log "Pulumi CLI v$VERSION installed in $((SECONDS - T0))s (language host: $LANGHOST_KIND). 'npx pulumi' now uses $TARGET/pulumi."
