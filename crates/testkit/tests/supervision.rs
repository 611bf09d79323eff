//! Regulator supervision, run as real transactions through the executor: the seven
//! acceptance scenarios of the supervision spec (committee A, B, C of weight 1,
//! `approval_pct` 66 so 2 of 3 pass, `forced_transfer_pct` 100), with exact errors.

use alloy_primitives::{Address, B256, FixedBytes, U256};
use alloy_sol_types::{SolCall, SolEvent, SolInterface as _};
use entente_execution::TxRejection;
use entente_modules::{
    ASSETS_ADDRESS, GOVERNANCE_ADDRESS, SUPERVISION_ADDRESS,
    assets::abi::{
        IAsset::{self, IAssetErrors},
        IAssets,
    },
    governance::abi::IGovernance,
    supervision::abi::{
        FreezeSpec,
        ISupervision::{self, ISupervisionErrors as Errors},
    },
};
use entente_primitives::{LocalSigner, Receipt};
use entente_storage::StateView as _;
use entente_testkit::{
    exec::Executor,
    fixtures::{account, admin, ether, forwarder_init_code, init_code_for, spec},
};
use sha2::Digest as _;

const SUP: Address = SUPERVISION_ADDRESS;

/// The committee.
fn a() -> LocalSigner {
    account(0)
}
fn b() -> LocalSigner {
    account(1)
}
fn c() -> LocalSigner {
    account(2)
}
/// The supervised account and another user.
fn x() -> LocalSigner {
    account(3)
}
fn y() -> LocalSigner {
    account(4)
}
fn escrow() -> LocalSigner {
    account(5)
}
/// Not a member.
fn d() -> LocalSigner {
    account(6)
}
fn issuer() -> LocalSigner {
    account(7)
}

fn chain() -> Executor {
    let mut s = spec(2, 8);
    for i in 0..3 {
        s.accounts[i].roles.push("regulator".into());
    }
    s.accounts[5].roles.push("escrow".into());
    s.accounts[7].roles.push("asset_issuer".into());
    Executor::new(s)
}

/// Sets a governance parameter (both organisations agree).
fn set_param(ex: &mut Executor, key: &str, value: u64) {
    ok(ex.send(
        &admin(0),
        GOVERNANCE_ADDRESS,
        IGovernance::proposeSetParamCall {
            key: key.into(),
            value: U256::from(value),
        },
    ));
    let id = ex.view(GOVERNANCE_ADDRESS, IGovernance::proposalCountCall {}) - 1;
    ok(ex.send(
        &admin(1),
        GOVERNANCE_ADDRESS,
        IGovernance::voteCall { id, agree: true },
    ));
}

fn ok(result: Result<Receipt, TxRejection>) -> Receipt {
    let receipt = result.expect("transaction admitted");
    assert!(
        receipt.success,
        "reverted: {:?}",
        Errors::abi_decode(&receipt.output)
    );
    receipt
}

fn refused(result: Result<Receipt, TxRejection>) -> Errors {
    let receipt = result.expect("transaction admitted");
    assert!(!receipt.success, "expected a revert");
    Errors::abi_decode(&receipt.output).expect("a supervision error")
}

fn asset_refused(result: Result<Receipt, TxRejection>) -> IAssetErrors {
    let receipt = result.expect("transaction admitted");
    assert!(!receipt.success, "expected a revert");
    IAssetErrors::abi_decode(&receipt.output).expect("an asset error")
}

fn events<E: SolEvent>(receipt: &Receipt) -> Vec<E> {
    receipt
        .logs
        .iter()
        .filter_map(|log| E::decode_log_data(&log.data).ok())
        .collect()
}

/// The SHA-256 of a court decision (what `legalBasis` holds).
fn court_order(text: &str) -> B256 {
    B256::from_slice(&sha2::Sha256::digest(text.as_bytes()))
}

fn spec_of(kind: u8, target: B256, direction: u8) -> FreezeSpec {
    FreezeSpec {
        kind,
        target,
        selector: FixedBytes::ZERO,
        asset: Address::ZERO,
        amount: U256::ZERO,
        direction,
        reason: 1,
        legalBasis: court_order("Court order 2026-117: freeze"),
        caseRef: B256::repeat_byte(0x11),
        expiresAt: 0,
    }
}

fn account_spec(who: Address, direction: u8) -> FreezeSpec {
    spec_of(1, who.into_word(), direction)
}

fn send<C: SolCall>(
    ex: &mut Executor,
    from: &LocalSigner,
    call: C,
) -> Result<Receipt, TxRejection> {
    ex.send(from, SUP, call)
}

/// Proposes `spec` as `a` and has `b` agree; returns the new order's id.
fn freeze(ex: &mut Executor, spec: FreezeSpec) -> u64 {
    let receipt = ok(send(ex, &a(), ISupervision::proposeFreezeCall { spec }));
    let id = ISupervision::proposeFreezeCall::abi_decode_returns(&receipt.output).unwrap();
    let receipt = ok(send(
        ex,
        &b(),
        ISupervision::voteCall {
            proposalId: id,
            agree: true,
        },
    ));
    let activated = events::<ISupervision::FreezeActivated>(&receipt);
    assert_eq!(activated.len(), 1, "the second vote activates the order");
    activated[0].orderId
}

fn lift(ex: &mut Executor, order: u64) -> Receipt {
    let receipt = ok(send(
        ex,
        &a(),
        ISupervision::proposeLiftCall { orderId: order },
    ));
    let id = ISupervision::proposeLiftCall::abi_decode_returns(&receipt.output).unwrap();
    ok(send(
        ex,
        &b(),
        ISupervision::voteCall {
            proposalId: id,
            agree: true,
        },
    ))
}

fn frozen_error(result: Result<Receipt, TxRejection>) -> u64 {
    match refused(result) {
        Errors::Frozen(e) => e.orderId,
        other => panic!("expected Frozen, got {other:?}"),
    }
}

fn balance(ex: &Executor, who: Address) -> U256 {
    ex.state().account(&who).unwrap().unwrap().balance
}

fn nonce(ex: &Executor, who: Address) -> u64 {
    ex.state().account(&who).unwrap().unwrap().nonce
}

#[test]
fn scenario_1_a_freeze_takes_effect_when_the_threshold_is_reached() {
    let mut ex = chain();
    let receipt = ok(send(
        &mut ex,
        &a(),
        ISupervision::proposeFreezeCall {
            spec: account_spec(x().address(), 3),
        },
    ));
    let proposal = ISupervision::proposeFreezeCall::abi_decode_returns(&receipt.output).unwrap();
    assert_eq!(
        events::<ISupervision::Voted>(&receipt).len(),
        1,
        "the proposer's vote counts"
    );
    // One vote of three (33 %): X still transacts.
    ok(ex.pay(&x(), y().address(), ether(1)));
    let receipt = ok(send(
        &mut ex,
        &b(),
        ISupervision::voteCall {
            proposalId: proposal,
            agree: true,
        },
    ));
    let order = events::<ISupervision::FreezeActivated>(&receipt)[0].orderId;
    let notified = events::<ISupervision::SubjectNotified>(&receipt);
    assert_eq!(notified[0].target, x().address().into_word());
    assert_eq!(
        ex.view(SUP, ISupervision::getProposalCall { id: proposal })
            .status,
        2
    );

    // X's transfer fails with a receipt naming the order; the nonce is consumed, nothing
    // else changes.
    let (before_x, before_y, nonce_x) = (
        balance(&ex, x().address()),
        balance(&ex, y().address()),
        nonce(&ex, x().address()),
    );
    assert_eq!(frozen_error(ex.pay(&x(), y().address(), ether(1))), order);
    assert_eq!(nonce(&ex, x().address()), nonce_x + 1);
    assert_eq!(balance(&ex, x().address()), before_x);
    assert_eq!(balance(&ex, y().address()), before_y);
    // Crediting X fails too.
    assert_eq!(frozen_error(ex.pay(&y(), x().address(), ether(1))), order);
    assert_eq!(balance(&ex, x().address()), before_x);
    let frozen = ex.view(
        SUP,
        ISupervision::isFrozenCall {
            kind: 1,
            target: x().address().into_word(),
            selector: FixedBytes::ZERO,
            asset: Address::ZERO,
        },
    );
    assert!(frozen.frozen);
    assert_eq!(frozen.orderId, order);

    // Outbound only: the account may receive but not send.
    freeze(&mut ex, account_spec(y().address(), 1));
    ok(ex.pay(&issuer(), y().address(), ether(1)));
    assert!(matches!(
        refused(ex.pay(&y(), issuer().address(), ether(1))),
        Errors::Frozen(_)
    ));
}

#[test]
fn scenario_2_unauthorised_and_bad_input_are_refused_by_name() {
    let mut ex = chain();
    set_param(&mut ex, "supervision.proposal_ttl_blocks", 100);
    let spec = account_spec(x().address(), 3);
    assert!(matches!(
        refused(send(
            &mut ex,
            &d(),
            ISupervision::proposeFreezeCall { spec: spec.clone() }
        )),
        Errors::Unauthorized(_)
    ));
    let receipt = ok(send(
        &mut ex,
        &a(),
        ISupervision::proposeFreezeCall { spec: spec.clone() },
    ));
    let id = ISupervision::proposeFreezeCall::abi_decode_returns(&receipt.output).unwrap();
    let created = ex.height();
    assert!(matches!(
        refused(send(&mut ex, &a(), ISupervision::voteCall { proposalId: id, agree: true })),
        Errors::AlreadyVoted(e) if e.proposalId == id && e.member == a().address()
    ));
    assert_eq!(
        refused(send(
            &mut ex,
            &c(),
            ISupervision::proposeFreezeCall { spec: spec.clone() }
        )),
        Errors::ProposalAlreadyOpen(ISupervision::ProposalAlreadyOpen { proposalId: id })
    );
    // Past its TTL the proposal takes no votes.
    ex.skip(created + 100 - ex.height());
    assert!(matches!(
        refused(send(&mut ex, &b(), ISupervision::voteCall { proposalId: id, agree: true })),
        Errors::ProposalExpired(e) if e.proposalId == id
    ));
    // A committee member and a system module cannot be frozen.
    assert!(matches!(
        refused(send(&mut ex, &a(), ISupervision::proposeFreezeCall { spec: account_spec(c().address(), 3) })),
        Errors::TargetNotFreezable(e) if e.reason.contains("regulator committee")
    ));
    assert!(matches!(
        refused(send(&mut ex, &a(), ISupervision::proposeFreezeCall { spec: spec_of(2, GOVERNANCE_ADDRESS.into_word(), 3) })),
        Errors::TargetNotFreezable(e) if e.reason.contains("system module")
    ));
    assert!(matches!(
        refused(send(&mut ex, &a(), ISupervision::proposeFreezeCall { spec: account_spec(escrow().address(), 3) })),
        Errors::TargetNotFreezable(e) if e.reason.contains("escrow")
    ));
    let mut no_basis = spec.clone();
    no_basis.legalBasis = B256::ZERO;
    assert_eq!(
        refused(send(
            &mut ex,
            &a(),
            ISupervision::proposeFreezeCall { spec: no_basis }
        )),
        Errors::MissingLegalBasis(ISupervision::MissingLegalBasis {})
    );
    for (kind, direction, reason) in [(9, 3, 1), (1, 0, 1), (1, 3, 0), (1, 3, 7)] {
        let mut bad = spec.clone();
        (bad.kind, bad.direction, bad.reason) = (kind, direction, reason);
        assert!(matches!(
            refused(send(
                &mut ex,
                &a(),
                ISupervision::proposeFreezeCall { spec: bad }
            )),
            Errors::InvalidInput(_)
        ));
    }
    // Nothing of this left an order.
    assert_eq!(ex.view(SUP, ISupervision::orderCountCall {}), 0);
}

/// Creates an asset and issues `units` to X.
fn asset_with_holding(ex: &mut Executor, units: u64) -> Address {
    let receipt = ok(ex.send(
        &issuer(),
        ASSETS_ADDRESS,
        IAssets::createAssetCall {
            name: "Kiwi points".into(),
            symbol: "KPT".into(),
            decimals: 0,
        },
    ));
    let asset = IAssets::createAssetCall::abi_decode_returns(&receipt.output).unwrap();
    ok(ex.send(
        &issuer(),
        asset,
        IAsset::issueCall {
            to: x().address(),
            value: U256::from(units),
        },
    ));
    asset
}

fn holding_spec(asset: Address, holder: Address, amount: u64) -> FreezeSpec {
    let mut spec = spec_of(4, holder.into_word(), 1);
    spec.asset = asset;
    spec.amount = U256::from(amount);
    spec
}

#[test]
fn scenario_3_a_partial_holding_freeze_and_a_forced_transfer_to_escrow() {
    let mut ex = chain();
    let asset = asset_with_holding(&mut ex, 150);
    let order = freeze(&mut ex, holding_spec(asset, x().address(), 100));
    let units = U256::from;
    assert_eq!(
        ex.view(
            asset,
            IAsset::spendableOfCall {
                account: x().address()
            }
        ),
        units(50)
    );
    assert_eq!(
        asset_refused(ex.send(
            &x(),
            asset,
            IAsset::transferCall {
                to: y().address(),
                value: units(60)
            }
        )),
        IAssetErrors::InsufficientSpendable(IAsset::InsufficientSpendable {
            holder: x().address(),
            spendable: units(50),
            needed: units(60),
        })
    );
    ok(ex.send(
        &x(),
        asset,
        IAsset::transferCall {
            to: y().address(),
            value: units(50),
        },
    ));
    assert_eq!(
        ex.view(
            asset,
            IAsset::balanceOfCall {
                account: x().address()
            }
        ),
        units(100)
    );
    assert_eq!(
        ex.view(
            SUP,
            ISupervision::frozenAmountCall {
                asset,
                holder: x().address()
            }
        ),
        units(100)
    );

    // 100 % of the committee is needed: two votes leave it open.
    let receipt = ok(send(
        &mut ex,
        &a(),
        ISupervision::proposeForcedTransferCall {
            orderId: order,
            escrow: escrow().address(),
            amount: units(100),
        },
    ));
    let id = ISupervision::proposeForcedTransferCall::abi_decode_returns(&receipt.output).unwrap();
    ok(send(
        &mut ex,
        &b(),
        ISupervision::voteCall {
            proposalId: id,
            agree: true,
        },
    ));
    assert_eq!(ex.view(SUP, ISupervision::getProposalCall { id }).status, 1);
    assert_eq!(
        ex.view(
            asset,
            IAsset::balanceOfCall {
                account: x().address()
            }
        ),
        units(100)
    );
    let receipt = ok(send(
        &mut ex,
        &c(),
        ISupervision::voteCall {
            proposalId: id,
            agree: true,
        },
    ));
    // The asset's own Transfer event, from the asset's address, and the audit event.
    let transfer = receipt
        .logs
        .iter()
        .find(|l| l.address == asset)
        .expect("a Transfer log from the asset");
    let transfer = IAsset::Transfer::decode_log_data(&transfer.data).unwrap();
    assert_eq!(
        (transfer.from, transfer.to, transfer.value),
        (x().address(), escrow().address(), units(100))
    );
    assert_eq!(
        events::<ISupervision::ForcedTransfer>(&receipt)[0].amount,
        units(100)
    );
    assert_eq!(
        ex.view(
            asset,
            IAsset::balanceOfCall {
                account: x().address()
            }
        ),
        U256::ZERO
    );
    assert_eq!(
        ex.view(
            asset,
            IAsset::balanceOfCall {
                account: escrow().address()
            }
        ),
        units(100)
    );
    assert_eq!(
        ex.view(
            SUP,
            ISupervision::frozenAmountCall {
                asset,
                holder: x().address()
            }
        ),
        U256::ZERO
    );
    let order_now = ex.view(SUP, ISupervision::getOrderCall { id: order });
    assert_eq!(
        (order_now.status, order_now.consumed, order_now.active),
        (2, units(100), false)
    );
    assert_eq!(ex.view(asset, IAsset::totalSupplyCall {}), units(150));

    // A forced transfer needs a holding order behind it.
    let account_order = freeze(&mut ex, account_spec(y().address(), 3));
    assert!(matches!(
        refused(send(
            &mut ex,
            &a(),
            ISupervision::proposeForcedTransferCall {
                orderId: account_order,
                escrow: escrow().address(),
                amount: units(1),
            }
        )),
        Errors::NoCoveringOrder(_)
    ));
    // And an escrow account to receive it.
    let holding = freeze(&mut ex, holding_spec(asset, issuer().address(), 0));
    assert!(matches!(
        refused(send(&mut ex, &a(), ISupervision::proposeForcedTransferCall {
            orderId: holding,
            escrow: d().address(),
            amount: units(1),
        })),
        Errors::InvalidInput(e) if e.reason.contains("escrow")
    ));
}

/// Runtime of contract P: with empty calldata it increments slot 0, otherwise it returns
/// slot 0. Deployed by init code that copies it.
fn counter_init_code() -> Vec<u8> {
    let runtime: Vec<u8> = vec![
        0x36, 0x15, 0x60, 0x10, 0x57, // if calldatasize == 0 goto 16
        0x60, 0x00, 0x54, 0x60, 0x00, 0x52, // mstore(0, sload(0))
        0x60, 0x20, 0x60, 0x00, 0xf3, // return(0, 32)
        0x5b, 0x60, 0x00, 0x54, 0x60, 0x01, 0x01, 0x60, 0x00, 0x55,
        0x00, // 16: sstore(0, sload(0) + 1)
    ];
    init_code_for(&runtime)
}

fn deploy(ex: &mut Executor, init: Vec<u8>) -> Address {
    let tx = ex.tx(&issuer(), None, init);
    ok(ex.block(&[tx]).remove(0))
        .contract_address
        .expect("deployed")
}

fn raw(
    ex: &mut Executor,
    from: &LocalSigner,
    to: Address,
    input: Vec<u8>,
) -> Result<Receipt, TxRejection> {
    let tx = ex.tx(from, Some(to), input);
    ex.block(&[tx]).remove(0)
}

fn counter(ex: &Executor, p: Address) -> U256 {
    let outcome = ex.call(Address::ZERO, p, IAsset::totalSupplyCall {});
    U256::from_be_slice(&outcome.output)
}

#[test]
fn scenario_4_a_frozen_contract_cannot_be_entered_at_any_depth_but_views_work() {
    let mut ex = chain();
    let p = deploy(&mut ex, counter_init_code());
    let q = deploy(&mut ex, forwarder_init_code(p, false));
    let r = deploy(&mut ex, forwarder_init_code(p, true));
    ok(raw(&mut ex, &y(), p, vec![]));
    ok(raw(&mut ex, &y(), q, vec![]));
    assert_eq!(counter(&ex, p), U256::from(2));

    let order = freeze(&mut ex, spec_of(2, p.into_word(), 3));
    let contract_frozen = |errors: Errors| match errors {
        Errors::ContractFrozen(e) => e.orderId,
        other => panic!("expected ContractFrozen, got {other:?}"),
    };
    assert_eq!(
        contract_frozen(refused(raw(&mut ex, &y(), p, vec![]))),
        order
    );
    // Through Q: the whole transaction reverts with the order, though Q would carry on.
    assert_eq!(
        contract_frozen(refused(raw(&mut ex, &y(), q, vec![]))),
        order
    );
    assert_eq!(counter(&ex, p), U256::from(2));
    // A view through STATICCALL still works, inside a transaction too.
    let outcome = ex.call(y().address(), r, IAsset::totalSupplyCall {});
    assert!(outcome.success);
    assert_eq!(U256::from_be_slice(&outcome.output), U256::from(2));
    let receipt = ok(raw(&mut ex, &y(), r, vec![1]));
    assert_eq!(U256::from_be_slice(&receipt.output), U256::from(2));
    // eth_call reads it directly; eth_estimateGas of a write reports the freeze.
    assert_eq!(counter(&ex, p), U256::from(2));
    let estimate = entente_execution::estimate_gas(
        ex.state(),
        &entente_execution::BlockEnv {
            number: ex.height() + 1,
            timestamp_secs: 0,
            coinbase: Address::ZERO,
            gas_limit: 100_000_000,
            base_fee: 0,
            prevrandao: B256::ZERO,
            chain_id: entente_testkit::fixtures::CHAIN_ID,
        },
        &entente_execution::NoHashes,
        &entente_modules::EntenteModules,
        entente_execution::CallRequest {
            from: Some(y().address()),
            to: Some(p),
            ..Default::default()
        },
    );
    match estimate {
        Err(entente_execution::ExecError::Reverted { output, .. }) => {
            assert_eq!(contract_frozen(Errors::abi_decode(&output).unwrap()), order)
        }
        other => panic!("expected the freeze from the estimate, got {other:?}"),
    }

    let receipt = lift(&mut ex, order);
    assert_eq!(
        events::<ISupervision::OrderLifted>(&receipt)[0].orderId,
        order
    );
    ok(raw(&mut ex, &y(), q, vec![]));
    assert_eq!(counter(&ex, p), U256::from(3));

    // One method: the asset's `transfer` frozen, `approve` still works.
    let asset = asset_with_holding(&mut ex, 10);
    let mut method = spec_of(3, asset.into_word(), 3);
    method.selector = IAsset::transferCall::SELECTOR.into();
    let order = freeze(&mut ex, method);
    assert_eq!(
        contract_frozen(refused(ex.send(
            &x(),
            asset,
            IAsset::transferCall {
                to: y().address(),
                value: U256::from(1)
            }
        ))),
        order
    );
    ok(ex.send(
        &x(),
        asset,
        IAsset::approveCall {
            spender: y().address(),
            value: U256::from(1),
        },
    ));
}

#[test]
fn scenario_5_an_emergency_freeze_lapses_unless_ratified() {
    let mut ex = chain();
    set_param(&mut ex, "supervision.emergency_ttl_blocks", 50);
    let receipt = ok(send(
        &mut ex,
        &a(),
        ISupervision::emergencyFreezeCall {
            spec: account_spec(x().address(), 3),
        },
    ));
    let h = ex.height();
    let order = ISupervision::emergencyFreezeCall::abi_decode_returns(&receipt.output).unwrap();
    assert_eq!(
        events::<ISupervision::EmergencyFreezeActivated>(&receipt)[0].expiresAt,
        h + 50
    );
    ex.skip(h + 49 - ex.height() - 1);
    assert_eq!(frozen_error(ex.pay(&x(), y().address(), ether(1))), order); // block h+49
    assert_eq!(ex.height(), h + 49);
    ok(ex.pay(&x(), y().address(), ether(1))); // block h+50
    assert!(
        !ex.view(SUP, ISupervision::getOrderCall { id: order })
            .active
    );
    // The next order on X sweeps the lapsed one.
    let receipt = ok(send(
        &mut ex,
        &a(),
        ISupervision::emergencyFreezeCall {
            spec: account_spec(x().address(), 3),
        },
    ));
    assert_eq!(
        events::<ISupervision::OrderExpired>(&receipt)[0].orderId,
        order
    );
    assert_eq!(
        ex.view(SUP, ISupervision::getOrderCall { id: order })
            .status,
        4
    );
    let second = ISupervision::emergencyFreezeCall::abi_decode_returns(&receipt.output).unwrap();

    // Ratified 30 blocks in: an ordinary order that outlives the emergency TTL.
    ex.skip(29);
    let receipt = ok(send(
        &mut ex,
        &a(),
        ISupervision::proposeRatifyCall {
            orderId: second,
            newExpiresAt: 0,
        },
    ));
    let id = ISupervision::proposeRatifyCall::abi_decode_returns(&receipt.output).unwrap();
    let receipt = ok(send(
        &mut ex,
        &b(),
        ISupervision::voteCall {
            proposalId: id,
            agree: true,
        },
    ));
    let ratified = events::<ISupervision::OrderRatified>(&receipt)[0].newOrderId;
    ex.skip(40);
    assert_eq!(
        frozen_error(ex.pay(&x(), y().address(), ether(1))),
        ratified
    );
    let old = ex.view(SUP, ISupervision::getOrderCall { id: second });
    assert_eq!((old.status, old.emergency), (3, true));
    assert!(
        !ex.view(SUP, ISupervision::getOrderCall { id: ratified })
            .emergency
    );
    assert!(matches!(
        refused(send(
            &mut ex,
            &a(),
            ISupervision::proposeRatifyCall {
                orderId: ratified,
                newExpiresAt: 0
            }
        )),
        Errors::AlreadyOrdinary(_)
    ));

    // One regulator alone cannot lift: a lift is a committee proposal.
    let receipt = ok(send(
        &mut ex,
        &a(),
        ISupervision::proposeLiftCall { orderId: ratified },
    ));
    assert!(events::<ISupervision::OrderLifted>(&receipt).is_empty());
    assert!(
        ex.view(SUP, ISupervision::getOrderCall { id: ratified })
            .active
    );

    // The quota: three active emergency orders per regulator (the default).
    for i in 0..2 {
        ok(send(
            &mut ex,
            &c(),
            ISupervision::emergencyFreezeCall {
                spec: account_spec(account(3 + i).address(), 1),
            },
        ));
    }
    ok(send(
        &mut ex,
        &c(),
        ISupervision::emergencyFreezeCall {
            spec: account_spec(d().address(), 1),
        },
    ));
    assert!(matches!(
        refused(send(&mut ex, &c(), ISupervision::emergencyFreezeCall { spec: account_spec(issuer().address(), 1) })),
        Errors::EmergencyQuotaExceeded(e) if e.active == 3
    ));
    assert!(matches!(
        refused(send(
            &mut ex,
            &admin(0),
            ISupervision::emergencyFreezeCall {
                spec: account_spec(issuer().address(), 1)
            }
        )),
        Errors::Unauthorized(_)
    ));
}

#[test]
fn scenario_6_a_frozen_pending_transaction_cannot_be_included() {
    let mut ex = chain();
    let pending = ex.tx_with_value(&x(), Some(y().address()), vec![], ether(5));
    let order = freeze(&mut ex, spec_of(5, pending.hash, 3));
    // The transaction is refused at admission: a block containing it is invalid.
    match ex.block(std::slice::from_ref(&pending)).remove(0) {
        Err(TxRejection::Unauthorized { reason }) => {
            assert!(reason.contains(&format!("order {order}")), "{reason}")
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    let frozen = ex.view(
        SUP,
        ISupervision::isFrozenCall {
            kind: 5,
            target: pending.hash,
            selector: FixedBytes::ZERO,
            asset: Address::ZERO,
        },
    );
    assert!(frozen.frozen);
    // Lifted, the same transaction goes through.
    lift(&mut ex, order);
    ok(ex.block(std::slice::from_ref(&pending)).remove(0));

    // An order naming a committed transaction's sender and nonce is refused: freeze
    // what it produced instead. Before it commits, the same order is accepted.
    let mut committed = spec_of(5, pending.hash, 3);
    committed.asset = x().address();
    committed.amount = U256::ZERO;
    assert_eq!(
        refused(send(
            &mut ex,
            &a(),
            ISupervision::proposeFreezeCall { spec: committed }
        )),
        Errors::TxAlreadyCommitted(ISupervision::TxAlreadyCommitted {
            txHash: pending.hash
        })
    );
    let used = nonce(&ex, x().address());
    let next = entente_testkit::fixtures::transfer(&x(), used, y().address(), ether(1));
    let mut upcoming = spec_of(5, next.hash, 3);
    upcoming.asset = x().address();
    upcoming.amount = U256::from(used);
    let order = freeze(&mut ex, upcoming);
    match ex.block(std::slice::from_ref(&next)).remove(0) {
        Err(TxRejection::Unauthorized { reason }) => {
            assert!(reason.contains(&format!("order {order}")), "{reason}")
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    // A nonce without its sender is refused.
    let mut half = spec_of(5, B256::repeat_byte(9), 3);
    half.amount = U256::from(3);
    assert!(matches!(
        refused(send(
            &mut ex,
            &a(),
            ISupervision::proposeFreezeCall { spec: half }
        )),
        Errors::InvalidInput(_)
    ));
}

#[test]
fn scenario_7_orders_stack_and_the_history_is_complete() {
    let mut ex = chain();
    let basis = court_order("Court of Hangzhou, ruling (2026) Zhe 01 No. 117");
    let mut first_spec = account_spec(x().address(), 3);
    first_spec.legalBasis = basis;
    let o1 = freeze(&mut ex, first_spec);
    let o2 = freeze(&mut ex, account_spec(x().address(), 2));
    assert_eq!(
        ex.view(SUP, ISupervision::getOrderCall { id: o1 })
            .spec
            .legalBasis,
        basis
    );
    assert_eq!(
        ex.view(
            SUP,
            ISupervision::ordersOfCall {
                targetKey: x().address().into_word()
            }
        ),
        vec![o1, o2]
    );
    lift(&mut ex, o1);
    // O2 (inbound) still holds: X may send but not receive.
    ok(ex.pay(&x(), y().address(), ether(1)));
    assert_eq!(frozen_error(ex.pay(&y(), x().address(), ether(1))), o2);
    lift(&mut ex, o2);
    ok(ex.pay(&y(), x().address(), ether(1)));
    let statuses: Vec<u8> = [o1, o2]
        .iter()
        .map(|&id| ex.view(SUP, ISupervision::getOrderCall { id }).status)
        .collect();
    assert_eq!(statuses, [2, 2]);
    assert!(matches!(
        refused(send(&mut ex, &a(), ISupervision::proposeLiftCall { orderId: o1 })),
        Errors::InvalidState(e) if e.orderId == o1 && e.status == 2
    ));
}

#[test]
fn holding_freezes_block_credits_and_spenders_too() {
    let mut ex = chain();
    let asset = asset_with_holding(&mut ex, 100);
    // Inbound holding freeze on Y for this asset.
    let mut inbound = holding_spec(asset, y().address(), 0);
    inbound.direction = 2;
    let order = freeze(&mut ex, inbound);
    assert!(matches!(
        asset_refused(ex.send(&x(), asset, IAsset::transferCall { to: y().address(), value: U256::from(1) })),
        IAssetErrors::AccountFrozen(e) if e.account == y().address() && e.orderId == order
    ));
    // An outbound account freeze on X stops a spender moving X's units.
    ok(ex.send(
        &x(),
        asset,
        IAsset::approveCall {
            spender: d().address(),
            value: U256::from(10),
        },
    ));
    let on_x = freeze(&mut ex, account_spec(x().address(), 1));
    assert!(matches!(
        asset_refused(ex.send(&d(), asset, IAsset::transferFromCall {
            from: x().address(),
            to: d().address(),
            value: U256::from(5),
        })),
        IAssetErrors::AccountFrozen(e) if e.account == x().address() && e.orderId == on_x
    ));
}

/// Scenario 7's audit property: replaying the supervision events from genesis gives
/// `isFrozen(X)` after every block, as the module answers it.
#[test]
fn replaying_the_events_reproduces_is_frozen_after_every_block() {
    use std::collections::BTreeSet;
    let mut ex = chain();
    set_param(&mut ex, "supervision.emergency_ttl_blocks", 6);
    let target = x().address().into_word();
    let mut active: BTreeSet<u64> = BTreeSet::new();
    let mut expiries: Vec<(u64, u64)> = Vec::new();
    let mut check = |ex: &Executor, receipt: Option<&Receipt>| {
        for log in receipt.map(|r| r.logs.as_slice()).unwrap_or_default() {
            if log.address != SUP {
                continue;
            }
            if let Ok(e) = ISupervision::FreezeActivated::decode_log_data(&log.data) {
                active.insert(e.orderId);
            } else if let Ok(e) = ISupervision::EmergencyFreezeActivated::decode_log_data(&log.data)
            {
                active.insert(e.orderId);
                expiries.push((e.orderId, e.expiresAt));
            } else if let Ok(e) = ISupervision::OrderLifted::decode_log_data(&log.data) {
                active.remove(&e.orderId);
            } else if let Ok(e) = ISupervision::OrderRatified::decode_log_data(&log.data) {
                active.remove(&e.orderId);
                active.insert(e.newOrderId);
            }
        }
        // Lapse is a pure function of the height recorded in the activation event.
        let next = ex.height() + 1;
        let replayed: Vec<u64> = active
            .iter()
            .copied()
            .filter(|id| !expiries.iter().any(|&(e, at)| e == *id && next >= at))
            .collect();
        let answer = ex.view(
            SUP,
            ISupervision::isFrozenCall {
                kind: 1,
                target,
                selector: FixedBytes::ZERO,
                asset: Address::ZERO,
            },
        );
        assert_eq!(
            answer.frozen,
            !replayed.is_empty(),
            "at block {next}: {replayed:?}"
        );
        if answer.frozen {
            assert_eq!(answer.orderId, replayed[0], "at block {next}");
        }
    };
    let steps: Vec<(LocalSigner, Vec<u8>)> = vec![
        (
            a(),
            ISupervision::proposeFreezeCall {
                spec: account_spec(x().address(), 3),
            }
            .abi_encode(),
        ),
        (
            b(),
            ISupervision::voteCall {
                proposalId: 1,
                agree: true,
            }
            .abi_encode(),
        ),
        (
            c(),
            ISupervision::emergencyFreezeCall {
                spec: account_spec(x().address(), 1),
            }
            .abi_encode(),
        ),
        (
            a(),
            ISupervision::proposeLiftCall { orderId: 1 }.abi_encode(),
        ),
        (
            c(),
            ISupervision::voteCall {
                proposalId: 2,
                agree: true,
            }
            .abi_encode(),
        ),
        (
            a(),
            ISupervision::emergencyFreezeCall {
                spec: account_spec(x().address(), 2),
            }
            .abi_encode(),
        ),
        (
            b(),
            ISupervision::proposeRatifyCall {
                orderId: 3,
                newExpiresAt: 0,
            }
            .abi_encode(),
        ),
        (
            c(),
            ISupervision::voteCall {
                proposalId: 3,
                agree: true,
            }
            .abi_encode(),
        ),
    ];
    for (signer, input) in steps {
        let tx = ex.tx(&signer, Some(SUP), input);
        let receipt = ok(ex.block(&[tx]).remove(0));
        check(&ex, Some(&receipt));
        ex.skip(1);
        check(&ex, None);
    }
    // The ratified order outlives its emergency TTL; the first emergency order lapsed.
    ex.skip(8);
    check(&ex, None);
    assert!(
        ex.view(
            SUP,
            ISupervision::isFrozenCall {
                kind: 1,
                target,
                selector: FixedBytes::ZERO,
                asset: Address::ZERO,
            }
        )
        .frozen
    );
}
