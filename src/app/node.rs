//! `pgrq node`: the proxy plus the node layer. Order: listener (its address is announced)
//! → node identity → engine → system cluster state → gossip → control plane tasks (system
//! catalog, reconciler, failure detector, drain loop, hibernation, system catalog
//! membership, nudge and relay forwarding) →
//! admin socket →
//! `NodeBackend` → front end. Shutdown: stop
//! accepting, let sessions end, stop the control tasks, stop every rqlited child, stop
//! gossiping, remove the status file.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{AppError, Signals, bind, print_banner};
use crate::backend::node::NodeBackend;
use crate::config::Config;
use crate::gossip::{Gossip, GossipSettings};
use crate::node::core::{NodeCore, forward_nudges, run_system};
use crate::node::engine::Engine;
use crate::node::inventory::{self, Usage};
use crate::node::ops::NodeOps;
use crate::node::status::{Reporter, keep_status_file, status_path};
use crate::node::system::SystemCluster;
use crate::node::{drain, hibernate, reconcile, replace, sysmember};
use crate::wire::{self, Frontend};

type SnapshotWatch = tokio::sync::watch::Receiver<Option<Arc<crate::node::catalog::Snapshot>>>;

pub(super) async fn run_node(cfg: Config) -> Result<(), AppError> {
    let signals = Signals::install().map_err(AppError::Signal)?;
    let cfg = Arc::new(cfg);
    let tls = wire::tls_setup(&cfg.tls)?;
    let (listener, addr) = bind(&cfg).await?;
    let proxy_addr = cfg
        .proxy
        .advertise_address
        .clone()
        .unwrap_or_else(|| addr.to_string());
    std::fs::create_dir_all(&cfg.node.data_dir)
        .map_err(|e| AppError::Cluster(format!("{}: {e}", cfg.node.data_dir.display())))?;
    let key = crate::gossip::identity::load_or_create(&cfg.node.data_dir.join("node.key"))?;
    let node_id = key.public().to_peer_id().to_string();
    let host = cfg
        .node
        .advertise_host
        .parse()
        .map_err(|e| AppError::Cluster(format!("node.advertise_host: {e}")))?;
    let engine = Arc::new(Engine::new(&cfg)?);
    let system = Arc::new(SystemCluster::load(&cfg, &node_id)?);
    let activity = Arc::new(crate::node::activity::Activity::new());
    // What the catalog places here, once the reconciler has read it (the core, which
    // holds it, is built after gossip starts).
    let snaps: Arc<OnceLock<SnapshotWatch>> = Arc::default();
    let (usage_snaps, usage_id) = (snaps.clone(), node_id.clone());
    let reporter = Reporter::new(
        cfg.clone(),
        proxy_addr.clone(),
        Box::new(move || {
            let snap = usage_snaps.get().and_then(|rx| rx.borrow().clone());
            snap.map_or_else(Usage::default, |s| inventory::usage(&s, &usage_id))
        }),
    )
    .with_system(system.clone())
    .with_activity(activity.clone());
    let gossip_stop = CancellationToken::new();
    let gossip = Gossip::start(
        GossipSettings::from_config(&cfg)?,
        key,
        Arc::new(reporter),
        gossip_stop.clone(),
    )?;
    tracing::info!("node id {node_id}");
    let status_file = tokio::spawn(keep_status_file(
        status_path(&cfg.node.data_dir),
        gossip.peers(),
        cfg.discovery.health_check_interval,
        gossip_stop.clone(),
    ));
    let core = NodeCore::new(
        cfg.clone(),
        node_id,
        host,
        proxy_addr,
        engine.clone(),
        system,
        gossip.peers(),
        gossip.nudger(),
        activity,
    );
    let _ = snaps.set(core.snapshots());
    let control_stop = CancellationToken::new();
    let ops: Arc<dyn crate::node::admin::AdminOps> = Arc::new(NodeOps::new(core.clone()));
    let control = [
        tokio::spawn(forward_nudges(core.clone(), gossip.nudges(), ops.clone())),
        tokio::spawn(run_system(core.clone(), control_stop.clone())),
        tokio::spawn(reconcile::run(core.clone(), control_stop.clone())),
        tokio::spawn(replace::run(core.clone(), control_stop.clone())),
        tokio::spawn(drain::run(core.clone(), control_stop.clone())),
        tokio::spawn(hibernate::run(core.clone(), control_stop.clone())),
        tokio::spawn(sysmember::run(core.clone(), control_stop.clone())),
    ];
    let admin = crate::node::admin::serve(
        crate::node::admin::socket_path(&cfg.node.data_dir),
        ops,
        control_stop.clone(),
    )
    .await?;
    let mirrors = Arc::new(crate::mirror::Mirrors::default());
    tokio::spawn(forget_dropped_mirrors(core.snapshots(), mirrors.clone()));
    let backend = Arc::new(NodeBackend::new(core));
    let front = Frontend::new(cfg.clone(), backend, mirrors);
    print_banner(&cfg, addr);

    let shutdown = CancellationToken::new();
    let server = tokio::spawn(wire::serve(listener, front, tls, shutdown.clone()));
    signals.wait().await;
    tracing::info!("shutting down");
    shutdown.cancel();
    let _ = server.await;
    control_stop.cancel();
    for task in control.into_iter().skip(1) {
        let _ = task.await;
    }
    let _ = admin.await;
    engine.shutdown(Duration::from_secs(10)).await;
    gossip_stop.cancel();
    gossip.stopped().await;
    let _ = status_file.await;
    tracing::info!("stopped");
    Ok(())
}

/// A dropped database's schema mirror is forgotten, so that the database created again
/// under its name starts from its own (empty) schema. Ends when the node core is gone.
async fn forget_dropped_mirrors(
    mut snaps: tokio::sync::watch::Receiver<Option<Arc<crate::node::catalog::Snapshot>>>,
    mirrors: Arc<crate::mirror::Mirrors>,
) {
    while snaps.changed().await.is_ok() {
        let Some(snap) = snaps.borrow_and_update().clone() else {
            continue;
        };
        mirrors.retain(|db| {
            snap.database(db.as_str())
                .is_none_or(|d| d.state != crate::syscatalog::DbState::Dropped)
        });
    }
}
