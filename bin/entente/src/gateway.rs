//! `entente gateway`: the account keys a node keeps, encrypted, for its organisation's
//! users, and the API tokens with which REST callers act as those accounts.
//!
//! Every command works on the files named by the node's config (`[gateway]`), and is
//! safe while the node runs: each change replaces a file atomically, and the node
//! re-reads the token file when it changes, so an issued or revoked token applies to its
//! very next request.

use std::path::{Path, PathBuf};

use alloy_primitives::Address;
use anyhow::Context as _;
use clap::{Args, Subcommand};
use entente_api::time::utc;
use entente_config::NodeConfig;
use entente_gateway::{Passphrase, TokenRecord, keystore_of, token_file_of};
use entente_primitives::LocalSigner;

/// Largest key file read, in bytes.
const KEY_FILE_BYTES_MAX: u64 = 4096;

#[derive(Args)]
pub struct GatewayArgs {
    #[command(subcommand)]
    pub command: GatewayCommand,
}

/// The node whose gateway files to manage.
#[derive(Args)]
pub struct NodeArg {
    /// The node's config.toml: its `[gateway]` section names the files and the
    /// passphrase source.
    #[arg(long)]
    pub config: PathBuf,
}

/// Where an imported key comes from.
#[derive(Args)]
#[group(required = true, multiple = false)]
pub struct KeySource {
    /// The secp256k1 secret key, hex (visible in the shell history: prefer --key-file).
    #[arg(long)]
    pub key: Option<String>,
    /// A file holding the secret key, hex (as `entente init` writes admin.key).
    #[arg(long)]
    pub key_file: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum GatewayCommand {
    /// Encrypt an existing account key into the node's keystore.
    ImportKey {
        #[command(flatten)]
        node: NodeArg,
        #[command(flatten)]
        source: KeySource,
    },
    /// Generate a new account key in the node's keystore and print its address.
    NewKey {
        #[command(flatten)]
        node: NodeArg,
    },
    /// List the accounts whose keys the keystore holds.
    ListKeys {
        #[command(flatten)]
        node: NodeArg,
    },
    /// Issue an API token acting as one account (printed once; only its hash is kept).
    IssueToken {
        #[command(flatten)]
        node: NodeArg,
        /// The account the token acts as; its key must be in the keystore.
        #[arg(long)]
        account: Address,
        /// A note on who or what uses the token (at most 64 bytes).
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List the API tokens, in force and revoked (never the tokens themselves).
    ListTokens {
        #[command(flatten)]
        node: NodeArg,
    },
    /// Revoke an API token by id; a running node refuses it from its next request.
    RevokeToken {
        #[command(flatten)]
        node: NodeArg,
        /// The token's id, as `issue-token` and `list-tokens` print it.
        id: String,
    },
}

pub fn run(args: GatewayArgs) -> anyhow::Result<()> {
    match args.command {
        GatewayCommand::ImportKey { node, source } => import_key(&node.config, &source),
        GatewayCommand::NewKey { node } => new_key(&node.config),
        GatewayCommand::ListKeys { node } => list_keys(&node.config),
        GatewayCommand::IssueToken {
            node,
            account,
            label,
        } => issue_token(&node.config, account, &label),
        GatewayCommand::ListTokens { node } => list_tokens(&node.config),
        GatewayCommand::RevokeToken { node, id } => revoke_token(&node.config, &id),
    }
}

/// The node's config, with a note when its gateway is off.
fn load(path: &Path) -> anyhow::Result<NodeConfig> {
    let config = NodeConfig::load(path)?;
    if !config.gateway.enabled {
        eprintln!(
            "note: [gateway] is not enabled in {}; the node serves no gateway requests until it is",
            path.display()
        );
    }
    Ok(config)
}

fn read_key(source: &KeySource) -> anyhow::Result<LocalSigner> {
    let text = match (&source.key, &source.key_file) {
        (Some(key), _) => key.clone(),
        (None, Some(path)) => {
            let size = std::fs::metadata(path)
                .with_context(|| format!("reading {}", path.display()))?
                .len();
            anyhow::ensure!(
                size <= KEY_FILE_BYTES_MAX,
                "{} is too large to be a key file",
                path.display()
            );
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
        }
        (None, None) => anyhow::bail!("give --key or --key-file"),
    };
    LocalSigner::from_hex(&text).context("the key must be a 32-byte secp256k1 secret key in hex")
}

fn print_key(keystore: &entente_gateway::Keystore, address: &Address) {
    println!("address:  {address}");
    println!("keystore: {}", keystore.path_of(address).display());
}

fn import_key(config_path: &Path, source: &KeySource) -> anyhow::Result<()> {
    let config = load(config_path)?;
    let signer = read_key(source)?;
    let passphrase = Passphrase::from_config(&config.gateway)?;
    let keystore = keystore_of(&config);
    let address = keystore.import(&signer, &passphrase)?;
    print_key(&keystore, &address);
    Ok(())
}

fn new_key(config_path: &Path) -> anyhow::Result<()> {
    let config = load(config_path)?;
    let passphrase = Passphrase::from_config(&config.gateway)?;
    let keystore = keystore_of(&config);
    let address = keystore.create(&passphrase)?;
    print_key(&keystore, &address);
    Ok(())
}

fn list_keys(config_path: &Path) -> anyhow::Result<()> {
    let config = load(config_path)?;
    for address in keystore_of(&config).list()? {
        println!("{address}");
    }
    Ok(())
}

fn issue_token(config_path: &Path, account: Address, label: &str) -> anyhow::Result<()> {
    let config = load(config_path)?;
    let keystore = keystore_of(&config);
    anyhow::ensure!(
        keystore.contains(&account),
        "the keystore {} holds no key for {account}: add it with `entente gateway import-key` first",
        keystore.dir().display()
    );
    let issued = token_file_of(&config).issue(account, label)?;
    println!("id:      {}", issued.record.id);
    println!("account: {}", issued.record.account);
    println!("label:   {}", issued.record.label);
    println!("token:   {}", issued.token);
    eprintln!(
        "The token is shown only now; the node keeps only its SHA-256. \
         Send it as: Authorization: Bearer <token>"
    );
    Ok(())
}

fn list_tokens(config_path: &Path) -> anyhow::Result<()> {
    let config = load(config_path)?;
    let records = token_file_of(&config).read()?;
    println!(
        "{:<16}  {:<42}  {:<20}  {:<28}  LABEL",
        "ID", "ACCOUNT", "CREATED (UTC)", "STATUS"
    );
    for record in &records {
        println!("{}", token_line(record));
    }
    Ok(())
}

fn token_line(record: &TokenRecord) -> String {
    let status = match record.revoked_at {
        None => "active".to_string(),
        Some(at) => format!("revoked {}", utc(at)),
    };
    format!(
        "{:<16}  {:<42}  {:<20}  {:<28}  {}",
        record.id,
        record.account.to_string(),
        utc(record.created_at),
        status,
        record.label
    )
}

fn revoke_token(config_path: &Path, id: &str) -> anyhow::Result<()> {
    let config = load(config_path)?;
    let record = token_file_of(&config).revoke(id)?;
    println!(
        "revoked token {} (account {}); a running node refuses it from its next request",
        record.id, record.account
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00");
        assert_eq!(utc(1_767_225_599), "2025-12-31 23:59:59");
    }
}
