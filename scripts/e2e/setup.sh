#!/usr/bin/env bash
# Installs what the e2e tier needs, once, and caches it outside the repo:
#   - Debian packages: chromium (the browser), ripgrep, and the headers/toolchain code-server's native modules build with
#   - code-server (the real VS Code, as a web server) from npm into ~/.cache/gantry/code-server-<version>/
# Works with only the package registries reachable: the ripgrep binary that @vscode/ripgrep would download from
# GitHub is seeded from Debian's ripgrep, node-gyp builds against the local Node headers.
# Re-running is cheap: every step is skipped when its result is already there (dpkg status, version marker).
# Prints the code-server directory on the last line of stdout on success (progress goes to stderr).
set -euo pipefail

CS_VERSION=4.100.3
# code-server 4.100.3 bundles @vscode/ripgrep 1.15.11, whose postinstall (lib/download.js) looks for
# <os.tmpdir()>/vscode-ripgrep-cache-<its version>/ripgrep-<VERSION>-<target>.tar.gz before downloading
# (VERSION and target from lib/postinstall.js) and untars `rg` from it into its bin/.
RG_PKG_VERSION=1.15.11
RG_ASSET=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz
# openssl: the cluster harness makes the control plane's and the operators' webhook certificates with it.
APT_PACKAGES=(chromium ripgrep openssl libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config build-essential python3)
# npm 11 install-script policy (`npm help install-scripts`): the dependencies whose install scripts may run, from
# `hasInstallScript` in code-server's npm-shrinkwrap.json files. Top level (this cache's package.json):
ALLOW_TOP=(code-server argon2)
# The nested `npm install` that code-server's postinstall runs in lib/vscode (the one in lib/vscode/extensions
# installs only typescript, which has no scripts):
ALLOW_VSCODE=(@parcel/watcher @vscode/deviceid @vscode/ripgrep @vscode/spdlog @vscode/windows-process-tree
  @vscode/windows-registry kerberos native-watchdog node-pty)

CACHE=${GANTRY_CACHE:-$HOME/.cache/gantry}
CS_DIR=$CACHE/code-server-$CS_VERSION
ENTRY=$CS_DIR/node_modules/code-server/out/node/entry.js
MARKER=$CS_DIR/.gantry-installed

log() { printf '[e2e:setup] %s\n' "$*" >&2; }
die() {
  printf '[e2e:setup] ERROR: %s\n' "$*" >&2
  exit 1
}
started=$SECONDS

# ---- Node: code-server 4.100.x refuses anything but Node 20 (its postinstall checks the major version).
command -v node >/dev/null 2>&1 || die "node is not on PATH. Install Node.js 20 and re-run."
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" = 20 ] ||
  die "code-server $CS_VERSION needs Node.js 20, this is $(node --version). Put Node 20 first on PATH and re-run."

# ---- Debian packages
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  log "Debian packages: all present (${APT_PACKAGES[*]})"
else
  [ "$(id -u)" = 0 ] || die "missing Debian packages: ${missing[*]}. Run as root or: sudo apt-get install ${missing[*]}"
  t=$SECONDS
  log "Debian packages: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Other setup scripts may hold the dpkg lock at the same time: wait for it instead of failing.
  apt_opts=(-q -o DPkg::Lock::Timeout=600)
  apt-get "${apt_opts[@]}" update >&2 || die "apt-get update failed (see above)"
  apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}" >&2 ||
    die "apt-get install ${missing[*]} failed (see above)"
  log "Debian packages: installed in $((SECONDS - t))s"
fi
[ -x /usr/bin/chromium ] || die "/usr/bin/chromium is missing although the chromium package is installed"
[ -x /usr/bin/rg ] || die "/usr/bin/rg is missing although the ripgrep package is installed"

# ---- code-server
installed_version() {
  [ -f "$MARKER" ] && [ -f "$ENTRY" ] || return 0
  node -p 'require(process.argv[1]).version' "$CS_DIR/node_modules/code-server/package.json" 2>/dev/null || true
}
if [ "$(installed_version)" = "$CS_VERSION" ] && [ "$(cat "$MARKER")" = "$CS_VERSION" ]; then
  log "code-server $CS_VERSION: already installed in $CS_DIR"
  log "done in $((SECONDS - started))s"
  echo "$CS_DIR"
  exit 0
fi

mkdir -p "$CACHE"
# Two npm installs in one folder at once corrupt its native build: serialise them.
exec 9>"$CACHE/code-server-$CS_VERSION.lock"
flock 9
# Another run may have finished while we waited for the lock.
if [ "$(installed_version)" = "$CS_VERSION" ]; then
  log "code-server $CS_VERSION: installed by a concurrent run"
  echo "$CS_DIR"
  exit 0
fi

# Seed @vscode/ripgrep's download cache (same directory node's os.tmpdir() gives it).
rg_cache="$(node -p 'require("os").tmpdir()')/vscode-ripgrep-cache-$RG_PKG_VERSION"
if [ -s "$rg_cache/$RG_ASSET" ]; then
  log "ripgrep cache: present ($rg_cache/$RG_ASSET)"
else
  stage=$(mktemp -d)
  cp /usr/bin/rg "$stage/rg"
  mkdir -p "$rg_cache"
  tar -czf "$rg_cache/$RG_ASSET.tmp" -C "$stage" rg
  mv "$rg_cache/$RG_ASSET.tmp" "$rg_cache/$RG_ASSET"
  rm -rf "$stage"
  log "ripgrep cache: seeded $rg_cache/$RG_ASSET from /usr/bin/rg ($(/usr/bin/rg --version 2>/dev/null | sed -n 1p))"
fi

t=$SECONDS
log "code-server $CS_VERSION: installing into $CS_DIR (several minutes: it compiles native modules)"
rm -rf "$CS_DIR"
mkdir -p "$CS_DIR"
json_allow() { # name... -> {"name":true,...}
  node -e 'console.log(JSON.stringify(Object.fromEntries(process.argv.slice(1).map((n) => [n, true]))))' "$@"
}
cat >"$CS_DIR/package.json" <<EOF
{
  "name": "gantry-e2e-code-server",
  "private": true,
  "description": "code-server for Gantry's end-to-end tests, installed by scripts/e2e/setup.sh",
  "dependencies": { "code-server": "$CS_VERSION" },
  "allowScripts": $(json_allow "${ALLOW_TOP[@]}")
}
EOF
npm_env=(npm_config_unsafe_perm=true npm_config_yes=true npm_config_audit=false npm_config_fund=false
  npm_config_update_notifier=false)
# node-gyp would download Node's headers from the internet unless it is pointed at local ones.
node_prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
if [ -f "$node_prefix/include/node/node.h" ]; then
  npm_env+=(npm_config_nodedir="$node_prefix")
fi
install_log=$CS_DIR/install.log
# The allow-lists must be in each project's package.json: npm exports its config to the environment of lifecycle
# scripts, so an `allow-scripts` in an .npmrc reaches the nested installs as an environment setting and they fail
# with EALLOWSCRIPTS ("--allow-scripts is not allowed in project-scoped installs"). So: fetch with scripts off, add
# `allowScripts` to lib/vscode/package.json, then run the scripts (code-server's postinstall runs the nested
# installs). npm 11.19 still runs unreviewed scripts with a notice; the lists keep this working when that
# default becomes a block, and the file checks below catch a skipped script either way.
(
  cd "$CS_DIR"
  log "  fetching packages (install scripts off)"
  env "${npm_env[@]}" npm install --ignore-scripts --no-package-lock >"$install_log" 2>&1
  node -e '
    const fs = require("fs");
    const [file, ...names] = process.argv.slice(1);
    const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
    pkg.allowScripts = Object.fromEntries(names.map((n) => [n, true]));
    fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");
  ' node_modules/code-server/lib/vscode/package.json "${ALLOW_VSCODE[@]}"
  log "  running install scripts (code-server's postinstall: nested installs, native module builds)"
  env "${npm_env[@]}" npm rebuild --foreground-scripts >>"$install_log" 2>&1
) &
npm_pid=$!
# Heartbeat, so a long compile does not look like a hang.
beat=$SECONDS
while kill -0 "$npm_pid" 2>/dev/null; do
  sleep 2
  if [ $((SECONDS - beat)) -ge 30 ]; then
    beat=$SECONDS
    log "  ... still installing ($((SECONDS - t))s): $(grep -v '^\s*$' "$install_log" | tail -n 1 | cut -c1-120)"
  fi
done
if ! wait "$npm_pid"; then
  tail -n 60 "$install_log" >&2
  die "npm install code-server@$CS_VERSION failed; the last lines are above, the whole log is $install_log"
fi

# The install can "succeed" while a dependency's script was skipped: check what the scripts produce.
vs=$CS_DIR/node_modules/code-server/lib/vscode
need=(
  "$ENTRY"
  "$vs/node_modules/@vscode/ripgrep/bin/rg"
  "$vs/node_modules/node-pty/build/Release/pty.node"
  "$vs/node_modules/@vscode/spdlog/build/Release/spdlog.node"
  "$vs/node_modules/native-watchdog/build/Release/watchdog.node"
  "$vs/node_modules/kerberos/build/Release/kerberos.node"
)
for f in "${need[@]}"; do
  [ -e "$f" ] || die "the install finished but $f is missing: an install script did not run or failed (npm install-scripts policy? see $install_log)"
done
# (Its first run may log a line about writing ~/.config/code-server/config.yaml before the version.)
v=$(node "$ENTRY" --version 2>/dev/null | grep ' with Code ' || true)
case "$v" in
  "$CS_VERSION "*) ;;
  *) die "node $ENTRY --version printed '$v', expected $CS_VERSION ... with Code ... (see $install_log)" ;;
esac
echo "$CS_VERSION" >"$MARKER"
log "code-server $CS_VERSION: installed in $((SECONDS - t))s"
log "done in $((SECONDS - started))s"
echo "$CS_DIR"
