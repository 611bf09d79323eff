#!/usr/bin/env bash
# Runs the three real-client scripts in sequence against the node given by the
# ENTENTE_* environment variables; stops at the first failure. Run install.sh first.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"
PER_SCRIPT_TIMEOUT=70  # backstop; each script has its own ~55 s deadline

for v in ENTENTE_RPC_HTTP ENTENTE_RPC_WS ENTENTE_CHAIN_ID ENTENTE_PRIVATE_KEY ENTENTE_PRIVATE_KEY_2; do
  if [[ -z "${!v:-}" ]]; then echo "[run_all] FAIL: environment variable $v is not set" >&2; exit 2; fi
done
[[ -d node_modules && -x .venv/bin/python ]] || { echo "[run_all] FAIL: run $HERE/install.sh first" >&2; exit 2; }

start=$SECONDS
run() {
  local name=$1; shift
  local t=$SECONDS rc=0
  echo "[run_all] === $name"
  timeout --kill-after=5 "$PER_SCRIPT_TIMEOUT" "$@" || rc=$?
  if (( rc != 0 )); then
    (( rc == 124 || rc == 137 )) && echo "[run_all] $name timed out after ${PER_SCRIPT_TIMEOUT}s" >&2
    echo "[run_all] FAIL: $name exited with $rc" >&2
    exit "$rc"
  fi
  echo "[run_all] $name passed in $((SECONDS - t))s"
}

run ethers_erc20.mjs node ethers_erc20.mjs
run cast_transfer.sh bash cast_transfer.sh
run web3_tx.py .venv/bin/python web3_tx.py
echo "[run_all] all 3 client scripts passed in $((SECONDS - start))s"
