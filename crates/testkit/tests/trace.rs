//! Product traceability and anti-counterfeiting, run as real transactions through the
//! executor: the acceptance scenarios of the trace spec (`modules.md` §2.3), with exact
//! errors.
//!
//! 1. Happy path, cross-border: commission → inspect → pack → ship → receive → customs
//!    declare and clear (pallet) → unpack → ship → receive → sell → verify, with the
//!    item's view and its events checked at every step.
//! 2. Clone detection: a second verification of a consumed secret, wrong secrets and
//!    the probing flag.
//! 3. Unauthorised actors.
//! 4. Bad inputs, and refused transactions change nothing.
//! 5. The customs gate on selling cross-border items.
//! 6. Recall, and items packed in a pallet move only with it.
//! 7. Bulk: 10,000 items in 10 transactions; a pallet of 1,000 shipped in one.
//!
//! Every role sits in its own organisation (one per validator); `org2`, the producer,
//! also has an inspector, for the conflict-of-interest rule.

use alloy_consensus::TxEip1559;
use alloy_primitives::{Address, B256, Bytes, FixedBytes, TxKind, keccak256};
use alloy_sol_types::{SolCall, SolEvent as _, SolInterface as _};
use entente_execution::TxRejection;
use entente_modules::{
    TRACE_ADDRESS,
    governance::state::OrgId,
    trace::{
        abi::{
            Epc, EventInfo,
            ITrace::{self, ITraceErrors as Errors},
            ItemView, LotView, PalletView, Verification,
        },
        logic::gs1_check_digit,
        state::{self, item_key, lot_key, pallet_key, step},
    },
};
use entente_primitives::{LocalSigner, Receipt};
use entente_testkit::{
    exec::Executor,
    fixtures::{account, spec},
};

const TRACE: Address = TRACE_ADDRESS;
/// The brand's GS1 company prefix.
const PREFIX: &str = "614141";

// -------------------------------------------------------------------------------------
// The cast: (account, organisation, roles). Account 0 is the regulator, in `org0`.

const CAST: [(usize, usize, &[&str]); 12] = [
    (1, 1, &["brand_owner"]),
    (2, 2, &["producer"]),
    (3, 3, &["inspector"]),
    (4, 4, &["carrier"]),
    (5, 5, &["forwarder"]),
    (6, 6, &["customs_broker"]),
    (7, 7, &["customs_authority"]),
    (8, 8, &["retailer"]),
    (9, 9, &["retailer"]),
    (10, 10, &["verification_gateway"]),
    (11, 2, &["inspector"]),
    (12, 11, &["brand_owner", "producer"]),
];

fn regulator() -> LocalSigner {
    account(0)
}
fn brand() -> LocalSigner {
    account(1)
}
fn producer() -> LocalSigner {
    account(2)
}
fn inspector() -> LocalSigner {
    account(3)
}
fn carrier() -> LocalSigner {
    account(4)
}
fn forwarder() -> LocalSigner {
    account(5)
}
fn broker() -> LocalSigner {
    account(6)
}
fn customs() -> LocalSigner {
    account(7)
}
fn retailer() -> LocalSigner {
    account(8)
}
/// A retailer nothing is shipped to.
fn other_retailer() -> LocalSigner {
    account(9)
}
fn gateway() -> LocalSigner {
    account(10)
}
/// An inspector of the producer's own organisation.
fn producer_inspector() -> LocalSigner {
    account(11)
}
/// Another brand's owner and producer, with no rights over the brand's products.
fn rogue() -> LocalSigner {
    account(12)
}

/// Organisation `org{i}` as the chain names it.
fn org(i: usize) -> B256 {
    OrgId::from_text(&format!("org{i}")).unwrap().0
}
const BRAND: usize = 1;
const PRODUCER: usize = 2;
const INSPECTOR: usize = 3;
const FORWARDER: usize = 5;
const BROKER: usize = 6;
const CUSTOMS: usize = 7;
const RETAILER: usize = 8;

/// A chain with the cast registered; nothing of the trace module set up.
fn chain() -> Executor {
    let mut s = spec(12, 13);
    s.accounts[0].roles.push("regulator".into());
    for (i, o, roles) in CAST {
        s.accounts[i].org = format!("org{o}");
        s.accounts[i]
            .roles
            .extend(roles.iter().map(|r| r.to_string()));
    }
    Executor::new(s)
}

/// [`chain`] with the brand's prefix, its product [`gtin`] and the producer authorised.
fn setup() -> Executor {
    let mut ex = chain();
    ok(ex.send(
        &regulator(),
        TRACE,
        ITrace::registerPrefixCall {
            prefix: PREFIX.into(),
            org: org(BRAND),
        },
    ));
    assert_eq!(
        ex.view(
            TRACE,
            ITrace::prefixOwnerCall {
                prefix: PREFIX.into()
            }
        ),
        org(BRAND)
    );
    ok(ex.send(
        &brand(),
        TRACE,
        ITrace::registerProductCall {
            gtin: gtin(),
            name: "Baijiu 53% 500 ml".into(),
            attrsHash: B256::repeat_byte(0xa7),
        },
    ));
    ok(ex.send(
        &brand(),
        TRACE,
        ITrace::authorizeProducerCall {
            gtin: gtin(),
            org: org(PRODUCER),
            allowed: true,
        },
    ));
    let product = ex.view(TRACE, ITrace::productCall { gtin: gtin() });
    assert_eq!(product.brandOrg, org(BRAND));
    ex
}

// -------------------------------------------------------------------------------------
// Identifiers.

/// A GTIN-14 under [`PREFIX`]: indicator 0, the prefix, a 6-digit item reference and
/// its check digit.
fn gtin_of(item_ref: &str) -> String {
    let body = format!("0{PREFIX}{item_ref}");
    assert_eq!(body.len(), 13);
    format!("{body}{}", gs1_check_digit(body.as_bytes()))
}

/// The product most tests use.
fn gtin() -> String {
    gtin_of("000123")
}

/// An SSCC under [`PREFIX`]: extension 0, the prefix, a 10-digit serial and its check
/// digit.
fn sscc(n: u64) -> String {
    let body = format!("0{PREFIX}{n:010}");
    format!("{body}{}", gs1_check_digit(body.as_bytes()))
}

/// The one-time secret printed under an item's scratch layer.
fn secret(serial: &str) -> [u8; 16] {
    keccak256(format!("secret/{serial}")).0[..16]
        .try_into()
        .unwrap()
}

fn key(serial: &str) -> B256 {
    item_key(&gtin(), serial)
}

fn epcs(serials: &[&str]) -> Vec<Epc> {
    serials
        .iter()
        .map(|serial| Epc {
            gtin: gtin(),
            serial: (*serial).into(),
        })
        .collect()
}

fn strings(serials: &[&str]) -> Vec<String> {
    serials.iter().map(|s| (*s).into()).collect()
}

// -------------------------------------------------------------------------------------
// Time and events.

/// The time of the next block (the executor's block time is `1000 + height`).
fn now(ex: &Executor) -> u64 {
    1_000 + ex.height()
}

/// A public event at `time`, in Shanghai.
fn info(time: u64) -> EventInfo {
    EventInfo {
        eventTime: time,
        timeZoneOffset: 480,
        readPoint: "urn:epc:id:sgln:6141410.00001.0".into(),
        bizTransaction: B256::repeat_byte(0xb1),
        payloadHash: B256::ZERO,
        entitlement: 4,
    }
}

/// A public event at the next block's time.
fn info_now(ex: &Executor) -> EventInfo {
    info(now(ex))
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
    assert!(receipt.logs.is_empty(), "a refused call emits nothing");
    Errors::abi_decode(&receipt.output).expect("a trace error")
}

/// The trace module's `TraceEvent`s in a receipt.
fn events(receipt: &Receipt) -> Vec<ITrace::TraceEvent> {
    receipt
        .logs
        .iter()
        .filter(|log| log.address == TRACE)
        .filter_map(|log| ITrace::TraceEvent::decode_log_data(&log.data).ok())
        .collect()
}

/// Checks that `receipt` records one `bizStep` event per subject, in order, all with one
/// event id, by `by`, referring to `reference`; returns them.
fn step_events(
    receipt: &Receipt,
    subjects: &[B256],
    biz_step: u8,
    by: B256,
    reference: B256,
) -> Vec<ITrace::TraceEvent> {
    let found = events(receipt);
    assert_eq!(
        found.iter().map(|e| e.subject).collect::<Vec<_>>(),
        subjects,
        "subjects of step {biz_step}"
    );
    for event in &found {
        assert_eq!(event.bizStep, biz_step);
        assert_eq!(event.org, by);
        assert_eq!(event.r#ref, reference);
        assert_eq!(event.eventId, found[0].eventId);
        assert_eq!(event.entitlement, 4);
    }
    found
}

// -------------------------------------------------------------------------------------
// Calls.

fn item(ex: &Executor, serial: &str) -> ItemView {
    ex.view(
        TRACE,
        ITrace::itemCall {
            gtin: gtin(),
            serial: serial.into(),
        },
    )
}

fn lot(ex: &Executor, lot: &str) -> LotView {
    ex.view(
        TRACE,
        ITrace::lotCall {
            gtin: gtin(),
            lot: lot.into(),
        },
    )
}

fn pallet(ex: &Executor, sscc: &str) -> PalletView {
    ex.view(TRACE, ITrace::palletCall { sscc: sscc.into() })
}

/// A view that must revert; its error.
fn view_refused<C: SolCall>(ex: &Executor, call: C) -> Errors {
    let outcome = ex.call(Address::ZERO, TRACE, call);
    assert!(!outcome.success, "expected the view to revert");
    Errors::abi_decode(&outcome.output).expect("a trace error")
}

fn create_lot(ex: &mut Executor, name: &str, cross_border: bool) -> Receipt {
    let produced_at = now(ex) - 600;
    ok(ex.send(
        &producer(),
        TRACE,
        ITrace::createLotCall {
            gtin: gtin(),
            lot: name.into(),
            originCountry: FixedBytes(*b"CN"),
            producedAt: produced_at,
            crossBorder: cross_border,
            ilmdHash: B256::repeat_byte(0x1d),
        },
    ))
}

fn commission_call(lot: &str, serials: &[&str], info: EventInfo) -> ITrace::commissionCall {
    ITrace::commissionCall {
        gtin: gtin(),
        lot: lot.into(),
        serials: strings(serials),
        authCommits: serials
            .iter()
            .map(|s| state::auth_commit(&gtin(), s, &secret(s)))
            .collect(),
        info,
    }
}

fn commission(ex: &mut Executor, lot: &str, serials: &[&str]) -> Receipt {
    let call = commission_call(lot, serials, info_now(ex));
    ok(ex.send(&producer(), TRACE, call))
}

fn ship_call(items: &[&str], ssccs: &[&str], to: usize, info: EventInfo) -> ITrace::shipCall {
    ITrace::shipCall {
        items: epcs(items),
        ssccs: strings(ssccs),
        to: org(to),
        info,
    }
}

fn ship(
    ex: &mut Executor,
    from: &LocalSigner,
    items: &[&str],
    ssccs: &[&str],
    to: usize,
) -> Result<Receipt, TxRejection> {
    let call = ship_call(items, ssccs, to, info_now(ex));
    ex.send(from, TRACE, call)
}

fn receive(
    ex: &mut Executor,
    by: &LocalSigner,
    items: &[&str],
    ssccs: &[&str],
) -> Result<Receipt, TxRejection> {
    let call = ITrace::receiveCall {
        items: epcs(items),
        ssccs: strings(ssccs),
        info: info_now(ex),
    };
    ex.send(by, TRACE, call)
}

fn pack(ex: &mut Executor, by: &LocalSigner, sscc: &str, items: &[&str]) -> Receipt {
    let call = ITrace::packCall {
        sscc: sscc.into(),
        items: epcs(items),
        info: info_now(ex),
    };
    ok(ex.send(by, TRACE, call))
}

/// Customs declaration (`clear` false, by `by`) or clearance (`clear` true).
fn customs_call(
    ex: &mut Executor,
    by: &LocalSigner,
    items: &[&str],
    ssccs: &[&str],
    clear: bool,
) -> Result<Receipt, TxRejection> {
    let (items, ssccs, declaration, info) = (
        epcs(items),
        strings(ssccs),
        B256::repeat_byte(0xdc),
        info_now(ex),
    );
    if clear {
        let call = ITrace::customsClearCall {
            items,
            ssccs,
            declaration,
            info,
        };
        ex.send(by, TRACE, call)
    } else {
        let call = ITrace::customsDeclareCall {
            items,
            ssccs,
            declaration,
            info,
        };
        ex.send(by, TRACE, call)
    }
}

fn sell(ex: &mut Executor, by: &LocalSigner, items: &[&str]) -> Result<Receipt, TxRejection> {
    let call = ITrace::sellCall {
        items: epcs(items),
        info: info_now(ex),
    };
    ex.send(by, TRACE, call)
}

fn verify_with(
    ex: &mut Executor,
    by: &LocalSigner,
    serial: &str,
    secret: [u8; 16],
    cell: &str,
) -> Result<Receipt, TxRejection> {
    let call = ITrace::verifyCall {
        gtin: gtin(),
        serial: serial.into(),
        secret: FixedBytes(secret),
        cell: cell.into(),
        deviceHash: B256::repeat_byte(0xde),
    };
    ex.send(by, TRACE, call)
}

/// A gateway's verification of `secret`; its result.
fn verify(ex: &mut Executor, serial: &str, secret: [u8; 16], cell: &str) -> Verification {
    let receipt = ok(verify_with(ex, &gateway(), serial, secret, cell));
    ITrace::verifyCall::abi_decode_returns(&receipt.output).unwrap()
}

/// A new lot whose `serials` the producer commissions and ships to the retailer, who
/// receives them.
fn at_retailer(ex: &mut Executor, name: &str, cross_border: bool, serials: &[&str]) {
    create_lot(ex, name, cross_border);
    commission(ex, name, serials);
    ok(ship(ex, &producer(), serials, &[], RETAILER));
    ok(receive(ex, &retailer(), serials, &[]));
}

/// Signs `call` from `from` with the whole block's gas (bulk calls need more than the
/// executor's 5,000,000), with the nonce the executor hands out next.
fn send_big<C: SolCall>(ex: &mut Executor, from: &LocalSigner, call: C) -> Receipt {
    let nonce = ex.tx(from, Some(TRACE), Vec::new()).nonce();
    let tx = from
        .sign(TxEip1559 {
            chain_id: ex.spec.chain_id,
            nonce,
            gas_limit: ex.spec.gas.block_gas_limit,
            max_fee_per_gas: 0,
            max_priority_fee_per_gas: 0,
            to: TxKind::Call(TRACE),
            value: Default::default(),
            access_list: Default::default(),
            input: Bytes::from(call.abi_encode()),
        })
        .expect("test keys sign");
    ok(ex.block(&[tx]).remove(0))
}

// -------------------------------------------------------------------------------------
// 1. Happy path, cross-border.

#[test]
fn happy_path_cross_border() {
    let mut ex = setup();
    let (s1, s2, pallet_id) = ("S1", "S2", sscc(1));
    let (k1, k2, lk, pk) = (
        key(s1),
        key(s2),
        lot_key(&gtin(), "L1"),
        pallet_key(&pallet_id),
    );
    // Every event about S1: its own, its lot's and its pallet's.
    let mut journey = Vec::new();

    create_lot(&mut ex, "L1", true);
    let receipt = commission(&mut ex, "L1", &[s1, s2]);
    journey.extend(step_events(
        &receipt,
        &[k1, k2],
        step::COMMISSIONING,
        org(PRODUCER),
        lk,
    ));
    let view = item(&ex, s1);
    assert_eq!(view.state, state::ITEM_COMMISSIONED);
    assert_eq!(view.owner, org(PRODUCER));
    assert_eq!(view.custodian, org(PRODUCER));
    assert_eq!(view.lot, "L1");
    assert!(view.crossBorder);
    assert_eq!(view.codeStatus, state::CODE_ACTIVE);
    assert_eq!(lot(&ex, "L1").items, 2);

    // A third-party inspection of the whole lot.
    let certificate = B256::repeat_byte(0xce);
    let call = ITrace::inspectCall {
        gtin: gtin(),
        lot: "L1".into(),
        serials: vec![],
        pass: true,
        certificateHash: certificate,
        info: info_now(&ex),
    };
    let receipt = ok(ex.send(&inspector(), TRACE, call));
    let found = step_events(
        &receipt,
        &[lk],
        step::INSPECTING,
        org(INSPECTOR),
        certificate,
    );
    assert_eq!(found[0].result, 1);
    journey.extend(found);
    assert!(!lot(&ex, "L1").held);

    let receipt = pack(&mut ex, &producer(), &pallet_id, &[s1, s2]);
    journey.extend(step_events(
        &receipt,
        &[k1, k2, pk],
        step::PACKING,
        org(PRODUCER),
        pk,
    ));
    let view = item(&ex, s1);
    assert_eq!(view.container, pallet_id);
    assert_eq!(view.state, state::ITEM_COMMISSIONED);
    assert_eq!(pallet(&ex, &pallet_id).items, vec![k1, k2]);

    let receipt = ok(ship(&mut ex, &producer(), &[], &[&pallet_id], FORWARDER));
    journey.extend(step_events(
        &receipt,
        &[pk],
        step::SHIPPING,
        org(PRODUCER),
        org(FORWARDER),
    ));
    let view = item(&ex, s1);
    assert_eq!(view.state, state::ITEM_IN_TRANSIT);
    assert_eq!(view.recipient, org(FORWARDER));
    assert_eq!(view.custodian, org(PRODUCER));
    assert_eq!(pallet(&ex, &pallet_id).state, state::PALLET_IN_TRANSIT);

    let receipt = ok(receive(&mut ex, &forwarder(), &[], &[&pallet_id]));
    journey.extend(step_events(
        &receipt,
        &[pk],
        step::RECEIVING,
        org(FORWARDER),
        B256::ZERO,
    ));
    let view = item(&ex, s1);
    assert_eq!(view.state, state::ITEM_IN_STOCK);
    assert_eq!(view.custodian, org(FORWARDER));
    assert_eq!(view.recipient, B256::ZERO);
    assert_eq!(view.container, pallet_id);

    let declaration = B256::repeat_byte(0xdc);
    let receipt = ok(customs_call(&mut ex, &broker(), &[], &[&pallet_id], false));
    journey.extend(step_events(
        &receipt,
        &[pk],
        step::CUSTOMS_DECLARED,
        org(BROKER),
        declaration,
    ));
    let view = item(&ex, s1);
    assert!(view.customsDeclared && !view.customsCleared);

    let receipt = ok(customs_call(&mut ex, &customs(), &[], &[&pallet_id], true));
    journey.extend(step_events(
        &receipt,
        &[pk],
        step::CUSTOMS_CLEARED,
        org(CUSTOMS),
        declaration,
    ));
    assert!(item(&ex, s1).customsCleared);

    let call = ITrace::unpackCall {
        sscc: pallet_id.clone(),
        info: info_now(&ex),
    };
    let receipt = ok(ex.send(&forwarder(), TRACE, call));
    journey.extend(step_events(
        &receipt,
        &[k1, k2, pk],
        step::UNPACKING,
        org(FORWARDER),
        pk,
    ));
    let view = item(&ex, s1);
    assert_eq!(view.container, "");
    assert_eq!(view.state, state::ITEM_IN_STOCK);
    assert_eq!(view.custodian, org(FORWARDER));
    assert!(view.customsDeclared && view.customsCleared);
    assert!(pallet(&ex, &pallet_id).items.is_empty());

    let receipt = ok(ship(&mut ex, &forwarder(), &[s1, s2], &[], RETAILER));
    journey.extend(step_events(
        &receipt,
        &[k1, k2],
        step::SHIPPING,
        org(FORWARDER),
        org(RETAILER),
    ));
    let view = item(&ex, s2);
    assert_eq!(view.state, state::ITEM_IN_TRANSIT);
    assert_eq!(view.recipient, org(RETAILER));
    assert_eq!(view.custodian, org(FORWARDER));

    let receipt = ok(receive(&mut ex, &retailer(), &[s1, s2], &[]));
    journey.extend(step_events(
        &receipt,
        &[k1, k2],
        step::RECEIVING,
        org(RETAILER),
        B256::ZERO,
    ));
    let view = item(&ex, s1);
    assert_eq!(view.state, state::ITEM_IN_STOCK);
    assert_eq!(view.custodian, org(RETAILER));
    assert_eq!(view.owner, org(PRODUCER));

    let sold_at = now(&ex);
    let receipt = ok(sell(&mut ex, &retailer(), &[s1]));
    journey.extend(step_events(
        &receipt,
        &[k1],
        step::RETAIL_SELLING,
        org(RETAILER),
        B256::ZERO,
    ));
    let view = item(&ex, s1);
    assert_eq!(view.state, state::ITEM_SOLD);
    assert_eq!(view.lastEventTime, sold_at);
    assert_eq!(item(&ex, s2).state, state::ITEM_IN_STOCK);

    // The consumer scans the QR code and scratches off the secret.
    let verified_at = now(&ex);
    let receipt = ok(verify_with(&mut ex, &gateway(), s1, secret(s1), "wtw3sj"));
    let result = ITrace::verifyCall::abi_decode_returns(&receipt.output).unwrap();
    assert_eq!(result.outcome, state::OUTCOME_GENUINE);
    assert!(result.soldThroughAuthorizedChannel);
    assert!(!result.recalled);
    assert_eq!(result.firstVerifiedAt, verified_at);
    assert_eq!(result.firstVerifiedCell, "wtw3sj");
    assert_eq!(result.verifyCount, 1);
    assert_eq!(result.flags, 0);
    let verified: Vec<ITrace::Verified> = receipt
        .logs
        .iter()
        .filter_map(|log| ITrace::Verified::decode_log_data(&log.data).ok())
        .collect();
    assert_eq!(verified.len(), 1);
    assert_eq!((verified[0].item, verified[0].outcome), (k1, 1));
    let view = item(&ex, s1);
    assert_eq!(view.codeStatus, state::CODE_CONSUMED);
    assert_eq!(view.firstVerifiedCell, "wtw3sj");

    // The journey of S1: every step, in time order.
    let steps: Vec<(B256, u8)> = journey
        .iter()
        .filter(|e| [k1, lk, pk].contains(&e.subject))
        .map(|e| (e.subject, e.bizStep))
        .collect();
    assert_eq!(
        steps,
        [
            (k1, step::COMMISSIONING),
            (lk, step::INSPECTING),
            (k1, step::PACKING),
            (pk, step::PACKING),
            (pk, step::SHIPPING),
            (pk, step::RECEIVING),
            (pk, step::CUSTOMS_DECLARED),
            (pk, step::CUSTOMS_CLEARED),
            (k1, step::UNPACKING),
            (pk, step::UNPACKING),
            (k1, step::SHIPPING),
            (k1, step::RECEIVING),
            (k1, step::RETAIL_SELLING),
        ]
    );
    assert!(journey.windows(2).all(|w| w[0].eventTime <= w[1].eventTime));
}

// -------------------------------------------------------------------------------------
// 2. Clone detection.

#[test]
fn clone_detection_and_probing() {
    let mut ex = setup();
    at_retailer(&mut ex, "L2", false, &["C1", "C2"]);
    ok(sell(&mut ex, &retailer(), &["C1", "C2"]));

    let first_at = now(&ex);
    let first = verify(&mut ex, "C1", secret("C1"), "wx4g0b");
    assert_eq!(first.outcome, state::OUTCOME_GENUINE);
    assert!(first.soldThroughAuthorizedChannel);

    // The same secret, from a refilled bottle elsewhere.
    ex.skip(5);
    let second = verify(&mut ex, "C1", secret("C1"), "ws0e9d");
    assert_eq!(second.outcome, state::OUTCOME_ALREADY_VERIFIED);
    assert_eq!(second.firstVerifiedAt, first_at);
    assert_eq!(second.firstVerifiedCell, "wx4g0b");
    assert_eq!(second.verifyCount, 2);
    assert_ne!(second.flags & state::FLAG_SUSPECT_CLONE, 0);
    let view = item(&ex, "C1");
    assert_ne!(view.flags & state::FLAG_SUSPECT_CLONE, 0);
    assert_eq!(view.codeStatus, state::CODE_CONSUMED);
    assert_eq!(view.firstVerifiedAt, first_at);

    // A wrong secret on a consumed code leaves it consumed.
    let wrong = verify(&mut ex, "C1", [0x55; 16], "ws0e9d");
    assert_eq!(wrong.outcome, state::OUTCOME_INVALID_CODE);
    assert_eq!(item(&ex, "C1").codeStatus, state::CODE_CONSUMED);

    // Wrong secrets on an active code: counted, the code stays active, and the sixth
    // (beyond the threshold of 5) flags probing.
    for attempt in 1..=6u32 {
        let result = verify(&mut ex, "C2", [attempt as u8; 16], "wx4g0b");
        assert_eq!(result.outcome, state::OUTCOME_INVALID_CODE);
        assert_eq!(result.badAttempts, attempt);
        let view = item(&ex, "C2");
        assert_eq!(view.codeStatus, state::CODE_ACTIVE);
        assert_eq!(view.badAttempts, attempt);
        assert_eq!(view.verifyCount, 0);
        assert_eq!(
            view.flags & state::FLAG_PROBING != 0,
            attempt == 6,
            "probing flag after attempt {attempt}"
        );
        assert_eq!(view.flags & state::FLAG_SUSPECT_CLONE, 0);
    }
    // The genuine secret still works the first time.
    let genuine = verify(&mut ex, "C2", secret("C2"), "wx4g0b");
    assert_eq!(genuine.outcome, state::OUTCOME_GENUINE);
    assert_eq!(genuine.badAttempts, 6);

    // Only gateways verify; unknown serials are not registered products.
    let err = refused(verify_with(
        &mut ex,
        &retailer(),
        "C1",
        secret("C1"),
        "wx4g0b",
    ));
    assert!(
        matches!(&err, Errors::Unauthorized(e) if e.caller == retailer().address()),
        "{err:?}"
    );
    let err = refused(verify_with(
        &mut ex,
        &gateway(),
        "C9",
        secret("C9"),
        "wx4g0b",
    ));
    assert!(
        matches!(&err, Errors::NotFound(e) if e.what.contains("C9")),
        "{err:?}"
    );
}

// -------------------------------------------------------------------------------------
// 3. Unauthorised actors.

#[test]
fn unauthorised_actors_are_refused() {
    let mut ex = setup();
    create_lot(&mut ex, "L3", true);
    commission(&mut ex, "L3", &["U1", "U2"]);

    // The carrier does not hold U1.
    let err = refused(ship(&mut ex, &carrier(), &["U1"], &[], FORWARDER));
    assert!(
        matches!(&err, Errors::Unauthorized(e) if e.caller == carrier().address()),
        "{err:?}"
    );
    assert_eq!(item(&ex, "U1").state, state::ITEM_COMMISSIONED);

    // U1 goes to the retailer; another retailer may not take it.
    ok(ship(&mut ex, &producer(), &["U1"], &[], RETAILER));
    let err = refused(receive(&mut ex, &other_retailer(), &["U1"], &[]));
    assert!(
        matches!(&err, Errors::WrongRecipient(e)
            if e.subject == key("U1") && e.recipient == org(RETAILER)),
        "{err:?}"
    );
    assert_eq!(item(&ex, "U1").recipient, org(RETAILER));

    // Only the customs authority clears.
    ok(customs_call(&mut ex, &broker(), &["U1"], &[], false));
    let err = refused(customs_call(&mut ex, &broker(), &["U1"], &[], true));
    assert!(
        matches!(&err, Errors::Unauthorized(e) if e.caller == broker().address()),
        "{err:?}"
    );
    assert!(!item(&ex, "U1").customsCleared);

    // The producer's organisation may not inspect its own lot.
    let call = ITrace::inspectCall {
        gtin: gtin(),
        lot: "L3".into(),
        serials: vec![],
        pass: true,
        certificateHash: B256::repeat_byte(0xce),
        info: info_now(&ex),
    };
    let err = refused(ex.send(&producer_inspector(), TRACE, call));
    assert!(
        matches!(&err, Errors::ConflictOfInterest(e) if e.org == org(PRODUCER)),
        "{err:?}"
    );

    // Another brand's producer, not authorised for this GTIN: no lot, no commissioning.
    let call = ITrace::createLotCall {
        gtin: gtin(),
        lot: "FAKE".into(),
        originCountry: FixedBytes(*b"CN"),
        producedAt: now(&ex) - 60,
        crossBorder: false,
        ilmdHash: B256::ZERO,
    };
    let err = refused(ex.send(&rogue(), TRACE, call));
    assert!(
        matches!(&err, Errors::Unauthorized(e) if e.caller == rogue().address()),
        "{err:?}"
    );
    let call = commission_call("L3", &["FAKE1"], info_now(&ex));
    let err = refused(ex.send(&rogue(), TRACE, call));
    assert!(
        matches!(&err, Errors::Unauthorized(e) if e.caller == rogue().address()),
        "{err:?}"
    );
    assert_eq!(lot(&ex, "L3").items, 2);

    // Nor may it register a product under the brand's prefix.
    let call = ITrace::registerProductCall {
        gtin: gtin_of("000999"),
        name: "Counterfeit".into(),
        attrsHash: B256::ZERO,
    };
    let err = refused(ex.send(&rogue(), TRACE, call));
    assert!(
        matches!(&err, Errors::Unauthorized(e) if e.caller == rogue().address()),
        "{err:?}"
    );
    let err = view_refused(
        &ex,
        ITrace::productCall {
            gtin: gtin_of("000999"),
        },
    );
    assert!(matches!(err, Errors::NotFound(_)), "{err:?}");

    // Prefixes never nest, whichever is registered first: a shorter or a longer prefix
    // would give the brand's GTINs a second owner.
    for nested in ["61414", "6141410", "61414100"] {
        let call = ITrace::registerPrefixCall {
            prefix: nested.into(),
            org: org(INSPECTOR),
        };
        let err = refused(ex.send(&regulator(), TRACE, call));
        let expected = if nested.len() < 6 {
            matches!(&err, Errors::InvalidIdentifier(_))
        } else {
            matches!(&err, Errors::AlreadyExists(_))
        };
        assert!(expected, "{nested}: {err:?}");
    }
    ok(ex.send(
        &regulator(),
        TRACE,
        ITrace::registerPrefixCall {
            prefix: "7001234".into(),
            org: org(INSPECTOR),
        },
    ));
    let err = refused(ex.send(
        &regulator(),
        TRACE,
        ITrace::registerPrefixCall {
            prefix: "700123".into(),
            org: org(BRAND),
        },
    ));
    assert!(
        matches!(&err, Errors::AlreadyExists(e) if e.what.contains("longer")),
        "{err:?}"
    );
    let err = refused(ex.send(
        &brand(),
        TRACE,
        ITrace::registerPrefixCall {
            prefix: "8001234".into(),
            org: org(BRAND),
        },
    ));
    assert!(
        matches!(&err, Errors::Unauthorized(_)),
        "only regulators: {err:?}"
    );
}

// -------------------------------------------------------------------------------------
// 4. Bad inputs.

#[test]
fn bad_inputs_are_refused_and_change_nothing() {
    let mut ex = setup();
    create_lot(&mut ex, "L4", false);
    commission(&mut ex, "L4", &["B1"]);

    // A serial twice in one call, and one already commissioned: neither is written.
    let call = commission_call("L4", &["D1", "D1"], info_now(&ex));
    let err = refused(ex.send(&producer(), TRACE, call));
    assert!(
        matches!(&err, Errors::AlreadyExists(e) if e.what.contains("D1")),
        "{err:?}"
    );
    let call = commission_call("L4", &["B2", "B1"], info_now(&ex));
    let err = refused(ex.send(&producer(), TRACE, call));
    assert!(
        matches!(&err, Errors::AlreadyExists(e) if e.what.contains("B1")),
        "{err:?}"
    );
    assert_eq!(lot(&ex, "L4").items, 1);
    for serial in ["D1", "B2"] {
        let err = view_refused(
            &ex,
            ITrace::itemCall {
                gtin: gtin(),
                serial: serial.into(),
            },
        );
        assert!(matches!(err, Errors::NotFound(_)), "{err:?}");
    }

    // Event times: not before the last event, not beyond block time + 300 s.
    let before = item(&ex, "B1");
    let last = before.lastEventTime;
    let call = ship_call(&["B1"], &[], RETAILER, info(last - 1));
    let err = refused(ex.send(&producer(), TRACE, call));
    assert!(
        matches!(&err, Errors::OutOfOrder(e)
            if e.subject == key("B1") && e.last == last && e.given == last - 1),
        "{err:?}"
    );
    let block_time = now(&ex);
    let call = ship_call(&["B1"], &[], RETAILER, info(block_time + 3_600));
    let err = refused(ex.send(&producer(), TRACE, call));
    assert!(
        matches!(&err, Errors::TimeInFuture(e)
            if e.given == block_time + 3_600 && e.limit == block_time + 300),
        "{err:?}"
    );
    assert_eq!(item(&ex, "B1"), before);

    // Unknown serial.
    let err = refused(ship(&mut ex, &producer(), &["B1", "NOPE"], &[], RETAILER));
    assert!(
        matches!(&err, Errors::NotFound(e) if e.what.contains("NOPE")),
        "{err:?}"
    );
    assert_eq!(item(&ex, "B1"), before, "B1 was not shipped either");

    // A GTIN with a wrong check digit.
    let good = gtin_of("000456");
    let last_digit = good.as_bytes()[13] - b'0';
    let bad = format!("{}{}", &good[..13], (last_digit + 1) % 10);
    let call = ITrace::registerProductCall {
        gtin: bad.clone(),
        name: "Typo".into(),
        attrsHash: B256::ZERO,
    };
    let err = refused(ex.send(&brand(), TRACE, call));
    assert!(
        matches!(&err, Errors::InvalidIdentifier(e) if e.value == bad),
        "{err:?}"
    );
    let err = view_refused(
        &ex,
        ITrace::itemCall {
            gtin: bad.clone(),
            serial: "B1".into(),
        },
    );
    assert!(
        matches!(&err, Errors::InvalidIdentifier(e) if e.value == bad),
        "{err:?}"
    );
    // An SSCC with a wrong check digit.
    let good = sscc(7);
    let bad = format!("{}{}", &good[..17], (good.as_bytes()[17] - b'0' + 1) % 10);
    let call = ITrace::packCall {
        sscc: bad.clone(),
        items: epcs(&["B1"]),
        info: info_now(&ex),
    };
    let err = refused(ex.send(&producer(), TRACE, call));
    assert!(
        matches!(&err, Errors::InvalidIdentifier(e) if e.value == bad),
        "{err:?}"
    );
    assert_eq!(item(&ex, "B1"), before);
}

// -------------------------------------------------------------------------------------
// 5. Customs gate.

#[test]
fn cross_border_items_sell_only_after_clearance() {
    let mut ex = setup();
    at_retailer(&mut ex, "L5", true, &["X1"]);

    let err = refused(sell(&mut ex, &retailer(), &["X1"]));
    assert!(
        matches!(&err, Errors::NotCleared(e) if e.subject == key("X1")),
        "{err:?}"
    );
    assert_eq!(item(&ex, "X1").state, state::ITEM_IN_STOCK);

    // Clearance needs a declaration first.
    let err = refused(customs_call(&mut ex, &customs(), &["X1"], &[], true));
    assert!(
        matches!(&err, Errors::InvalidState(e) if e.subject == key("X1")),
        "{err:?}"
    );
    ok(customs_call(&mut ex, &broker(), &["X1"], &[], false));
    let err = refused(sell(&mut ex, &retailer(), &["X1"]));
    assert!(matches!(err, Errors::NotCleared(_)), "{err:?}");
    ok(customs_call(&mut ex, &customs(), &["X1"], &[], true));
    ok(sell(&mut ex, &retailer(), &["X1"]));
    assert_eq!(item(&ex, "X1").state, state::ITEM_SOLD);
}

// -------------------------------------------------------------------------------------
// 6. Recall.

#[test]
fn recall_blocks_every_item_of_the_lot() {
    let mut ex = setup();
    at_retailer(&mut ex, "L6", false, &["R1"]);
    commission(&mut ex, "L6", &["R2", "R3"]);
    let pallet_id = sscc(6);
    pack(&mut ex, &producer(), &pallet_id, &["R2", "R3"]);

    // A packed item moves only with its pallet.
    let err = refused(ship(&mut ex, &producer(), &["R2"], &[], FORWARDER));
    assert!(
        matches!(&err, Errors::InContainer(e) if e.subject == key("R2") && e.sscc == pallet_id),
        "{err:?}"
    );

    let reason = B256::repeat_byte(0x5e);
    let recalled_at = now(&ex);
    let call = ITrace::recallCall {
        gtin: gtin(),
        lot: "L6".into(),
        reason,
    };
    let receipt = ok(ex.send(&brand(), TRACE, call));
    step_events(
        &receipt,
        &[lot_key(&gtin(), "L6")],
        step::RECALLING,
        org(BRAND),
        reason,
    );
    let record = lot(&ex, "L6");
    assert_eq!(record.status, state::LOT_RECALLED);
    assert_eq!(record.recallReason, reason);
    assert_eq!(record.recalledAt, recalled_at);
    for serial in ["R1", "R2", "R3"] {
        assert_eq!(item(&ex, serial).state, state::ITEM_RECALLED, "{serial}");
    }
    assert_eq!(item(&ex, "R2").container, pallet_id);

    let err = refused(sell(&mut ex, &retailer(), &["R1"]));
    assert!(
        matches!(&err, Errors::Recalled(e) if e.subject == key("R1")),
        "{err:?}"
    );
    let err = refused(ship(&mut ex, &producer(), &["R2"], &[], FORWARDER));
    assert!(matches!(err, Errors::InContainer(_)), "{err:?}");
    let err = refused(ship(&mut ex, &producer(), &[], &[&pallet_id], FORWARDER));
    assert!(
        matches!(&err, Errors::InvalidState(e)
            if e.subject == key("R2") && e.state == state::ITEM_RECALLED),
        "{err:?}"
    );
    let call = commission_call("L6", &["R4"], info_now(&ex));
    let err = refused(ex.send(&producer(), TRACE, call));
    assert!(
        matches!(&err, Errors::Recalled(e) if e.subject == lot_key(&gtin(), "L6")),
        "{err:?}"
    );
    // A consumer checking the unsold item learns it is recalled.
    let result = verify(&mut ex, "R1", secret("R1"), "wx4g0b");
    assert!(result.recalled && !result.soldThroughAuthorizedChannel);
}

// -------------------------------------------------------------------------------------
// 7. Bulk.

#[test]
fn bulk_commission_pack_and_ship() {
    let mut ex = setup();
    create_lot(&mut ex, "BULK", false);
    let serials: Vec<String> = (0..10_000).map(|i| format!("B{i:05}")).collect();
    for chunk in serials.chunks(1_000) {
        let chunk: Vec<&str> = chunk.iter().map(String::as_str).collect();
        let call = commission_call("BULK", &chunk, info_now(&ex));
        // About 128.6 kB of calldata: within a node's transaction size limit.
        assert!(call.abi_encode().len() < ex.spec.limits.tx_bytes_max - 1_024);
        let receipt = send_big(&mut ex, &producer(), call);
        assert_eq!(events(&receipt).len(), 1_000);
    }
    assert_eq!(lot(&ex, "BULK").items, 10_000);
    for serial in ["B00000", "B04567", "B09999"] {
        let view = item(&ex, serial);
        assert_eq!(view.state, state::ITEM_COMMISSIONED);
        assert_eq!(view.lot, "BULK");
        assert_eq!(view.codeStatus, state::CODE_ACTIVE);
    }
    let err = view_refused(
        &ex,
        ITrace::itemCall {
            gtin: gtin(),
            serial: "B10000".into(),
        },
    );
    assert!(matches!(err, Errors::NotFound(_)), "{err:?}");

    // One pallet of 1,000 (the most a pallet holds), packed in two calls of 500 (each
    // within a node's transaction size limit), shipped in one transaction.
    let pallet_id = sscc(1_000);
    for half in serials[..1_000].chunks(500) {
        let packed: Vec<&str> = half.iter().map(String::as_str).collect();
        let call = ITrace::packCall {
            sscc: pallet_id.clone(),
            items: epcs(&packed),
            info: info_now(&ex),
        };
        assert!(call.abi_encode().len() < ex.spec.limits.tx_bytes_max - 1_024);
        send_big(&mut ex, &producer(), call);
    }
    assert_eq!(pallet(&ex, &pallet_id).items.len(), 1_000);
    let call = ITrace::packCall {
        sscc: pallet_id.clone(),
        items: epcs(&["B01000"]),
        info: info_now(&ex),
    };
    let err = refused(ex.send(&producer(), TRACE, call));
    assert!(
        matches!(&err, Errors::InvalidInput(e) if e.reason.contains("at most 1000")),
        "{err:?}"
    );
    let call = ship_call(&[], &[&pallet_id], FORWARDER, info_now(&ex));
    let receipt = send_big(&mut ex, &producer(), call);
    assert_eq!(events(&receipt).len(), 1);
    for serial in ["B00000", "B00500", "B00999"] {
        let view = item(&ex, serial);
        assert_eq!(view.state, state::ITEM_IN_TRANSIT, "{serial}");
        assert_eq!(view.recipient, org(FORWARDER));
        assert_eq!(view.container, pallet_id);
    }
    assert_eq!(item(&ex, "B01000").state, state::ITEM_COMMISSIONED);
    assert_eq!(item(&ex, "B01000").recipient, B256::ZERO);

    ok(receive(&mut ex, &forwarder(), &[], &[&pallet_id]));
    let view = item(&ex, "B00999");
    assert_eq!(view.custodian, org(FORWARDER));
    assert_eq!(view.state, state::ITEM_IN_STOCK);

    // The producer may no longer add to it; the forwarder unpacks all 1,000 in one
    // transaction.
    let call = ITrace::packCall {
        sscc: pallet_id.clone(),
        items: epcs(&["B01000"]),
        info: info_now(&ex),
    };
    let err = refused(ex.send(&producer(), TRACE, call));
    assert!(matches!(&err, Errors::Unauthorized(_)), "{err:?}");
    let call = ITrace::unpackCall {
        sscc: pallet_id.clone(),
        info: info_now(&ex),
    };
    let receipt = send_big(&mut ex, &forwarder(), call);
    assert!(
        receipt.gas_used < ex.spec.gas.block_gas_limit / 2,
        "{}",
        receipt.gas_used
    );
    let view = item(&ex, "B00500");
    assert_eq!(view.container, "");
    assert_eq!(view.custodian, org(FORWARDER));
    assert_eq!(view.state, state::ITEM_IN_STOCK);
}
