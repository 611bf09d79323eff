//! Native assets, run as real transactions through the executor and the asset
//! precompiles: the registry creates assets, each asset answers the ERC-20 ABI at its own
//! address (directly, through contracts, and under STATICCALL), with exact errors.

use alloy_consensus::TxEip1559;
use alloy_primitives::{Address, Bytes, TxKind, U256};
use alloy_sol_types::{SolCall as _, SolEvent as _, SolInterface as _};
use entente_execution::TxRejection;
use entente_modules::{
    ASSETS_ADDRESS, GOVERNANCE_ADDRESS,
    assets::{
        abi::{
            IAsset::{self, IAssetErrors},
            IAssets::{self, IAssetsErrors},
        },
        asset_address,
    },
};
use entente_primitives::{LocalSigner, Receipt};
use entente_storage::StateView as _;
use entente_testkit::{
    exec::Executor,
    fixtures::{CHAIN_ID, account, forwarder_init_code, spec},
};

const ISSUER: &str = "asset_issuer";

/// Account 0 issues assets; accounts 1–3 hold them.
fn chain() -> Executor {
    let mut s = spec(2, 4);
    s.accounts[0].roles.push(ISSUER.into());
    Executor::new(s)
}

fn ok(result: Result<Receipt, TxRejection>) -> Receipt {
    let receipt = result.expect("transaction admitted");
    assert!(
        receipt.success,
        "reverted: {:?} / {:?}",
        IAssetErrors::abi_decode(&receipt.output),
        IAssetsErrors::abi_decode(&receipt.output)
    );
    receipt
}

fn asset_error(result: Result<Receipt, TxRejection>) -> IAssetErrors {
    let receipt = result.expect("transaction admitted");
    assert!(!receipt.success, "expected a revert");
    IAssetErrors::abi_decode(&receipt.output).expect("an asset error")
}

fn registry_error(result: Result<Receipt, TxRejection>) -> IAssetsErrors {
    let receipt = result.expect("transaction admitted");
    assert!(!receipt.success, "expected a revert");
    IAssetsErrors::abi_decode(&receipt.output).expect("a registry error")
}

fn create(ex: &mut Executor, issuer: &LocalSigner, symbol: &str) -> Address {
    let receipt = ok(ex.send(
        issuer,
        ASSETS_ADDRESS,
        IAssets::createAssetCall {
            name: format!("{symbol} points"),
            symbol: symbol.into(),
            decimals: 2,
        },
    ));
    IAssets::createAssetCall::abi_decode_returns(&receipt.output).expect("an address")
}

fn balance(ex: &Executor, asset: Address, holder: Address) -> U256 {
    ex.view(asset, IAsset::balanceOfCall { account: holder })
}

fn units(n: u64) -> U256 {
    U256::from(n)
}

/// An asset issued by account 0 with 150 units held by account 1.
fn funded() -> (Executor, Address) {
    let mut ex = chain();
    let asset = create(&mut ex, &account(0), "KPT");
    ok(ex.send(
        &account(0),
        asset,
        IAsset::issueCall {
            to: account(1).address(),
            value: units(150),
        },
    ));
    (ex, asset)
}

#[test]
fn an_issuer_creates_assets_at_numbered_addresses_with_erc20_metadata() {
    let mut ex = chain();
    let issuer = account(0);
    let receipt = ok(ex.send(
        &issuer,
        ASSETS_ADDRESS,
        IAssets::createAssetCall {
            name: "Kiwi points".into(),
            symbol: "KPT".into(),
            decimals: 2,
        },
    ));
    let asset = IAssets::createAssetCall::abi_decode_returns(&receipt.output).unwrap();
    assert_eq!(asset, asset_address(1));
    let event = IAssets::AssetCreated::decode_log_data(&receipt.logs[0].data).unwrap();
    assert_eq!((event.asset, event.issuer), (asset, issuer.address()));
    assert_eq!(event.symbol, "KPT");
    assert_eq!(create(&mut ex, &issuer, "SEC"), asset_address(2));

    assert_eq!(ex.view(asset, IAsset::nameCall {}), "Kiwi points");
    assert_eq!(ex.view(asset, IAsset::symbolCall {}), "KPT");
    assert_eq!(ex.view(asset, IAsset::decimalsCall {}), 2);
    assert_eq!(ex.view(asset, IAsset::issuerCall {}), issuer.address());
    assert_eq!(ex.view(asset, IAsset::totalSupplyCall {}), U256::ZERO);
    assert_eq!(ex.view(ASSETS_ADDRESS, IAssets::assetCountCall {}), 2);
    let info = ex.view(ASSETS_ADDRESS, IAssets::getAssetCall { asset });
    assert_eq!((info.number, info.decimals), (1, 2));
    assert_eq!(
        info.issuerOrg,
        entente_modules::governance::state::OrgId::from_text("org0")
            .unwrap()
            .0
    );
    // The asset's ledger lives in its own account, which holds the module marker code.
    ok(ex.send(
        &issuer,
        asset,
        IAsset::issueCall {
            to: account(1).address(),
            value: units(5),
        },
    ));
    let state = ex.state();
    assert!(state.account(&asset).unwrap().is_some());
}

#[test]
fn creation_is_refused_to_non_issuers_and_for_bad_metadata() {
    let mut ex = chain();
    let call = |name: &str, symbol: &str, decimals: u8| IAssets::createAssetCall {
        name: name.into(),
        symbol: symbol.into(),
        decimals,
    };
    assert!(matches!(
        registry_error(ex.send(&account(1), ASSETS_ADDRESS, call("X", "X", 0))),
        IAssetsErrors::Unauthorized(e) if e.reason.contains("asset_issuer")
    ));
    for (name, symbol, decimals) in [
        ("", "X", 0),
        (&"n".repeat(65)[..], "X", 0),
        ("Name", "", 0),
        ("Name", "TWO WORDS", 0),
        ("Name", "ABCDEFGHIJKLMNOPQ", 0),
        ("Name", "X", 37),
    ] {
        assert!(
            matches!(
                registry_error(ex.send(&account(0), ASSETS_ADDRESS, call(name, symbol, decimals))),
                IAssetsErrors::InvalidInput(_)
            ),
            "{name:?} {symbol:?} {decimals}"
        );
    }
    assert_eq!(ex.view(ASSETS_ADDRESS, IAssets::assetCountCall {}), 0);
    // An address of the asset range that was never created.
    let outcome = ex.call(Address::ZERO, asset_address(7), IAsset::totalSupplyCall {});
    assert!(!outcome.success);
    assert!(matches!(
        IAssetErrors::abi_decode(&outcome.output).unwrap(),
        IAssetErrors::NotFound(_)
    ));
    let outcome = ex.call(
        Address::ZERO,
        ASSETS_ADDRESS,
        IAssets::getAssetCall {
            asset: GOVERNANCE_ADDRESS,
        },
    );
    assert!(matches!(
        IAssetsErrors::abi_decode(&outcome.output).unwrap(),
        IAssetsErrors::NotFound(_)
    ));
}

#[test]
fn only_the_issuer_issues_and_every_change_is_a_transfer_event() {
    let (mut ex, asset) = funded();
    let (holder, other) = (account(1), account(2));
    assert_eq!(balance(&ex, asset, holder.address()), units(150));
    assert_eq!(ex.view(asset, IAsset::totalSupplyCall {}), units(150));
    assert!(matches!(
        asset_error(ex.send(
            &holder,
            asset,
            IAsset::issueCall {
                to: holder.address(),
                value: units(1)
            }
        )),
        IAssetErrors::Unauthorized(_)
    ));
    assert!(matches!(
        asset_error(ex.send(&account(0), asset, IAsset::issueCall { to: Address::ZERO, value: units(1) })),
        IAssetErrors::ERC20InvalidReceiver(e) if e.receiver == Address::ZERO
    ));
    assert!(matches!(
        asset_error(ex.send(
            &account(0),
            asset,
            IAsset::issueCall {
                to: holder.address(),
                value: U256::MAX
            }
        )),
        IAssetErrors::InvalidInput(_)
    ));

    let receipt = ok(ex.send(
        &holder,
        asset,
        IAsset::transferCall {
            to: other.address(),
            value: units(40),
        },
    ));
    assert!(IAsset::transferCall::abi_decode_returns(&receipt.output).unwrap());
    let log = &receipt.logs[0];
    assert_eq!(log.address, asset);
    let event = IAsset::Transfer::decode_log_data(&log.data).unwrap();
    assert_eq!(
        (event.from, event.to, event.value),
        (holder.address(), other.address(), units(40))
    );
    assert_eq!(balance(&ex, asset, holder.address()), units(110));
    assert_eq!(balance(&ex, asset, other.address()), units(40));

    let receipt = ok(ex.send(&other, asset, IAsset::burnCall { value: units(15) }));
    let event = IAsset::Transfer::decode_log_data(&receipt.logs[0].data).unwrap();
    assert_eq!((event.to, event.value), (Address::ZERO, units(15)));
    assert_eq!(ex.view(asset, IAsset::totalSupplyCall {}), units(135));
    assert_eq!(
        ex.view(
            asset,
            IAsset::spendableOfCall {
                account: other.address()
            }
        ),
        units(25)
    );
}

#[test]
fn transfers_over_the_balance_and_to_bad_receivers_change_nothing() {
    let (mut ex, asset) = funded();
    let holder = account(1);
    assert_eq!(
        asset_error(ex.send(
            &holder,
            asset,
            IAsset::transferCall {
                to: account(2).address(),
                value: units(151)
            }
        )),
        IAssetErrors::ERC20InsufficientBalance(IAsset::ERC20InsufficientBalance {
            sender: holder.address(),
            balance: units(150),
            needed: units(151),
        })
    );
    for to in [Address::ZERO, GOVERNANCE_ADDRESS, ASSETS_ADDRESS, asset] {
        assert!(matches!(
            asset_error(ex.send(&holder, asset, IAsset::transferCall { to, value: units(1) })),
            IAssetErrors::ERC20InvalidReceiver(e) if e.receiver == to
        ));
    }
    assert!(matches!(
        asset_error(ex.send(&account(2), asset, IAsset::burnCall { value: units(1) })),
        IAssetErrors::ERC20InsufficientBalance(_)
    ));
    assert_eq!(balance(&ex, asset, holder.address()), units(150));
    assert_eq!(ex.view(asset, IAsset::totalSupplyCall {}), units(150));
    // Value is refused: assets move, ether does not.
    let nonce = ex
        .state()
        .account(&holder.address())
        .unwrap()
        .unwrap()
        .nonce;
    let tx = holder
        .sign(TxEip1559 {
            chain_id: CHAIN_ID,
            nonce,
            gas_limit: 1_000_000,
            max_fee_per_gas: 0,
            max_priority_fee_per_gas: 0,
            to: TxKind::Call(asset),
            value: U256::from(1),
            access_list: Default::default(),
            input: Bytes::from(
                IAsset::transferCall {
                    to: account(2).address(),
                    value: units(1),
                }
                .abi_encode(),
            ),
        })
        .unwrap();
    let receipt = ex.block(&[tx]).remove(0).unwrap();
    assert!(!receipt.success);
    assert_eq!(balance(&ex, asset, holder.address()), units(150));
}

#[test]
fn allowances_follow_erc20_including_the_unlimited_one() {
    let (mut ex, asset) = funded();
    let (owner, spender, to) = (account(1), account(2), account(3));
    let receipt = ok(ex.send(
        &owner,
        asset,
        IAsset::approveCall {
            spender: spender.address(),
            value: units(50),
        },
    ));
    let event = IAsset::Approval::decode_log_data(&receipt.logs[0].data).unwrap();
    assert_eq!(
        (event.owner, event.spender, event.value),
        (owner.address(), spender.address(), units(50))
    );
    let transfer_from = |value: u64| IAsset::transferFromCall {
        from: owner.address(),
        to: to.address(),
        value: units(value),
    };
    assert_eq!(
        asset_error(ex.send(&spender, asset, transfer_from(51))),
        IAssetErrors::ERC20InsufficientAllowance(IAsset::ERC20InsufficientAllowance {
            spender: spender.address(),
            allowance: units(50),
            needed: units(51),
        })
    );
    ok(ex.send(&spender, asset, transfer_from(30)));
    assert_eq!(
        ex.view(
            asset,
            IAsset::allowanceCall {
                owner: owner.address(),
                spender: spender.address()
            }
        ),
        units(20)
    );
    assert_eq!(balance(&ex, asset, to.address()), units(30));
    assert!(matches!(
        asset_error(ex.send(
            &owner,
            asset,
            IAsset::approveCall {
                spender: Address::ZERO,
                value: units(1)
            }
        )),
        IAssetErrors::ERC20InvalidSpender(_)
    ));
    ok(ex.send(
        &owner,
        asset,
        IAsset::approveCall {
            spender: spender.address(),
            value: U256::MAX,
        },
    ));
    ok(ex.send(&spender, asset, transfer_from(100)));
    assert_eq!(
        ex.view(
            asset,
            IAsset::allowanceCall {
                owner: owner.address(),
                spender: spender.address()
            }
        ),
        U256::MAX
    );
    // Allowance is enough but the balance is not.
    assert!(matches!(
        asset_error(ex.send(&spender, asset, transfer_from(21))),
        IAssetErrors::ERC20InsufficientBalance(_)
    ));
}

fn deploy(ex: &mut Executor, from: &LocalSigner, init: Vec<u8>) -> Address {
    let tx = ex.tx(from, None, init);
    ok(ex.block(&[tx]).remove(0))
        .contract_address
        .expect("deployed")
}

#[test]
fn contracts_hold_spend_and_read_assets() {
    let (mut ex, asset) = funded();
    let (owner, to) = (account(1), account(3));
    let forwarder = deploy(&mut ex, &account(0), forwarder_init_code(asset, false));
    let reader = deploy(&mut ex, &account(0), forwarder_init_code(asset, true));

    // The forwarder is the spender: the asset sees the contract as msg.sender.
    ok(ex.send(
        &owner,
        asset,
        IAsset::approveCall {
            spender: forwarder,
            value: units(10),
        },
    ));
    ok(ex.send(
        &account(2),
        forwarder,
        IAsset::transferFromCall {
            from: owner.address(),
            to: to.address(),
            value: units(10),
        },
    ));
    assert_eq!(balance(&ex, asset, to.address()), units(10));
    // A contract may hold assets and move them.
    ok(ex.send(
        &owner,
        asset,
        IAsset::transferCall {
            to: forwarder,
            value: units(5),
        },
    ));
    ok(ex.send(
        &account(2),
        forwarder,
        IAsset::transferCall {
            to: to.address(),
            value: units(5),
        },
    ));
    assert_eq!(balance(&ex, asset, forwarder), U256::ZERO);
    // A failure inside the nested call reverts the whole transaction with its error.
    assert!(matches!(
        asset_error(ex.send(&account(2), forwarder, IAsset::transferCall { to: to.address(), value: units(1) })),
        IAssetErrors::ERC20InsufficientBalance(e) if e.sender == forwarder
    ));

    // Views work under STATICCALL; a transfer does not (and changes nothing).
    let outcome = ex.call(
        owner.address(),
        reader,
        IAsset::balanceOfCall {
            account: owner.address(),
        },
    );
    assert!(outcome.success);
    assert_eq!(
        IAsset::balanceOfCall::abi_decode_returns(&outcome.output).unwrap(),
        units(135)
    );
    ok(ex.send(
        &owner,
        asset,
        IAsset::transferCall {
            to: reader,
            value: units(1),
        },
    ));
    let receipt = ex
        .send(
            &account(2),
            reader,
            IAsset::transferCall {
                to: to.address(),
                value: units(1),
            },
        )
        .unwrap();
    assert!(!receipt.success);
    assert_eq!(balance(&ex, asset, reader), units(1));
}
