// SPDX-License-Identifier: Apache-2.0
// Contracts of the Entente benchmark harness (crates/bench). Compiled once by build.mjs
// into contracts.json; the harness deploys that bytecode, it never compiles.
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// The OpenZeppelin 5 ERC-20 whose `transfer` the ERC-20 workload measures. The deployer
/// may mint to many holders in one call, so setup can fund thousands of senders quickly.
contract BenchToken is ERC20 {
    address private immutable minter;

    error NotMinter(address caller);

    constructor() ERC20("Entente Bench Token", "EBT") {
        minter = msg.sender;
    }

    function mintBatch(address[] calldata holders, uint256 amount) external {
        if (msg.sender != minter) revert NotMinter(msg.sender);
        for (uint256 i = 0; i < holders.length; ++i) {
            _mint(holders[i], amount);
        }
    }
}

/// Contract calls with events for the mixed workload: one storage write and one log.
/// The mixed workload also deploys fresh copies of it.
contract BenchEvents {
    event Recorded(address indexed from, uint256 indexed key, uint256 value);

    mapping(uint256 => uint256) public values;

    function record(uint256 key, uint256 value) external {
        values[key] = value;
        emit Recorded(msg.sender, key, value);
    }
}

/// Setup of the large-state variant: creates `count` accounts holding 1 wei each at
/// addresses derived from (`seed`, i). Never part of a measured workload.
contract StateFiller {
    function fill(uint256 seed, uint256 count) external payable {
        for (uint256 i = 0; i < count; ++i) {
            address holder = address(uint160(uint256(keccak256(abi.encode(seed, i)))));
            payable(holder).transfer(1);
        }
    }
}
