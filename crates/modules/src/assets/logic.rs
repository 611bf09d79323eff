//! The asset rules, independent of how they are called: who may create and issue, what a
//! transfer needs, and the events every change emits. Every refusal is a typed error.

use alloy_primitives::{Address, LogData, U256};
use alloy_sol_types::SolEvent as _;

use super::{
    abi::{IAsset, IAssets},
    asset_address, asset_number,
    state::{AssetMeta, Ledger, Registry},
};
use crate::{
    MODULE_ADDRESSES,
    governance::state::{AccountStatus, GovStore, OrgStatus},
    slots::{SlotError, Slots},
    supervision::enforce::Holdings,
};

/// The role that may create assets (granted by org admins).
pub const ROLE_ASSET_ISSUER: &str = "asset_issuer";
/// Longest name, in bytes.
pub const NAME_MAX: usize = 64;
/// Longest symbol, in bytes.
pub const SYMBOL_MAX: usize = 16;
/// Most decimals (as ERC-20 tokens use at most).
pub const DECIMALS_MAX: u8 = 36;

/// Why an asset call was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AssetError {
    #[error("{caller} is not authorised: {reason}")]
    Unauthorized { caller: Address, reason: String },
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{sender} holds {balance} spendable, {needed} needed")]
    InsufficientBalance {
        sender: Address,
        balance: U256,
        needed: U256,
    },
    #[error("{0} may not receive assets")]
    InvalidReceiver(Address),
    #[error("{0} may not be a spender")]
    InvalidSpender(Address),
    #[error("{account} is frozen by order {order}")]
    AccountFrozen { account: Address, order: u64 },
    #[error("{holder} may move {spendable} (the rest is frozen), {needed} needed")]
    InsufficientSpendable {
        holder: Address,
        spendable: U256,
        needed: U256,
    },
    #[error("{spender} may spend {allowance}, {needed} needed")]
    InsufficientAllowance {
        spender: Address,
        allowance: U256,
        needed: U256,
    },
    #[error(transparent)]
    Slot(#[from] SlotError),
}

/// Events produced by a call, emitted by the precompile if the call succeeds.
pub type Events = Vec<LogData>;

fn unauthorized(caller: Address, reason: impl Into<String>) -> AssetError {
    AssetError::Unauthorized {
        caller,
        reason: reason.into(),
    }
}

fn invalid(reason: impl Into<String>) -> AssetError {
    AssetError::InvalidInput(reason.into())
}

/// Creates an asset issued by `caller`: a registered, active account of an active
/// organisation with the `asset_issuer` role, calling directly.
pub fn create<R: Slots, G: Slots>(
    registry: &mut Registry<'_, R>,
    gov: &mut GovStore<'_, G>,
    caller: Address,
    origin: Address,
    call: &IAssets::createAssetCall,
    events: &mut Events,
) -> Result<Address, AssetError> {
    let (name, symbol, decimals) = (call.name.as_str(), call.symbol.as_str(), call.decimals);
    if caller != origin {
        return Err(unauthorized(
            caller,
            "assets are created by accounts, not contracts",
        ));
    }
    let account = gov
        .account(&caller)?
        .ok_or_else(|| unauthorized(caller, "not a registered account"))?;
    if account.status != AccountStatus::Active {
        return Err(unauthorized(caller, "account is suspended"));
    }
    if !matches!(gov.org(&account.org)?, Some(org) if org.status == OrgStatus::Active) {
        return Err(unauthorized(caller, "organisation is not active"));
    }
    if !gov.has_role(&caller, ROLE_ASSET_ISSUER)? {
        return Err(unauthorized(
            caller,
            format!("lacks the {ROLE_ASSET_ISSUER} role"),
        ));
    }
    let printable = |text: &str| text.chars().all(|c| !c.is_control());
    if name.is_empty() || name.len() > NAME_MAX || !printable(name) {
        return Err(invalid(format!("a name is 1 to {NAME_MAX} bytes of text")));
    }
    if symbol.is_empty()
        || symbol.len() > SYMBOL_MAX
        || !symbol.chars().all(|c| c.is_ascii_graphic())
    {
        return Err(invalid(format!(
            "a symbol is 1 to {SYMBOL_MAX} printable ASCII characters without spaces"
        )));
    }
    if decimals > DECIMALS_MAX {
        return Err(invalid(format!("at most {DECIMALS_MAX} decimals")));
    }
    let number = registry.create(AssetMeta {
        number: 0,
        name: name.to_string(),
        symbol: symbol.to_string(),
        decimals,
        issuer: caller,
        issuer_org: account.org,
    })?;
    let asset = asset_address(number);
    events.push(
        IAssets::AssetCreated {
            asset,
            issuer: caller,
            issuerOrg: account.org.0,
            symbol: symbol.to_string(),
        }
        .encode_log_data(),
    );
    Ok(asset)
}

/// The registry entry of `asset`.
pub fn meta<R: Slots>(
    registry: &mut Registry<'_, R>,
    asset: &Address,
) -> Result<AssetMeta, AssetError> {
    let not_found = || AssetError::NotFound(format!("asset {asset}"));
    let number = asset_number(asset).ok_or_else(not_found)?;
    registry.asset(number)?.ok_or_else(not_found)
}

/// Whether `address` may hold assets: not the zero address, a module or an asset.
fn check_receiver(to: &Address) -> Result<(), AssetError> {
    if to.is_zero() || MODULE_ADDRESSES.contains(to) || asset_number(to).is_some() {
        return Err(AssetError::InvalidReceiver(*to));
    }
    Ok(())
}

/// What `holder` may move: its balance less the units regulatory orders freeze.
pub fn spendable<L: Slots, H: Slots>(
    ledger: &mut Ledger<'_, L>,
    holds: &mut Holdings<'_, H>,
    asset: &Address,
    holder: &Address,
) -> Result<U256, AssetError> {
    let balance = ledger.balance(holder)?;
    let frozen = holds.frozen(asset, holder)?;
    Ok(balance - balance.min(frozen))
}

/// Refuses moving `value` out of `holder`'s holding: over its balance, or over what is
/// not frozen.
fn check_spend<L: Slots, H: Slots>(
    ledger: &mut Ledger<'_, L>,
    holds: &mut Holdings<'_, H>,
    asset: &Address,
    holder: &Address,
    value: U256,
) -> Result<(), AssetError> {
    let balance = ledger.balance(holder)?;
    if balance < value {
        return Err(AssetError::InsufficientBalance {
            sender: *holder,
            balance,
            needed: value,
        });
    }
    let available = spendable(ledger, holds, asset, holder)?;
    if available < value {
        return Err(AssetError::InsufficientSpendable {
            holder: *holder,
            spendable: available,
            needed: value,
        });
    }
    Ok(())
}

/// Refuses a credit to an account frozen inbound (for this asset or altogether).
fn check_receive<H: Slots>(
    holds: &mut Holdings<'_, H>,
    asset: &Address,
    to: &Address,
) -> Result<(), AssetError> {
    check_receiver(to)?;
    match holds.receive_blocked(asset, to)? {
        Some(order) => Err(AssetError::AccountFrozen {
            account: *to,
            order,
        }),
        None => Ok(()),
    }
}

fn transfer_event(from: Address, to: Address, value: U256) -> LogData {
    IAsset::Transfer { from, to, value }.encode_log_data()
}

/// Moves `value` of `asset` from `from` to `to`.
pub fn transfer<L: Slots, H: Slots>(
    ledger: &mut Ledger<'_, L>,
    holds: &mut Holdings<'_, H>,
    asset: &Address,
    from: Address,
    to: Address,
    value: U256,
    events: &mut Events,
) -> Result<(), AssetError> {
    if let Some(order) = holds.send_blocked(&from)? {
        return Err(AssetError::AccountFrozen {
            account: from,
            order,
        });
    }
    check_receive(holds, asset, &to)?;
    check_spend(ledger, holds, asset, &from, value)?;
    if from != to {
        let from_balance = ledger.balance(&from)?;
        ledger.set_balance(&from, from_balance - value)?;
        let to_balance = ledger.balance(&to)?;
        // The supply bounds every balance, so this cannot overflow.
        ledger.set_balance(&to, to_balance + value)?;
    }
    events.push(transfer_event(from, to, value));
    Ok(())
}

/// Sets `spender`'s allowance over `owner`'s balance.
pub fn approve<L: Slots>(
    ledger: &mut Ledger<'_, L>,
    owner: Address,
    spender: Address,
    value: U256,
    events: &mut Events,
) -> Result<(), AssetError> {
    if spender.is_zero() {
        return Err(AssetError::InvalidSpender(spender));
    }
    ledger.set_allowance(&owner, &spender, value)?;
    events.push(
        IAsset::Approval {
            owner,
            spender,
            value,
        }
        .encode_log_data(),
    );
    Ok(())
}

/// `spender` moves `value` of `from`'s balance to `to`, within its allowance (an
/// allowance of 2^256−1 is unlimited and not reduced, as in OpenZeppelin).
#[allow(clippy::too_many_arguments)]
pub fn transfer_from<L: Slots, H: Slots>(
    ledger: &mut Ledger<'_, L>,
    holds: &mut Holdings<'_, H>,
    asset: &Address,
    spender: Address,
    from: Address,
    to: Address,
    value: U256,
    events: &mut Events,
) -> Result<(), AssetError> {
    let allowance = ledger.allowance(&from, &spender)?;
    if allowance < value {
        return Err(AssetError::InsufficientAllowance {
            spender,
            allowance,
            needed: value,
        });
    }
    transfer(ledger, holds, asset, from, to, value, events)?;
    if allowance != U256::MAX {
        ledger.set_allowance(&from, &spender, allowance - value)?;
    }
    Ok(())
}

/// The issuer mints `value` to `to`.
pub fn issue<L: Slots, H: Slots>(
    ledger: &mut Ledger<'_, L>,
    holds: &mut Holdings<'_, H>,
    meta: &AssetMeta,
    caller: Address,
    to: Address,
    value: U256,
    events: &mut Events,
) -> Result<(), AssetError> {
    if caller != meta.issuer {
        return Err(unauthorized(caller, "only the asset's issuer issues it"));
    }
    check_receive(holds, &asset_address(meta.number), &to)?;
    let supply = ledger
        .supply()?
        .checked_add(value)
        .ok_or_else(|| invalid("the supply would exceed 2^256-1"))?;
    ledger.set_supply(supply)?;
    let balance = ledger.balance(&to)?;
    ledger.set_balance(&to, balance + value)?;
    events.push(transfer_event(Address::ZERO, to, value));
    Ok(())
}

/// `holder` destroys `value` of its spendable balance.
pub fn burn<L: Slots, H: Slots>(
    ledger: &mut Ledger<'_, L>,
    holds: &mut Holdings<'_, H>,
    asset: &Address,
    holder: Address,
    value: U256,
    events: &mut Events,
) -> Result<(), AssetError> {
    check_spend(ledger, holds, asset, &holder, value)?;
    let balance = ledger.balance(&holder)?;
    ledger.set_balance(&holder, balance - value)?;
    let supply = ledger.supply()?;
    ledger.set_supply(supply - value)?;
    events.push(transfer_event(holder, Address::ZERO, value));
    Ok(())
}
