//! Evidence preservation, run as real transactions through the executor and the evidence
//! precompile (ABI in, receipts and events out), with roles from the governance registry.

use alloy_consensus::TxEip1559;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use alloy_sol_types::{SolCall as _, SolEvent as _, SolInterface as _};
use entente_execution::{MODULE_ACCOUNT_CODE, TxRejection};
use entente_modules::{
    EVIDENCE_ADDRESS, GOVERNANCE_ADDRESS,
    evidence::abi::{
        ALG_SHA256, ALG_SM3, Digest, EvidenceRecord,
        IEvidence::{self, IEvidenceErrors as Errors},
        evidence_id, record_hash,
    },
    governance::{abi::IGovernance, state::OrgId},
};
use entente_primitives::{LocalSigner, Receipt};
use entente_storage::StateView as _;
use entente_testkit::{
    exec::Executor,
    fixtures::{CHAIN_ID, account, admin, spec},
};

const EV: Address = EVIDENCE_ADDRESS;
const SUBMITTER: &str = "evidence_submitter";
const COURT: &str = "court";

fn org(id: &str) -> B256 {
    OrgId::from_text(id).unwrap().0
}

/// Accounts 0 and 1 submit evidence, account 2 is a court, account 3 a plain member.
fn chain() -> Executor {
    let mut s = spec(2, 4);
    s.accounts[0].roles.push(SUBMITTER.into());
    s.accounts[1].roles.push(SUBMITTER.into());
    s.accounts[2].roles.push(COURT.into());
    Executor::new(s)
}

/// The typed error a failed receipt carries.
fn error(receipt: &Receipt) -> Errors {
    assert!(!receipt.success, "expected a revert");
    Errors::abi_decode(&receipt.output).expect("an evidence error")
}

fn refused(result: Result<Receipt, TxRejection>) -> Errors {
    error(&result.expect("transaction admitted"))
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

fn sha256(byte: u8) -> Digest {
    Digest {
        alg: ALG_SHA256,
        value: Bytes::from(vec![byte; 32]),
    }
}

fn sm3(byte: u8) -> Digest {
    Digest {
        alg: ALG_SM3,
        value: Bytes::from(vec![byte; 32]),
    }
}

/// An unsigned deposit of `content` (a 10 MiB PDF with metadata).
fn unsigned(content: Vec<Digest>, prev: B256) -> IEvidence::depositCall {
    IEvidence::depositCall {
        content,
        contentLength: 10 * 1024 * 1024,
        mediaType: "application/pdf".into(),
        metadataHash: B256::repeat_byte(0xaa),
        prev,
        signature: Bytes::new(),
    }
}

/// The record a deposit of `call` by `submitter` on `chain_id` signs.
fn record(call: &IEvidence::depositCall, chain_id: u64, submitter: Address) -> EvidenceRecord {
    EvidenceRecord {
        chainId: chain_id,
        submitter,
        content: call.content.clone(),
        contentLength: call.contentLength,
        mediaType: call.mediaType.clone(),
        metadataHash: call.metadataHash,
        prev: call.prev,
    }
}

fn sign_record(signer: &LocalSigner, record: &EvidenceRecord) -> Bytes {
    let signature = signer
        .sign_message(record_hash(record).as_slice())
        .expect("test keys sign");
    Bytes::from(signature.to_vec())
}

/// `call` signed by `signer` as its own deposit on the test chain.
fn signed(signer: &LocalSigner, mut call: IEvidence::depositCall) -> IEvidence::depositCall {
    call.signature = sign_record(signer, &record(&call, CHAIN_ID, signer.address()));
    call
}

fn deposit_call(signer: &LocalSigner, content: Vec<Digest>, prev: B256) -> IEvidence::depositCall {
    signed(signer, unsigned(content, prev))
}

/// Deposits and returns the id the call returned.
fn deposit(ex: &mut Executor, signer: &LocalSigner, call: IEvidence::depositCall) -> B256 {
    let receipt = ok(ex.send(signer, EV, call));
    IEvidence::depositCall::abi_decode_returns(&receipt.output).expect("an id")
}

fn deposited_events(receipt: &Receipt) -> Vec<IEvidence::EvidenceDeposited> {
    receipt
        .logs
        .iter()
        .filter(|log| log.address == EV)
        .filter_map(|log| IEvidence::EvidenceDeposited::decode_log_data(&log.data).ok())
        .collect()
}

fn count(ex: &Executor) -> u64 {
    ex.view(EV, IEvidence::evidenceCountCall {})
}

#[test]
fn a_registered_submitter_deposits_and_every_field_is_on_chain() {
    let mut ex = chain();
    let alice = account(0);
    assert_eq!(count(&ex), 0);
    let call = deposit_call(&alice, vec![sha256(1)], B256::ZERO);
    let receipt = ok(ex.send(&alice, EV, call.clone()));
    let height = ex.height();
    let id = IEvidence::depositCall::abi_decode_returns(&receipt.output).unwrap();
    let sha = B256::repeat_byte(1);
    assert_eq!(id, evidence_id(CHAIN_ID, &alice.address(), &sha));

    let events = deposited_events(&receipt);
    assert_eq!(events.len(), 1);
    assert_eq!(
        (
            events[0].id,
            events[0].submitter,
            events[0].sha256Digest,
            events[0].prev
        ),
        (id, alice.address(), sha, B256::ZERO)
    );

    let info = ex.view(EV, IEvidence::getEvidenceCall { id });
    assert_eq!(info.id, id);
    assert_eq!(info.submitter, alice.address());
    assert_eq!(info.submitterOrg, org("org0"));
    assert_eq!(info.content, vec![sha256(1)]);
    assert_eq!(info.contentLength, 10 * 1024 * 1024);
    assert_eq!(info.mediaType, "application/pdf");
    assert_eq!(info.metadataHash, B256::repeat_byte(0xaa));
    assert_eq!(info.prev, B256::ZERO);
    assert_eq!(info.signature, call.signature);
    assert_eq!(info.height, height);
    // The executor's block `n` has time 999 + n.
    assert_eq!(info.blockTime, 999 + height);
    assert!(info.annotations.is_empty());

    assert_eq!(count(&ex), 1);
    assert_eq!(
        ex.view(
            EV,
            IEvidence::evidenceIdOfCall {
                submitter: alice.address(),
                sha256Digest: sha,
            }
        ),
        id
    );
    assert_eq!(
        ex.view(
            EV,
            IEvidence::evidenceIdOfCall {
                submitter: account(1).address(),
                sha256Digest: sha,
            }
        ),
        B256::ZERO
    );

    // The node reads the same record from a state view.
    let state = ex.state();
    let read = entente_modules::evidence::state::read_record(&state, &id)
        .unwrap()
        .expect("stored");
    assert_eq!(read, info);
    assert_eq!(
        entente_modules::evidence::state::read_record(&state, &B256::repeat_byte(9)).unwrap(),
        None
    );
    assert_eq!(
        entente_modules::evidence::state::read_count(&state).unwrap(),
        1
    );

    // Storage, two logs' worth of events, signature recovery: well below a block.
    assert!(
        receipt.gas_used > 100_000 && receipt.gas_used < 400_000,
        "{}",
        receipt.gas_used
    );
}

#[test]
fn the_module_account_exists_from_genesis() {
    let ex = chain();
    let account = ex
        .state()
        .account(&EV)
        .unwrap()
        .expect("module account at genesis");
    assert_eq!(account.nonce, 1);
    assert_eq!(account.code_hash, keccak256(MODULE_ACCOUNT_CODE));
    assert!(entente_modules::MODULE_ADDRESSES.contains(&EV));
}

#[test]
fn unknown_records_are_not_found() {
    let ex = chain();
    let outcome = ex.call(
        Address::ZERO,
        EV,
        IEvidence::getEvidenceCall {
            id: B256::repeat_byte(7),
        },
    );
    assert!(!outcome.success);
    assert!(matches!(
        Errors::abi_decode(&outcome.output).unwrap(),
        Errors::NotFound(e) if e.what.contains(&B256::repeat_byte(7).to_string())
    ));
}

#[test]
fn only_active_evidence_submitters_deposit() {
    let mut s = spec(2, 4);
    s.accounts[0].roles.push(SUBMITTER.into());
    s.permissioned = false;
    let mut ex = Executor::new(s);

    // Unregistered (the chain is open, so the transaction itself is admitted).
    let stranger = LocalSigner::deterministic("stranger");
    let call = deposit_call(&stranger, vec![sha256(1)], B256::ZERO);
    assert!(matches!(
        refused(ex.send(&stranger, EV, call)),
        Errors::Unauthorized(e) if e.caller == stranger.address() && e.reason.contains("not a registered account")
    ));

    // Registered, without the role.
    let bob = account(3);
    let call = deposit_call(&bob, vec![sha256(1)], B256::ZERO);
    assert!(matches!(
        refused(ex.send(&bob, EV, call.clone())),
        Errors::Unauthorized(e) if e.caller == bob.address() && e.reason.contains(SUBMITTER)
    ));

    // The org admin grants the role through governance: now it may.
    ok(ex.send(
        &admin(0),
        GOVERNANCE_ADDRESS,
        IGovernance::grantRoleCall {
            account: bob.address(),
            role: SUBMITTER.into(),
        },
    ));
    let id = deposit(&mut ex, &bob, call.clone());
    assert_eq!(
        id,
        evidence_id(CHAIN_ID, &bob.address(), &B256::repeat_byte(1))
    );

    // Suspended: refused again.
    ok(ex.send(
        &admin(0),
        GOVERNANCE_ADDRESS,
        IGovernance::setAccountStatusCall {
            account: bob.address(),
            status: 2,
        },
    ));
    let call = deposit_call(&bob, vec![sha256(2)], B256::ZERO);
    assert!(matches!(
        refused(ex.send(&bob, EV, call)),
        Errors::Unauthorized(e) if e.reason.contains("suspended")
    ));
    assert_eq!(count(&ex), 1);
}

#[test]
fn a_submitter_registered_by_another_org_records_that_org() {
    let mut ex = chain();
    let carol = LocalSigner::deterministic("carol of org1");
    ok(ex.send(
        &admin(1),
        GOVERNANCE_ADDRESS,
        IGovernance::registerAccountCall {
            account: carol.address(),
            roles: vec!["member".into(), SUBMITTER.into()],
        },
    ));
    let id = deposit(
        &mut ex,
        &carol,
        deposit_call(&carol, vec![sha256(3)], B256::ZERO),
    );
    let info = ex.view(EV, IEvidence::getEvidenceCall { id });
    assert_eq!(info.submitterOrg, org("org1"));
    assert_eq!(info.submitter, carol.address());
}

#[test]
fn content_digests_are_checked() {
    let mut ex = chain();
    let alice = account(0);
    let mut send = |content: Vec<Digest>| {
        let call = deposit_call(&alice, content, B256::ZERO);
        refused(ex.send(&alice, EV, call))
    };

    let md5ish = Digest {
        alg: 3,
        value: Bytes::from(vec![1u8; 32]),
    };
    assert!(matches!(
        send(vec![sha256(1), md5ish]),
        Errors::UnsupportedAlg(e) if e.alg == 3
    ));
    let short = Digest {
        alg: ALG_SHA256,
        value: Bytes::from(vec![1u8; 31]),
    };
    assert!(matches!(
        send(vec![short]),
        Errors::InvalidDigestLength(e) if e.alg == ALG_SHA256 && e.length == U256::from(31)
    ));
    let long_sm3 = Digest {
        alg: ALG_SM3,
        value: Bytes::from(vec![1u8; 33]),
    };
    assert!(matches!(
        send(vec![sha256(1), long_sm3]),
        Errors::InvalidDigestLength(e) if e.alg == ALG_SM3 && e.length == U256::from(33)
    ));
    assert!(matches!(
        send(vec![sm3(1)]),
        Errors::InvalidInput(e) if e.reason.contains("SHA-256")
    ));
    assert!(matches!(
        send(vec![sha256(1), sha256(2)]),
        Errors::InvalidInput(e) if e.reason.contains("more than one")
    ));
    assert!(matches!(send(vec![]), Errors::InvalidInput(_)));
    assert!(matches!(
        send(vec![sha256(1), sm3(2), sm3(3), sm3(4), sm3(5)]),
        Errors::InvalidInput(_)
    ));
    assert_eq!(count(&ex), 0);
}

#[test]
fn media_types_are_checked() {
    let mut ex = chain();
    let alice = account(0);
    for media in [
        "",
        "application/pdf\n",
        "text/plain; charset=ü",
        &"a".repeat(129),
    ] {
        let mut call = unsigned(vec![sha256(1)], B256::ZERO);
        call.mediaType = media.into();
        let call = signed(&alice, call);
        assert!(
            matches!(refused(ex.send(&alice, EV, call)), Errors::InvalidInput(e) if e.reason.contains("media type")),
            "{media:?}"
        );
    }
    let mut call = unsigned(vec![sha256(1)], B256::ZERO);
    call.mediaType = "text/plain; charset=utf-8".into();
    deposit(&mut ex, &alice, signed(&alice, call));
}

#[test]
fn the_signature_must_be_the_submitters_over_this_record() {
    let mut ex = chain();
    let alice = account(0);

    // Another key.
    let mut call = unsigned(vec![sha256(1)], B256::ZERO);
    call.signature = sign_record(&account(1), &record(&call, CHAIN_ID, alice.address()));
    assert!(matches!(
        refused(ex.send(&alice, EV, call)),
        Errors::BadSubmitterSig(_)
    ));

    // The right key over other fields: another length, another chain, another submitter.
    let mut call = unsigned(vec![sha256(1)], B256::ZERO);
    let mut other = record(&call, CHAIN_ID, alice.address());
    other.contentLength += 1;
    call.signature = sign_record(&alice, &other);
    assert!(matches!(
        refused(ex.send(&alice, EV, call)),
        Errors::BadSubmitterSig(_)
    ));
    let mut call = unsigned(vec![sha256(1)], B256::ZERO);
    call.signature = sign_record(&alice, &record(&call, CHAIN_ID + 1, alice.address()));
    assert!(matches!(
        refused(ex.send(&alice, EV, call)),
        Errors::BadSubmitterSig(_)
    ));
    let mut call = unsigned(vec![sha256(1)], B256::ZERO);
    call.signature = sign_record(&alice, &record(&call, CHAIN_ID, account(1).address()));
    assert!(matches!(
        refused(ex.send(&alice, EV, call)),
        Errors::BadSubmitterSig(_)
    ));

    // Malformed: truncated, or none at all.
    let mut call = deposit_call(&alice, vec![sha256(1)], B256::ZERO);
    call.signature = Bytes::copy_from_slice(&call.signature[..64]);
    assert!(matches!(
        refused(ex.send(&alice, EV, call)),
        Errors::BadSubmitterSig(_)
    ));
    let call = unsigned(vec![sha256(1)], B256::ZERO);
    assert!(matches!(
        refused(ex.send(&alice, EV, call)),
        Errors::BadSubmitterSig(_)
    ));
    assert_eq!(count(&ex), 0);

    // A signature with v 0/1 instead of 27/28 is the same signature.
    let mut call = deposit_call(&alice, vec![sha256(1)], B256::ZERO);
    let mut raw = call.signature.to_vec();
    raw[64] -= 27;
    call.signature = Bytes::from(raw);
    deposit(&mut ex, &alice, call);
}

#[test]
fn deposits_are_idempotent_per_submitter_and_digest() {
    let mut ex = chain();
    let alice = account(0);
    let bob = account(1);
    let first = deposit(
        &mut ex,
        &alice,
        deposit_call(&alice, vec![sha256(1)], B256::ZERO),
    );
    let before = ex.view(EV, IEvidence::getEvidenceCall { id: first });

    // The same digest again, with other metadata: refused with the same id, nothing changes.
    let mut again = unsigned(vec![sha256(1), sm3(2)], B256::ZERO);
    again.mediaType = "image/png".into();
    let again = signed(&alice, again);
    assert!(matches!(
        refused(ex.send(&alice, EV, again)),
        Errors::AlreadyDeposited(e) if e.id == first
    ));
    assert_eq!(
        ex.view(EV, IEvidence::getEvidenceCall { id: first }),
        before
    );
    assert_eq!(count(&ex), 1);

    // The same digest from another submitter is another record.
    let second = deposit(
        &mut ex,
        &bob,
        deposit_call(&bob, vec![sha256(1)], B256::ZERO),
    );
    assert_ne!(second, first);
    assert_eq!(
        second,
        evidence_id(CHAIN_ID, &bob.address(), &B256::repeat_byte(1))
    );
    assert_eq!(
        ex.view(EV, IEvidence::getEvidenceCall { id: second })
            .submitter,
        bob.address()
    );
    assert_eq!(count(&ex), 2);
}

#[test]
fn records_link_into_a_chain_of_custody() {
    let mut ex = chain();
    let alice = account(0);
    let bob = account(1);
    let a = deposit(
        &mut ex,
        &alice,
        deposit_call(&alice, vec![sha256(1)], B256::ZERO),
    );
    // Another submitter may continue the chain.
    let receipt = ok(ex.send(&bob, EV, deposit_call(&bob, vec![sha256(2)], a)));
    let b = IEvidence::depositCall::abi_decode_returns(&receipt.output).unwrap();
    assert_eq!(deposited_events(&receipt)[0].prev, a);
    let info = ex.view(EV, IEvidence::getEvidenceCall { id: b });
    assert_eq!(info.prev, a);
    assert_eq!(
        ex.view(EV, IEvidence::getEvidenceCall { id: info.prev }).id,
        a
    );

    let unknown = B256::repeat_byte(0x77);
    assert!(matches!(
        refused(ex.send(&alice, EV, deposit_call(&alice, vec![sha256(3)], unknown))),
        Errors::NotFound(e) if e.what == format!("evidence {unknown}")
    ));
    assert_eq!(count(&ex), 2);
}

#[test]
fn the_submitter_and_courts_annotate() {
    let mut ex = chain();
    let alice = account(0);
    let court = account(2);
    let id = deposit(
        &mut ex,
        &alice,
        deposit_call(&alice, vec![sha256(1)], B256::ZERO),
    );
    let note = |n: u8| B256::repeat_byte(0x10 + n);

    let receipt = ok(ex.send(
        &alice,
        EV,
        IEvidence::annotateCall {
            id,
            noteHash: note(1),
        },
    ));
    let event = receipt
        .logs
        .iter()
        .filter(|log| log.address == EV)
        .find_map(|log| IEvidence::EvidenceAnnotated::decode_log_data(&log.data).ok())
        .expect("annotated event");
    assert_eq!(
        (event.id, event.by, event.noteHash),
        (id, alice.address(), note(1))
    );
    ok(ex.send(
        &court,
        EV,
        IEvidence::annotateCall {
            id,
            noteHash: note(2),
        },
    ));
    assert_eq!(
        ex.view(EV, IEvidence::getEvidenceCall { id }).annotations,
        vec![note(1), note(2)]
    );

    // A third party (another submitter, a plain member, a stranger) may not.
    for other in [account(1), account(3)] {
        assert!(matches!(
            refused(ex.send(&other, EV, IEvidence::annotateCall { id, noteHash: note(3) })),
            Errors::Unauthorized(e) if e.caller == other.address() && e.reason.contains(COURT)
        ));
    }
    // Unknown record, zero note.
    assert!(matches!(
        refused(ex.send(
            &court,
            EV,
            IEvidence::annotateCall {
                id: B256::repeat_byte(5),
                noteHash: note(3)
            }
        )),
        Errors::NotFound(_)
    ));
    assert!(matches!(
        refused(ex.send(
            &alice,
            EV,
            IEvidence::annotateCall {
                id,
                noteHash: B256::ZERO
            }
        )),
        Errors::InvalidInput(_)
    ));
    // The record itself is unchanged by annotations.
    let info = ex.view(EV, IEvidence::getEvidenceCall { id });
    assert_eq!(info.annotations, vec![note(1), note(2)]);
    assert_eq!(info.content, vec![sha256(1)]);
}

#[test]
fn annotations_are_bounded() {
    let mut ex = chain();
    let alice = account(0);
    let id = deposit(
        &mut ex,
        &alice,
        deposit_call(&alice, vec![sha256(1)], B256::ZERO),
    );
    // 16 transactions a block (each may use 5M gas of the 100M a block has).
    for chunk in 0..16u64 {
        let txs: Vec<_> = (0..16u64)
            .map(|i| {
                let call = IEvidence::annotateCall {
                    id,
                    noteHash: B256::from(U256::from(chunk * 16 + i + 1)),
                };
                ex.tx(&alice, Some(EV), call.abi_encode())
            })
            .collect();
        for result in ex.block(&txs) {
            ok(result);
        }
    }
    assert_eq!(
        ex.view(EV, IEvidence::getEvidenceCall { id })
            .annotations
            .len(),
        256
    );
    assert!(matches!(
        refused(ex.send(
            &alice,
            EV,
            IEvidence::annotateCall {
                id,
                noteHash: B256::repeat_byte(1)
            }
        )),
        Errors::InvalidInput(e) if e.reason.contains("256")
    ));
}

#[test]
fn an_sm3_digest_is_accepted_alongside_sha256() {
    let mut ex = chain();
    let alice = account(0);
    // Order does not matter; the id is the SHA-256 one.
    let id = deposit(
        &mut ex,
        &alice,
        deposit_call(&alice, vec![sm3(2), sha256(1)], B256::ZERO),
    );
    assert_eq!(
        id,
        evidence_id(CHAIN_ID, &alice.address(), &B256::repeat_byte(1))
    );
    let info = ex.view(EV, IEvidence::getEvidenceCall { id });
    assert_eq!(info.content, vec![sm3(2), sha256(1)]);
}

#[test]
fn malformed_calls_and_value_are_refused() {
    let mut ex = chain();
    let alice = account(0);
    for input in [vec![0xde, 0xad, 0xbe, 0xef], vec![], vec![0x12]] {
        let tx = ex.tx(&alice, Some(EV), input);
        let receipt = ex.block(&[tx]).remove(0).unwrap();
        assert!(matches!(error(&receipt), Errors::InvalidInput(_)));
    }
    let mut input = deposit_call(&alice, vec![sha256(1)], B256::ZERO).abi_encode();
    input.truncate(100);
    let tx = ex.tx(&alice, Some(EV), input);
    assert!(matches!(
        error(&ex.block(&[tx]).remove(0).unwrap()),
        Errors::InvalidInput(_)
    ));

    // Value: refused, and not kept.
    let call = deposit_call(&alice, vec![sha256(1)], B256::ZERO);
    let tx = alice
        .sign(TxEip1559 {
            chain_id: CHAIN_ID,
            nonce: 4,
            gas_limit: 5_000_000,
            max_fee_per_gas: 0,
            max_priority_fee_per_gas: 0,
            to: TxKind::Call(EV),
            value: U256::from(1),
            access_list: Default::default(),
            input: Bytes::from(call.abi_encode()),
        })
        .unwrap();
    let receipt = ex.block(&[tx]).remove(0).unwrap();
    assert!(matches!(error(&receipt), Errors::InvalidInput(e) if e.reason.contains("value")));
    assert_eq!(count(&ex), 0);
}

/// Init code of a contract that forwards its calldata to the evidence module with
/// STATICCALL and returns (or reverts with) what the module returned.
fn static_proxy_init_code() -> Vec<u8> {
    let mut runtime = vec![
        0x36, 0x60, 0x00, 0x60, 0x00, 0x37, // calldatacopy(0, 0, calldatasize)
        0x60, 0x00, 0x60, 0x00, 0x36, 0x60, 0x00, // ret 0 0, args 0 calldatasize
        0x73, // push20 the module
    ];
    runtime.extend_from_slice(EV.as_slice());
    runtime.extend_from_slice(&[
        0x5a, 0xfa, // staticcall(gas, …)
        0x3d, 0x60, 0x00, 0x60, 0x00, 0x3e, // returndatacopy(0, 0, returndatasize)
        0x60, 0x31, 0x57, // jumpi(49, success)
        0x3d, 0x60, 0x00, 0xfd, // revert(0, returndatasize)
        0x5b, 0x3d, 0x60, 0x00, 0xf3, // 49: return(0, returndatasize)
    ]);
    assert_eq!(runtime.len(), 54);
    let mut init = vec![
        0x60, 0x36, 0x60, 0x0c, 0x60, 0x00, 0x39, // codecopy(0, 12, 54)
        0x60, 0x36, 0x60, 0x00, 0xf3, // return(0, 54)
    ];
    init.extend_from_slice(&runtime);
    init
}

#[test]
fn views_work_under_staticcall_and_writes_do_not() {
    let mut ex = chain();
    let alice = account(0);
    let id = deposit(
        &mut ex,
        &alice,
        deposit_call(&alice, vec![sha256(1)], B256::ZERO),
    );
    let create = ex.tx(&alice, None, static_proxy_init_code());
    let proxy = ok(ex.block(&[create]).remove(0))
        .contract_address
        .expect("deployed");

    // Views, through eth_call into the proxy.
    let outcome = ex.call(alice.address(), proxy, IEvidence::getEvidenceCall { id });
    assert!(outcome.success);
    let info = IEvidence::getEvidenceCall::abi_decode_returns(&outcome.output).unwrap();
    assert_eq!(info.id, id);
    let outcome = ex.call(alice.address(), proxy, IEvidence::evidenceCountCall {});
    assert_eq!(
        IEvidence::evidenceCountCall::abi_decode_returns(&outcome.output).unwrap(),
        1
    );

    // A deposit through a contract is refused: the submitter deposits directly.
    let call = deposit_call(&alice, vec![sha256(2)], B256::ZERO);
    assert!(matches!(
        refused(ex.send(&alice, proxy, call)),
        Errors::Unauthorized(e) if e.caller == proxy && e.reason.contains("contract")
    ));

    // A court contract may annotate, but not under STATICCALL: the write halts the frame.
    ok(ex.send(
        &admin(0),
        GOVERNANCE_ADDRESS,
        IGovernance::registerAccountCall {
            account: proxy,
            roles: vec![COURT.into()],
        },
    ));
    let receipt = ex
        .send(
            &alice,
            proxy,
            IEvidence::annotateCall {
                id,
                noteHash: B256::repeat_byte(1),
            },
        )
        .unwrap();
    assert!(!receipt.success);
    assert!(receipt.output.is_empty(), "a halt, not a revert");
    assert!(
        ex.view(EV, IEvidence::getEvidenceCall { id })
            .annotations
            .is_empty()
    );
}
