//! RFC 3161 timestamp tokens: a time-stamping authority's signed statement that a digest
//! existed at a time (`TSTInfo` inside CMS `SignedData`, RFC 5652).
//!
//! [`read_token`] decodes a token and checks its signature with the signing certificate
//! the token carries; [`check_trust`] then decides whether that certificate is one the
//! verifier trusts (the certificate itself, or one issued by it). Supported signatures:
//! RSA PKCS #1 v1.5 with SHA-256/384/512 and ECDSA P-256 with SHA-256, which cover
//! `openssl ts` and the public TSAs.

use cms::{
    cert::{CertificateChoices, IssuerAndSerialNumber},
    content_info::ContentInfo,
    signed_data::{SignedData, SignerIdentifier, SignerInfo},
};
use der::{
    Decode as _, Encode as _,
    asn1::{ObjectIdentifier as Oid, OctetString},
};
use sha2::Digest as _;
use spki::SubjectPublicKeyInfoRef;
use x509_cert::{
    Certificate,
    ext::pkix::{ExtendedKeyUsage, SubjectKeyIdentifier},
};
use x509_tsp::{TimeStampResp, TstInfo};

const ID_SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2");
const ID_CT_TST_INFO: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.1.4");
const ID_CONTENT_TYPE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.4");
const ID_SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
const ID_SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.2");
const ID_SHA512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.3");
const ID_SM3: Oid = Oid::new_unwrap("1.2.156.10197.1.401");
const RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
const SHA256_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
const SHA384_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.12");
const SHA512_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.13");
const ECDSA_WITH_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
const ID_EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
const ID_KP_TIME_STAMPING: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.8");
const ID_CE_EXT_KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.37");
const ID_CE_SUBJECT_KEY_IDENTIFIER: Oid = Oid::new_unwrap("2.5.29.14");

/// Why a token cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a DER timestamp token, or one using what this verifier does not implement.
    #[error("{0}")]
    Malformed(String),
    /// The token was altered, or was not signed by the certificate it names.
    #[error("{0}")]
    BadSignature(String),
}

/// What a token whose signature verifies states.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timestamp {
    /// The imprint's hash algorithm: `sha-256`, `sha-384`, `sha-512`, `sm3` or the OID.
    pub imprint_alg: String,
    /// The digest the authority time-stamped.
    pub imprint: Vec<u8>,
    /// The authority's time, Unix milliseconds.
    pub gen_time_ms: u64,
    /// The token's serial number, hex.
    pub serial: String,
    /// The authority's policy OID.
    pub policy: String,
    /// The signing certificate's subject, e.g. `O=Acme TSA,CN=TSA 1`.
    pub signer: String,
    /// The signing certificate, DER.
    pub signer_certificate: Vec<u8>,
}

fn malformed(what: impl std::fmt::Display) -> TokenError {
    TokenError::Malformed(what.to_string())
}

fn alg_name(oid: &Oid) -> String {
    match *oid {
        ID_SHA256 => "sha-256".into(),
        ID_SHA384 => "sha-384".into(),
        ID_SHA512 => "sha-512".into(),
        ID_SM3 => "sm3".into(),
        other => other.to_string(),
    }
}

/// The digest of `data` under the CMS digest algorithm `oid`.
fn digest(oid: &Oid, data: &[u8]) -> Result<Vec<u8>, TokenError> {
    Ok(match *oid {
        ID_SHA256 => sha2::Sha256::digest(data).to_vec(),
        ID_SHA384 => sha2::Sha384::digest(data).to_vec(),
        ID_SHA512 => sha2::Sha512::digest(data).to_vec(),
        other => return Err(malformed(format!("unsupported digest algorithm {other}"))),
    })
}

/// Decodes an RFC 3161 token (DER `ContentInfo`) and checks its signature with the
/// signing certificate it carries.
pub fn read_token(der: &[u8]) -> Result<Timestamp, TokenError> {
    let info = ContentInfo::from_der(der)
        .map_err(|err| malformed(format!("not a DER CMS ContentInfo: {err}")))?;
    if info.content_type != ID_SIGNED_DATA {
        return Err(malformed(format!(
            "content type {} is not SignedData",
            info.content_type
        )));
    }
    let signed: SignedData = info
        .content
        .decode_as()
        .map_err(|err| malformed(format!("SignedData: {err}")))?;
    let encap = &signed.encap_content_info;
    if encap.econtent_type != ID_CT_TST_INFO {
        return Err(malformed(format!(
            "the signed content is {}, not a TSTInfo",
            encap.econtent_type
        )));
    }
    let content = encap
        .econtent
        .as_ref()
        .ok_or_else(|| malformed("the token has no TSTInfo"))?;
    let content: OctetString = content
        .decode_as()
        .map_err(|err| malformed(format!("eContent: {err}")))?;
    let tst = TstInfo::from_der(content.as_bytes())
        .map_err(|err| malformed(format!("TSTInfo: {err}")))?;

    let [signer_info] = signed.signer_infos.0.as_slice() else {
        return Err(malformed(format!(
            "{} signer infos; a timestamp token has one",
            signed.signer_infos.0.len()
        )));
    };
    let certificate = signing_certificate(&signed, &signer_info.sid)?;
    verify_signer_info(signer_info, content.as_bytes(), &certificate)?;

    let gen_time_ms = tst.gen_time.to_unix_duration().as_millis();
    Ok(Timestamp {
        imprint_alg: alg_name(&tst.message_imprint.hash_algorithm.oid),
        imprint: tst.message_imprint.hashed_message.as_bytes().to_vec(),
        gen_time_ms: u64::try_from(gen_time_ms).map_err(malformed)?,
        serial: hex::encode(tst.serial_number.as_bytes()),
        policy: tst.policy.to_string(),
        signer: certificate.tbs_certificate.subject.to_string(),
        signer_certificate: certificate.to_der().map_err(malformed)?,
    })
}

/// The token in `bytes`: a DER `TimeStampToken` as is, or the token of a granted DER
/// `TimeStampResp` (what `openssl ts -reply` and TSAs over HTTP answer).
pub fn token_of(bytes: &[u8]) -> Result<Vec<u8>, TokenError> {
    if ContentInfo::from_der(bytes).is_ok() {
        return Ok(bytes.to_vec());
    }
    let response = TimeStampResp::from_der(bytes).map_err(|err| {
        malformed(format!(
            "neither a DER TimeStampToken nor a TimeStampResp: {err}"
        ))
    })?;
    match response.time_stamp_token {
        Some(token) => token.to_der().map_err(malformed),
        None => Err(malformed(format!(
            "the authority did not grant a token (status {:?})",
            response.status.status
        ))),
    }
}

/// The certificate of the token that `sid` names.
fn signing_certificate(
    signed: &SignedData,
    sid: &SignerIdentifier,
) -> Result<Certificate, TokenError> {
    let certificates = signed.certificates.as_ref().map(|set| set.0.as_slice());
    let found = certificates.unwrap_or_default().iter().find_map(|choice| {
        let CertificateChoices::Certificate(cert) = choice else {
            return None;
        };
        let tbs = &cert.tbs_certificate;
        let matches = match sid {
            SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer,
                serial_number,
            }) => &tbs.issuer == issuer && &tbs.serial_number == serial_number,
            SignerIdentifier::SubjectKeyIdentifier(ski) => tbs
                .extensions
                .iter()
                .flatten()
                .filter(|ext| ext.extn_id == ID_CE_SUBJECT_KEY_IDENTIFIER)
                .any(|ext| {
                    SubjectKeyIdentifier::from_der(ext.extn_value.as_bytes())
                        .is_ok_and(|own| &own == ski)
                }),
        };
        matches.then(|| cert.clone())
    });
    found.ok_or_else(|| {
        malformed(
            "the token does not carry its signing certificate (request tokens with the \
             certificate included, e.g. `openssl ts -query -cert`)",
        )
    })
}

/// Checks the signed attributes against `content` and the signature with `certificate`.
fn verify_signer_info(
    info: &SignerInfo,
    content: &[u8],
    certificate: &Certificate,
) -> Result<(), TokenError> {
    let content_digest = digest(&info.digest_alg.oid, content)?;
    let signed_bytes = match &info.signed_attrs {
        Some(attrs) => {
            let value_of = |oid: Oid| {
                attrs
                    .iter()
                    .find(|attr| attr.oid == oid)
                    .and_then(|attr| attr.values.iter().next())
                    .ok_or_else(|| malformed(format!("signed attribute {oid} missing")))
            };
            let content_type: Oid = value_of(ID_CONTENT_TYPE)?
                .decode_as()
                .map_err(|err| malformed(format!("content-type attribute: {err}")))?;
            if content_type != ID_CT_TST_INFO {
                return Err(TokenError::BadSignature(format!(
                    "the signed content type is {content_type}, not TSTInfo"
                )));
            }
            let message_digest: OctetString = value_of(ID_MESSAGE_DIGEST)?
                .decode_as()
                .map_err(|err| malformed(format!("message-digest attribute: {err}")))?;
            if message_digest.as_bytes() != content_digest.as_slice() {
                return Err(TokenError::BadSignature(
                    "the TSTInfo does not hash to the signed message digest: the token was altered"
                        .into(),
                ));
            }
            // The signature covers the attributes' DER as a SET OF (RFC 5652 §5.4).
            attrs.to_der().map_err(malformed)?
        }
        None => content.to_vec(),
    };
    let spki = certificate
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(malformed)?;
    verify_signature(
        &spki,
        &info.signature_algorithm.oid,
        &info.digest_alg.oid,
        &signed_bytes,
        info.signature.as_bytes(),
    )
    .map_err(|reason| {
        TokenError::BadSignature(format!(
            "the signature does not verify with the certificate of {}: {reason}",
            certificate.tbs_certificate.subject
        ))
    })
}

/// Verifies `signature` over `message` with the key `spki` (DER SubjectPublicKeyInfo).
/// `digest_alg` names the hash when `alg` leaves it open (`rsaEncryption`).
fn verify_signature(
    spki: &[u8],
    alg: &Oid,
    digest_alg: &Oid,
    message: &[u8],
    signature: &[u8],
) -> Result<(), String> {
    let key = SubjectPublicKeyInfoRef::from_der(spki).map_err(|err| err.to_string())?;
    match *alg {
        RSA_ENCRYPTION | SHA256_WITH_RSA | SHA384_WITH_RSA | SHA512_WITH_RSA => {
            use rsa::{Pkcs1v15Sign, RsaPublicKey};
            if key.algorithm.oid != RSA_ENCRYPTION {
                return Err(format!("an RSA signature by a {} key", key.algorithm.oid));
            }
            let key = RsaPublicKey::try_from(key).map_err(|err| err.to_string())?;
            let hash_alg = match *alg {
                SHA256_WITH_RSA => ID_SHA256,
                SHA384_WITH_RSA => ID_SHA384,
                SHA512_WITH_RSA => ID_SHA512,
                _ => *digest_alg,
            };
            let hashed = digest(&hash_alg, message).map_err(|err| err.to_string())?;
            let scheme = match hash_alg {
                ID_SHA256 => Pkcs1v15Sign::new::<sha2::Sha256>(),
                ID_SHA384 => Pkcs1v15Sign::new::<sha2::Sha384>(),
                _ => Pkcs1v15Sign::new::<sha2::Sha512>(),
            };
            key.verify(scheme, &hashed, signature)
                .map_err(|err| err.to_string())
        }
        ECDSA_WITH_SHA256 => {
            use p256::ecdsa::{Signature, VerifyingKey, signature::Verifier as _};
            if key.algorithm.oid != ID_EC_PUBLIC_KEY {
                return Err(format!("an ECDSA signature by a {} key", key.algorithm.oid));
            }
            let key = VerifyingKey::try_from(key)
                .map_err(|err| format!("not a P-256 public key: {err}"))?;
            let signature = Signature::from_der(signature).map_err(|err| err.to_string())?;
            key.verify(message, &signature)
                .map_err(|err| err.to_string())
        }
        other => Err(format!("unsupported signature algorithm {other}")),
    }
}

/// Whether `timestamp`'s signing certificate is trusted: it is one of `trusted` (DER or
/// PEM certificates), or was issued and signed by one; it must also be valid for
/// time-stamping (extended key usage `timeStamping`) at the token's time.
pub fn check_trust(timestamp: &Timestamp, trusted: &[Certificate]) -> Result<String, String> {
    let cert = Certificate::from_der(&timestamp.signer_certificate).map_err(|e| e.to_string())?;
    let tbs = &cert.tbs_certificate;
    let validity = &tbs.validity;
    let at = std::time::Duration::from_millis(timestamp.gen_time_ms);
    if at < validity.not_before.to_unix_duration() || at > validity.not_after.to_unix_duration() {
        return Err(format!(
            "the certificate of {} is valid from {} to {}, not at the token's time",
            tbs.subject, validity.not_before, validity.not_after
        ));
    }
    let time_stamping = tbs
        .extensions
        .iter()
        .flatten()
        .filter(|ext| ext.extn_id == ID_CE_EXT_KEY_USAGE)
        .any(|ext| {
            ExtendedKeyUsage::from_der(ext.extn_value.as_bytes())
                .is_ok_and(|usage| usage.0.contains(&ID_KP_TIME_STAMPING))
        });
    if !time_stamping {
        return Err(format!(
            "the certificate of {} is not for time-stamping (no extended key usage timeStamping)",
            tbs.subject
        ));
    }
    for anchor in trusted {
        if anchor == &cert {
            return Ok(format!("{} is a trusted certificate", tbs.subject));
        }
        if anchor.tbs_certificate.subject == tbs.issuer {
            let spki = anchor
                .tbs_certificate
                .subject_public_key_info
                .to_der()
                .map_err(|e| e.to_string())?;
            let signed = tbs.to_der().map_err(|e| e.to_string())?;
            let signature = cert
                .signature
                .as_bytes()
                .ok_or("the certificate's signature is not whole bytes")?;
            if verify_signature(
                &spki,
                &cert.signature_algorithm.oid,
                &ID_SHA256,
                &signed,
                signature,
            )
            .is_ok()
            {
                return Ok(format!("{} is certified by {}", tbs.subject, tbs.issuer));
            }
        }
    }
    Err(format!(
        "{} (issued by {}) is not a trusted certificate nor issued by one",
        tbs.subject, tbs.issuer
    ))
}

/// Reads certificates from PEM (one or more `CERTIFICATE` blocks) or DER.
pub fn parse_certificates(bytes: &[u8]) -> Result<Vec<Certificate>, String> {
    if bytes.starts_with(b"-----BEGIN") {
        Certificate::load_pem_chain(bytes).map_err(|err| err.to_string())
    } else {
        Certificate::from_der(bytes)
            .map(|cert| vec![cert])
            .map_err(|err| err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        for bytes in [
            &b""[..],
            b"\x30\x03\x02\x01",
            b"not der at all",
            &[0x30; 300],
        ] {
            assert!(matches!(read_token(bytes), Err(TokenError::Malformed(_))));
        }
    }

    #[test]
    fn digest_names_are_the_certificate_names() {
        assert_eq!(alg_name(&ID_SHA256), "sha-256");
        assert_eq!(alg_name(&ID_SM3), "sm3");
    }
}
