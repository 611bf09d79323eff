//! The portable evidence certificate: one self-contained JSON document that proves a
//! record was deposited in a final block of a named chain.
//!
//! Every field except `issued_by` and `anchors` is derived from chain data, and the verifier
//! recomputes what it can rather than trusting it. The file is written in canonical
//! form (RFC 8785: object keys sorted, no insignificant whitespace; the document holds
//! only strings, integers below 2^53, arrays and objects), so the same certificate is
//! always the same bytes.

use alloy_primitives::{Address, B256, Bytes};
use entente_primitives::MerkleProof;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The `format` field of every certificate.
pub const FORMAT: &str = "entente-evidence-certificate";
/// The version this library writes and reads.
pub const VERSION: u32 = 1;

/// An evidence certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceCertificate {
    pub format: String,
    pub version: u32,
    pub evidence_id: B256,
    pub record: RecordDoc,
    pub chain: ChainDoc,
    pub transaction: TransactionDoc,
    pub block: BlockDoc,
    pub finality: FinalityDoc,
    /// The node that assembled the certificate (informational: nothing is trusted from it).
    pub issued_by: String,
    /// Independent attestations attached after issue (RFC 3161 timestamp tokens); absent
    /// when there are none, so a certificate without anchors keeps its bytes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub anchors: Vec<AnchorDoc>,
}

/// The `type` of an RFC 3161 anchor.
pub const ANCHOR_RFC3161: &str = "rfc3161";

/// An attestation from outside the chain. `{"type": "rfc3161", "token_b64": …}` is
/// checked offline; other types (`ots`, `peer_chain`) are kept and reported as
/// verifiable online only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnchorDoc {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(flatten)]
    pub fields: std::collections::BTreeMap<String, Value>,
}

impl AnchorDoc {
    /// An RFC 3161 anchor for the DER `token`.
    pub fn rfc3161(token: &[u8]) -> Self {
        use base64::Engine as _;
        let token = base64::engine::general_purpose::STANDARD.encode(token);
        Self {
            kind: ANCHOR_RFC3161.into(),
            fields: [("token_b64".to_string(), Value::String(token))].into(),
        }
    }
}

/// The deposited record, as the submitter signed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordDoc {
    pub submitter: Address,
    /// The submitter's organisation id (`bytes32`) at deposit time.
    pub submitter_org: B256,
    pub content: Vec<DigestDoc>,
    pub content_length: u64,
    pub media_type: String,
    /// Hash of off-chain capture metadata (zero: none).
    pub metadata_hash: B256,
    /// The chain-of-custody predecessor's evidence id (zero: none).
    pub prev: B256,
    /// EIP-191 signature (65 bytes) of the record hash by the submitter.
    pub signature: Bytes,
}

/// One content digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestDoc {
    /// `sha-256` or `sm3`.
    pub alg: String,
    /// The digest, `0x`-prefixed hex.
    pub hex: String,
}

/// Which chain: its id, and its genesis, which commits to the chain spec.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainDoc {
    pub chain_id: u64,
    pub genesis_hash: B256,
    /// The encoded genesis header; its `extra` field is the chain spec's hash.
    pub genesis_header: Bytes,
}

/// The deposit transaction and where it sits in its block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransactionDoc {
    /// The signed transaction, EIP-2718 encoded.
    pub raw: Bytes,
    pub hash: B256,
    pub index: u32,
    /// Inclusion of `hash` in the header's transactions root.
    pub inclusion: MerkleProof,
}

/// The block that holds the deposit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockDoc {
    /// The encoded header (216 bytes); its SHA-256 is `hash`.
    pub header: Bytes,
    pub hash: B256,
    pub number: u64,
    /// The block time agreed by the validators, Unix milliseconds.
    pub timestamp_ms: u64,
}

/// The proof that the block is final.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinalityDoc {
    /// The simplex finalisation (2f+1 ed25519 signatures) of the block, or of the
    /// descendant `certified_number`.
    pub certificate: Bytes,
    pub certified_number: u64,
    /// Encoded headers `number + 1 ..= certified_number`, linking back to the block.
    pub descendants: Vec<Bytes>,
    /// The epoch of the certified block.
    pub epoch: u64,
    /// That epoch's validators' ed25519 public keys, hex.
    pub validators: Vec<String>,
}

impl EvidenceCertificate {
    /// The canonical JSON bytes of the certificate.
    pub fn to_canonical_json(&self) -> Vec<u8> {
        let value = serde_json::to_value(self).expect("a certificate serialises");
        let mut out = Vec::new();
        write_canonical(&value, &mut out);
        out
    }

    /// Parses a certificate; any unknown field, missing field or wrong type is refused.
    pub fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

/// Writes `value` in RFC 8785 form. Numbers are integers here, which serialise the same
/// in both forms; strings use serde_json's escaping, which matches RFC 8785's (control
/// characters, `"` and `\` only).
fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push(b'{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend(serde_json::to_vec(key).expect("a string serialises"));
                out.push(b':');
                write_canonical(&map[key], out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        other => out.extend(serde_json::to_vec(other).expect("a scalar serialises")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_level_and_has_no_whitespace() {
        let value: Value =
            serde_json::from_str(r#"{ "b": [ {"z": 1, "a": "x\ny"} ], "a": {"d": 2, "c": null} }"#)
                .unwrap();
        let mut out = Vec::new();
        write_canonical(&value, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"a":{"c":null,"d":2},"b":[{"a":"x\ny","z":1}]}"#
        );
    }
}
