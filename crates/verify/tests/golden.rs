//! The evidence certificate format and its offline verification, pinned by a golden
//! vector: a certificate issued by a real 4-validator dev consortium (chain id 1337) for
//! `golden/contract.txt`, with the chain spec it was issued under. Each tampering of
//! the certificate or the document fails with its own error.

use alloy_primitives::B256;
use commonware_codec::{Decode as _, Encode as _};
use commonware_cryptography::{certificate::Signers, certificate::Verifier as _};
use commonware_utils::Participant;
use entente_chainspec::ChainSpec;
use entente_verify::{
    Finalization,
    evidence::{EvidenceCertificate, EvidenceError, Inputs, verify_certificate},
    verifying_scheme,
};

const CERTIFICATE: &[u8] = include_bytes!("golden/contract.txt.evidence.json");
const DOCUMENT: &[u8] = include_bytes!("golden/contract.txt");
const GENESIS: &str = include_str!("golden/genesis.json");

fn golden() -> EvidenceCertificate {
    EvidenceCertificate::from_json(CERTIFICATE).expect("the golden certificate parses")
}

fn spec() -> ChainSpec {
    ChainSpec::from_json(GENESIS).expect("the golden chain spec loads")
}

/// Verifies `cert` against the golden document and chain spec.
fn check(cert: &EvidenceCertificate) -> Result<entente_verify::evidence::Verified, EvidenceError> {
    check_with(cert, DOCUMENT)
}

fn check_with(
    cert: &EvidenceCertificate,
    document: &[u8],
) -> Result<entente_verify::evidence::Verified, EvidenceError> {
    let spec = spec();
    verify_certificate(
        cert,
        Inputs {
            document: Some(document),
            chain_spec: Some(&spec),
            ..Default::default()
        },
    )
    .result
}

#[test]
fn the_golden_certificate_verifies_to_the_chain_values() {
    let verified = check(&golden()).expect("verifies");
    assert_eq!(
        verified.evidence_id,
        "0xdb97cad8253371bef7c4b1b86c7f97f5531663f4b4e8a9ffe70c4ce561ffe11e"
            .parse::<B256>()
            .unwrap()
    );
    assert_eq!(verified.height, 10);
    assert_eq!(verified.block_time_ms, 1_795_449_523_121);
    assert_eq!(verified.chain_id, 1337);
    assert_eq!(
        verified.submitter,
        "0xb6245d791a3c89151579df2d7c16947c4c32a16d"
            .parse::<alloy_primitives::Address>()
            .unwrap()
    );
    assert_eq!((verified.signers, verified.validators), (3, 4));
    assert!(verified.pinned);
    // Every step ran (none skipped) and was reported in order.
    let report = verify_certificate(
        &golden(),
        Inputs {
            document: Some(DOCUMENT),
            chain_spec: Some(&spec()),
            ..Default::default()
        },
    );
    let names: Vec<_> = report.checks.iter().map(|c| (c.name, c.skipped)).collect();
    assert_eq!(
        names,
        [
            ("content", false),
            ("submitter signature", false),
            ("evidence id", false),
            ("transaction", false),
            ("inclusion", false),
            ("finality", false),
            ("trusted chain", false),
        ]
    );
}

#[test]
fn the_format_is_canonical_json() {
    // Written by the node in canonical form; parsing and writing again is byte-identical.
    assert_eq!(golden().to_canonical_json(), CERTIFICATE);
    // Unknown fields are refused, not ignored.
    let mut value: serde_json::Value = serde_json::from_slice(CERTIFICATE).unwrap();
    value["record"]["extra"] = "x".into();
    assert!(EvidenceCertificate::from_json(value.to_string().as_bytes()).is_err());
}

#[test]
fn without_document_or_spec_those_steps_are_skipped_not_passed() {
    let report = verify_certificate(&golden(), Inputs::default());
    let verified = report.result.expect("verifies");
    assert!(!verified.pinned);
    let skipped: Vec<_> = report
        .checks
        .iter()
        .filter(|c| c.skipped)
        .map(|c| c.name)
        .collect();
    assert_eq!(skipped, ["content", "trusted chain"]);
}

#[test]
fn a_flipped_byte_in_the_document_is_a_hash_mismatch() {
    let mut document = DOCUMENT.to_vec();
    document[10] ^= 1;
    assert!(matches!(
        check_with(&golden(), &document),
        Err(EvidenceError::HashMismatch(_))
    ));
    // A document with the same prefix but a byte more.
    let mut longer = DOCUMENT.to_vec();
    longer.push(b'\n');
    assert!(matches!(
        check_with(&golden(), &longer),
        Err(EvidenceError::HashMismatch(_))
    ));
}

#[test]
fn an_edited_header_is_a_header_mismatch() {
    // The height inside the encoded header (bytes 32..40): its hash no longer matches.
    let mut cert = golden();
    let mut header = cert.block.header.to_vec();
    header[39] ^= 1;
    cert.block.header = header.into();
    assert!(matches!(
        check(&cert),
        Err(EvidenceError::HeaderMismatch(_))
    ));
    // The readable height beside it.
    let mut cert = golden();
    cert.block.number += 1;
    assert!(matches!(
        check(&cert),
        Err(EvidenceError::HeaderMismatch(_))
    ));
    // A consistent header and hash of another block: the signatures are not over it.
    let mut cert = golden();
    let mut header = entente_primitives::Header::from_bytes(&cert.block.header).unwrap();
    header.timestamp_ms += 1;
    cert.block.header = header.to_bytes().into();
    cert.block.hash = entente_primitives::digest_to_b256(&header.digest());
    cert.block.timestamp_ms = header.timestamp_ms;
    assert!(matches!(
        check(&cert),
        Err(EvidenceError::HeaderMismatch(_))
    ));
}

#[test]
fn an_edited_proof_sibling_is_a_proof_mismatch() {
    let mut cert = golden();
    let last = cert.transaction.inclusion.proof.len() - 1;
    cert.transaction.inclusion.proof[last] ^= 1;
    assert!(matches!(check(&cert), Err(EvidenceError::ProofMismatch(_))));
    let mut cert = golden();
    cert.transaction.inclusion.index += 1;
    cert.transaction.index += 1;
    assert!(matches!(check(&cert), Err(EvidenceError::ProofMismatch(_))));
}

/// The golden certificate's finalisation, decoded.
fn finalization(
    cert: &EvidenceCertificate,
) -> (
    Finalization,
    Vec<commonware_cryptography::ed25519::PublicKey>,
) {
    let keys: Vec<_> = cert
        .finality
        .validators
        .iter()
        .map(|k| entente_chainspec::decode_public_key(k).unwrap())
        .collect();
    let scheme = verifying_scheme(&keys);
    let finalization = Finalization::decode_cfg(
        bytes::Bytes::copy_from_slice(&cert.finality.certificate),
        &scheme.certificate_codec_config(),
    )
    .unwrap();
    (finalization, keys)
}

#[test]
fn dropped_signatures_are_an_insufficient_quorum() {
    let mut cert = golden();
    let (mut finalization, keys) = finalization(&cert);
    let kept: Vec<Participant> = finalization.certificate.signers.iter().take(2).collect();
    finalization.certificate.signers = Signers::new(keys.len() as u32, kept).unwrap();
    finalization.certificate.signatures.truncate(2);
    cert.finality.certificate = finalization.encode().to_vec().into();
    assert_eq!(
        check(&cert),
        Err(EvidenceError::InsufficientQuorum {
            signed: 2,
            quorum: 3,
            validators: 4
        })
    );
}

#[test]
fn a_forged_signature_is_refused() {
    let mut cert = golden();
    let (mut finalization, _) = finalization(&cert);
    // Another validator's signature in the first signer's place.
    finalization.certificate.signatures.swap(0, 1);
    cert.finality.certificate = finalization.encode().to_vec().into();
    assert_eq!(check(&cert), Err(EvidenceError::BadSignatures));
}

#[test]
fn a_validator_set_other_than_the_trusted_one_is_refused() {
    // The certificate claims a fifth validator that the trusted spec does not have: the
    // same three signatures are not a quorum (4) of the five it names.
    let mut cert = golden();
    let stranger = entente_chainspec::ValidatorKey::from_seed(99);
    cert.finality
        .validators
        .push(entente_chainspec::encode_public_key(&stranger.public_key()));
    assert_eq!(
        check(&cert),
        Err(EvidenceError::InsufficientQuorum {
            signed: 3,
            quorum: 4,
            validators: 5
        })
    );
}

#[test]
fn a_signature_from_an_unknown_key_is_an_unknown_signer() {
    // A stranger adds itself to the set the certificate names and signs the same
    // proposal: four valid signatures of five, but the stranger is not a trusted
    // validator, and without it the trusted set has no quorum either.
    let mut cert = golden();
    let (finalization, keys) = finalization(&cert);
    let stranger = entente_chainspec::ValidatorKey::from_seed(99);
    let mut five = keys.clone();
    five.push(stranger.public_key());
    five.sort();
    let set = commonware_utils::ordered::Set::from_iter_dedup(five.iter().cloned());
    let scheme =
        entente_verify::Scheme::signer(entente_verify::NAMESPACE, set, stranger.0.clone()).unwrap();
    let vote = commonware_consensus::simplex::types::Finalize::sign(
        &scheme,
        finalization.proposal.clone(),
    )
    .unwrap();
    let mut sorted_keys = keys.clone();
    sorted_keys.sort();
    let mut signed: Vec<(usize, _)> = finalization
        .certificate
        .signers
        .iter()
        .zip(finalization.certificate.signatures.iter().cloned())
        .map(|(p, sig)| {
            let key = &sorted_keys[p.get() as usize];
            (five.iter().position(|k| k == key).unwrap(), sig)
        })
        .collect();
    let stranger_index = five
        .iter()
        .position(|k| *k == stranger.public_key())
        .unwrap();
    signed.push((stranger_index, vote.attestation.signature));
    signed.sort_by_key(|(i, _)| *i);
    let mut forged = finalization.clone();
    forged.certificate.signers =
        Signers::new(5, signed.iter().map(|(i, _)| Participant::from_usize(*i))).unwrap();
    forged.certificate.signatures = signed.into_iter().map(|(_, sig)| sig).collect();
    cert.finality.certificate = forged.encode().to_vec().into();
    cert.finality.validators = five
        .iter()
        .map(entente_chainspec::encode_public_key)
        .collect();
    // Without a trusted spec the forged set is self-consistent: that is what pinning is for.
    let unpinned = verify_certificate(
        &cert,
        Inputs {
            document: Some(DOCUMENT),
            chain_spec: None,
            ..Default::default()
        },
    );
    assert_eq!(unpinned.result.unwrap().signers, 4);
    assert_eq!(
        check(&cert),
        Err(EvidenceError::UnknownSigner {
            key: entente_chainspec::encode_public_key(&stranger.public_key())
        })
    );
}

#[test]
fn the_submitter_signature_binds_every_record_field() {
    let mut cert = golden();
    cert.record.media_type = "application/pdf".into();
    assert!(matches!(
        check(&cert),
        Err(EvidenceError::BadSubmitterSig { .. })
    ));
    let mut cert = golden();
    let mut signature = cert.record.signature.to_vec();
    signature[5] ^= 1;
    cert.record.signature = signature.into();
    assert!(matches!(
        check(&cert),
        Err(EvidenceError::BadSubmitterSig { .. })
    ));
}

#[test]
fn malformed_digests_are_refused_by_name() {
    let mut cert = golden();
    cert.record.content[0].alg = "md5".into();
    assert_eq!(
        check(&cert),
        Err(EvidenceError::UnsupportedAlg("md5".into()))
    );
    let mut cert = golden();
    cert.record.content[0].hex.truncate(2 + 62);
    assert_eq!(
        check(&cert),
        Err(EvidenceError::InvalidDigestLength {
            alg: "sha-256".into(),
            len: 31
        })
    );
    let mut cert = golden();
    cert.record.content[0].hex = format!("0x{}", "zz".repeat(32));
    assert!(matches!(check(&cert), Err(EvidenceError::InvalidInput(_))));
}

#[test]
fn the_transaction_must_carry_the_record() {
    let mut cert = golden();
    let mut raw = cert.transaction.raw.to_vec();
    let last = raw.len() - 1;
    raw[last] ^= 1;
    cert.transaction.raw = raw.into();
    assert!(matches!(check(&cert), Err(EvidenceError::TxMismatch(_))));
    let mut cert = golden();
    cert.evidence_id = B256::repeat_byte(7);
    assert!(matches!(
        check(&cert),
        Err(EvidenceError::IdMismatch { .. })
    ));
}

#[test]
fn another_chain_spec_is_a_chain_mismatch() {
    let mut spec = spec();
    spec.chain_id = 4243;
    let report = verify_certificate(
        &golden(),
        Inputs {
            document: Some(DOCUMENT),
            chain_spec: Some(&spec),
            ..Default::default()
        },
    );
    assert!(matches!(
        report.result,
        Err(EvidenceError::ChainMismatch(_))
    ));
}

// ---------------------------------------------------------------------------------------
// RFC 3161 anchors. The tokens in golden/tsa/ were made by `openssl ts` for the golden
// certificate (golden/tsa/make.sh): two authorities under a test root, one RSA and one
// ECDSA P-256.

mod timestamps {
    use entente_verify::evidence::{
        AnchorDoc, TimestampReport, Verified,
        tsa::{self, parse_certificates},
    };
    use x509_cert::Certificate;

    use super::*;

    const RSA_CONTENT: &[u8] = include_bytes!("golden/tsa/rsa-content.tsr");
    const EC_HEADER: &[u8] = include_bytes!("golden/tsa/ec-header.tsr");
    const RSA_LATE: &[u8] = include_bytes!("golden/tsa/rsa-late.tsr");
    const EC_OTHER: &[u8] = include_bytes!("golden/tsa/ec-other.tsr");
    const ROOT: &[u8] = include_bytes!("golden/tsa/ca.pem");
    const OTHER_ROOT: &[u8] = include_bytes!("golden/tsa/other-ca.pem");
    const TSA_RSA: &[u8] = include_bytes!("golden/tsa/tsa-rsa.pem");
    /// 2026-11-23 15:56:43 UTC, two minutes before the golden block.
    const RSA_CONTENT_TIME_MS: u64 = 1_795_449_403_000;

    fn anchored(tokens: &[&[u8]]) -> EvidenceCertificate {
        let mut cert = golden();
        cert.anchors = tokens.iter().map(|t| AnchorDoc::rfc3161(t)).collect();
        cert
    }

    fn verify_with(
        cert: &EvidenceCertificate,
        trust: &[Certificate],
        tolerance_ms: Option<u64>,
    ) -> Result<Verified, EvidenceError> {
        let spec = spec();
        verify_certificate(
            cert,
            Inputs {
                document: Some(DOCUMENT),
                chain_spec: Some(&spec),
                tsa_trust: trust,
                tsa_tolerance_ms: tolerance_ms,
            },
        )
        .result
    }

    fn root() -> Vec<Certificate> {
        parse_certificates(ROOT).unwrap()
    }

    #[test]
    fn tokens_over_the_content_or_the_block_hash_verify_and_report_their_time() {
        let verified = verify_with(&anchored(&[RSA_CONTENT, EC_HEADER]), &root(), None)
            .expect("both tokens verify");
        let [content, header] = verified.timestamps.as_slice() else {
            panic!("two reports: {:?}", verified.timestamps);
        };
        assert_eq!(
            content,
            &TimestampReport {
                tsa_time_ms: RSA_CONTENT_TIME_MS,
                stamps: "content",
                authority: "CN=Entente Test TSA (RSA),O=Entente tests".into(),
                pinned: true,
                time_skew_ms: None,
            }
        );
        assert_eq!(header.stamps, "header");
        assert_eq!(header.tsa_time_ms, verified.block_time_ms - 121 + 180_000);
        assert!(header.authority.starts_with("CN=Entente Test TSA (P-256)"));
        assert!(verified.warnings().is_empty());
    }

    #[test]
    fn the_anchored_certificate_keeps_a_canonical_form_and_old_ones_their_bytes() {
        let cert = anchored(&[RSA_CONTENT]);
        let bytes = cert.to_canonical_json();
        assert_eq!(EvidenceCertificate::from_json(&bytes).unwrap(), cert);
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains(r#""anchors":[{"token_b64":""#), "{text}");
        assert!(text.contains(r#","type":"rfc3161"}]"#), "{text}");
        // No anchors: no field, the golden bytes unchanged.
        assert_eq!(golden().to_canonical_json(), CERTIFICATE);
    }

    #[test]
    fn a_token_for_another_document_is_a_tsa_mismatch() {
        let err = verify_with(&anchored(&[RSA_CONTENT, EC_OTHER]), &root(), None).unwrap_err();
        assert!(
            matches!(&err, EvidenceError::TsaMismatch { index: 1, .. }),
            "{err:?}"
        );
        assert_eq!((err.name(), err.exit_code()), ("TsaMismatch", 31));
    }

    #[test]
    fn a_late_token_verifies_with_a_time_skew_warning() {
        let verified = verify_with(&anchored(&[RSA_LATE]), &root(), None).expect("verifies");
        let skew = verified.timestamps[0].time_skew_ms.expect("a skew");
        assert!(
            (3 * 86_400_000 - 1_000..=3 * 86_400_000).contains(&skew),
            "{skew}"
        );
        assert_eq!(verified.warnings()[0].0, "TsaTimeSkew");
        // A wider tolerance accepts it.
        let verified = verify_with(&anchored(&[RSA_LATE]), &root(), Some(4 * 86_400_000)).unwrap();
        assert!(verified.warnings().is_empty());
    }

    #[test]
    fn an_altered_token_is_a_bad_signature() {
        // The TSTInfo's serial number (inside the signed content) and the signature's last
        // byte: both must fail the signature, never pass nor panic.
        let info = tsa::read_token(RSA_CONTENT).unwrap();
        let serial = hex::decode(&info.serial).unwrap();
        let at = RSA_CONTENT
            .windows(serial.len() + 2)
            .position(|w| w[0] == 0x02 && w[1] as usize == serial.len() && w[2..] == serial[..])
            .expect("the serial number is in the token");
        for position in [at + 2, RSA_CONTENT.len() - 1] {
            let mut token = RSA_CONTENT.to_vec();
            token[position] ^= 1;
            let err = verify_with(&anchored(&[&token]), &root(), None).unwrap_err();
            assert!(
                matches!(err, EvidenceError::TsaBadSignature { index: 0, .. }),
                "byte {position}: {err:?}"
            );
            assert_eq!(err.exit_code(), 32);
        }
        // Not a token at all: invalid input, named.
        let mut cert = golden();
        cert.anchors = vec![AnchorDoc::rfc3161(b"hello")];
        assert!(matches!(
            verify_with(&cert, &[], None),
            Err(EvidenceError::InvalidInput(_))
        ));
    }

    #[test]
    fn the_authority_is_pinned_by_its_root_or_its_own_certificate() {
        let cert = anchored(&[RSA_CONTENT, EC_HEADER]);
        // Unpinned: the signatures are checked, the authorities reported as not pinned.
        let verified = verify_with(&cert, &[], None).unwrap();
        assert!(verified.timestamps.iter().all(|t| !t.pinned));
        // Another root: untrusted, with the token named.
        let other = parse_certificates(OTHER_ROOT).unwrap();
        let err = verify_with(&cert, &other, None).unwrap_err();
        assert!(
            matches!(err, EvidenceError::TsaUntrusted { index: 0, .. }),
            "{err:?}"
        );
        assert_eq!(err.exit_code(), 33);
        // The RSA authority's own certificate pins token 0 but not token 1 (P-256).
        let own = parse_certificates(TSA_RSA).unwrap();
        let err = verify_with(&cert, &own, None).unwrap_err();
        assert!(matches!(err, EvidenceError::TsaUntrusted { index: 1, .. }));
        // A root whose name matches but whose key differs does not pin: forge a root
        // with the test root's subject and the other root's key.
        let mut forged = root()[0].clone();
        forged.tbs_certificate.subject_public_key_info =
            other[0].tbs_certificate.subject_public_key_info.clone();
        let err = verify_with(&cert, &[forged], None).unwrap_err();
        assert!(matches!(err, EvidenceError::TsaUntrusted { index: 0, .. }));
    }

    #[test]
    fn other_anchor_types_are_reported_as_online_only() {
        let mut cert = anchored(&[RSA_CONTENT]);
        let ots: AnchorDoc =
            serde_json::from_str(r#"{"type": "ots", "ots_b64": "AE9wZW5UaW1lc3RhbXBz"}"#).unwrap();
        cert.anchors.push(ots);
        let verified = verify_with(&cert, &root(), None).unwrap();
        assert_eq!(verified.online_anchors, ["ots"]);
        assert_eq!(verified.timestamps.len(), 1);
    }
}

mod anchored {
    use entente_verify::evidence::tsa::{parse_certificates, read_token, token_of};

    use super::*;

    const ANCHORED: &[u8] = include_bytes!("golden/contract.txt.anchored.evidence.json");
    const RESPONSE: &[u8] = include_bytes!("golden/tsa/ec-content-response.der");
    const ROOT: &[u8] = include_bytes!("golden/tsa/ca.pem");

    #[test]
    fn the_anchored_golden_certificate_pins_the_anchor_format() {
        let cert = EvidenceCertificate::from_json(ANCHORED).expect("parses");
        assert_eq!(cert.to_canonical_json(), ANCHORED);
        // The anchors are the only difference from the certificate the node issued.
        let mut bare = cert.clone();
        bare.anchors.clear();
        assert_eq!(bare, golden());
        let spec = spec();
        let trust = parse_certificates(ROOT).unwrap();
        let report = verify_certificate(
            &cert,
            Inputs {
                document: Some(DOCUMENT),
                chain_spec: Some(&spec),
                tsa_trust: &trust,
                tsa_tolerance_ms: None,
            },
        );
        let names: Vec<_> = report.checks.iter().map(|c| c.name).collect();
        assert_eq!(names[7..], ["timestamp", "timestamp"]);
        let verified = report.result.expect("verifies");
        assert_eq!(verified.timestamps.len(), 2);
        assert!(verified.timestamps.iter().all(|t| t.pinned));
    }

    #[test]
    fn a_whole_timestamp_response_yields_its_token() {
        let token = token_of(RESPONSE).expect("a granted response");
        assert_ne!(token, RESPONSE);
        let stamp = read_token(&token).expect("its token verifies");
        assert_eq!(stamp.imprint_alg, "sha-256");
        assert_eq!(
            format!("0x{}", hex::encode(&stamp.imprint)),
            golden().record.content[0].hex
        );
        // A bare token passes through unchanged.
        assert_eq!(token_of(&token).unwrap(), token);
    }
}
