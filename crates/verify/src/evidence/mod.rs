//! Evidence certificates: what the evidence module records ([`abi`]), the portable
//! certificate a node issues once a deposit is final ([`certificate`]), and its offline
//! verification ([`verify`]).

pub mod abi;
pub mod certificate;
pub mod verify;

pub use certificate::EvidenceCertificate;
pub use verify::{Check, EvidenceError, Inputs, Verification, Verified, verify_certificate};
