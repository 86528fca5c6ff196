use std::collections::BTreeSet;

use super::*;
use crate::gossip::DbActivity;
use crate::node::test_peers::peer;
use crate::syscatalog::{DatabaseRecord, NodeRecord};

fn snap(nodes: &[&str], replicas_on: &[&str]) -> Snapshot {
    Snapshot {
        nodes: nodes
            .iter()
            .map(|id| NodeRecord {
                id: (*id).into(),
                proxy_addr: String::new(),
                rqlite_host: "127.0.0.1".into(),
                gossip_addrs: vec![],
                max_databases: 10,
                state: NodeState::Active,
                version: 1,
            })
            .collect(),
        databases: vec![DatabaseRecord {
            name: "demo_a".into(),
            app: "demo".into(),
            state: DbState::Active,
            replication_factor: 3,
            version: 2,
            claim: "c".into(),
        }],
        replicas: replicas_on
            .iter()
            .enumerate()
            .map(|(i, n)| ReplicaRecord {
                database: "demo_a".into(),
                node_id: (*n).into(),
                replica_id: format!("demo_a-{}", i + 1),
                http_port: Some(14001),
                raft_port: Some(15001),
            })
            .collect(),
    }
}

fn act(sessions: u32, at_ms: u64) -> Vec<DbActivity> {
    vec![DbActivity {
        db: "demo_a".into(),
        sessions,
        last_active_unix_ms: at_ms,
    }]
}

const NOW: i64 = 1_000_000;
const TIMEOUT: Duration = Duration::from_secs(10);

fn none() -> BTreeSet<String> {
    BTreeSet::new()
}

#[test]
fn idle_only_when_every_other_node_is_heard_and_quiet() {
    let s = snap(&["a", "b", "c"], &["a", "b", "c"]);
    let quiet = vec![
        peer("b", true, vec![]),
        peer("c", true, act(0, (NOW - 10_000) as u64)),
    ];
    assert!(idle_everywhere(
        &s,
        "demo_a",
        &quiet,
        "a",
        NOW,
        TIMEOUT,
        &none()
    ));
    // Another database's activity does not count.
    assert!(idle_everywhere(
        &s,
        "demo_b",
        &quiet,
        "a",
        NOW,
        Duration::ZERO,
        &none()
    ));

    let session = vec![peer("b", true, act(1, 0)), peer("c", true, vec![])];
    assert!(!idle_everywhere(
        &s,
        "demo_a",
        &session,
        "a",
        NOW,
        TIMEOUT,
        &none()
    ));
    let recent = vec![
        peer("b", true, vec![]),
        peer("c", true, act(0, (NOW - 9_999) as u64)),
    ];
    assert!(!idle_everywhere(
        &s,
        "demo_a",
        &recent,
        "a",
        NOW,
        TIMEOUT,
        &none()
    ));
    // A node not heard yet could be serving it.
    let unheard = vec![peer("b", true, vec![])];
    assert!(!idle_everywhere(
        &s,
        "demo_a",
        &unheard,
        "a",
        NOW,
        TIMEOUT,
        &none()
    ));
}

#[test]
fn a_dead_node_does_not_keep_databases_awake() {
    let s = snap(&["a", "b", "c"], &["a", "b", "c"]);
    let me = "a";
    // c stopped sending heartbeats with a session open in its last one.
    let silent = vec![
        peer("b", true, vec![]),
        peer("c", false, act(1, NOW as u64)),
    ];
    let dead = dead_nodes(&s, &silent, me, false).expect("a majority is healthy");
    assert_eq!(dead, BTreeSet::from(["c".to_string()]));
    assert!(idle_everywhere(
        &s, "demo_a", &silent, me, NOW, TIMEOUT, &dead
    ));
    // Never heard: dead only once the detector's grace has passed.
    let unheard = vec![peer("b", true, vec![])];
    let early = dead_nodes(&s, &unheard, me, false).expect("majority");
    assert!(!idle_everywhere(
        &s, "demo_a", &unheard, me, NOW, TIMEOUT, &early
    ));
    let late = dead_nodes(&s, &unheard, me, true).expect("majority");
    assert!(idle_everywhere(
        &s, "demo_a", &unheard, me, NOW, TIMEOUT, &late
    ));
    // A live node's session still counts, whoever else is dead.
    let busy = vec![peer("b", true, act(1, 0)), peer("c", false, vec![])];
    let dead = dead_nodes(&s, &busy, me, false).expect("majority");
    assert!(!idle_everywhere(
        &s, "demo_a", &busy, me, NOW, TIMEOUT, &dead
    ));
    // Cut off from both others: no majority, so no decision at all.
    let alone = vec![peer("b", false, vec![]), peer("c", false, vec![])];
    assert_eq!(dead_nodes(&s, &alone, me, false), None);
}

#[test]
fn the_decider_is_the_lowest_healthy_replica_holder() {
    let s = snap(&["a", "b", "c", "d"], &["b", "c", "d"]);
    let all = vec![
        peer("a", true, vec![]),
        peer("b", true, vec![]),
        peer("c", true, vec![]),
        peer("d", true, vec![]),
    ];
    assert_eq!(decider(&s, "demo_a", &all), Some("b"));
    let b_down = vec![
        peer("a", true, vec![]),
        peer("b", false, vec![]),
        peer("c", true, vec![]),
    ];
    assert_eq!(decider(&s, "demo_a", &b_down), Some("c"));
    assert_eq!(decider(&s, "demo_x", &all), None);
}
