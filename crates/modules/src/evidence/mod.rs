//! Evidence preservation: registered submitters deposit signed content digests (SHA-256,
//! optionally SM3) with metadata and an optional chain-of-custody predecessor; records
//! are immutable, and the submitter or a court may append note hashes to them.
//!
//! - [`abi`]: the Solidity interface (`sol!`), shared with the offline verifier
//!   (`entente_verify::evidence::abi`): the record hash submitters sign and the id.
//! - [`state`]: the storage layout, and [`state::read_record`] for readers of a state view.
//! - [`logic`]: the rules, with typed errors.
//! - [`precompile`]: ABI decoding, dispatch and encoding.
//!
//! Roles (`evidence_submitter`, `court`) and organisations come from the governance
//! registry, read inside the call; the module has no genesis state of its own.

pub use entente_verify::evidence::abi;

pub mod logic;
pub mod precompile;
pub mod state;
