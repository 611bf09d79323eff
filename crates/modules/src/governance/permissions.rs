//! Permissioning: on a permissioned chain only registered, active accounts of active
//! organisations send transactions, and only `deployer`s create contracts. Checked by
//! every validator before each transaction, so a block carrying a forbidden transaction
//! is invalid everywhere; the RPC door runs the same check for a fast, clear error.

use alloy_primitives::Address;
use entente_execution::TxRejection;
use entente_primitives::RecoveredTx;
use entente_storage::StateView;

use super::{
    logic::ROLE_DEPLOYER,
    state::{AccountStatus, GovStore, OrgStatus, params},
};
use crate::slots::{SlotError, ViewSlots};

fn refuse(sender: &Address, reason: &str) -> TxRejection {
    TxRejection::Unauthorized {
        reason: format!("sender {sender} {reason}"),
    }
}

fn storage(err: SlotError) -> TxRejection {
    TxRejection::Storage {
        reason: err.to_string(),
    }
}

/// Admits or refuses `tx` against the registries in `state`.
pub fn authorize(state: &dyn StateView, tx: &RecoveredTx) -> Result<(), TxRejection> {
    let mut slots = ViewSlots {
        view: state,
        address: crate::GOVERNANCE_ADDRESS,
    };
    let mut store = GovStore { s: &mut slots };
    if store
        .param(params::PERMISSIONED)
        .map_err(storage)?
        .is_zero()
    {
        return Ok(());
    }
    let sender = tx.sender;
    let record = store
        .account(&sender)
        .map_err(storage)?
        .ok_or_else(|| refuse(&sender, "is not a registered account"))?;
    if record.status != AccountStatus::Active {
        return Err(refuse(&sender, "is suspended"));
    }
    match store.org(&record.org).map_err(storage)? {
        Some(org) if org.status == OrgStatus::Active => {}
        _ => {
            return Err(refuse(
                &sender,
                "belongs to an organisation that is not active",
            ));
        }
    }
    if alloy_consensus::Transaction::kind(&tx.envelope).is_create()
        && !store.has_role(&sender, ROLE_DEPLOYER).map_err(storage)?
    {
        return Err(refuse(
            &sender,
            "lacks the deployer role needed to create contracts",
        ));
    }
    Ok(())
}
