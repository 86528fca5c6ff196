//! Running databases as a cache of the ones on disk: three nodes with room for two running
//! databases each (`max_databases = 2`, port ranges for two replicas). With two databases
//! running and a third hibernated (its ports taken), a client of the third wakes it: the
//! nodes hibernate the running database idle longest, not the one a session holds open,
//! and the client proceeds with every row. When every running database is in use, the
//! wake fails with 57P03 after `wake_timeout_secs` and is undone; nothing else changes.

use super::hibernate::{replica_processes, state};
use super::ports::{ROOM, fill, hibernate, ports_of, wake_and_check};
use super::replace::system_members;
use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wake_on_full_nodes_hibernates_the_longest_idle_database() {
    let _serial = SERIAL.lock().await;
    let c = cluster_sized(3, &format!("{ROOM}wake_timeout_secs = 8\n"), Some(3));
    let [p1, p2, p3] = ["demo_lru1", "demo_lru2", "demo_lru3"];
    fill(&c.nodes[0], p1).await;
    fill(&c.nodes[1], p2).await;
    let members = system_members(&c.nodes[0]);
    hibernate(&c, &members, p1).await;
    fill(&c.nodes[2], p3).await;
    assert!(
        ports_of(&members, p1)
            .await
            .iter()
            .all(|p| p.1.is_none() && p.2.is_none()),
        "{p3} took {p1}'s ports"
    );

    // A session holds p3; p2 has been idle since it was filled.
    let held = client(&c.nodes[1].conn_str(p3)).await;
    assert_eq!(count(&held, "t").await, 3);
    let p2_ports = ports_of(&members, p2).await;
    wake_and_check(&c.nodes[2], p1).await;
    assert_eq!(state(&members, p2).await.0, "hibernating");
    assert_eq!(replica_processes(&c, p2), 0, "{p2} sleeps");
    assert_eq!(state(&members, p3).await.0, "active");
    assert_eq!(replica_processes(&c, p3), 3, "{p3} runs");
    assert_eq!(
        ports_of(&members, p1).await,
        p2_ports,
        "{p1} took {p2}'s place"
    );
    assert_eq!(count(&held, "t").await, 3, "the session of {p3} goes on");

    // Sessions now hold p1 and p3: p2 cannot wake, and fails cleanly.
    let p1_session = client(&c.nodes[0].conn_str(p1)).await;
    let refused = tokio_postgres::connect(&c.nodes[0].conn_str(p2), NoTls).await;
    let err = match refused {
        Ok(_) => panic!("{p2} woke although every running database is in use"),
        Err(e) => e,
    };
    let code = err.code().map(|c| c.code().to_string());
    assert_eq!(code.as_deref(), Some("57P03"), "{err:?}");
    until_state(&members, p2, "hibernating").await;
    assert_eq!(
        replica_processes(&c, p2),
        0,
        "the failed wake left nothing running"
    );
    assert_eq!(count(&p1_session, "t").await, 4);
    assert_eq!(count(&held, "t").await, 3);
}

async fn until_state(members: &[String], db: &str, want: &str) {
    super::replace::until(&format!("{db} {want}"), 60, || async {
        (state(members, db).await.0 == want).then_some(())
    })
    .await;
}
