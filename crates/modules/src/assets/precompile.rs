//! The asset precompiles: the registry at `0x…e17e03` and every asset address. Each
//! decodes an ABI call, runs the rule in [`super::logic`] and encodes the result, the
//! events or the typed error.

use alloy_primitives::{Address, Bytes};
use alloy_sol_types::{SolCall as _, SolError as _};
use entente_execution::{ModuleCall, ModuleHalt, ModuleHost, ModuleOutput};

use super::{
    ASSETS_ADDRESS,
    abi::{
        IAsset::{self, IAssetCalls},
        IAssets::{self, IAssetsCalls},
    },
    asset_address,
    logic::{self, AssetError, Events},
    state::{Ledger, Registry},
};
use crate::{
    GOVERNANCE_ADDRESS,
    governance::state::GovStore,
    slots::{SharedHost, SlotError},
    supervision::{SUPERVISION_ADDRESS, enforce::Holdings, state::SupStore},
};

/// Gas charged for decoding and dispatch, on top of metered storage and logs.
const GAS_BASE: u64 = 1_000;

/// The registry's ABI revert data for `err`.
fn registry_revert(err: &AssetError) -> Bytes {
    Bytes::from(match err {
        AssetError::Unauthorized { caller, reason } => IAssets::Unauthorized {
            caller: *caller,
            reason: reason.clone(),
        }
        .abi_encode(),
        AssetError::NotFound(what) => IAssets::NotFound { what: what.clone() }.abi_encode(),
        other => IAssets::InvalidInput {
            reason: other.to_string(),
        }
        .abi_encode(),
    })
}

/// An asset's ABI revert data for `err` (ERC-6093 names where ERC-20 has them).
pub fn asset_revert(err: &AssetError) -> Bytes {
    use IAsset as A;
    Bytes::from(match err {
        AssetError::Unauthorized { caller, reason } => A::Unauthorized {
            caller: *caller,
            reason: reason.clone(),
        }
        .abi_encode(),
        AssetError::NotFound(what) => A::NotFound { what: what.clone() }.abi_encode(),
        AssetError::InvalidInput(reason) => A::InvalidInput {
            reason: reason.clone(),
        }
        .abi_encode(),
        AssetError::InsufficientBalance {
            sender,
            balance,
            needed,
        } => A::ERC20InsufficientBalance {
            sender: *sender,
            balance: *balance,
            needed: *needed,
        }
        .abi_encode(),
        AssetError::InvalidReceiver(receiver) => A::ERC20InvalidReceiver {
            receiver: *receiver,
        }
        .abi_encode(),
        AssetError::AccountFrozen { account, order } => A::AccountFrozen {
            account: *account,
            orderId: *order,
        }
        .abi_encode(),
        AssetError::InsufficientSpendable {
            holder,
            spendable,
            needed,
        } => A::InsufficientSpendable {
            holder: *holder,
            spendable: *spendable,
            needed: *needed,
        }
        .abi_encode(),
        AssetError::InvalidSpender(spender) => {
            A::ERC20InvalidSpender { spender: *spender }.abi_encode()
        }
        AssetError::InsufficientAllowance {
            spender,
            allowance,
            needed,
        } => A::ERC20InsufficientAllowance {
            spender: *spender,
            allowance: *allowance,
            needed: *needed,
        }
        .abi_encode(),
        AssetError::Slot(err) => A::InvalidInput {
            reason: err.to_string(),
        }
        .abi_encode(),
    })
}

/// The call's outcome: events emitted on success; storage failures halt the call.
fn finish(
    shared: &SharedHost<'_>,
    result: Result<Vec<u8>, AssetError>,
    events: Events,
    revert: fn(&AssetError) -> Bytes,
) -> Result<ModuleOutput, ModuleHalt> {
    match result {
        Ok(output) => {
            for event in events {
                shared.emit(event)?;
            }
            Ok(ModuleOutput::Return(Bytes::from(output)))
        }
        Err(AssetError::Slot(SlotError::Halt(halt))) => Err(halt),
        Err(AssetError::Slot(SlotError::Storage(_))) => Err(ModuleHalt::Storage),
        Err(err) => Ok(ModuleOutput::Revert(revert(&err))),
    }
}

/// Runs one call to the registry.
pub fn registry_call(
    call: &ModuleCall<'_>,
    host: &mut dyn ModuleHost,
) -> Result<ModuleOutput, ModuleHalt> {
    let decoded =
        match crate::entry::decode_call::<IAssetsCalls>(call, host, GAS_BASE, "asset registry")? {
            Ok(decoded) => decoded,
            Err(reason) => {
                return Ok(ModuleOutput::Revert(registry_revert(
                    &AssetError::InvalidInput(reason),
                )));
            }
        };
    let shared = SharedHost::new(host);
    let mut own = shared.own();
    let mut registry = Registry { s: &mut own };
    let mut events = Events::new();
    let result = match decoded {
        IAssetsCalls::createAsset(c) => {
            let mut gov_slots = shared.at(GOVERNANCE_ADDRESS);
            logic::create(
                &mut registry,
                &mut GovStore { s: &mut gov_slots },
                call.caller,
                call.origin,
                &c,
                &mut events,
            )
            .map(|asset| IAssets::createAssetCall::abi_encode_returns(&asset))
        }
        IAssetsCalls::assetCount(_) => registry
            .count()
            .map(|n| IAssets::assetCountCall::abi_encode_returns(&n))
            .map_err(AssetError::from),
        IAssetsCalls::getAsset(c) => logic::meta(&mut registry, &c.asset).and_then(|meta| {
            let mut asset_slots = shared.at(asset_address(meta.number));
            let supply = Ledger {
                s: &mut asset_slots,
            }
            .supply()?;
            Ok(IAssets::getAssetCall::abi_encode_returns(
                &meta.info(supply),
            ))
        }),
    };
    finish(&shared, result, events, registry_revert)
}

/// Runs one call to the asset at `call.address`.
pub fn asset_call(
    call: &ModuleCall<'_>,
    host: &mut dyn ModuleHost,
) -> Result<ModuleOutput, ModuleHalt> {
    let decoded = match crate::entry::decode_call::<IAssetCalls>(call, host, GAS_BASE, "asset")? {
        Ok(decoded) => decoded,
        Err(reason) => {
            return Ok(ModuleOutput::Revert(asset_revert(
                &AssetError::InvalidInput(reason),
            )));
        }
    };
    let shared = SharedHost::new(host);
    let mut registry_slots = shared.at(ASSETS_ADDRESS);
    let meta = match logic::meta(
        &mut Registry {
            s: &mut registry_slots,
        },
        &call.address,
    ) {
        Ok(meta) => meta,
        Err(err) => return finish(&shared, Err(err), Events::new(), asset_revert),
    };
    let mut own = shared.own();
    let mut ledger = Ledger { s: &mut own };
    let mut supervision = shared.at(SUPERVISION_ADDRESS);
    let mut holds = Holdings {
        store: SupStore {
            s: &mut supervision,
        },
        height: call.block_number,
    };
    let mut events = Events::new();
    let result = dispatch(
        &mut ledger,
        &mut holds,
        &meta,
        call.caller,
        decoded,
        &mut events,
    );
    finish(&shared, result, events, asset_revert)
}

fn dispatch<L: crate::slots::Slots, H: crate::slots::Slots>(
    ledger: &mut Ledger<'_, L>,
    holds: &mut Holdings<'_, H>,
    meta: &super::state::AssetMeta,
    caller: Address,
    call: IAssetCalls,
    events: &mut Events,
) -> Result<Vec<u8>, AssetError> {
    use IAsset as A;
    use IAssetCalls as C;
    let asset = asset_address(meta.number);
    Ok(match call {
        C::name(_) => A::nameCall::abi_encode_returns(&meta.name),
        C::symbol(_) => A::symbolCall::abi_encode_returns(&meta.symbol),
        C::decimals(_) => A::decimalsCall::abi_encode_returns(&meta.decimals),
        C::issuer(_) => A::issuerCall::abi_encode_returns(&meta.issuer),
        C::totalSupply(_) => A::totalSupplyCall::abi_encode_returns(&ledger.supply()?),
        C::balanceOf(c) => A::balanceOfCall::abi_encode_returns(&ledger.balance(&c.account)?),
        C::spendableOf(c) => A::spendableOfCall::abi_encode_returns(&logic::spendable(
            ledger, holds, &asset, &c.account,
        )?),
        C::allowance(c) => {
            A::allowanceCall::abi_encode_returns(&ledger.allowance(&c.owner, &c.spender)?)
        }
        C::transfer(c) => {
            logic::transfer(ledger, holds, &asset, caller, c.to, c.value, events)?;
            A::transferCall::abi_encode_returns(&true)
        }
        C::approve(c) => {
            logic::approve(ledger, caller, c.spender, c.value, events)?;
            A::approveCall::abi_encode_returns(&true)
        }
        C::transferFrom(c) => {
            logic::transfer_from(ledger, holds, &asset, caller, c.from, c.to, c.value, events)?;
            A::transferFromCall::abi_encode_returns(&true)
        }
        C::issue(c) => {
            logic::issue(ledger, holds, meta, caller, c.to, c.value, events)?;
            A::issueCall::abi_encode_returns(&true)
        }
        C::burn(c) => {
            logic::burn(ledger, holds, &asset, caller, c.value, events)?;
            A::burnCall::abi_encode_returns(&true)
        }
    })
}
