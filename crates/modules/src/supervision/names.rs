//! The names of the module's codes, as the REST API and the CLI print and parse them.

/// Target kinds, by code (1 = `account`).
pub const TARGET_KINDS: [&str; 5] = ["account", "contract", "method", "holding", "tx"];
/// Reason codes, by code (1 = `court_order`).
pub const REASONS: [&str; 6] = [
    "court_order",
    "aml",
    "sanctions",
    "fraud",
    "recall",
    "other",
];
/// Directions of account and holding orders, by code (1 = `outbound`).
pub const DIRECTIONS: [&str; 3] = ["outbound", "inbound", "both"];
/// Order statuses, by code (1 = `active`).
pub const ORDER_STATUSES: [&str; 4] = ["active", "lifted", "ratified", "expired"];
/// Proposal kinds, by code (1 = `freeze`).
pub const PROPOSAL_KINDS: [&str; 4] = ["freeze", "lift", "ratify", "forced_transfer"];
/// Proposal statuses, by code (1 = `open`).
pub const PROPOSAL_STATUSES: [&str; 3] = ["open", "executed", "expired"];

/// The name of a 1-based code; a code the module does not know stays numeric.
pub fn name(table: &[&str], code: impl Into<u64>) -> String {
    let code = code.into();
    usize::try_from(code)
        .ok()
        .and_then(|c| c.checked_sub(1))
        .and_then(|i| table.get(i))
        .map_or_else(|| code.to_string(), |n| (*n).to_string())
}

/// The 1-based code of a name.
pub fn code_of(table: &[&str], text: &str) -> Option<u8> {
    table
        .iter()
        .position(|n| *n == text)
        .and_then(|i| u8::try_from(i + 1).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes_round_trip_and_unknown_codes_stay_numeric() {
        assert_eq!(name(&REASONS, 1u8), "court_order");
        assert_eq!(code_of(&REASONS, "other"), Some(6));
        assert_eq!(name(&TARGET_KINDS, 9u8), "9");
        assert_eq!(name(&TARGET_KINDS, 0u8), "0");
        assert_eq!(code_of(&DIRECTIONS, "sideways"), None);
    }
}
