#!/usr/bin/env bash
# Installs the Jupyter server the port-forward tests put behind the notebook pod: JupyterLab from the Python
# package index into a virtual environment cached outside the repo, ~/.cache/gantry/jupyter/<version>/venv.
# Re-running is cheap: skipped when the venv's marker names the wanted version.
# Needs a Python 3 with the venv module (Debian: python3-venv, installed here with apt-get when missing).
# Prints the venv directory on the last line of stdout on success (progress goes to stderr).
set -euo pipefail

JUPYTERLAB_VERSION=${JUPYTERLAB_VERSION:-4.6.6}
CACHE=${GANTRY_CACHE:-$HOME/.cache/gantry}
DIR=$CACHE/jupyter/$JUPYTERLAB_VERSION
VENV=$DIR/venv
MARKER=$DIR/.gantry-installed

log() { printf '[jupyter:setup] %s\n' "$*" >&2; }
die() {
  printf '[jupyter:setup] ERROR: %s\n' "$*" >&2
  exit 1
}
started=$SECONDS

if [[ -f $MARKER && -x $VENV/bin/jupyter && "$(cat "$MARKER")" == "$JUPYTERLAB_VERSION" ]]; then
  log "JupyterLab $JUPYTERLAB_VERSION already installed in $VENV"
  echo "$VENV"
  exit 0
fi

# Debian's interpreter first (its venv module comes from python3-venv); else whatever python3 is on PATH.
PY=${GANTRY_PYTHON:-}
if [[ -z $PY ]]; then
  if [[ -x /usr/bin/python3 ]]; then PY=/usr/bin/python3; else PY=$(command -v python3 || true); fi
fi
if [[ -z $PY ]]; then
  command -v apt-get >/dev/null 2>&1 || die "no python3 on PATH and no apt-get to install it"
  log "installing python3 and python3-venv (apt-get)"
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >&2
  PY=/usr/bin/python3
fi
# `import ensurepip` fails on Debian until python3-venv (python3.X-venv) is installed.
if ! "$PY" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || die "$PY has no venv/ensurepip module; install your distribution's python3-venv"
  log "installing python3-venv (apt-get) for $PY"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >&2
  "$PY" -c 'import venv, ensurepip' || die "$PY still has no venv module after installing python3-venv"
fi

log "creating $VENV with $("$PY" --version 2>&1)"
rm -rf "$VENV" "$MARKER"
mkdir -p "$DIR"
"$PY" -m venv "$VENV"
log "installing jupyterlab==$JUPYTERLAB_VERSION and ipykernel (pip; a minute or two on a cold cache)"
"$VENV/bin/python" -m pip install --disable-pip-version-check -q "jupyterlab==$JUPYTERLAB_VERSION" ipykernel >&2
"$VENV/bin/jupyter" lab --version >/dev/null || die "jupyter lab does not start from $VENV"
echo "$JUPYTERLAB_VERSION" >"$MARKER"
log "done in $((SECONDS - started)) s"
echo "$VENV"
