#!/usr/bin/env bash
# Build (once per version) the ML operators the local test cluster can run as host processes, into
# $GANTRY_CACHE/operators/<name>/<version>/{bin,manifests}:
#   jobset, lws, kuberay (ray-operator), training-operator (v1), trainer (v2), kueue
# Each is built from a scratch wrapper module (`go get MOD@VER` + `go build PKG`), as build.sh does for the
# control plane: `go install MOD@VER` is refused by this proxy (403 on the version-list deprecation check).
# The CRDs and webhook manifests come out of the same module zip (`go mod download -json` -> Dir).
# Skips an operator whose binary and stamp (module@version) are already in the cache.
# Usage: scripts/cluster/operators.sh [name...]   (default: all, in dependency order)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=paths.sh
. "$HERE/paths.sh"

log() { printf '[operators:build] %s\n' "$*" >&2; }
fail() { printf '[operators:build] ERROR: %s\n' "$*" >&2; }

export GOTOOLCHAIN=local CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"

ALL="jobset lws kuberay training-operator trainer kueue"

# name -> module version package binary manifest-subdirs (space-separated, relative to the module root)
spec() {
  case "$1" in
    jobset) echo "sigs.k8s.io/jobset $GANTRY_JOBSET_VERSION sigs.k8s.io/jobset jobset config/components" ;;
    lws) echo "sigs.k8s.io/lws $GANTRY_LWS_VERSION sigs.k8s.io/lws/cmd lws config" ;;
    kuberay) echo "github.com/ray-project/kuberay/ray-operator $GANTRY_KUBERAY_VERSION github.com/ray-project/kuberay/ray-operator ray-operator config" ;;
    training-operator) echo "github.com/kubeflow/training-operator $GANTRY_TRAINING_OPERATOR_VERSION github.com/kubeflow/training-operator/cmd/training-operator.v1 training-operator manifests" ;;
    trainer) echo "github.com/kubeflow/trainer/v2 $GANTRY_TRAINER_VERSION github.com/kubeflow/trainer/v2/cmd/trainer-controller-manager trainer-controller-manager manifests" ;;
    kueue) echo "sigs.k8s.io/kueue $GANTRY_KUEUE_VERSION sigs.k8s.io/kueue/cmd/kueue kueue config" ;;
    *) return 1 ;;
  esac
}

# go build with a progress line every 50 packages; the full log is kept and its tail printed on failure.
build_progress() {
  local logf=$1; shift
  go build -v "$@" 2>&1 | tee "$logf" | awk -v tag="$TAG" '
    { n++; if (n % 50 == 0) { printf "[operators:build]   %s: %d packages compiled...\n", tag, n > "/dev/stderr"; fflush("/dev/stderr") } }'
  return "${PIPESTATUS[0]}"
}

# User+system CPU seconds of the finished child processes of this script (bash `times`, second line).
cpu_seconds() {
  times | awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/); printf "%d", u[1] * 60 + u[2] + s[1] * 60 + s[2] }'
}

build_one() {
  local name=$1 mod ver pkg bin subdirs
  read -r mod ver pkg bin subdirs <<<"$(spec "$name")" || { fail "unknown operator '$name' (one of: $ALL)"; return 1; }
  ver=${ver#v}
  local dir=$GANTRY_CACHE/operators/$name/$ver want="$mod@v$ver"
  TAG="$name v$ver"
  if [ -x "$dir/bin/$bin" ] && [ "$(cat "$dir/built.txt" 2>/dev/null)" = "$want" ] && [ -d "$dir/manifests" ]; then
    log "$TAG: cached ($dir/bin/$bin)"; return 0
  fi
  local start=$SECONDS w=$dir/src
  log "$TAG: building $pkg (a few minutes cold on 2 cores)"
  rm -rf "$w" "$dir/manifests" "$dir/built.txt"; mkdir -p "$w" "$dir/bin"
  (
    cd "$w"
    go mod init local/"$name"-build >/dev/null 2>&1
    log "  $name: resolving modules (go get $pkg@v$ver)"
    # The package, not just the module: go get then records go.sum entries for everything it imports.
    if ! go get "$pkg@v$ver" >"$w/get.log" 2>&1; then
      tail -n 30 "$w/get.log" >&2
      fail "$TAG: go get $pkg@v$ver failed (full log: $w/get.log)"; exit 1
    fi
    log "  $name: $(grep -c '^go: downloading' "$w/get.log" || true) modules downloaded in $((SECONDS - start))s; compiling"
    if ! build_progress "$w/build.log" -trimpath -ldflags "-s -w" -o "$dir/bin/$bin" "$pkg"; then
      tail -n 30 "$w/build.log" >&2
      fail "$TAG: go build $pkg failed (full log: $w/build.log)"; exit 1
    fi
    local src; src=$(go mod download -json "$want" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
    [ -n "$src" ] && [ -d "$src" ] || { fail "$TAG: module source of $want not found in the module cache"; exit 1; }
    mkdir -p "$dir/manifests"
    for s in $subdirs; do
      [ -d "$src/$s" ] || { fail "$TAG: $s missing in $want"; exit 1; }
      mkdir -p "$dir/manifests/$(dirname "$s")"
      cp -r "$src/$s" "$dir/manifests/$s"
    done
    chmod -R u+w "$dir/manifests"
  ) || return 1
  echo "$want" >"$dir/built.txt"
  log "$TAG: built in $((SECONDS - start))s wall, $(cpu_seconds) CPU-s so far in this run ($(du -h "$dir/bin/$bin" | cut -f1))"
}

command -v go >/dev/null 2>&1 || { fail "Go is not installed or not on PATH (Go >= 1.26 is needed)"; exit 1; }
T0=$SECONDS
names=("$@")
[ ${#names[@]} -gt 0 ] || read -r -a names <<<"$ALL"
failed=()
for n in "${names[@]}"; do
  # trainer v2 runs on JobSet: build both.
  if [ "$n" = trainer ] && [[ " ${names[*]} " != *" jobset "* ]]; then build_one jobset || failed+=(jobset); fi
  build_one "$n" || failed+=("$n")
done
log "done in $((SECONDS - T0))s"
if [ ${#failed[@]} -gt 0 ]; then
  fail "not built: ${failed[*]}"
  exit 1
fi
