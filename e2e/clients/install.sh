#!/usr/bin/env bash
# Idempotent setup for the real-client tests (no root needed):
#   - npm ci in this folder (ethers, solc, OpenZeppelin, Foundry cast + anvil binaries)
#   - a Python venv at e2e/clients/.venv with requirements.txt (web3.py)
# Each step is skipped when a stamp shows it already ran for the same lock/requirements.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

say() { echo "[clients/install] $*"; }
die() { echo "[clients/install] ERROR: $*" >&2; exit 1; }
hash_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

command -v node >/dev/null || die "node not found (Node.js 20 is required)"
command -v npm >/dev/null || die "npm not found"
node_major=$(node -p 'process.versions.node.split(".")[0]')
(( node_major >= 20 )) || say "warning: Node.js $(node --version) found; these scripts are tested with Node 20+"

# --- npm packages ------------------------------------------------------------
npm_stamp="node_modules/.entente-install-stamp"
npm_want="$(hash_of package.json package-lock.json) node-$(node --version)"
cast_bin="node_modules/@foundry-rs/cast-linux-amd64/bin/cast"
anvil_bin="node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
if [[ -f $npm_stamp && "$(cat "$npm_stamp")" == "$npm_want" && -x $cast_bin && -x $anvil_bin ]]; then
  say "node_modules up to date with package-lock.json; skipping npm ci"
else
  say "running npm ci in $HERE"
  npm ci --no-audit --no-fund --loglevel=error
  [[ -x $cast_bin ]] || die "cast binary missing after npm ci: $cast_bin"
  [[ -x $anvil_bin ]] || die "anvil binary missing after npm ci: $anvil_bin"
  echo "$npm_want" > "$npm_stamp"
  say "npm packages installed"
fi
say "$("$cast_bin" --version | head -n1); anvil $("$anvil_bin" --version | head -n1 | awk '{print $NF}')"

# --- Python venv -------------------------------------------------------------
# Prefer python3.11 (what CI has); PYTHON=... overrides.
PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3 || true)}"
[[ -n $PYTHON ]] || die "python3 not found"
venv="$HERE/.venv"
venv_stamp="$venv/.entente-install-stamp"
venv_want="$(hash_of requirements.txt) $("$PYTHON" --version 2>&1)"
if [[ -x $venv/bin/python && -f $venv_stamp && "$(cat "$venv_stamp")" == "$venv_want" ]]; then
  say "Python venv at $venv up to date with requirements.txt; skipping pip install"
else
  if [[ ! -x $venv/bin/python ]] || ! "$venv/bin/python" -c 'import sys' 2>/dev/null; then
    say "creating Python venv at $venv with $PYTHON ($("$PYTHON" --version 2>&1))"
    rm -rf "$venv"
    "$PYTHON" -m venv "$venv" || die "could not create a venv (on Debian: apt-get install python3-venv)"
  fi
  say "pip install -r requirements.txt into $venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r requirements.txt
  echo "$venv_want" > "$venv_stamp"
  say "Python packages installed"
fi
say "web3 $("$venv/bin/python" -c 'import web3; print(web3.__version__)') in $venv"
say "done"
