//! Evidence certificates: what the evidence module records ([`abi`]), the portable
//! certificate a node issues once a deposit is final ([`certificate`]), and its offline
//! verification ([`verify`]), including RFC 3161 timestamp tokens attached as anchors
//! ([`tsa`]).

pub mod abi;
pub mod certificate;
pub mod tsa;
pub mod verify;

pub use certificate::{AnchorDoc, EvidenceCertificate};
pub use verify::{
    Check, EvidenceError, Inputs, TimestampReport, Verification, Verified, verify_certificate,
};
