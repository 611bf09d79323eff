//! What every module's precompile does before its own dispatch.

use alloy_sol_types::SolInterface;
use entente_execution::{ModuleCall, ModuleHalt, ModuleHost};

/// Charges `gas_base`, decodes `call` as one of the module's ABI calls and refuses value
/// (modules hold none). `Ok(Err(reason))` is an input the module refuses with its own
/// `InvalidInput` error; `Err` halts the call (out of gas).
pub fn decode_call<C: SolInterface>(
    call: &ModuleCall<'_>,
    host: &mut dyn ModuleHost,
    gas_base: u64,
    module: &str,
) -> Result<Result<C, String>, ModuleHalt> {
    host.charge(gas_base)?;
    let decoded = match C::abi_decode(call.input) {
        Ok(decoded) => decoded,
        Err(err) => return Ok(Err(format!("undecodable {module} call: {err}"))),
    };
    if !call.value.is_zero() {
        return Ok(Err(format!("{module} calls carry no value")));
    }
    Ok(Ok(decoded))
}
