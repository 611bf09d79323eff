//! The governance module's Solidity interface: what ethers, cast and other contracts
//! call at [`crate::GOVERNANCE_ADDRESS`].

alloy_sol_types::sol! {
    #![sol(all_derives)]
    /// An organisation of the consortium.
    struct OrgInfo {
        bytes32 id;
        string name;
        address admin;
        /// 1 active, 2 suspended, 3 removed.
        uint8 status;
        uint32 weight;
    }

    /// A validator, past, present or scheduled.
    struct ValidatorInfo {
        /// ed25519 public key.
        bytes32 publicKey;
        bytes32 org;
        address feeRecipient;
        /// `host:port` other validators dial.
        string p2pAddress;
        /// First epoch in which it votes.
        uint64 fromEpoch;
        /// First epoch in which it no longer votes (0: none scheduled).
        uint64 untilEpoch;
    }

    /// A governance proposal.
    struct ProposalInfo {
        uint64 id;
        /// 1 AddOrg, 2 SetOrgStatus, 3 AddValidator, 4 RemoveValidator,
        /// 5 AppointRegulator, 6 RemoveRegulator, 7 SetParam.
        uint8 kind;
        bytes32 target;
        bytes payload;
        bytes32 proposerOrg;
        uint64 createdAt;
        uint64 expiresAt;
        /// 1 open, 2 executed, 3 rejected, 4 expired, 5 revoked.
        uint8 status;
        uint32 agreeWeight;
        uint32 againstWeight;
        uint32 totalWeight;
    }

    /// Registries, permissioning and the governance committee of an Entente consortium.
    interface IGovernance {
        // Registries (views).
        function orgs() external view returns (OrgInfo[] memory);
        function getOrg(bytes32 id) external view returns (OrgInfo memory);
        function getAccount(address account) external view returns (bytes32 org, uint8 status, string[] memory roles);
        function hasRole(address account, string calldata role) external view returns (bool);
        function validators() external view returns (ValidatorInfo[] memory);
        function isPermissioned() external view returns (bool);
        function approvalPct() external view returns (uint8);
        function proposalTtlBlocks() external view returns (uint64);

        // Organisation admins manage their own organisation's accounts and roles.
        function registerAccount(address account, string[] calldata roles) external;
        function setAccountStatus(address account, uint8 status) external;
        function grantRole(address account, string calldata role) external;
        function revokeRole(address account, string calldata role) external;

        // The committee: one weighted member per active organisation, acting through its admin.
        function proposeAddOrg(bytes32 id, string calldata name, address admin, uint32 weight) external returns (uint64);
        function proposeSetOrgStatus(bytes32 id, uint8 status) external returns (uint64);
        function proposeAddValidator(bytes32 publicKey, bytes32 org, address feeRecipient, string calldata p2pAddress) external returns (uint64);
        function proposeRemoveValidator(bytes32 publicKey) external returns (uint64);
        function proposeAppointRegulator(address account) external returns (uint64);
        function proposeRemoveRegulator(address account) external returns (uint64);
        function proposeSetParam(string calldata key, uint256 value) external returns (uint64);
        function vote(uint64 id, bool agree) external;
        function revoke(uint64 id) external;
        function getProposal(uint64 id) external view returns (ProposalInfo memory);
        function proposalCount() external view returns (uint64);

        event OrgAdded(bytes32 indexed id, string name, address admin, uint32 weight);
        event OrgStatusChanged(bytes32 indexed id, uint8 status);
        event AccountRegistered(address indexed account, bytes32 indexed org);
        event AccountStatusChanged(address indexed account, uint8 status);
        event RoleGranted(address indexed account, string role, address indexed by);
        event RoleRevoked(address indexed account, string role, address indexed by);
        event ValidatorAdded(bytes32 indexed publicKey, bytes32 indexed org, uint64 fromEpoch);
        event ValidatorRemoved(bytes32 indexed publicKey, uint64 untilEpoch);
        event ParamChanged(string key, uint256 value);
        event ProposalCreated(uint64 indexed id, uint8 kind, bytes32 target, bytes32 indexed proposerOrg, uint64 expiresAt);
        event Voted(uint64 indexed id, bytes32 indexed org, bool agree, uint32 weight);
        event ProposalExecuted(uint64 indexed id);
        event ProposalRejected(uint64 indexed id);
        event ProposalExpired(uint64 indexed id);
        event ProposalRevoked(uint64 indexed id);

        error Unauthorized(address caller, string reason);
        error NotFound(string what);
        error AlreadyExists(string what);
        error InvalidInput(string reason);
        error AlreadyVoted(uint64 id, bytes32 org);
        error ProposalNotOpen(uint64 id, uint8 status);
        error OpenProposalExists(uint64 id);
    }
}
