//! Hand-assembled contracts used by the tests. Each function documents the Solidity-like
//! behaviour its bytecode implements.

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::{SolError as _, SolEvent as _, sol};
use revm::bytecode::opcode as op;

use crate::common::Asm;

sol! {
    /// The test module's interface (also what `store()` below emits and reverts with).
    interface ITestModule {
        function store(uint256 value) external returns (uint256);
        function load() external view returns (uint256);
        function ban(address who) external;
        function fail() external;
    }
    event Stored(uint256 value);
    error Bad(uint256 value);
    error Denied(address target);
}

/// ```solidity
/// fallback(bytes calldata data) external returns (bytes memory) {
///     if (data.length == 0) return abi.encode(slot0);          // getter
///     uint256 v = abi.decode(data, (uint256));
///     if (v == 0xbad) revert Bad(v);                            // custom error
///     slot0 = v;
///     emit Stored(v);
///     return abi.encode(v);
/// }
/// ```
pub fn store() -> Bytes {
    let selector = U256::from_be_slice(&Bad::SELECTOR) << 224;
    Asm::new()
        .op(op::CALLDATASIZE)
        .op(op::ISZERO)
        .push_label("get")
        .op(op::JUMPI)
        .push_u64(0)
        .op(op::CALLDATALOAD)
        .op(op::DUP1)
        .push_u64(0xbad)
        .op(op::EQ)
        .push_label("bad")
        .op(op::JUMPI)
        .op(op::DUP1)
        .push_u64(0)
        .op(op::SSTORE)
        .op(op::DUP1)
        .push_u64(0)
        .op(op::MSTORE)
        .push(U256::from_be_bytes(Stored::SIGNATURE_HASH.0))
        .push_u64(32)
        .push_u64(0)
        .op(op::LOG1)
        .push_u64(32)
        .push_u64(0)
        .op(op::RETURN)
        .label("get")
        .push_u64(0)
        .op(op::SLOAD)
        .push_u64(0)
        .op(op::MSTORE)
        .push_u64(32)
        .push_u64(0)
        .op(op::RETURN)
        .label("bad")
        .push(selector)
        .push_u64(0)
        .op(op::MSTORE)
        .push_u64(4)
        .op(op::MSTORE)
        .push_u64(36)
        .push_u64(0)
        .op(op::REVERT)
        .build()
}

/// `fallback() external { while (true) {} }`
pub fn spin() -> Bytes {
    Asm::new()
        .label("loop")
        .push_label("loop")
        .op(op::JUMP)
        .build()
}

/// `fallback() external returns (bytes32) { return blockhash(abi.decode(msg.data, (uint256))); }`
pub fn blockhash() -> Bytes {
    Asm::new()
        .push_u64(0)
        .op(op::CALLDATALOAD)
        .op(op::BLOCKHASH)
        .push_u64(0)
        .op(op::MSTORE)
        .push_u64(32)
        .push_u64(0)
        .op(op::RETURN)
        .build()
}

/// Gas a proxy forwards: a fixed amount, so the proxy keeps enough to record the outcome
/// even when the callee halts and burns everything it was given.
pub const PROXY_CALL_GAS: u64 = 80_000;

/// Forwards its calldata to `target` with `call_op` (CALL, STATICCALL or DELEGATECALL),
/// records `success + 1` in its slot 1 (so 1 = the inner call failed, 2 = it succeeded;
/// proof that execution continued) and returns whatever the callee returned — like
/// Solidity's `(bool ok, bytes memory out) = target.call(msg.data); slot1 = ok ? 2 : 1;`.
pub fn proxy(target: Address, call_op: u8) -> Bytes {
    let mut asm = Asm::new()
        .op(op::CALLDATASIZE)
        .push_u64(0)
        .push_u64(0)
        .op(op::CALLDATACOPY)
        .push_u64(0) // return size
        .push_u64(0) // return offset
        .op(op::CALLDATASIZE) // argument size
        .push_u64(0); // argument offset
    if call_op == op::CALL {
        asm = asm.push_u64(0); // value
    }
    asm.push_address(target)
        .push_u64(PROXY_CALL_GAS)
        .op(call_op)
        .op(op::DUP1)
        .push_u64(1)
        .op(op::ADD)
        .push_u64(1)
        .op(op::SSTORE)
        .op(op::RETURNDATASIZE)
        .push_u64(0)
        .push_u64(0)
        .op(op::RETURNDATACOPY)
        .op(op::RETURNDATASIZE)
        .push_u64(0)
        .op(op::RETURN)
        .build()
}

/// Init code that writes its slot 0 and self-destructs to `beneficiary` in the same
/// transaction (EIP-6780: the account is really deleted).
pub fn ephemeral(beneficiary: Address) -> Bytes {
    Asm::new()
        .push_u64(1)
        .push_u64(0)
        .op(op::SSTORE)
        .push_address(beneficiary)
        .op(op::SELFDESTRUCT)
        .build()
}

/// A minimal ERC-20 `transfer`: calldata is `to ‖ amount` (two words, no selector).
/// ```solidity
/// mapping(address => uint256) balanceOf; // slot 0
/// fallback() external returns (bool) {
///     (address to, uint256 amount) = abi.decode(msg.data, (address, uint256));
///     if (balanceOf[msg.sender] < amount) revert();
///     balanceOf[msg.sender] -= amount;
///     balanceOf[to] += amount;
///     emit Transfer(msg.sender, to, amount);
///     return true;
/// }
/// ```
pub fn token() -> Bytes {
    let transfer_topic = alloy_primitives::keccak256("Transfer(address,address,uint256)");
    Asm::new()
        .op(op::CALLER)
        .push_u64(0)
        .op(op::MSTORE)
        .push_u64(0x40)
        .push_u64(0)
        .op(op::KECCAK256) // [from_slot]
        .op(op::DUP1)
        .op(op::SLOAD) // [from_slot, from_balance]
        .push_u64(0x20)
        .op(op::CALLDATALOAD) // [.., amount]
        .op(op::DUP1)
        .op(op::DUP3)
        .op(op::LT)
        .push_label("fail")
        .op(op::JUMPI)
        .op(op::DUP1)
        .op(op::DUP3)
        .op(op::SUB) // [from_slot, from_balance, amount, new_from_balance]
        .op(op::DUP4)
        .op(op::SSTORE)
        .push_u64(0)
        .op(op::CALLDATALOAD)
        .push_u64(0)
        .op(op::MSTORE)
        .push_u64(0x40)
        .push_u64(0)
        .op(op::KECCAK256) // [.., amount, to_slot]
        .op(op::DUP1)
        .op(op::SLOAD)
        .op(op::DUP3)
        .op(op::ADD)
        .op(op::SWAP1)
        .op(op::SSTORE) // [from_slot, from_balance, amount]
        .push_u64(0)
        .op(op::MSTORE)
        .push_u64(0)
        .op(op::CALLDATALOAD)
        .op(op::CALLER)
        .push(U256::from_be_bytes(transfer_topic.0))
        .push_u64(0x20)
        .push_u64(0)
        .op(op::LOG3)
        .push_u64(1)
        .push_u64(0)
        .op(op::MSTORE)
        .push_u64(0x20)
        .push_u64(0)
        .op(op::RETURN)
        .label("fail")
        .push_u64(0)
        .push_u64(0)
        .op(op::REVERT)
        .build()
}

/// The storage slot of `balanceOf[owner]` in [`token`].
pub fn token_balance_slot(owner: Address) -> U256 {
    let mut key = [0u8; 64];
    key[12..32].copy_from_slice(owner.as_slice());
    U256::from_be_bytes(alloy_primitives::keccak256(key).0)
}
