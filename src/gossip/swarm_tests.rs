//! Two swarms in one process on loopback: a node of this build keeps working, and keeps
//! its peer, while that peer also publishes messages of a version it does not know.

use std::time::Duration;

use super::*;
use crate::gossip::message::Capacity;
use crate::gossip::{Gossip, LocalReport};

struct Fixed;

impl LocalStatus for Fixed {
    fn report(&self) -> LocalReport {
        LocalReport {
            proxy_addr: "127.0.0.1:5432".into(),
            capacity: Capacity {
                max_databases: 10,
                current_databases: 0,
                hibernated_databases: 0,
            },
            free_ports: 30,
            load: 0.0,
            rqlite_host: "127.0.0.1".into(),
            system_ports: None,
            system_members: vec![],
            system_epoch: 0,
            activity: vec![],
        }
    }
}

fn nudge_channels() -> NudgeChannels {
    let (_tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let (tx, _) = tokio::sync::broadcast::channel(8);
    (rx, tx)
}

fn settings(bootstrap: Vec<Multiaddr>) -> GossipSettings {
    GossipSettings {
        listen: vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()],
        bootstrap,
        mdns: false,
        discovery_interval: Duration::from_millis(300),
        health_check_interval: Duration::from_millis(100),
        max_connections: 8,
    }
}

#[tokio::test]
async fn a_newer_version_on_the_topic_is_ignored_and_the_peer_still_counts() {
    let stop = CancellationToken::new();
    let a = Gossip::start(
        settings(vec![]),
        Keypair::generate_ed25519(),
        Arc::new(Fixed),
        stop.clone(),
    )
    .unwrap();
    let mut peers = a.peers();
    let addr: Multiaddr = loop {
        let first = peers.borrow_and_update().first().cloned();
        if let Some(me) = first
            && let Some(addr) = me.heartbeat.gossip_addrs.first()
        {
            break addr.parse().unwrap();
        }
        tokio::time::timeout(Duration::from_secs(30), peers.changed())
            .await
            .expect("A never listened")
            .unwrap();
    };

    // B, driven by hand: every tick a version-2 message, then its normal heartbeat.
    let (tx, _rx) = watch::channel(Vec::new());
    let mut b = Runner::new(
        settings(vec![addr]),
        Keypair::generate_ed25519(),
        Arc::new(Fixed),
        tx,
        Arc::new(AtomicU64::new(0)),
        nudge_channels(),
    )
    .unwrap();
    let b_id = b.me.to_string();
    b.dial_known();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let sees_b = a
            .peers()
            .borrow()
            .iter()
            .any(|p| p.heartbeat.node_id == b_id && p.healthy);
        if sees_b && a.unknown_versions() > 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "A never saw B (ignored {} messages)",
            a.unknown_versions()
        );
        tokio::select! {
            event = b.swarm.select_next_some() => b.on_event(event),
            _ = tick.tick() => {
                let v2 = format!(r#"{{"version":2,"node_id":"{b_id}","shards":[1,2]}}"#);
                let _ = b.swarm.behaviour_mut().gossipsub.publish(b.topic.clone(), v2.into_bytes());
                b.heartbeat();
            }
        }
    }
    // Only real nodes in the table: A itself and B, from its version-1 heartbeats.
    assert_eq!(a.peers().borrow().len(), 2);
    stop.cancel();
    a.stopped().await;
}

#[tokio::test]
async fn connections_over_the_cap_are_closed() {
    // A, driven by hand, accepts one peer; B and C both join through it.
    let (tx, _rx) = watch::channel(Vec::new());
    let mut cap = settings(vec![]);
    cap.max_connections = 1;
    let mut a = Runner::new(
        cap,
        Keypair::generate_ed25519(),
        Arc::new(Fixed),
        tx,
        Arc::new(AtomicU64::new(0)),
        nudge_channels(),
    )
    .unwrap();
    let addr = loop {
        if let SwarmEvent::NewListenAddr { address, .. } = a.swarm.select_next_some().await {
            break address;
        }
    };
    let stop = CancellationToken::new();
    let mut others = Vec::new();
    for _ in 0..2 {
        others.push(
            Gossip::start(
                settings(vec![addr.clone()]),
                Keypair::generate_ed25519(),
                Arc::new(Fixed),
                stop.clone(),
            )
            .unwrap(),
        );
    }
    let (mut established, mut closed) = (0, 0);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while established < 2 || closed < 1 {
        let event = tokio::time::timeout_at(deadline, a.swarm.select_next_some())
            .await
            .expect("both peers connect and one is turned away");
        match &event {
            SwarmEvent::ConnectionEstablished { .. } => established += 1,
            SwarmEvent::ConnectionClosed { .. } => closed += 1,
            _ => {}
        }
        a.on_event(event);
        assert!(a.swarm.connected_peers().count() <= 2);
    }
    assert_eq!(a.swarm.connected_peers().count(), 1);
    stop.cancel();
    for g in others {
        g.stopped().await;
    }
}

#[tokio::test]
async fn nudges_reach_the_other_node() {
    let stop = CancellationToken::new();
    let a = Gossip::start(
        settings(vec![]),
        Keypair::generate_ed25519(),
        Arc::new(Fixed),
        stop.clone(),
    )
    .unwrap();
    let mut peers = a.peers();
    let addr: Multiaddr = loop {
        let first = peers.borrow_and_update().first().cloned();
        if let Some(me) = first
            && let Some(addr) = me.heartbeat.gossip_addrs.first()
        {
            break addr.parse().unwrap();
        }
        tokio::time::timeout(Duration::from_secs(30), peers.changed())
            .await
            .expect("A never listened")
            .unwrap();
    };
    let b = Gossip::start(
        settings(vec![addr]),
        Keypair::generate_ed25519(),
        Arc::new(Fixed),
        stop.clone(),
    )
    .unwrap();
    let mut heard = a.nudges();
    // Gossipsub needs the mesh first: repeat until A hears one (losing one only delays).
    let got = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            b.nudge("demo_x");
            if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(200), heard.recv()).await
            {
                break n;
            }
        }
    })
    .await
    .expect("A never heard B's nudge");
    assert_eq!(
        (got.database.as_str(), got.node_id),
        ("demo_x", b.node_id.clone())
    );
    stop.cancel();
    a.stopped().await;
    b.stopped().await;
}
