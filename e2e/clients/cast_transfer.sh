#!/usr/bin/env bash
# Foundry `cast` against a live node: send an EIP-1559 and a legacy value transfer
# to a fresh address, then read everything back (receipt, tx, block, balance, nonce,
# chain id) and check the numbers.
#
# Env: ENTENTE_RPC_HTTP, ENTENTE_CHAIN_ID, ENTENTE_PRIVATE_KEY.
# Exits 0 on success, non-zero with a message otherwise.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TOTAL_TIMEOUT=55   # whole script (the harness allows ~60 s)
STEP_TIMEOUT=20    # any single cast invocation

# Hard deadline: re-run ourselves under `timeout` so nothing can hang past it.
if [[ -z "${_CAST_TRANSFER_INNER:-}" ]]; then
  rc=0
  _CAST_TRANSFER_INNER=1 timeout --kill-after=5 "$TOTAL_TIMEOUT" bash "${BASH_SOURCE[0]}" "$@" || rc=$?
  if [[ $rc -eq 124 || $rc -eq 137 ]]; then
    echo "[cast] FAIL: timed out after ${TOTAL_TIMEOUT}s" >&2
  fi
  exit "$rc"
fi

T0=$SECONDS
log() { echo "[cast +$((SECONDS - T0))s] $*"; }
fail() { echo "[cast] FAIL: $*" >&2; exit 1; }
trap 'fail "command failed (exit $?) at line $LINENO: $BASH_COMMAND"' ERR

for v in ENTENTE_RPC_HTTP ENTENTE_CHAIN_ID ENTENTE_PRIVATE_KEY; do
  [[ -n "${!v:-}" ]] || fail "environment variable $v is not set"
done
command -v node >/dev/null || fail "node is required (JSON parsing and big-integer maths)"

CAST_BIN="${CAST_BIN:-$HERE/node_modules/@foundry-rs/cast-linux-amd64/bin/cast}"
[[ -x "$CAST_BIN" ]] || fail "cast binary not found at $CAST_BIN (run install.sh)"

RPC="$ENTENTE_RPC_HTTP"
# Every call is bounded; a dead or stuck node fails the step instead of hanging.
cast() {
  local rc=0
  timeout "$STEP_TIMEOUT" "$CAST_BIN" "$@" || rc=$?
  (( rc != 124 )) || echo "[cast] 'cast $1' timed out after ${STEP_TIMEOUT}s" >&2
  return "$rc"
}
# cast's JSON output is read with node, which the other scripts need anyway.
json_get() { # json_get JSON KEY -> value as text ("" when missing or null)
  node -e 'const v = JSON.parse(process.argv[1])[process.argv[2]];
           process.stdout.write(v == null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v))' "$1" "$2"
}
json_has() { # json_has JSON_ARRAY VALUE -> exit 0 if VALUE (case-insensitive) is an element
  node -e 'process.exit(JSON.parse(process.argv[1]).some(x => String(x).toLowerCase() === process.argv[2].toLowerCase()) ? 0 : 1)' "$1" "$2"
}
dec() { node -e 'process.stdout.write(BigInt(process.argv[1]).toString())' "$1"; }  # hex/dec -> dec
expect_price() { # tx-json base-fee -> effectiveGasPrice implied by the tx's fee fields
  node -e 'const tx = JSON.parse(process.argv[1]); const base = BigInt(process.argv[2] || 0);
           if (tx.type === "0x0" || tx.type === "0x1") { process.stdout.write(String(BigInt(tx.gasPrice))); }
           else { const cap = BigInt(tx.maxFeePerGas), tip = BigInt(tx.maxPriorityFeePerGas);
                  process.stdout.write(String(cap < base + tip ? cap : base + tip)); }' "$1" "$2"
}
expect_after() { # before value gasUsed price -> before - value - gasUsed*price (256-bit safe)
  node -e 'const [b, v, g, p] = process.argv.slice(1).map(BigInt); process.stdout.write(String(b - v - g * p))' "$@"
}
eq() { [[ "$1" == "$2" ]] || fail "$3: got '$1', expected '$2'"; }
lc() { echo "${1,,}"; }

log "using $("$CAST_BIN" --version | head -n1)"

# chain id
chain=$(cast chain-id --rpc-url "$RPC") || fail "cast chain-id failed against $RPC"
eq "$chain" "$ENTENTE_CHAIN_ID" "cast chain-id"
gas_price=$(cast gas-price --rpc-url "$RPC")
log "chain id $chain, gas price $gas_price wei"

sender=$(cast wallet address --private-key "$ENTENTE_PRIVATE_KEY")
# A fresh random address, so its balance must equal exactly what we send.
dest=$(cast wallet address --private-key "0x$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')")
eq "$(cast balance --rpc-url "$RPC" "$dest")" "0" "fresh address balance"
eq "$(cast nonce --rpc-url "$RPC" "$dest")" "0" "fresh address nonce"

VALUE=1234567890123  # wei
sent_total=0

for kind in eip1559 legacy; do
  nonce0=$(cast nonce --rpc-url "$RPC" "$sender")
  bal0=$(cast balance --rpc-url "$RPC" "$sender")
  extra=(); want_type=0x2
  if [[ $kind == legacy ]]; then extra=(--legacy); want_type=0x0; fi

  # cast send waits for the receipt and prints it as JSON.
  out=$(cast send --rpc-url "$RPC" --private-key "$ENTENTE_PRIVATE_KEY" --timeout "$STEP_TIMEOUT" \
        "${extra[@]}" --json "$dest" --value "$VALUE") || fail "cast send ($kind) failed"
  hash=$(json_get "$out" transactionHash)
  [[ $hash =~ ^0x[0-9a-fA-F]{64}$ ]] || fail "cast send ($kind): no transaction hash in output: $out"
  eq "$(dec "$(json_get "$out" status)")" 1 "cast send ($kind) receipt status"
  log "$kind transfer sent: $hash"

  # Receipt, read back separately.
  rcpt=$(cast receipt --rpc-url "$RPC" "$hash" --json)
  eq "$(dec "$(json_get "$rcpt" status)")" 1 "cast receipt status"
  eq "$(lc "$(json_get "$rcpt" from)")" "$(lc "$sender")" "receipt.from"
  eq "$(lc "$(json_get "$rcpt" to)")" "$(lc "$dest")" "receipt.to"
  gas_used=$(dec "$(json_get "$rcpt" gasUsed)")
  price=$(dec "$(json_get "$rcpt" effectiveGasPrice)")
  bn=$(dec "$(json_get "$rcpt" blockNumber)")
  eq "$gas_used" 21000 "receipt.gasUsed for a plain transfer"

  # The transaction as the node stores it.
  tx=$(cast tx --rpc-url "$RPC" "$hash" --json)
  eq "$(json_get "$tx" type)" "$want_type" "tx.type ($kind)"
  eq "$(dec "$(json_get "$tx" value)")" "$VALUE" "tx.value"
  eq "$(dec "$(json_get "$tx" nonce)")" "$nonce0" "tx.nonce"
  eq "$(dec "$(json_get "$tx" chainId)")" "$ENTENTE_CHAIN_ID" "tx.chainId"
  eq "$(lc "$(json_get "$tx" from)")" "$(lc "$sender")" "tx.from"
  eq "$(dec "$(json_get "$tx" blockNumber)")" "$bn" "tx.blockNumber vs receipt"

  # Blocks: latest is at or past ours, and ours lists the transaction.
  latest=$(cast block --rpc-url "$RPC" latest --json)
  (( $(dec "$(json_get "$latest" number)") >= bn )) || fail "cast block latest is older than the tx block $bn"
  block=$(cast block --rpc-url "$RPC" "$bn" --json)
  json_has "$(json_get "$block" transactions)" "$hash" || fail "block $bn does not list $hash"
  eq "$(json_get "$block" hash)" "$(json_get "$rcpt" blockHash)" "block hash vs receipt.blockHash"
  eq "$price" "$(expect_price "$tx" "$(json_get "$block" baseFeePerGas)")" \
     "receipt.effectiveGasPrice vs the tx's fee fields and the block's base fee"

  # Balances and nonce.
  sent_total=$((sent_total + VALUE))
  eq "$(cast balance --rpc-url "$RPC" "$dest")" "$sent_total" "cast balance of recipient"
  eq "$(cast balance --rpc-url "$RPC" "$sender")" "$(expect_after "$bal0" "$VALUE" "$gas_used" "$price")" \
     "cast balance of sender (before - value - gasUsed*effectiveGasPrice)"
  eq "$(cast nonce --rpc-url "$RPC" "$sender")" "$((nonce0 + 1))" "cast nonce of sender"
  # A legacy tx is priced from eth_gasPrice: on a zero-gas-price node it must be free.
  if [[ $kind == legacy && $gas_price == 0 ]]; then eq "$price" 0 "legacy effectiveGasPrice on a zero-gas-price node"; fi
  log "$kind OK: block $bn, gasUsed $gas_used, effectiveGasPrice $price, nonce $nonce0 -> $((nonce0 + 1))"
done

log "ALL OK"
