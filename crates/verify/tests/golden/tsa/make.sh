#!/usr/bin/env bash
# Regenerates the RFC 3161 fixtures of the golden tests: a test root CA, two time-stamping
# authorities under it (RSA-2048 and ECDSA P-256, extended key usage timeStamping), an
# unrelated root, and tokens made by `openssl ts` for the golden certificate
# (../contract.txt.evidence.json). `faketime` sets each token's genTime relative to the
# golden block's time (2026-11-23 15:58:43 UTC). Needs openssl 3 and faketime; the test
# suite itself needs neither (the outputs are committed).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

content=860c3f7809948c9c014c33d08bdafb0bd88ee2fd1514a5aa735e84bee93db109 # contract.txt
header=8bc9c6aa1cdc8a32c8deb9a914f8073dfd3a388f73deeb5e176939cf401f0a44  # its block
other=$(printf 'not the contract' | sha256sum | cut -d' ' -f1)

issued="2026-11-01 00:00:00" # certificates are valid from before the golden block

root() { # name subject
    faketime "$issued" openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/$1.key" -out "$1.pem" \
        -days 36500 -subj "/O=Entente tests/CN=$2" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
}
tsa() { # name subject keyopts...
    local name=$1 subject=$2
    shift 2
    openssl req -new -newkey "$@" -nodes -keyout "$work/$name.key" -out "$work/$name.csr" \
        -subj "/O=Entente tests/CN=$subject" 2>/dev/null
    printf 'extendedKeyUsage=critical,timeStamping\nkeyUsage=critical,digitalSignature\n' >"$work/ext"
    faketime "$issued" openssl x509 -req -in "$work/$name.csr" -CA ca.pem -CAkey "$work/ca.key" -set_serial "0x$(openssl rand -hex 8)" \
        -days 36500 -extfile "$work/ext" -out "$name.pem" 2>/dev/null
}
root ca "Entente Test Timestamping Root"
root other-ca "Some Other Root"
tsa tsa-rsa "Entente Test TSA (RSA)" rsa:2048
tsa tsa-ec "Entente Test TSA (P-256)" ec -pkeyopt ec_paramgen_curve:prime256v1

cat >"$work/ts.cnf" <<CNF
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
serial = $work/serial
crypto_device = builtin
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
digests = sha256
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
CNF
echo 01 >"$work/serial"

token() { # out signer digest time [response]: the bare token, or the whole response
    local form=-token_out
    [ "${5:-}" = response ] && form=
    openssl ts -query -digest "$3" -sha256 -cert -no_nonce -out "$work/q.tsq" 2>/dev/null
    faketime -f "@$4" openssl ts -reply -config "$work/ts.cnf" -queryfile "$work/q.tsq" \
        -signer "$2.pem" -inkey "$work/$2.key" $form -out "$1" 2>/dev/null
}
token rsa-content.tsr tsa-rsa "$content" "2026-11-23 15:56:43"  # 2 min before the block
token ec-header.tsr tsa-ec "$header" "2026-11-23 16:01:43"       # 3 min after
token rsa-late.tsr tsa-rsa "$content" "2026-11-26 15:58:43"     # 3 days after
token ec-other.tsr tsa-ec "$other" "2026-11-23 15:58:43"         # another document
token ec-content-response.der tsa-ec "$content" "2026-11-23 15:57:43" response # a TimeStampResp
# The golden certificate with two anchors, as `entente evidence attach` writes it.
if [ -x ../../../../../target/debug/entente ]; then
    cp ../contract.txt.evidence.json ../contract.txt.anchored.evidence.json
    ../../../../../target/debug/entente evidence attach ../contract.txt.anchored.evidence.json \
        --tsa-token rsa-content.tsr --tsa-token ec-header.tsr
fi
ls -l ./*.pem ./*.tsr ./*.der
