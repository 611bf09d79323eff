//! Enforcement of active orders, from state alone, wherever value or control moves:
//!
//! - [`check_frame`] before every call frame (the executor's `check_call` hook): a
//!   frozen account may not act, nor receive value when frozen inbound; a frozen
//!   contract or method may not be entered by a state-changing call at any depth. Every
//!   denial reverts the whole transaction with `Frozen(orderId)` or
//!   `ContractFrozen(orderId)` (at depth 0: a failed receipt, nonce and fee consumed).
//!   Static calls pass, so views keep working.
//! - [`check_transaction`] before every transaction: one under a pending-transaction
//!   order is refused, so a block containing it is invalid.
//! - [`Holdings`] for the asset module: units frozen in a holding, and whether an
//!   account may send or receive.

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::SolError as _;
use entente_execution::{Denial, FrameCheck, TxRejection};
use entente_primitives::RecoveredTx;
use entente_storage::StateView;

use super::{SUPERVISION_ADDRESS, abi::ISupervision, state::*};
use crate::slots::{SlotError, Slots, ViewSlots};

/// The first order in `orders` that matches.
fn first(orders: &[OrderRecord], matches: impl Fn(&OrderRecord) -> bool) -> Option<u64> {
    orders.iter().find(|o| matches(o)).map(|o| o.id)
}

fn outbound(order: &OrderRecord) -> bool {
    order.spec.direction == DIR_OUTBOUND || order.spec.direction == DIR_BOTH
}

fn inbound(order: &OrderRecord) -> bool {
    order.spec.direction == DIR_INBOUND || order.spec.direction == DIR_BOTH
}

fn storage_denial(err: SlotError) -> Denial {
    // A state read this node cannot do: fail the transaction rather than let it through.
    Denial::RevertTransaction(Bytes::from(
        ISupervision::InvalidInput {
            reason: format!("supervision state unreadable: {err}"),
        }
        .abi_encode(),
    ))
}

/// The executor's per-frame check.
pub fn check_frame(state: &dyn StateView, frame: &FrameCheck<'_>) -> Result<(), Denial> {
    if frame.is_static {
        return Ok(());
    }
    let mut slots = ViewSlots {
        view: state,
        address: SUPERVISION_ADDRESS,
    };
    let mut store = SupStore { s: &mut slots };
    // No order ever made (the common case): one read, nothing to check.
    if store.order_count().map_err(storage_denial)? == 0 {
        return Ok(());
    }
    let height = frame.block_number;
    let frozen = |id| {
        Denial::RevertTransaction(Bytes::from(
            ISupervision::Frozen { orderId: id }.abi_encode(),
        ))
    };
    // The caller acts: an account frozen outbound may not.
    let caller = store
        .active_orders(&address_target(&frame.caller), height)
        .map_err(storage_denial)?;
    if let Some(id) = first(&caller, |o| o.spec.kind == KIND_ACCOUNT && outbound(o)) {
        return Err(frozen(id));
    }
    let mut seen = None;
    for address in [frame.target, frame.code_address].into_iter().flatten() {
        if seen == Some(address) {
            continue;
        }
        seen = Some(address);
        let orders = store
            .active_orders(&address_target(&address), height)
            .map_err(storage_denial)?;
        if orders.is_empty() {
            continue;
        }
        if !frame.value.is_zero()
            && let Some(id) = first(&orders, |o| o.spec.kind == KIND_ACCOUNT && inbound(o))
        {
            return Err(frozen(id));
        }
        let selector = frame.input.get(..4);
        if let Some(id) = first(&orders, |o| {
            o.spec.kind == KIND_CONTRACT
                || (o.spec.kind == KIND_METHOD && selector == Some(o.spec.selector.as_slice()))
        }) {
            return Err(Denial::RevertTransaction(Bytes::from(
                ISupervision::ContractFrozen { orderId: id }.abi_encode(),
            )));
        }
    }
    Ok(())
}

/// The executor's admission check: a transaction under a pending-transaction order.
pub fn check_transaction(
    state: &dyn StateView,
    tx: &RecoveredTx,
    height: u64,
) -> Result<(), TxRejection> {
    let mut slots = ViewSlots {
        view: state,
        address: SUPERVISION_ADDRESS,
    };
    let mut store = SupStore { s: &mut slots };
    let storage = |err: SlotError| TxRejection::Storage {
        reason: err.to_string(),
    };
    if store.order_count().map_err(storage)? == 0 {
        return Ok(());
    }
    let orders = store.active_orders(&tx.hash, height).map_err(storage)?;
    match first(&orders, |o| o.spec.kind == KIND_PENDING_TX) {
        Some(id) => Err(TxRejection::Unauthorized {
            reason: format!(
                "transaction {} is frozen by supervision order {id}",
                tx.hash
            ),
        }),
        None => Ok(()),
    }
}

/// What the asset module asks of supervision, at a height.
pub struct Holdings<'a, S: Slots> {
    pub store: SupStore<'a, S>,
    pub height: u64,
}

impl<S: Slots> Holdings<'_, S> {
    /// Units of `asset` frozen in `holder`'s holding (`U256::MAX`: all of it).
    pub fn frozen(&mut self, asset: &Address, holder: &Address) -> Result<U256, SlotError> {
        let orders = self
            .store
            .active_orders(&holding_key(asset, holder), self.height)?;
        let mut total = U256::ZERO;
        for order in orders
            .iter()
            .filter(|o| o.spec.kind == KIND_HOLDING && outbound(o))
        {
            if order.spec.amount.is_zero() {
                return Ok(U256::MAX);
            }
            total = total.saturating_add(order.spec.amount.saturating_sub(order.consumed));
        }
        Ok(total)
    }

    /// The order that stops `holder` from sending (an outbound account order).
    pub fn send_blocked(&mut self, holder: &Address) -> Result<Option<u64>, SlotError> {
        let orders = self
            .store
            .active_orders(&address_target(holder), self.height)?;
        Ok(first(&orders, |o| {
            o.spec.kind == KIND_ACCOUNT && outbound(o)
        }))
    }

    /// The order that stops `to` from receiving `asset` (inbound account or holding
    /// order).
    pub fn receive_blocked(
        &mut self,
        asset: &Address,
        to: &Address,
    ) -> Result<Option<u64>, SlotError> {
        let account = self.store.active_orders(&address_target(to), self.height)?;
        if let Some(id) = first(&account, |o| o.spec.kind == KIND_ACCOUNT && inbound(o)) {
            return Ok(Some(id));
        }
        let holding = self
            .store
            .active_orders(&holding_key(asset, to), self.height)?;
        Ok(first(&holding, |o| {
            o.spec.kind == KIND_HOLDING && inbound(o)
        }))
    }
}

/// Whether any active order covers a target (the `isFrozen` view).
pub fn is_frozen<S: Slots>(
    store: &mut SupStore<'_, S>,
    kind: u8,
    target: B256,
    selector: [u8; 4],
    asset: Address,
    height: u64,
) -> Result<Option<u64>, SlotError> {
    let key = if kind == KIND_HOLDING {
        holding_key(&asset, &target_address(&target))
    } else {
        target
    };
    let orders = store.active_orders(&key, height)?;
    Ok(first(&orders, |o| {
        o.spec.kind == kind && (kind != KIND_METHOD || o.spec.selector.0 == selector)
    }))
}
