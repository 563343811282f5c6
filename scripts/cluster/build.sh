#!/usr/bin/env bash
# Build (once per version) the binaries the local test cluster needs, into ~/.cache/gantry/:
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl  (k8s.io/kubernetes, KUBE_VERSION)
#   etcd (go.etcd.io/etcd/server/v3, ETCD_VERSION)   kwok (sigs.k8s.io/kwok/cmd/kwok, KWOK_VERSION)
# Skips each component whose cached binaries already report the wanted version.
# Prints the k8s bin dir on the last line of stdout on success (progress goes to stderr).
# Usage: scripts/cluster/build.sh [--only k8s|etcd|kwok]
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=paths.sh
. "$HERE/paths.sh"

ONLY=${2:-}
if [ "${1:-}" = "--only" ] && [ -z "$ONLY" ]; then echo "usage: $0 [--only k8s|etcd|kwok]" >&2; exit 2; fi

log() { printf '[cluster:build] %s\n' "$*" >&2; }
die() { printf '[cluster:build] ERROR: %s\n' "$*" >&2; exit 1; }

export GOTOOLCHAIN=local CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"

need_go() {
  command -v go >/dev/null 2>&1 || die "Go is not installed or not on PATH. Install Go >= 1.26 (https://go.dev/dl) and re-run."
  local v; v=$(go env GOVERSION)
  case "$v" in
    go1.2[6-9]*|go1.[3-9][0-9]*) ;;
    *) die "Go $v is too old: kubernetes $GANTRY_KUBE_VERSION / kwok v$GANTRY_KWOK_VERSION need Go >= 1.26 (GOTOOLCHAIN=local, no toolchain download)." ;;
  esac
  [ "$(go env GOPROXY)" != "off" ] || die "GOPROXY=off: the build fetches modules from the Go module proxy. Set GOPROXY (e.g. https://proxy.golang.org)."
}

# Ask the proxy for one module version, with a clear message when it is unreachable.
probe() {
  local mod=$1 out
  if ! out=$(go list -m -json "$mod" 2>&1); then
    die "cannot fetch $mod from the Go module proxy ($(go env GOPROXY)):
$out
Check the network / GOPROXY, or that the version exists (go list -m -versions ${mod%@*})."
  fi
  printf '%s\n' "$out"
}

# Runs a command with its output in a log file; on failure prints the log's tail and stops.
quiet() {
  local logf=$1; shift
  if ! "$@" > "$logf" 2>&1; then
    tail -n 40 "$logf" >&2
    die "$* failed (full log: $logf)"
  fi
  log "  $(grep -c '^go: downloading' "$logf" || true) modules downloaded"
}

# go build with a compact progress line every 25 packages; full log kept, tail printed on failure.
build_progress() {
  local logf=$1; shift
  local start=$SECONDS
  if ! go build -v "$@" 2>&1 | tee "$logf" | awk -v s="$start" '
      { n++; if (n % 25 == 0) { printf "[cluster:build]   %d packages compiled...\n", n > "/dev/stderr"; fflush("/dev/stderr") } }'; then
    tail -n 40 "$logf" >&2
    die "go build failed (full log: $logf)"
  fi
  log "  build took $((SECONDS - start))s"
}

# True when `BIN ARGS...` prints a line exactly equal to WANT. The output is captured first: piping into
# `grep -q` can kill the writer with SIGPIPE, which pipefail turns into a false "wrong version".
prints_line() {
  local want=$1 out; shift
  [ -x "$1" ] || return 1
  out=$("$@" 2>/dev/null) || return 1
  grep -qxF -- "$want" <<<"$out"
}

# ---------------------------------------------------------------- etcd
build_etcd() {
  local want="etcd Version: $GANTRY_ETCD_VERSION"
  if prints_line "$want" "$GANTRY_ETCD_BIN/etcd" --version; then
    log "etcd $GANTRY_ETCD_VERSION: cached ($GANTRY_ETCD_BIN)"; return
  fi
  need_go
  log "etcd $GANTRY_ETCD_VERSION: building (a few minutes cold)"
  local w=$GANTRY_ETCD_DIR/src; mkdir -p "$w" "$GANTRY_ETCD_BIN"
  probe "go.etcd.io/etcd/server/v3@v$GANTRY_ETCD_VERSION" >/dev/null
  (
    cd "$w"
    # etcd's own go.mod carries replace directives, so `go install pkg@v` is refused: build from a wrapper module.
    [ -f go.mod ] || go mod init local/etcd-build >/dev/null 2>&1
    log "  resolving modules"
    quiet "$w/get.log" go get "go.etcd.io/etcd/server/v3@v$GANTRY_ETCD_VERSION"
    build_progress "$w/build.log" -trimpath -ldflags "-s -w" -o "$GANTRY_ETCD_BIN/etcd" go.etcd.io/etcd/server/v3
  )
  prints_line "$want" "$GANTRY_ETCD_BIN/etcd" --version || die "built etcd does not report '$want'"
}

# ---------------------------------------------------------------- kwok
# kwok's CRDs (the harness installs Logs and PortForward) and its reference stages, copied from the module.
kwok_assets() {
  [ -f "$GANTRY_KWOK_DIR/crd/kwok.x-k8s.io_logs.yaml" ] && return
  need_go
  local src; src=$(go mod download -json "sigs.k8s.io/kwok@v$GANTRY_KWOK_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [ -n "$src" ] && [ -d "$src/kustomize/crd/bases" ] || die "kwok module source not found for v$GANTRY_KWOK_VERSION"
  rm -rf "$GANTRY_KWOK_DIR/crd" "$GANTRY_KWOK_DIR/stage"
  cp -r "$src/kustomize/crd/bases" "$GANTRY_KWOK_DIR/crd"
  cp -r "$src/kustomize/stage" "$GANTRY_KWOK_DIR/stage"
  chmod -R u+w "$GANTRY_KWOK_DIR/crd" "$GANTRY_KWOK_DIR/stage"
}

# kwok --version prints "kwok version v0.8.0 go1.26.8 (linux/amd64)".
kwok_is() {
  local out
  [ -x "$GANTRY_KWOK_BIN/kwok" ] || return 1
  out=$("$GANTRY_KWOK_BIN/kwok" --version 2>/dev/null) || return 1
  [[ "$out" == "kwok version $1 "* ]]
}

build_kwok() {
  local want="v$GANTRY_KWOK_VERSION"
  if kwok_is "$want"; then
    log "kwok $want: cached ($GANTRY_KWOK_BIN)"; kwok_assets; return
  fi
  need_go
  log "kwok $want: building"
  mkdir -p "$GANTRY_KWOK_BIN"
  probe "sigs.k8s.io/kwok@$want" >/dev/null
  local start=$SECONDS
  # kwok has no replace directives, so go install works directly.
  GOBIN=$GANTRY_KWOK_BIN quiet "$GANTRY_KWOK_DIR/install.log" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$want"
  log "  build took $((SECONDS - start))s"
  kwok_assets
  kwok_is "$want" || die "built kwok does not report $want: $("$GANTRY_KWOK_BIN/kwok" --version 2>&1 | head -1)"
}

# ---------------------------------------------------------------- kubernetes
k8s_cached() {
  local b=$GANTRY_K8S_BIN v="v$GANTRY_KUBE_VERSION"
  [ -x "$b/kube-apiserver" ] && [ -x "$b/kube-controller-manager" ] && [ -x "$b/kube-scheduler" ] && [ -x "$b/kubectl" ] || return 1
  prints_line "Kubernetes $v" "$b/kube-apiserver" --version || return 1
  prints_line "Kubernetes $v" "$b/kube-controller-manager" --version || return 1
  prints_line "Kubernetes $v" "$b/kube-scheduler" --version || return 1
  prints_line "Client Version: $v" "$b/kubectl" version --client || return 1
}

build_k8s() {
  local v=$GANTRY_KUBE_VERSION
  if k8s_cached; then log "kubernetes v$v: cached ($GANTRY_K8S_BIN)"; return; fi
  need_go
  case "$v" in 1.*.*) ;; *) die "KUBE_VERSION must look like 1.36.3 (got '$v')";; esac
  local minor; minor=$(echo "$v" | cut -d. -f2)
  local staging="v0.${v#1.}"
  log "kubernetes v$v: building kube-apiserver, kube-controller-manager, kube-scheduler, kubectl (about 5 min cold on 2 cores)"
  local w=$GANTRY_K8S_DIR/src; mkdir -p "$w" "$GANTRY_K8S_BIN"
  local info gomod
  info=$(probe "k8s.io/kubernetes@v$v")
  gomod=$(go mod download -json "k8s.io/kubernetes@v$v" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  [ -f "$gomod" ] || die "could not read the go.mod of k8s.io/kubernetes@v$v from the module cache"
  : "$info"
  (
    cd "$w"
    rm -f go.mod go.sum
    go mod init local/k8s-build >/dev/null 2>&1
    # Same language version as upstream (and its godebug defaults, if any).
    local gov; gov=$(awk '$1 == "go" {print $2; exit}' "$gomod")
    go mod edit -go="$gov"
    awk '$1 == "godebug" && $2 != "(" {print $2}' "$gomod" | while read -r d; do go mod edit -godebug="$d"; done
    # k8s.io/kubernetes requires its staging modules at v0.0.0 and maps them with replace directives
    # (ignored in dependencies): map each to the published v0.X.Y release.
    local n=0
    for m in $(awk '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" {print $1}' "$gomod"); do
      go mod edit -replace="$m=$m@$staging"; n=$((n+1))
    done
    log "  mapped $n staging modules to $staging"
    if [ "$minor" -lt 34 ]; then
      # json-iterator's reflect2 v1.0.2 reads Go's pre-1.24 map layout; k8s >= 1.34 pins this fix.
      go mod edit -require=github.com/modern-go/reflect2@v1.0.3-0.20250322232337-35a7c28c31ee
      log "  pinned github.com/modern-go/reflect2 (k8s < 1.34 on Go >= 1.24)"
    fi
    log "  resolving modules (first run downloads ~1 GB)"
    quiet "$w/get.log" go get "k8s.io/kubernetes@v$v" \
      "k8s.io/kubernetes/cmd/kube-apiserver@v$v" "k8s.io/kubernetes/cmd/kube-controller-manager@v$v" \
      "k8s.io/kubernetes/cmd/kube-scheduler@v$v" "k8s.io/kubernetes/cmd/kubectl@v$v"
    local ldf="-s -w" bd; bd=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldf="$ldf -X $p.gitVersion=v$v -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=$bd"
    done
    log "  compiling (one go build for all four commands)"
    build_progress "$w/build.log" -trimpath -ldflags "$ldf" -o "$GANTRY_K8S_BIN/" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
  )
  k8s_cached || die "built kubernetes binaries do not report v$v ($("$GANTRY_K8S_BIN/kube-apiserver" --version 2>&1 | head -1))"
}

T0=$SECONDS
case "$ONLY" in
  "") ;; k8s|etcd|kwok) ;; *) die "unknown component '$ONLY' (k8s|etcd|kwok)";;
esac
if [ "$ONLY" = "" ] || [ "$ONLY" = etcd ]; then build_etcd; fi
if [ "$ONLY" = "" ] || [ "$ONLY" = kwok ]; then build_kwok; fi
if [ "$ONLY" = "" ] || [ "$ONLY" = k8s ]; then build_k8s; fi
log "done in $((SECONDS - T0))s"
echo "$GANTRY_K8S_BIN"
