//! The Solidity interfaces of the asset registry and of every asset.

alloy_sol_types::sol! {
    #![sol(all_derives)]

    /// An asset as the registry lists it.
    struct AssetInfo {
        address asset;
        uint64 number;
        string name;
        string symbol;
        uint8 decimals;
        address issuer;
        bytes32 issuerOrg;
        uint256 totalSupply;
    }

    /// The asset registry (`0x…e17e03`).
    interface IAssets {
        /// Creates an asset issued by the caller (role `asset_issuer`); returns its address.
        function createAsset(string name, string symbol, uint8 decimals) external returns (address asset);
        function assetCount() external view returns (uint64);
        /// The asset at `asset`; reverts with NotFound for an address that is not one.
        function getAsset(address asset) external view returns (AssetInfo info);

        event AssetCreated(address indexed asset, address indexed issuer, bytes32 indexed issuerOrg, string symbol);

        error Unauthorized(address caller, string reason);
        error InvalidInput(string reason);
        error NotFound(string what);
    }

    /// One asset: ERC-20 plus issuance.
    interface IAsset {
        function name() external view returns (string);
        function symbol() external view returns (string);
        function decimals() external view returns (uint8);
        function totalSupply() external view returns (uint256);
        function balanceOf(address account) external view returns (uint256);
        function allowance(address owner, address spender) external view returns (uint256);
        function transfer(address to, uint256 value) external returns (bool);
        function approve(address spender, uint256 value) external returns (bool);
        function transferFrom(address from, address to, uint256 value) external returns (bool);

        /// Mints `value` to `to`; the asset's issuer only.
        function issue(address to, uint256 value) external returns (bool);
        /// Destroys `value` of the caller's own balance.
        function burn(uint256 value) external returns (bool);
        function issuer() external view returns (address);
        /// The part of `account`'s balance it may move.
        function spendableOf(address account) external view returns (uint256);

        event Transfer(address indexed from, address indexed to, uint256 value);
        event Approval(address indexed owner, address indexed spender, uint256 value);

        // OpenZeppelin 5 (ERC-6093) errors, which clients already decode.
        error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed);
        error ERC20InvalidSender(address sender);
        error ERC20InvalidReceiver(address receiver);
        error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed);
        error ERC20InvalidApprover(address approver);
        error ERC20InvalidSpender(address spender);
        error Unauthorized(address caller, string reason);
        error InvalidInput(string reason);
        error NotFound(string what);
        /// A regulatory order stops `account` from sending or receiving this asset.
        error AccountFrozen(address account, uint64 orderId);
        /// The balance suffices but part of it is frozen by a regulatory order.
        error InsufficientSpendable(address holder, uint256 spendable, uint256 needed);
    }
}
