//! The Solidity interface of the trace module (`0x…e17e05`).

// `TraceEvent` has ten fields, so its generated constructor has ten arguments.
#![allow(clippy::too_many_arguments)]

alloy_sol_types::sol! {
    #![sol(all_derives)]

    /// One serialised item: a GTIN-14 and its serial (GS1 AI 21).
    struct Epc {
        string gtin;
        string serial;
    }

    /// The when, where and why of an EPCIS event, as the submitter claims them. The
    /// chain records the block's height and time beside them; `eventTime` may not run
    /// ahead of the block's time by more than `trace.max_skew_secs`, nor go back before
    /// the subject's last event.
    struct EventInfo {
        /// Unix seconds.
        uint64 eventTime;
        /// Minutes east of UTC where the event happened (EPCIS `eventTimeZoneOffset`).
        int16 timeZoneOffset;
        /// Where it happened (EPCIS `readPoint`): a GLN or a place name, at most 64 bytes.
        string readPoint;
        /// Hash of the business transaction (purchase order, despatch advice, customs
        /// declaration); never shown to consumers.
        bytes32 bizTransaction;
        /// Hash of the off-chain EPCIS document, if any.
        bytes32 payloadHash;
        /// Who may see the event off chain: 1 private, 2 restricted, 3 linked, 4 public.
        /// The consumer page shows public events only.
        uint8 entitlement;
    }

    struct ProductView {
        string gtin;
        string name;
        bytes32 brandOrg;
        bytes32 attrsHash;
    }

    /// `status`: 1 active, 2 recalled.
    struct LotView {
        string gtin;
        string lot;
        bytes32 producer;
        /// ISO 3166-1 alpha-2.
        bytes2 originCountry;
        uint64 producedAt;
        bool crossBorder;
        uint8 status;
        /// A failed lot inspection holds every item of the lot until a passing one.
        bool held;
        uint64 items;
        uint64 lastEventTime;
        bytes32 recallReason;
        uint64 recalledAt;
        bytes32 ilmdHash;
    }

    /// `state`: 1 commissioned, 2 in transit, 3 held, 4 in stock, 5 sold, 6 recalled,
    /// 7 decommissioned (recalled and held include the lot's). `codeStatus`: 1 active,
    /// 2 consumed, 3 revoked. `flags`: bit 0 suspected clone, bit 1 probing, bit 2
    /// diversion (set by the brand or a regulator).
    struct ItemView {
        string gtin;
        string serial;
        string lot;
        uint8 state;
        bytes32 owner;
        bytes32 custodian;
        /// The organisation it is shipped to, while in transit.
        bytes32 recipient;
        /// The SSCC of the pallet it is packed in ("" when none).
        string container;
        bool crossBorder;
        bool customsDeclared;
        bool customsCleared;
        uint8 codeStatus;
        uint32 verifyCount;
        uint32 badAttempts;
        uint64 firstVerifiedAt;
        string firstVerifiedCell;
        uint8 flags;
        uint64 lastEventTime;
    }

    /// `state`: 2 in transit, 4 at its custodian.
    struct PalletView {
        string sscc;
        uint8 state;
        bytes32 custodian;
        bytes32 recipient;
        bool customsDeclared;
        bool customsCleared;
        uint64 lastEventTime;
        bytes32[] items;
    }

    /// `outcome`: 1 genuine (first verification), 2 already verified (the item is now
    /// flagged as a suspected clone), 3 invalid code (counted), 4 code revoked.
    struct Verification {
        uint8 outcome;
        /// False when the item was not sold through an authorised retailer (diversion or
        /// grey market) or is recalled.
        bool soldThroughAuthorizedChannel;
        bool recalled;
        uint64 firstVerifiedAt;
        string firstVerifiedCell;
        uint32 verifyCount;
        uint32 badAttempts;
        uint8 flags;
    }

    interface ITrace {
        /// A regulator binds a GS1 company prefix (6–12 digits) to an organisation.
        function registerPrefix(string prefix, bytes32 org) external;
        /// A brand owner registers a GTIN under one of its organisation's prefixes.
        function registerProduct(string gtin, string name, bytes32 attrsHash) external;
        /// The brand owner lets another organisation's producers commission its GTIN.
        function authorizeProducer(string gtin, bytes32 org, bool allowed) external;
        /// A producer of an authorised organisation opens a lot.
        function createLot(string gtin, string lot, bytes2 originCountry, uint64 producedAt, bool crossBorder, bytes32 ilmdHash) external;
        /// Serialises items of a lot, each with the commitment to its one-time secret
        /// (`authCommit`). The producer's organisation becomes owner and custodian.
        function commission(string gtin, string lot, string[] serials, bytes32[] authCommits, EventInfo info) external;
        /// An inspector of another organisation than the lot's producer records a result
        /// for the whole lot (`serials` empty) or some of its items. A failure holds them.
        function inspect(string gtin, string lot, string[] serials, bool pass, bytes32 certificateHash, EventInfo info) external;
        /// The custodian of every item packs them into a pallet (SSCC); they move with it.
        function pack(string sscc, Epc[] items, EventInfo info) external;
        function unpack(string sscc, EventInfo info) external;
        /// The custodian ships items and pallets to another organisation.
        function ship(Epc[] items, string[] ssccs, bytes32 to, EventInfo info) external;
        /// The organisation they were shipped to takes custody.
        function receive(Epc[] items, string[] ssccs, EventInfo info) external;
        /// A customs broker declares cross-border items or pallets.
        function customsDeclare(Epc[] items, string[] ssccs, bytes32 declaration, EventInfo info) external;
        /// The customs authority clears declared items or pallets.
        function customsClear(Epc[] items, string[] ssccs, bytes32 declaration, EventInfo info) external;
        /// A retailer holding the items sells them.
        function sell(Epc[] items, EventInfo info) external;
        /// The brand owner or a regulator recalls a whole lot.
        function recall(string gtin, string lot, bytes32 reason) external;
        /// The custodian takes items out of circulation; their codes are revoked.
        function decommission(Epc[] items, EventInfo info) external;
        /// A verification gateway checks a consumer's secret for an item.
        function verify(string gtin, string serial, bytes16 secret, string cell, bytes32 deviceHash) external returns (Verification result);
        /// The brand owner or a regulator sets or clears a flag (bit 0 clone, 1 probing,
        /// 2 diversion).
        function flag(string gtin, string serial, uint8 flags, bool set, bytes32 reason) external;

        function prefixOwner(string prefix) external view returns (bytes32 org);
        function product(string gtin) external view returns (ProductView product);
        function lot(string gtin, string lot) external view returns (LotView lot);
        function item(string gtin, string serial) external view returns (ItemView item);
        function pallet(string sscc) external view returns (PalletView pallet);
        /// `keccak256("AUTH" ‖ gtin ‖ "/" ‖ serial ‖ "/" ‖ secret)`.
        function authCommit(string gtin, string serial, bytes16 secret) external pure returns (bytes32);
        function itemKey(string gtin, string serial) external pure returns (bytes32);
        function lotKey(string gtin, string lot) external pure returns (bytes32);
        function palletKey(string sscc) external pure returns (bytes32);

        /// One EPCIS event as it concerns one subject (an item, a pallet or a lot key).
        /// `bizStep`: 1 commissioning, 2 inspecting, 3 packing, 4 unpacking, 5 shipping,
        /// 6 receiving, 7 customs declared, 8 customs cleared, 9 retail selling,
        /// 10 recalling, 11 decommissioning, 12 holding. `ref`: the other party or thing
        /// (shipping: the recipient organisation; packing/unpacking: the pallet key;
        /// inspecting: the certificate hash; customs: the declaration hash; recalling:
        /// the reason). `result`: for inspections, 1 pass and 2 fail.
        event TraceEvent(bytes32 indexed subject, uint8 indexed bizStep, bytes32 indexed eventId, bytes32 org, bytes32 ref, uint64 eventTime, int16 timeZoneOffset, string readPoint, uint8 result, uint8 entitlement);
        event PrefixRegistered(string prefix, bytes32 indexed org);
        event ProductRegistered(string gtin, bytes32 indexed brandOrg, string name);
        event ProducerAuthorized(string gtin, bytes32 indexed org, bool allowed);
        event LotCreated(bytes32 indexed lotKey, string gtin, string lot, bytes32 indexed producer);
        event Verified(bytes32 indexed item, uint8 outcome, string cell, bytes32 deviceHash, uint32 verifyCount);
        event Flagged(bytes32 indexed item, uint8 flags, bool set, bytes32 reason, bytes32 by);

        error Unauthorized(address caller, string reason);
        error InvalidInput(string reason);
        error InvalidIdentifier(string value, string reason);
        error NotFound(string what);
        error AlreadyExists(string what);
        error InvalidState(bytes32 subject, uint8 state);
        error WrongRecipient(bytes32 subject, bytes32 recipient);
        error ConflictOfInterest(bytes32 org);
        error NotCleared(bytes32 subject);
        error Recalled(bytes32 subject);
        error InContainer(bytes32 subject, string sscc);
        error OutOfOrder(bytes32 subject, uint64 last, uint64 given);
        error TimeInFuture(uint64 given, uint64 limit);
    }
}
