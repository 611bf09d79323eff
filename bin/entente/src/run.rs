//! Running nodes on the production runtime until Ctrl-C or a failure.

use std::{path::Path, sync::Arc, time::Duration};

use anyhow::Context as _;
use commonware_runtime::{Handle, Runner as _, Spawner as _, Supervisor as _, tokio};
use entente_chainspec::ChainSpec;
use entente_config::NodeConfig;
use entente_node::{NodeHandle, NodeParams, launch, read_validator_key};
use tracing::{error, info};

use crate::telemetry;

/// Worker threads for the async runtime; execution runs on its blocking pool.
fn worker_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .max(2)
}

/// Starts `nodes` in one runtime whose storage lives in `storage_dir`, calls `started`
/// once they all run, then waits for Ctrl-C (clean stop) or a component failure.
pub fn run_nodes(
    storage_dir: &Path,
    nodes: Vec<NodeParams>,
    started: impl FnOnce(&[NodeHandle]) -> anyhow::Result<()> + Send + 'static,
) -> anyhow::Result<()> {
    let config = tokio::Config::new()
        .with_storage_directory(storage_dir)
        .with_worker_threads(worker_threads())
        .with_catch_panics(false);
    tokio::Runner::new(config).start(|context| async move {
        let mut running = Vec::new();
        for params in nodes {
            let name = params.name.clone();
            let node = launch(context.child("node").with_attribute("name", &name), params)
                .await
                .with_context(|| format!("starting {name}"))?;
            running.push(node);
        }
        started(&running)?;
        let handles: Vec<Handle<()>> = running
            .iter_mut()
            .flat_map(|node| std::mem::take(&mut node.handles))
            .collect();
        let failed = ::tokio::select! {
            _ = ::tokio::signal::ctrl_c() => {
                info!("Ctrl-C received, stopping");
                false
            }
            _ = Handle::select(handles) => {
                error!("a node component stopped unexpectedly");
                true
            }
        };
        let _ = context.stop(0, Some(Duration::from_secs(10))).await;
        if failed {
            anyhow::bail!("a node component stopped unexpectedly; see the log above");
        }
        Ok(())
    })
}

/// `entente node --config PATH`.
pub fn node(config_path: &Path) -> anyhow::Result<()> {
    let config = NodeConfig::load(config_path)?;
    telemetry::init(&config.log.level, config.log.json);
    let spec = Arc::new(ChainSpec::load(&config.chain_spec)?);
    let key = read_validator_key(&config.key_file)?;
    let storage_dir = config.data_dir.join("consensus");
    let name = spec
        .validator(&key.public_key())
        .map(|v| v.name.clone())
        .unwrap_or_else(|| "node".into());
    let params = NodeParams {
        name,
        spec,
        key,
        config,
    };
    run_nodes(&storage_dir, vec![params], |nodes| {
        for node in nodes {
            info!(node = %node.name, "running; press Ctrl-C to stop");
        }
        Ok(())
    })
}
