//! The governance module's state at genesis: parameters, organisations (each admin
//! registered with `admin`, `member` and `deployer`), the accounts and roles the chain
//! spec lists, and the genesis validators (voting from epoch 0).

use alloy_primitives::U256;
use entente_chainspec::ChainSpec;

use super::{
    logic::{ROLE_ADMIN, ROLE_DEPLOYER, ROLE_MEMBER},
    state::{
        AccountRecord, AccountStatus, GovStore, Org, OrgId, OrgStatus, ValidatorRecord, params,
    },
};
use crate::slots::{MemorySlots, SlotError};

/// Builds the module's storage from `spec` (the spec is validated first by its loader).
pub fn genesis_slots(spec: &ChainSpec) -> Result<MemorySlots, SlotError> {
    let mut slots = MemorySlots::default();
    let mut store = GovStore { s: &mut slots };
    store.set_param(params::PERMISSIONED, U256::from(spec.permissioned as u8))?;
    store.set_param(
        params::APPROVAL_PCT,
        U256::from(spec.governance.approval_pct),
    )?;
    store.set_param(
        params::PROPOSAL_TTL_BLOCKS,
        U256::from(spec.governance.proposal_ttl_blocks),
    )?;
    store.set_param(
        params::EPOCH_BLOCKS,
        U256::from(spec.consensus.epoch_blocks),
    )?;
    for org in &spec.orgs {
        let Some(id) = OrgId::from_text(&org.id) else {
            continue;
        };
        store.put_org(&Org {
            id,
            name: org.name.clone(),
            admin: org.admin,
            status: OrgStatus::Active,
            weight: org.weight,
        })?;
        store.put_account(
            &org.admin,
            &AccountRecord {
                org: id,
                status: AccountStatus::Active,
            },
        )?;
        for role in [ROLE_ADMIN, ROLE_MEMBER, ROLE_DEPLOYER] {
            store.grant_role(&org.admin, role)?;
        }
    }
    for account in &spec.accounts {
        let Some(org) = OrgId::from_text(&account.org) else {
            continue;
        };
        if store.account(&account.address)?.is_none() {
            store.put_account(
                &account.address,
                &AccountRecord {
                    org,
                    status: AccountStatus::Active,
                },
            )?;
        }
        for role in &account.roles {
            store.grant_role(&account.address, role)?;
        }
    }
    for validator in &spec.validators {
        let (Some(org), Ok(key)) = (
            OrgId::from_text(&validator.org),
            entente_chainspec::decode_public_key(&validator.public_key),
        ) else {
            continue;
        };
        store.put_validator(&ValidatorRecord {
            key: alloy_primitives::B256::from_slice(key.as_ref()),
            org,
            fee_recipient: validator.fee_recipient,
            p2p_address: String::new(),
            from_epoch: 0,
            until_epoch: 0,
        })?;
    }
    Ok(slots)
}
