//! The chain spec document and its validation.

use std::{collections::BTreeMap, collections::BTreeSet, path::Path};

use alloy_primitives::{Address, B256, Bytes, U256};
use commonware_cryptography::ed25519;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::{ChainSpecError, decode_public_key};

/// Most validators a chain spec may list. Bounds vote and certificate sizes.
pub const VALIDATORS_MAX: usize = 128;

/// The genesis description shared by every node of a consortium.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainSpec {
    /// Human-readable network name.
    pub name: String,
    /// EIP-155 chain id; every transaction must be signed for it.
    pub chain_id: u64,
    /// Timestamp of the genesis block, Unix milliseconds.
    pub genesis_time_ms: u64,
    /// Gas rules.
    pub gas: GasRules,
    /// Consensus-critical size limits.
    pub limits: Limits,
    /// Member organisations.
    pub orgs: Vec<Org>,
    /// The validator set: these nodes vote; a quorum is 2f+1 of them.
    pub validators: Vec<Validator>,
    /// Accounts funded (or deployed) at genesis.
    #[serde(default)]
    pub alloc: BTreeMap<Address, GenesisAccount>,
    /// Only registered, active accounts may send transactions and only `deployer`s may
    /// create contracts. On by default; `false` makes the chain open to any key.
    #[serde(default = "default_true")]
    pub permissioned: bool,
    /// Consensus timing rules every validator shares.
    #[serde(default)]
    pub consensus: ConsensusRules,
    /// Governance committee rules.
    #[serde(default)]
    pub governance: GovernanceRules,
    /// Accounts registered at genesis, with their organisation and roles. Org admins are
    /// registered automatically with the `admin` role.
    #[serde(default)]
    pub accounts: Vec<AccountEntry>,
}

fn default_true() -> bool {
    true
}

/// Consensus rules that must be identical on every validator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsensusRules {
    /// Blocks per epoch. Validator-set changes take effect at epoch boundaries.
    pub epoch_blocks: u64,
}

impl Default for ConsensusRules {
    fn default() -> Self {
        Self {
            epoch_blocks: 1_000,
        }
    }
}

/// The governance committee: one member per active organisation, weighted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GovernanceRules {
    /// A proposal passes once agreeing weight reaches this percentage of all weight.
    pub approval_pct: u8,
    /// A proposal expires this many blocks after it was created.
    pub proposal_ttl_blocks: u64,
}

impl Default for GovernanceRules {
    fn default() -> Self {
        Self {
            approval_pct: 67,
            proposal_ttl_blocks: 100_000,
        }
    }
}

/// An account registered at genesis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountEntry {
    pub address: Address,
    /// Id of the organisation the account belongs to.
    pub org: String,
    /// Roles: `admin`, `member`, `deployer`, `regulator`, `auditor` or any module role.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// Gas accounting. A consortium chain usually runs with a zero gas price: gas still
/// bounds the work a block may do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GasRules {
    /// Gas available to one block (and the cap for one transaction).
    pub block_gas_limit: u64,
    /// Minimum price per gas, in wei. Becomes the (fixed) EIP-1559 base fee. Zero by default.
    #[serde(default)]
    pub min_gas_price: u64,
}

/// Size limits every validator enforces identically.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Largest encoded transaction, in bytes.
    pub tx_bytes_max: usize,
    /// Most transactions in one block.
    pub block_txs_max: u32,
    /// Largest encoded transaction list of one block, in bytes.
    pub block_txs_bytes_max: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            tx_bytes_max: 128 * 1024,
            block_txs_max: 20_000,
            block_txs_bytes_max: 8 * 1024 * 1024,
        }
    }
}

/// A member organisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Org {
    /// Short unique identifier (`org0`, `acme-logistics`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// The organisation's administrator account.
    pub admin: Address,
    /// Weight of the organisation's vote in the governance committee.
    #[serde(default = "default_weight")]
    pub weight: u32,
}

fn default_weight() -> u32 {
    1
}

/// A validator node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Validator {
    /// Node name, unique in the spec (`node0`).
    pub name: String,
    /// Id of the organisation that runs it.
    pub org: String,
    /// ed25519 public key (hex): authenticates the node on the network and signs votes.
    pub public_key: String,
    /// Receives the priority fees of the blocks this validator proposes.
    pub fee_recipient: Address,
}

/// An account created at genesis.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisAccount {
    pub balance: U256,
    #[serde(default)]
    pub nonce: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Bytes>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub storage: BTreeMap<U256, U256>,
}

impl ChainSpec {
    /// Reads and validates a chain spec file.
    pub fn load(path: &Path) -> Result<Self, ChainSpecError> {
        let text = std::fs::read_to_string(path).map_err(|source| ChainSpecError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_json(&text)
    }

    /// Parses and validates a chain spec.
    pub fn from_json(text: &str) -> Result<Self, ChainSpecError> {
        let spec: Self = serde_json::from_str(text)?;
        spec.validate()?;
        Ok(spec)
    }

    /// The canonical JSON form: what is hashed and what `entente init` writes.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("chain spec serialises")
    }

    /// SHA-256 of the canonical compact JSON. Committed in the genesis header, so two
    /// nodes with different specs can never agree on a block.
    pub fn hash(&self) -> B256 {
        let bytes = serde_json::to_vec(self).expect("chain spec serialises");
        B256::from_slice(&Sha256::digest(bytes))
    }

    /// Checks every rule a usable chain spec must satisfy.
    pub fn validate(&self) -> Result<(), ChainSpecError> {
        let invalid = |msg: String| Err(ChainSpecError::Invalid(msg));
        if self.chain_id == 0 {
            return invalid("chain_id must be non-zero".into());
        }
        if self.gas.block_gas_limit < 21_000 {
            return invalid(format!(
                "gas.block_gas_limit {} is below the 21000 a transfer needs",
                self.gas.block_gas_limit
            ));
        }
        let limits = &self.limits;
        if limits.tx_bytes_max == 0 || limits.block_txs_max == 0 {
            return invalid("limits must be non-zero".into());
        }
        if limits.block_txs_bytes_max < limits.tx_bytes_max + 4 {
            return invalid("limits.block_txs_bytes_max must fit at least one transaction".into());
        }
        let mut org_ids = BTreeSet::new();
        for org in &self.orgs {
            if org.id.is_empty() || !org_ids.insert(org.id.as_str()) {
                return invalid(format!("organisation id {:?} is empty or repeated", org.id));
            }
        }
        if self.validators.is_empty() {
            return invalid("at least one validator is required".into());
        }
        if self.validators.len() > VALIDATORS_MAX {
            return invalid(format!(
                "{} validators exceed the maximum of {VALIDATORS_MAX}",
                self.validators.len()
            ));
        }
        if self.consensus.epoch_blocks < 2 {
            return invalid("consensus.epoch_blocks must be at least 2".into());
        }
        let pct = self.governance.approval_pct;
        if !(51..=100).contains(&pct) {
            return invalid(format!(
                "governance.approval_pct {pct} must be between 51 and 100"
            ));
        }
        if self.governance.proposal_ttl_blocks == 0 {
            return invalid("governance.proposal_ttl_blocks must be non-zero".into());
        }
        for org in &self.orgs {
            if org.weight == 0 {
                return invalid(format!("organisation {} has weight 0", org.id));
            }
            if org.id.len() > 32 || org.name.len() > 256 {
                return invalid(format!(
                    "organisation {:?}: id at most 32 bytes, name at most 256",
                    org.id
                ));
            }
        }
        let mut registered = BTreeSet::new();
        for account in &self.accounts {
            if !org_ids.contains(account.org.as_str()) {
                return invalid(format!(
                    "account {} belongs to unknown organisation {:?}",
                    account.address, account.org
                ));
            }
            if !registered.insert(account.address) {
                return invalid(format!("account {} is listed twice", account.address));
            }
            for role in &account.roles {
                if role.is_empty() || role.len() > 32 {
                    return invalid(format!(
                        "role {role:?} of {} must be 1 to 32 bytes",
                        account.address
                    ));
                }
            }
        }
        let mut names = BTreeSet::new();
        let mut keys = BTreeSet::new();
        for validator in &self.validators {
            if !names.insert(validator.name.as_str()) {
                return invalid(format!("validator name {:?} is repeated", validator.name));
            }
            if !org_ids.contains(validator.org.as_str()) {
                return invalid(format!(
                    "validator {} belongs to unknown organisation {:?}",
                    validator.name, validator.org
                ));
            }
            let key = decode_public_key(&validator.public_key)?;
            if !keys.insert(key) {
                return invalid(format!("validator {} repeats a public key", validator.name));
            }
        }
        Ok(())
    }

    /// The validators' public keys, in spec order.
    pub fn validator_keys(&self) -> Vec<ed25519::PublicKey> {
        self.validators
            .iter()
            .map(|v| decode_public_key(&v.public_key).expect("validated at load"))
            .collect()
    }

    /// The validator entry for a public key, if it is in the set.
    pub fn validator(&self, key: &ed25519::PublicKey) -> Option<&Validator> {
        self.validators
            .iter()
            .find(|v| decode_public_key(&v.public_key).ok().as_ref() == Some(key))
    }

    /// Largest number of faulty validators the set tolerates (n = 3f + 1).
    pub fn faults_tolerated(&self) -> usize {
        (self.validators.len() - 1) / 3
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::{ValidatorKey, encode_public_key};

    pub fn sample(validators: u64) -> ChainSpec {
        let orgs = (0..validators)
            .map(|i| Org {
                id: format!("org{i}"),
                name: format!("Org {i}"),
                admin: Address::repeat_byte(i as u8 + 1),
                weight: 1,
            })
            .collect();
        let validators = (0..validators)
            .map(|i| Validator {
                name: format!("node{i}"),
                org: format!("org{i}"),
                public_key: encode_public_key(&ValidatorKey::from_seed(i).public_key()),
                fee_recipient: Address::repeat_byte(0x50 + i as u8),
            })
            .collect();
        let mut alloc = BTreeMap::new();
        alloc.insert(
            Address::repeat_byte(0xaa),
            GenesisAccount {
                balance: U256::from(10u64).pow(U256::from(24)),
                ..Default::default()
            },
        );
        ChainSpec {
            name: "test".into(),
            chain_id: 4242,
            genesis_time_ms: 1_700_000_000_000,
            gas: GasRules {
                block_gas_limit: 100_000_000,
                min_gas_price: 0,
            },
            limits: Limits::default(),
            orgs,
            validators,
            alloc,
            permissioned: true,
            consensus: ConsensusRules::default(),
            governance: GovernanceRules::default(),
            accounts: Vec::new(),
        }
    }

    #[test]
    fn json_roundtrip_keeps_the_hash() {
        let spec = sample(4);
        spec.validate().unwrap();
        let back = ChainSpec::from_json(&spec.to_json()).unwrap();
        assert_eq!(back, spec);
        assert_eq!(back.hash(), spec.hash());
        let mut other = spec.clone();
        other.chain_id += 1;
        assert_ne!(other.hash(), spec.hash());
    }

    #[test]
    fn invalid_specs_are_refused_with_a_reason() {
        let mut spec = sample(4);
        spec.validators[1].public_key = spec.validators[0].public_key.clone();
        assert!(spec.validate().unwrap_err().to_string().contains("repeats"));
        let mut spec = sample(4);
        spec.validators[0].org = "nope".into();
        assert!(
            spec.validate()
                .unwrap_err()
                .to_string()
                .contains("unknown organisation")
        );
        let mut spec = sample(4);
        spec.chain_id = 0;
        assert!(spec.validate().is_err());
        let mut spec = sample(1);
        spec.validators.clear();
        assert!(spec.validate().is_err());
        assert!(ChainSpec::from_json("{\"name\": 1}").is_err());
        let with_unknown = sample(1).to_json().replacen('{', "{\"surprise\": 1,", 1);
        assert!(ChainSpec::from_json(&with_unknown).is_err());
    }

    #[test]
    fn fault_tolerance_follows_3f_plus_1() {
        assert_eq!(sample(1).faults_tolerated(), 0);
        assert_eq!(sample(4).faults_tolerated(), 1);
        assert_eq!(sample(7).faults_tolerated(), 2);
    }
}
