use super::*;
use crate::node::test_peers;
use crate::syscatalog::{DatabaseRecord, NodeRecord, NodeState};

const NOW: u64 = 1_000_000;

fn peer(id: &str, activity: Vec<DbActivity>) -> PeerView {
    test_peers::peer(id, true, activity)
}

/// Databases `(name, state)`, each with one replica on node "a" (ports when not
/// hibernating) and one on node "b".
fn snap(dbs: &[(&str, DbState)]) -> Snapshot {
    Snapshot {
        nodes: ["a", "b"]
            .iter()
            .map(|id| NodeRecord {
                id: (*id).into(),
                proxy_addr: String::new(),
                rqlite_host: "127.0.0.1".into(),
                gossip_addrs: vec![],
                max_databases: 2,
                state: NodeState::Active,
                version: 1,
            })
            .collect(),
        databases: dbs
            .iter()
            .map(|(name, state)| DatabaseRecord {
                name: (*name).into(),
                app: "demo".into(),
                state: *state,
                replication_factor: 2,
                version: 3,
                claim: "c".into(),
            })
            .collect(),
        replicas: dbs
            .iter()
            .enumerate()
            .flat_map(|(i, (name, state))| {
                let port = (*state != DbState::Hibernating).then_some(20_000 + i as u16);
                ["a", "b"].into_iter().map(move |node| ReplicaRecord {
                    database: (*name).into(),
                    node_id: node.into(),
                    replica_id: format!("{name}-{node}"),
                    http_port: port,
                    raft_port: port,
                })
            })
            .collect(),
    }
}

fn act(db: &str, sessions: u32, at_ms: u64) -> DbActivity {
    DbActivity {
        db: db.into(),
        sessions,
        last_active_unix_ms: at_ms,
    }
}

fn full() -> Snapshot {
    snap(&[
        ("demo_w", DbState::Waking),
        ("demo_x", DbState::Active),
        ("demo_y", DbState::Active),
    ])
}

#[test]
fn room_is_needed_over_max_databases_or_without_ports() {
    let s = full();
    let waking = s.replicas.iter().find(|r| r.database == "demo_w").unwrap();
    // Three would run where two may.
    let why = room_needed(&s, "a", waking, 2, true).unwrap();
    assert!(why.contains("max_databases = 2"), "{why}");
    assert_eq!(room_needed(&s, "a", waking, 3, true), None);
    // No bound on running databases.
    assert_eq!(room_needed(&s, "a", waking, 0, false), None);
    // A replica whose ports were taken, on a node with none free.
    let mut portless = waking.clone();
    portless.http_port = None;
    portless.raft_port = None;
    let why = room_needed(&s, "a", &portless, 3, false).unwrap();
    assert!(why.contains("port"), "{why}");
    assert_eq!(room_needed(&s, "a", &portless, 3, true), None);
}

#[test]
fn the_longest_idle_database_without_sessions_is_chosen() {
    let s = full();
    let mine = [act("demo_x", 0, NOW - 5_000), act("demo_y", 0, NOW - 9_000)];
    assert_eq!(
        victim(&s, "a", "demo_w", &mine, &[], NOW, MIN_IDLE).as_deref(),
        Some("demo_y")
    );
    // A query on another node, as gossip reports it, counts as use.
    let peers = [peer("b", vec![act("demo_y", 0, NOW - 10)])];
    assert_eq!(
        victim(&s, "a", "demo_w", &mine, &peers, NOW, MIN_IDLE).as_deref(),
        Some("demo_x")
    );
    // So does a session anywhere, however old its last query.
    let peers = [peer("b", vec![act("demo_x", 1, 0)])];
    let mine = [act("demo_y", 1, 0)];
    assert_eq!(
        victim(&s, "a", "demo_w", &mine, &peers, NOW, MIN_IDLE),
        None
    );
    // A database never used here nor reported is idle since forever.
    assert_eq!(
        victim(&s, "a", "demo_w", &[], &[], NOW, MIN_IDLE).as_deref(),
        Some("demo_x")
    );
}

#[test]
fn only_active_databases_held_here_are_candidates() {
    let s = snap(&[
        ("demo_w", DbState::Waking),
        ("demo_h", DbState::Hibernating),
        ("demo_c", DbState::Creating),
        ("demo_x", DbState::Active),
    ]);
    assert_eq!(
        victim(&s, "a", "demo_w", &[], &[], NOW, MIN_IDLE).as_deref(),
        Some("demo_x")
    );
    assert_eq!(victim(&s, "c", "demo_w", &[], &[], NOW, MIN_IDLE), None);
    // Used within MIN_IDLE: not yet.
    let mine = [act("demo_x", 0, NOW - 100)];
    assert_eq!(victim(&s, "a", "demo_w", &mine, &[], NOW, MIN_IDLE), None);
}
