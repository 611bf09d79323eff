//! The Solidity interface of the supervision module (`0x…e17e04`).

alloy_sol_types::sol! {
    #![sol(all_derives)]

    /// What an order freezes. `kind`: 1 account, 2 contract, 3 contract method, 4 holding
    /// of a native asset, 5 pending transaction. `target`: the account, contract or
    /// holder address (left-padded) or the transaction hash. For a pending transaction,
    /// `asset` may name its sender and `amount` its nonce: the module then refuses the
    /// order once that nonce is used (`TxAlreadyCommitted`). `direction` (accounts and
    /// holdings): 1 outbound, 2 inbound, 3 both. `reason`: 1 court order, 2 AML,
    /// 3 sanctions, 4 fraud, 5 recall, 6 other.
    struct FreezeSpec {
        uint8 kind;
        bytes32 target;
        bytes4 selector;
        address asset;
        /// Units of the asset frozen; 0 freezes the whole holding.
        uint256 amount;
        uint8 direction;
        uint16 reason;
        /// SHA-256 of the court order or decision; required.
        bytes32 legalBasis;
        bytes32 caseRef;
        /// Height at which an ordinary order lapses; 0: until lifted. Emergency orders
        /// always lapse (`supervision.emergency_ttl_blocks`) unless ratified.
        uint64 expiresAt;
    }

    /// An order. `status`: 1 active, 2 lifted, 3 ratified (replaced by an ordinary
    /// order), 4 expired. An order lapses at `expiresAt` whatever its recorded status
    /// (`active` is false from that height on); the status says expired once a later
    /// order on the same target, or a later emergency order of the same regulator, has
    /// swept it (with an `OrderExpired` event).
    struct Order {
        uint64 id;
        FreezeSpec spec;
        bool emergency;
        address issuedBy;
        uint64 proposalId;
        uint64 activatedAt;
        uint8 status;
        uint64 closedAt;
        /// Units already moved to escrow by forced transfers.
        uint256 consumed;
        bool active;
    }

    /// A committee proposal. `kind`: 1 freeze, 2 lift, 3 ratify, 4 forced transfer.
    /// `status`: 1 open, 2 executed, 3 expired (reported once its height is past).
    struct Proposal {
        uint64 id;
        uint8 kind;
        uint64 orderId;
        FreezeSpec spec;
        address escrow;
        uint256 amount;
        uint64 newExpiresAt;
        address proposer;
        uint64 createdAt;
        uint64 expiresAt;
        uint8 status;
        uint32 agree;
        uint32 against;
        /// Committee size when the proposal was read.
        uint32 members;
    }

    interface ISupervision {
        function proposeFreeze(FreezeSpec spec) external returns (uint64 proposalId);
        /// One regulator, at once: freeze only, lapses after the emergency TTL unless
        /// ratified, at most `supervision.emergency_quota` active per regulator.
        function emergencyFreeze(FreezeSpec spec) external returns (uint64 orderId);
        function proposeLift(uint64 orderId) external returns (uint64 proposalId);
        function proposeRatify(uint64 orderId, uint64 newExpiresAt) external returns (uint64 proposalId);
        function proposeForcedTransfer(uint64 orderId, address escrow, uint256 amount) external returns (uint64 proposalId);
        function vote(uint64 proposalId, bool agree) external;

        function getOrder(uint64 id) external view returns (Order order);
        function getProposal(uint64 id) external view returns (Proposal proposal);
        function orderCount() external view returns (uint64);
        function proposalCount() external view returns (uint64);
        /// Every order ever made on `targetKey`: an address (left-padded), a transaction
        /// hash, or `holdingKey(asset, holder)`.
        function ordersOf(bytes32 targetKey) external view returns (uint64[] orderIds);
        function holdingKey(address asset, address holder) external pure returns (bytes32);
        /// Whether an active order covers the target (`selector` for kind 3, `asset` for
        /// kind 4), and the first such order.
        function isFrozen(uint8 kind, bytes32 target, bytes4 selector, address asset) external view returns (bool frozen, uint64 orderId);
        /// Units of `asset` frozen in `holder`'s holding (2^256-1: all of it).
        function frozenAmount(address asset, address holder) external view returns (uint256);

        event FreezeProposed(uint64 indexed proposalId, uint8 kind, bytes32 indexed target, address indexed proposer);
        event LiftProposed(uint64 indexed proposalId, uint64 indexed orderId, address indexed proposer);
        event RatifyProposed(uint64 indexed proposalId, uint64 indexed orderId, address indexed proposer);
        event ForcedTransferProposed(uint64 indexed proposalId, uint64 indexed orderId, address indexed escrow, uint256 amount);
        event Voted(uint64 indexed proposalId, address indexed member, bool agree);
        event FreezeActivated(uint64 indexed orderId, uint8 kind, bytes32 indexed target, uint64 proposalId);
        event EmergencyFreezeActivated(uint64 indexed orderId, bytes32 indexed target, address indexed issuer, uint64 expiresAt);
        event OrderRatified(uint64 indexed orderId, uint64 newOrderId);
        event OrderLifted(uint64 indexed orderId, uint64 proposalId);
        event OrderExpired(uint64 indexed orderId);
        event ForcedTransfer(uint64 indexed orderId, address indexed asset, address indexed from, address escrow, uint256 amount);
        /// The target of every new order is told, with the reason and legal basis.
        event SubjectNotified(bytes32 indexed target, uint64 indexed orderId, uint16 reason, bytes32 legalBasis);

        error Unauthorized(address caller, string reason);
        error InvalidInput(string reason);
        error NotFound(string what);
        error MissingLegalBasis();
        error TargetNotFreezable(bytes32 target, string reason);
        error AlreadyVoted(uint64 proposalId, address member);
        error ProposalExpired(uint64 proposalId);
        error ProposalNotOpen(uint64 proposalId, uint8 status);
        error ProposalAlreadyOpen(uint64 proposalId);
        error EmergencyQuotaExceeded(address member, uint64 active);
        error InvalidState(uint64 orderId, uint8 status);
        error AlreadyOrdinary(uint64 orderId);
        error NoCoveringOrder(address asset, address holder);
        /// The transaction (or another with its sender and nonce) is already in the chain:
        /// freeze what it produced instead.
        error TxAlreadyCommitted(bytes32 txHash);
        /// A transaction of, or a credit to, a frozen account (in its receipt).
        error Frozen(uint64 orderId);
        /// A state-changing call into a frozen contract or method.
        error ContractFrozen(uint64 orderId);
    }
}
