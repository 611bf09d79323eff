//! The evidence module's Solidity interface and the two hashes everyone must compute
//! the same way: the record digest the submitter signs, and the evidence id.
//!
//! They live here, not in the module, so an offline verifier needs nothing else.

use alloy_primitives::{Address, B256, keccak256};
use alloy_sol_types::SolValue as _;

alloy_sol_types::sol! {
    #![sol(all_derives)]
    /// A content digest: `alg` 1 is SHA-256, 2 is SM3 (both 32 bytes).
    struct Digest {
        uint8 alg;
        bytes value;
    }

    /// What a submitter signs (EIP-191 `personal_sign` of `keccak256(abi.encode(record))`):
    /// the deposit's fields bound to one chain and one submitter.
    struct EvidenceRecord {
        uint64 chainId;
        address submitter;
        Digest[] content;
        uint64 contentLength;
        string mediaType;
        bytes32 metadataHash;
        bytes32 prev;
    }

    /// A deposited record as the chain holds it.
    struct EvidenceInfo {
        bytes32 id;
        address submitter;
        /// The submitter's organisation at deposit time.
        bytes32 submitterOrg;
        Digest[] content;
        uint64 contentLength;
        string mediaType;
        bytes32 metadataHash;
        /// The chain-of-custody predecessor (zero: none).
        bytes32 prev;
        /// 65 bytes r || s || v.
        bytes signature;
        uint64 height;
        /// The block time (Unix seconds) of the deposit.
        uint64 blockTime;
        /// Note hashes appended later, oldest first.
        bytes32[] annotations;
    }

    /// Evidence preservation: content digests deposited by registered submitters.
    interface IEvidence {
        /// Deposits a record; needs the `evidence_submitter` role. Returns its id.
        function deposit(Digest[] calldata content, uint64 contentLength, string calldata mediaType, bytes32 metadataHash, bytes32 prev, bytes calldata signature) external returns (bytes32 id);
        /// Appends a note hash to a record; its submitter or a `court` account only.
        function annotate(bytes32 id, bytes32 noteHash) external;
        function getEvidence(bytes32 id) external view returns (EvidenceInfo memory);
        /// The id of `submitter`'s record of this SHA-256 digest (zero: none).
        function evidenceIdOf(address submitter, bytes32 sha256Digest) external view returns (bytes32);
        function evidenceCount() external view returns (uint64);

        event EvidenceDeposited(bytes32 indexed id, address indexed submitter, bytes32 indexed sha256Digest, bytes32 prev);
        event EvidenceAnnotated(bytes32 indexed id, address indexed by, bytes32 noteHash);

        error Unauthorized(address caller, string reason);
        error NotFound(string what);
        error AlreadyDeposited(bytes32 id);
        error InvalidInput(string reason);
        error UnsupportedAlg(uint8 alg);
        error InvalidDigestLength(uint8 alg, uint256 length);
        error BadSubmitterSig();
    }
}

/// The evidence module's address.
pub const EVIDENCE_ADDRESS: Address =
    alloy_primitives::address!("0x0000000000000000000000000000000000e17e02");

/// `Digest.alg` of SHA-256.
pub const ALG_SHA256: u8 = 1;
/// `Digest.alg` of SM3.
pub const ALG_SM3: u8 = 2;

/// The certificate's name of a `Digest.alg` (`sha-256`, `sm3`; `alg-N` for others).
pub fn alg_name(alg: u8) -> String {
    match alg {
        ALG_SHA256 => "sha-256".into(),
        ALG_SM3 => "sm3".into(),
        other => format!("alg-{other}"),
    }
}

/// The hash a submitter signs (before the EIP-191 prefix).
pub fn record_hash(record: &EvidenceRecord) -> B256 {
    keccak256(record.abi_encode())
}

/// The evidence id of `submitter`'s deposit of `sha256` on chain `chain_id`:
/// `keccak256("EVID" || chain_id (8 bytes, big-endian) || submitter || sha256)`. One per
/// (submitter, digest): depositing the same digest again is refused with this id.
pub fn evidence_id(chain_id: u64, submitter: &Address, sha256: &B256) -> B256 {
    keccak256(
        [
            b"EVID".as_slice(),
            &chain_id.to_be_bytes(),
            submitter.as_slice(),
            sha256.as_slice(),
        ]
        .concat(),
    )
}

/// The address whose key made `signature` (65 bytes r || s || v, `v` 27/28 or 0/1) over
/// `record`, under EIP-191, if the signature is well formed.
pub fn recover_submitter(record: &EvidenceRecord, signature: &[u8]) -> Option<Address> {
    let signature = alloy_primitives::Signature::try_from(signature).ok()?;
    let hash = alloy_primitives::eip191_hash_message(record_hash(record));
    alloy_consensus::crypto::secp256k1::recover_signer(&signature, hash).ok()
}

/// An evidence module error, readable: its name, then what it says (e.g.
/// `AlreadyDeposited: evidence 0x…`). The CLI and the node's gateway both show refusals so.
pub fn error_text(err: &IEvidence::IEvidenceErrors) -> String {
    use IEvidence::IEvidenceErrors as E;
    match err {
        E::Unauthorized(e) => format!("Unauthorized: {} ({})", e.caller, e.reason),
        E::NotFound(e) => format!("NotFound: {}", e.what),
        E::AlreadyDeposited(e) => format!("AlreadyDeposited: evidence {}", e.id),
        E::InvalidInput(e) => format!("InvalidInput: {}", e.reason),
        E::UnsupportedAlg(e) => format!("UnsupportedAlg: {}", e.alg),
        E::InvalidDigestLength(e) => {
            format!("InvalidDigestLength: alg {} with {} bytes", e.alg, e.length)
        }
        E::BadSubmitterSig(_) => "BadSubmitterSig".into(),
    }
}
