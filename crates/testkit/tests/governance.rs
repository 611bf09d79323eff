//! Registries, permissioning and governance, run as real transactions through the
//! executor and the governance precompile (ABI in, receipts and events out).

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolEvent as _, SolInterface as _};
use entente_execution::TxRejection;
use entente_modules::{
    GOVERNANCE_ADDRESS,
    governance::abi::IGovernance::{self, IGovernanceErrors as Errors},
};
use entente_primitives::{LocalSigner, Receipt};
use entente_testkit::{
    exec::Executor,
    fixtures::{account, admin, spec},
};

const GOV: Address = GOVERNANCE_ADDRESS;

fn org(id: &str) -> B256 {
    entente_modules::governance::state::OrgId::from_text(id)
        .unwrap()
        .0
}

/// The typed error a failed receipt carries.
fn error(receipt: &Receipt) -> Errors {
    assert!(!receipt.success, "expected a revert");
    Errors::abi_decode(&receipt.output).expect("a governance error")
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

fn has_event<E: alloy_sol_types::SolEvent>(receipt: &Receipt) -> bool {
    receipt
        .logs
        .iter()
        .any(|log| log.address == GOV && E::decode_log_data(&log.data).is_ok())
}

fn chain() -> Executor {
    Executor::new(spec(4, 4))
}

#[test]
fn genesis_registries_are_on_chain() {
    let ex = chain();
    let orgs = ex.view(GOV, IGovernance::orgsCall {});
    assert_eq!(orgs.len(), 4);
    assert_eq!(orgs[0].admin, admin(0).address());
    let account = ex.view(
        GOV,
        IGovernance::getAccountCall {
            account: admin(1).address(),
        },
    );
    assert_eq!(account.org, org("org1"));
    assert_eq!(account.roles, vec!["admin", "member", "deployer"]);
    let member = ex.view(
        GOV,
        IGovernance::getAccountCall {
            account: account_of(0),
        },
    );
    assert_eq!(member.roles, vec!["member", "deployer"]);
    let validators = ex.view(GOV, IGovernance::validatorsCall {});
    assert_eq!(validators.len(), 4);
    assert!(
        validators
            .iter()
            .all(|v| v.fromEpoch == 0 && v.untilEpoch == 0)
    );
    assert!(ex.view(GOV, IGovernance::isPermissionedCall {}));
    assert_eq!(ex.view(GOV, IGovernance::approvalPctCall {}), 67);
}

fn account_of(i: usize) -> Address {
    account(i).address()
}

#[test]
fn only_registered_active_accounts_transact_and_only_deployers_create() {
    let mut ex = chain();
    let stranger = LocalSigner::deterministic("stranger");
    let tx = ex.tx(&stranger, Some(Address::repeat_byte(1)), vec![]);
    let rejection = ex.block(&[tx]).remove(0).unwrap_err();
    assert!(
        matches!(rejection, TxRejection::Unauthorized { ref reason } if reason.contains("not a registered account")),
        "{rejection}"
    );

    // An admin registers a member without the deployer role: it may call, not create.
    let newbie = LocalSigner::deterministic("newbie");
    let call = IGovernance::registerAccountCall {
        account: newbie.address(),
        roles: vec!["member".into()],
    };
    let receipt = ok(ex.send(&admin(0), GOV, call));
    assert!(has_event::<IGovernance::AccountRegistered>(&receipt));
    assert!(has_event::<IGovernance::RoleGranted>(&receipt));
    let transfer = ex.tx(&newbie, Some(Address::repeat_byte(1)), vec![]);
    ok(ex.block(&[transfer]).remove(0));
    let create = ex.tx(&newbie, None, vec![0x60, 0x00, 0x60, 0x00, 0xf3]);
    let rejection = ex.block(&[create]).remove(0).unwrap_err();
    assert!(
        matches!(rejection, TxRejection::Unauthorized { ref reason } if reason.contains("deployer")),
        "{rejection}"
    );
    // A deployer may.
    let create = ex.tx(&account(0), None, vec![0x60, 0x00, 0x60, 0x00, 0xf3]);
    assert!(ok(ex.block(&[create]).remove(0)).contract_address.is_some());

    // Suspended: refused until reactivated.
    ok(ex.send(
        &admin(0),
        GOV,
        IGovernance::setAccountStatusCall {
            account: newbie.address(),
            status: 2,
        },
    ));
    let transfer = ex.tx(&newbie, Some(Address::repeat_byte(1)), vec![]);
    let rejection = ex.block(&[transfer]).remove(0).unwrap_err();
    assert!(
        matches!(rejection, TxRejection::Unauthorized { ref reason } if reason.contains("suspended")),
        "{rejection}"
    );
    ok(ex.send(
        &admin(0),
        GOV,
        IGovernance::setAccountStatusCall {
            account: newbie.address(),
            status: 1,
        },
    ));
}

#[test]
fn org_admins_manage_only_their_own_accounts_and_roles() {
    let mut ex = chain();
    let someone = LocalSigner::deterministic("someone");
    // A member that is not an admin cannot register anyone.
    let receipt = ex
        .send(
            &account(0),
            GOV,
            IGovernance::registerAccountCall {
                account: someone.address(),
                roles: vec![],
            },
        )
        .unwrap();
    assert!(
        matches!(error(&receipt), Errors::Unauthorized(e) if e.reason.contains("not an organisation admin"))
    );
    // An admin of another org cannot change org0's accounts.
    let receipt = ex
        .send(
            &admin(1),
            GOV,
            IGovernance::grantRoleCall {
                account: account_of(0),
                role: "carrier".into(),
            },
        )
        .unwrap();
    assert!(
        matches!(error(&receipt), Errors::Unauthorized(e) if e.reason.contains("another organisation"))
    );
    // System roles are for governance only; module roles are data.
    let receipt = ex
        .send(
            &admin(0),
            GOV,
            IGovernance::grantRoleCall {
                account: account_of(0),
                role: "regulator".into(),
            },
        )
        .unwrap();
    assert!(matches!(error(&receipt), Errors::Unauthorized(_)));
    ok(ex.send(
        &admin(0),
        GOV,
        IGovernance::grantRoleCall {
            account: account_of(0),
            role: "carrier".into(),
        },
    ));
    assert!(ex.view(
        GOV,
        IGovernance::hasRoleCall {
            account: account_of(0),
            role: "carrier".into()
        }
    ));
    let receipt = ex
        .send(
            &admin(0),
            GOV,
            IGovernance::grantRoleCall {
                account: account_of(0),
                role: "carrier".into(),
            },
        )
        .unwrap();
    assert!(matches!(error(&receipt), Errors::AlreadyExists(_)));
    ok(ex.send(
        &admin(0),
        GOV,
        IGovernance::revokeRoleCall {
            account: account_of(0),
            role: "carrier".into(),
        },
    ));
    assert!(!ex.view(
        GOV,
        IGovernance::hasRoleCall {
            account: account_of(0),
            role: "carrier".into()
        }
    ));
    // Registering twice is refused.
    let receipt = ex
        .send(
            &admin(0),
            GOV,
            IGovernance::registerAccountCall {
                account: account_of(1),
                roles: vec![],
            },
        )
        .unwrap();
    assert!(matches!(error(&receipt), Errors::AlreadyExists(_)));
}

#[test]
fn a_proposal_passes_at_the_threshold_and_executes_atomically() {
    let mut ex = chain();
    let target = account_of(2);
    let receipt = ok(ex.send(
        &admin(0),
        GOV,
        IGovernance::proposeAppointRegulatorCall { account: target },
    ));
    assert!(has_event::<IGovernance::ProposalCreated>(&receipt));
    assert!(
        has_event::<IGovernance::Voted>(&receipt),
        "the proposer votes agree"
    );
    let id = ex.view(GOV, IGovernance::proposalCountCall {}) - 1;
    // A second open proposal for the same target is refused.
    let receipt = ex
        .send(
            &admin(1),
            GOV,
            IGovernance::proposeAppointRegulatorCall { account: target },
        )
        .unwrap();
    assert!(matches!(error(&receipt), Errors::OpenProposalExists(e) if e.id == id));
    // 2 of 4 (50%) is below 67%: still open.
    ok(ex.send(&admin(1), GOV, IGovernance::voteCall { id, agree: true }));
    assert!(!ex.view(
        GOV,
        IGovernance::hasRoleCall {
            account: target,
            role: "regulator".into()
        }
    ));
    // One vote per member.
    let receipt = ex
        .send(&admin(1), GOV, IGovernance::voteCall { id, agree: true })
        .unwrap();
    assert!(matches!(error(&receipt), Errors::AlreadyVoted(_)));
    // 3 of 4 (75%) crosses the threshold and executes in the same transaction.
    let receipt = ok(ex.send(&admin(2), GOV, IGovernance::voteCall { id, agree: true }));
    assert!(has_event::<IGovernance::ProposalExecuted>(&receipt));
    assert!(has_event::<IGovernance::RoleGranted>(&receipt));
    assert!(ex.view(
        GOV,
        IGovernance::hasRoleCall {
            account: target,
            role: "regulator".into()
        }
    ));
    let proposal = ex.view(GOV, IGovernance::getProposalCall { id });
    assert_eq!(
        (proposal.status, proposal.agreeWeight, proposal.totalWeight),
        (2, 3, 4)
    );
    let receipt = ex
        .send(&admin(3), GOV, IGovernance::voteCall { id, agree: true })
        .unwrap();
    assert!(matches!(error(&receipt), Errors::ProposalNotOpen(e) if e.status == 2));
}

#[test]
fn a_proposal_fails_when_it_can_no_longer_pass_and_can_be_revoked() {
    let mut ex = chain();
    ok(ex.send(
        &admin(0),
        GOV,
        IGovernance::proposeSetParamCall {
            key: "governance.approval_pct".into(),
            value: U256::from(80),
        },
    ));
    let id = ex.view(GOV, IGovernance::proposalCountCall {}) - 1;
    ok(ex.send(&admin(1), GOV, IGovernance::voteCall { id, agree: false }));
    // 2 of 4 against (50%) exceeds the 33% that would still allow passing.
    let receipt = ok(ex.send(&admin(2), GOV, IGovernance::voteCall { id, agree: false }));
    assert!(has_event::<IGovernance::ProposalRejected>(&receipt));
    assert_eq!(ex.view(GOV, IGovernance::getProposalCall { id }).status, 3);
    assert_eq!(ex.view(GOV, IGovernance::approvalPctCall {}), 67);

    ok(ex.send(
        &admin(0),
        GOV,
        IGovernance::proposeAppointRegulatorCall {
            account: account_of(1),
        },
    ));
    let id = ex.view(GOV, IGovernance::proposalCountCall {}) - 1;
    let receipt = ex
        .send(&admin(1), GOV, IGovernance::revokeCall { id })
        .unwrap();
    assert!(
        matches!(error(&receipt), Errors::Unauthorized(e) if e.reason.contains("proposing organisation"))
    );
    let receipt = ok(ex.send(&admin(0), GOV, IGovernance::revokeCall { id }));
    assert!(has_event::<IGovernance::ProposalRevoked>(&receipt));
    // Revoked: the target is free again.
    ok(ex.send(
        &admin(1),
        GOV,
        IGovernance::proposeAppointRegulatorCall {
            account: account_of(1),
        },
    ));
}

#[test]
fn proposals_expire() {
    let mut s = spec(4, 4);
    s.governance.proposal_ttl_blocks = 3;
    let mut ex = Executor::new(s);
    ok(ex.send(
        &admin(0),
        GOV,
        IGovernance::proposeAppointRegulatorCall {
            account: account_of(3),
        },
    ));
    let id = ex.view(GOV, IGovernance::proposalCountCall {}) - 1;
    ex.skip(4);
    let receipt = ex
        .send(&admin(1), GOV, IGovernance::voteCall { id, agree: true })
        .unwrap();
    assert!(matches!(error(&receipt), Errors::ProposalNotOpen(e) if e.status == 4));
    assert_eq!(ex.view(GOV, IGovernance::getProposalCall { id }).status, 4);
    // The expired proposal no longer blocks its target; replacing it records the expiry.
    let receipt = ok(ex.send(
        &admin(1),
        GOV,
        IGovernance::proposeAppointRegulatorCall {
            account: account_of(3),
        },
    ));
    assert!(has_event::<IGovernance::ProposalExpired>(&receipt));
}

#[test]
fn only_committee_members_propose_and_vote() {
    let mut ex = chain();
    let receipt = ex
        .send(
            &account(0),
            GOV,
            IGovernance::proposeAppointRegulatorCall {
                account: account_of(1),
            },
        )
        .unwrap();
    assert!(matches!(error(&receipt), Errors::Unauthorized(_)));
    ok(ex.send(
        &admin(0),
        GOV,
        IGovernance::proposeAppointRegulatorCall {
            account: account_of(1),
        },
    ));
    let receipt = ex
        .send(
            &account(1),
            GOV,
            IGovernance::voteCall { id: 0, agree: true },
        )
        .unwrap();
    assert!(matches!(error(&receipt), Errors::Unauthorized(_)));
    let receipt = ex
        .send(
            &admin(1),
            GOV,
            IGovernance::voteCall {
                id: 99,
                agree: true,
            },
        )
        .unwrap();
    assert!(matches!(error(&receipt), Errors::NotFound(_)));
}

#[test]
fn malformed_input_is_refused_with_a_clear_error() {
    let mut ex = chain();
    for input in [vec![0xde, 0xad, 0xbe, 0xef], vec![], vec![0x12]] {
        let tx = ex.tx(&admin(0), Some(GOV), input);
        let receipt = ex.block(&[tx]).remove(0).unwrap();
        assert!(matches!(error(&receipt), Errors::InvalidInput(_)));
    }
    // A valid selector with truncated arguments.
    let mut input =
        alloy_sol_types::SolCall::abi_encode(&IGovernance::voteCall { id: 1, agree: true });
    input.truncate(10);
    let tx = ex.tx(&admin(0), Some(GOV), input);
    let receipt = ex.block(&[tx]).remove(0).unwrap();
    assert!(matches!(error(&receipt), Errors::InvalidInput(_)));
    // Out-of-range arguments are refused when proposed.
    let receipt = ex
        .send(
            &admin(0),
            GOV,
            IGovernance::proposeSetParamCall {
                key: "no.such.param".into(),
                value: U256::from(1),
            },
        )
        .unwrap();
    assert!(matches!(error(&receipt), Errors::InvalidInput(_)));
    let receipt = ex
        .send(
            &admin(0),
            GOV,
            IGovernance::proposeAddValidatorCall {
                publicKey: B256::repeat_byte(7),
                org: org("org0"),
                feeRecipient: Address::repeat_byte(1),
                p2pAddress: "not an address".into(),
            },
        )
        .unwrap();
    assert!(matches!(error(&receipt), Errors::InvalidInput(_)));
}

/// With one org, its proposals pass at once.
fn solo() -> Executor {
    Executor::new(spec(1, 2))
}

#[test]
fn organisations_and_validators_change_by_proposal() {
    let mut ex = solo();
    let newcomer = LocalSigner::deterministic("new org admin");
    let receipt = ok(ex.send(
        &admin(0),
        GOV,
        IGovernance::proposeAddOrgCall {
            id: org("acme"),
            name: "Acme Logistics".into(),
            admin: newcomer.address(),
            weight: 2,
        },
    ));
    assert!(has_event::<IGovernance::OrgAdded>(&receipt));
    assert_eq!(ex.view(GOV, IGovernance::orgsCall {}).len(), 2);
    let acme = ex.view(
        GOV,
        IGovernance::getAccountCall {
            account: newcomer.address(),
        },
    );
    assert_eq!(acme.roles, vec!["admin", "member"]);

    // Now two members (weights 1 and 2): acme's agree alone is 2/3 = 66% < 67%.
    ok(ex.send(
        &newcomer,
        GOV,
        IGovernance::proposeAddValidatorCall {
            publicKey: B256::repeat_byte(0x42),
            org: org("acme"),
            feeRecipient: newcomer.address(),
            p2pAddress: "127.0.0.1:30399".into(),
        },
    ));
    let id = ex.view(GOV, IGovernance::proposalCountCall {}) - 1;
    assert_eq!(ex.view(GOV, IGovernance::validatorsCall {}).len(), 1);
    let receipt = ok(ex.send(&admin(0), GOV, IGovernance::voteCall { id, agree: true }));
    assert!(has_event::<IGovernance::ValidatorAdded>(&receipt));
    let validators = ex.view(GOV, IGovernance::validatorsCall {});
    assert_eq!(validators.len(), 2);
    assert_eq!(validators[1].fromEpoch, 1, "takes effect at the next epoch");
    assert_eq!(validators[1].p2pAddress, "127.0.0.1:30399");

    // Remove the genesis validator: scheduled for the next epoch.
    let genesis_key = validators[0].publicKey;
    ok(ex.send(
        &admin(0),
        GOV,
        IGovernance::proposeRemoveValidatorCall {
            publicKey: genesis_key,
        },
    ));
    let id = ex.view(GOV, IGovernance::proposalCountCall {}) - 1;
    ok(ex.send(&newcomer, GOV, IGovernance::voteCall { id, agree: true }));
    let validators = ex.view(GOV, IGovernance::validatorsCall {});
    assert_eq!(validators[0].untilEpoch, 1);
    // The last validator of the next epoch cannot go.
    let receipt = ex
        .send(
            &admin(0),
            GOV,
            IGovernance::proposeRemoveValidatorCall {
                publicKey: B256::repeat_byte(0x42),
            },
        )
        .unwrap();
    assert!(
        matches!(error(&receipt), Errors::InvalidInput(e) if e.reason.contains("last validator"))
    );

    // Suspending acme takes it off the committee and its members off the chain.
    ok(ex.send(
        &admin(0),
        GOV,
        IGovernance::proposeSetOrgStatusCall {
            id: org("acme"),
            status: 2,
        },
    ));
    let id = ex.view(GOV, IGovernance::proposalCountCall {}) - 1;
    ok(ex.send(&newcomer, GOV, IGovernance::voteCall { id, agree: true }));
    let tx = ex.tx(&newcomer, Some(Address::repeat_byte(1)), vec![]);
    let rejection = ex.block(&[tx]).remove(0).unwrap_err();
    assert!(
        matches!(rejection, TxRejection::Unauthorized { ref reason } if reason.contains("not active"))
    );
}

#[test]
fn governance_can_open_the_chain() {
    let mut ex = solo();
    let stranger = LocalSigner::deterministic("stranger");
    let receipt = ok(ex.send(
        &admin(0),
        GOV,
        IGovernance::proposeSetParamCall {
            key: "permissioned".into(),
            value: U256::ZERO,
        },
    ));
    assert!(has_event::<IGovernance::ParamChanged>(&receipt));
    assert!(!ex.view(GOV, IGovernance::isPermissionedCall {}));
    let tx = ex.tx(&stranger, None, vec![0x60, 0x00, 0x60, 0x00, 0xf3]);
    ok(ex.block(&[tx]).remove(0));
}

#[test]
fn events_decode_with_the_abi() {
    let mut ex = solo();
    let receipt = ok(ex.send(
        &admin(0),
        GOV,
        IGovernance::proposeAppointRegulatorCall {
            account: account_of(1),
        },
    ));
    let created = receipt
        .logs
        .iter()
        .find_map(|log| IGovernance::ProposalCreated::decode_log_data(&log.data).ok())
        .unwrap();
    assert_eq!(created.kind, 5);
    assert_eq!(created.proposerOrg, org("org0"));
}
