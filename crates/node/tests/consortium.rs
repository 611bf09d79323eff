//! Generating a consortium and loading it back, through the crate's public API.
//!
//! An integration test rather than a unit test on purpose: a unit test would compile
//! the whole node (every consensus, p2p and storage instantiation) a second time with
//! `cfg(test)`, the most expensive step of a clean build. This binary links the
//! library instead (see `test = false` in this crate's `Cargo.toml`).

use alloy_primitives::{Address, U256};
use entente_node::{ConsortiumPlan, load_consortium, read_validator_key, write_consortium};

#[test]
fn generated_consortium_loads_back() {
    let dir = std::env::temp_dir().join(format!("entente-consortium-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut plan = ConsortiumPlan::local("t", 77, 4);
    plan.funded.push((Address::repeat_byte(1), U256::from(5)));
    let written = write_consortium(&plan, &dir).unwrap();
    let loaded = load_consortium(&dir).unwrap();
    assert_eq!(loaded.spec, written.spec);
    assert_eq!(loaded.nodes.len(), 4);
    for (i, node) in loaded.nodes.iter().enumerate() {
        assert_eq!(node.config.p2p.peers.len(), 3);
        assert_eq!(node.config.rpc.listen.port(), 8545 + i as u16);
        let key = read_validator_key(&node.config.key_file).unwrap();
        assert!(loaded.spec.validator(&key.public_key()).is_some());
    }
    assert!(
        write_consortium(&plan, &dir).is_err(),
        "refuses to overwrite"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
