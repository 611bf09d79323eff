//! `entente keys`: generate validator and account keys.

use clap::Subcommand;
use entente_chainspec::{ValidatorKey, encode_public_key};
use entente_primitives::LocalSigner;

#[derive(Subcommand)]
pub enum KeysCommand {
    /// A new ed25519 validator key: prints the secret (for node.key) and the public key
    /// (for the chain spec).
    Validator,
    /// A new secp256k1 account key: prints the secret and the address.
    Account,
}

pub fn run(command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::Validator => {
            let key = ValidatorKey::random();
            println!("secret:     {}", key.to_hex());
            println!("public_key: {}", encode_public_key(&key.public_key()));
        }
        KeysCommand::Account => {
            let signer = LocalSigner::random();
            println!("secret:  {}", signer.secret_hex());
            println!("address: {}", signer.address());
        }
    }
    Ok(())
}
