//! The commented `config.toml` that `entente init` writes: every field with its meaning
//! and default, so an operator can tune a node without reading the source.

use crate::NodeConfig;

impl NodeConfig {
    /// This config as TOML with a comment on every field.
    pub fn to_documented_toml(&self) -> String {
        let peers: String = self
            .p2p
            .peers
            .iter()
            .map(|peer| {
                format!(
                    "\n[[p2p.peers]]\npublic_key = \"{}\"\naddress = \"{}\"\n",
                    peer.public_key, peer.address
                )
            })
            .collect();
        let d = NodeConfig::default();
        let optional_path =
            |name: &str, value: &Option<std::path::PathBuf>, default: &str| match value {
                Some(path) => format!("{name} = \"{}\"", path.display()),
                None => format!("# {name} = \"{default}\""),
            };
        let g = &self.gateway;
        let keystore_dir = optional_path("keystore_dir", &g.keystore_dir, "data/gateway/keystore");
        let tokens_file = optional_path("tokens_file", &g.tokens_file, "data/gateway/tokens.json");
        let passphrase_file = optional_path("passphrase_file", &g.passphrase_file, "gateway.pass");
        let verification_account = match &g.verification_account {
            Some(account) => format!("verification_account = \"{account}\""),
            None => "# verification_account = \"0x…\"".to_string(),
        };
        format!(
            r#"# Entente node configuration. Every field is optional; the default is shown in
# the comment above it. Relative paths are resolved against this file's folder.

# Where the node keeps its database (default "{d_data}").
data_dir = "{data_dir}"
# The consortium's chain spec, identical on every node (default "{d_spec}").
chain_spec = "{chain_spec}"
# This node's ed25519 validator key, hex (default "{d_key}"). Keep it secret.
key_file = "{key_file}"

[p2p]
# Address to accept validator connections on (default "{d_p2p}").
listen = "{p2p_listen}"
# Largest message a peer may send, bytes (default {d_msg}). Must fit the largest block.
message_bytes_max = {msg}

[p2p.rates]
# Messages per second each peer may send on each channel (as many at once as a burst).
# A peer over its rate is slowed, not dropped. Defaults: votes {dr_votes}, certificates
# {dr_certs}, resolver {dr_resolver}, blocks {dr_blocks}, backfill {dr_backfill},
# txs {dr_txs}, status {dr_status}.
votes = {r_votes}
certificates = {r_certs}
resolver = {r_resolver}
blocks = {r_blocks}
backfill = {r_backfill}
txs = {r_txs}
status = {r_status}

[rpc]
# Ethereum JSON-RPC, HTTP and WebSocket on the same port (default "{d_rpc}").
listen = "{rpc_listen}"
# Largest request body, bytes (default {d_req}).
request_bytes_max = {req}
# Largest response body, bytes (default {d_resp}).
response_bytes_max = {resp}
# Most calls in one JSON-RPC batch (default {d_batch}).
batch_requests_max = {batch}
# Most concurrent connections (default {d_conn}).
connections_max = {conn}
# Most subscriptions per WebSocket connection (default {d_subs}).
subscriptions_per_connection_max = {subs}
# Widest block range eth_getLogs accepts (default {d_range}).
logs_block_range_max = {range}
# Most logs eth_getLogs returns (default {d_logs}).
logs_results_max = {logs}
# Gas cap for eth_call and eth_estimateGas (default {d_gas}).
gas_cap = {gas}

[api]
# REST API, certificates, health and metrics (default "{d_api}").
listen = "{api_listen}"
# Largest request body, bytes (default {d_api_req}).
request_bytes_max = {api_req}

[txpool]
# Most pending transactions held (default {d_txs}).
txs_max = {txs}
# Most bytes of pending transactions held (default {d_bytes}).
bytes_max = {bytes}
# Most pending transactions per sender (default {d_sender}).
per_sender_max = {sender}
# Furthest a nonce may run ahead of the sender's next nonce (default {d_gap}).
nonce_gap_max = {gap}

[storage]
# Block cache of the state database, MiB (default {d_cache}).
cache_mib = {cache}
# Most write-ahead journal kept, MiB; it also bounds the recent writes held in memory
# (at least 64, default {d_journal}).
journal_mib = {journal}

[consensus]
# Wait for the leader's proposal before voting to skip the view, ms (default {d_lt}).
leader_timeout_ms = {lt}
# Wait for a view to certify before voting to skip it, ms; above leader_timeout_ms (default {d_ct}).
certification_timeout_ms = {ct}
# Rebroadcast a skip vote while stuck, ms (default {d_tr}).
timeout_retry_ms = {tr}
# Wait for a peer to answer a fetch, ms (default {d_ft}).
fetch_timeout_ms = {ft}
# Shortest interval between a block and its child, ms; with block_build_time_max_ms,
# below leader_timeout_ms (default {d_bi}).
block_interval_min_ms = {bi}
# Longest a proposer spends executing transactions into one block, ms; below
# leader_timeout_ms (default {d_bt}).
block_build_time_max_ms = {bt}
# How far a block's timestamp may run ahead of local time, ms (default {d_skew}).
timestamp_skew_max_ms = {skew}
# Capacity of internal actor mailboxes (default {d_mb}).
mailbox_size = {mb}

[log]
# tracing filter, e.g. "info" or "entente=debug,warn" (default "{d_level}").
level = "{level}"
# JSON log lines instead of text (default {d_json}).
json = {json}

[gateway]
# Keep account keys here, encrypted, and sign for REST callers holding an API token
# (manage them with `entente gateway …`). Off by default (default {d_gw}).
enabled = {gw}
# Folder of the encrypted account keys, Ethereum V3 JSON keystores
# (default "<data_dir>/gateway/keystore").
{keystore_dir}
# API token records: SHA-256 hashes, never the tokens (default "<data_dir>/gateway/tokens.json").
{tokens_file}
# Environment variable holding the keystore passphrase (default "{d_pass_env}").
passphrase_env = "{pass_env}"
# A file holding the passphrase instead; used when set (default none).
{passphrase_file}
# Most keys in the keystore (default {d_keys}).
keys_max = {keys}
# Most API tokens in force at once (default {d_tokens}).
tokens_max = {tokens}
# The account (key in the keystore, trace role verification_gateway) with which the
# public page /verify/<gtin>/<serial> checks consumers' codes (default none: the page
# shows provenance only).
{verification_account}

# The other validators of the consortium: public key (as in the chain spec) and address.
{peers}"#,
            d_data = d.data_dir.display(),
            data_dir = self.data_dir.display(),
            d_spec = d.chain_spec.display(),
            chain_spec = self.chain_spec.display(),
            d_key = d.key_file.display(),
            key_file = self.key_file.display(),
            d_p2p = d.p2p.listen,
            p2p_listen = self.p2p.listen,
            d_msg = d.p2p.message_bytes_max,
            msg = self.p2p.message_bytes_max,
            dr_votes = d.p2p.rates.votes,
            dr_certs = d.p2p.rates.certificates,
            dr_resolver = d.p2p.rates.resolver,
            dr_blocks = d.p2p.rates.blocks,
            dr_backfill = d.p2p.rates.backfill,
            dr_txs = d.p2p.rates.txs,
            dr_status = d.p2p.rates.status,
            r_votes = self.p2p.rates.votes,
            r_certs = self.p2p.rates.certificates,
            r_resolver = self.p2p.rates.resolver,
            r_blocks = self.p2p.rates.blocks,
            r_backfill = self.p2p.rates.backfill,
            r_txs = self.p2p.rates.txs,
            r_status = self.p2p.rates.status,
            d_rpc = d.rpc.listen,
            rpc_listen = self.rpc.listen,
            d_req = d.rpc.request_bytes_max,
            req = self.rpc.request_bytes_max,
            d_resp = d.rpc.response_bytes_max,
            resp = self.rpc.response_bytes_max,
            d_batch = d.rpc.batch_requests_max,
            batch = self.rpc.batch_requests_max,
            d_conn = d.rpc.connections_max,
            conn = self.rpc.connections_max,
            d_subs = d.rpc.subscriptions_per_connection_max,
            subs = self.rpc.subscriptions_per_connection_max,
            d_range = d.rpc.logs_block_range_max,
            range = self.rpc.logs_block_range_max,
            d_logs = d.rpc.logs_results_max,
            logs = self.rpc.logs_results_max,
            d_gas = d.rpc.gas_cap,
            gas = self.rpc.gas_cap,
            d_api = d.api.listen,
            api_listen = self.api.listen,
            d_api_req = d.api.request_bytes_max,
            api_req = self.api.request_bytes_max,
            d_txs = d.txpool.txs_max,
            txs = self.txpool.txs_max,
            d_bytes = d.txpool.bytes_max,
            bytes = self.txpool.bytes_max,
            d_sender = d.txpool.per_sender_max,
            sender = self.txpool.per_sender_max,
            d_gap = d.txpool.nonce_gap_max,
            gap = self.txpool.nonce_gap_max,
            d_cache = d.storage.cache_mib,
            cache = self.storage.cache_mib,
            d_journal = d.storage.journal_mib,
            journal = self.storage.journal_mib,
            d_lt = d.consensus.leader_timeout_ms,
            lt = self.consensus.leader_timeout_ms,
            d_ct = d.consensus.certification_timeout_ms,
            ct = self.consensus.certification_timeout_ms,
            d_tr = d.consensus.timeout_retry_ms,
            tr = self.consensus.timeout_retry_ms,
            d_ft = d.consensus.fetch_timeout_ms,
            ft = self.consensus.fetch_timeout_ms,
            d_bi = d.consensus.block_interval_min_ms,
            bi = self.consensus.block_interval_min_ms,
            d_bt = d.consensus.block_build_time_max_ms,
            bt = self.consensus.block_build_time_max_ms,
            d_skew = d.consensus.timestamp_skew_max_ms,
            skew = self.consensus.timestamp_skew_max_ms,
            d_mb = d.consensus.mailbox_size,
            mb = self.consensus.mailbox_size,
            d_level = d.log.level,
            level = self.log.level,
            d_json = d.log.json,
            json = self.log.json,
            d_gw = d.gateway.enabled,
            gw = g.enabled,
            d_pass_env = d.gateway.passphrase_env,
            pass_env = g.passphrase_env,
            d_keys = d.gateway.keys_max,
            keys = g.keys_max,
            d_tokens = d.gateway.tokens_max,
            tokens = g.tokens_max,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PeerConfig;

    #[test]
    fn documented_toml_parses_back_to_the_same_config() {
        let mut config = NodeConfig::default();
        config.rpc.gas_cap = 123_456;
        config.p2p.rates.txs = 7;
        config.p2p.peers.push(PeerConfig {
            public_key: "cd".repeat(32),
            address: "127.0.0.1:30302".parse().unwrap(),
        });
        let text = config.to_documented_toml();
        let parsed: NodeConfig = toml::from_str(&text).unwrap();
        assert_eq!(parsed, config);
        assert!(text.contains("# Gas cap for eth_call"));
        assert!(text.contains("# keystore_dir = "), "{text}");
    }

    #[test]
    fn documented_toml_keeps_gateway_settings() {
        let mut config = NodeConfig::default();
        config.gateway.enabled = true;
        config.gateway.passphrase_file = Some("secrets/gateway.pass".into());
        config.gateway.tokens_max = 7;
        let unset = config.to_documented_toml();
        assert!(unset.contains("# verification_account = "), "{unset}");
        config.gateway.verification_account =
            Some("0x00000000000000000000000000000000000000aa".into());
        let text = config.to_documented_toml();
        let parsed: NodeConfig = toml::from_str(&text).unwrap();
        assert_eq!(parsed, config);
        assert!(text.contains("passphrase_file = \"secrets/gateway.pass\""));
    }
}
