//! `pgrq db drop` and open sessions under `pgrq node` (three nodes): with sessions open
//! through two nodes the drop is refused as PostgreSQL's DROP DATABASE is (SQLSTATE 55006,
//! "There are 2 other sessions using the database.") and the sessions keep working;
//! `--force` drops it anyway and each session's next statement gets FATAL 57P01
//! (admin_shutdown, as after pg_terminate_backend) and its connection closes; the name
//! then comes back as a new, empty database.

use super::ops::{on, pgrq_cli};
use super::replace::{catalog_rows, system_members, until};
use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drop_is_refused_while_sessions_are_open_unless_forced() {
    let _serial = SERIAL.lock().await;
    let c = cluster(3);
    let db = "demo_busy";
    let a = client(&c.nodes[0].conn_str(db)).await;
    a.batch_execute("CREATE TABLE t (v int); INSERT INTO t VALUES (1)")
        .await
        .expect("fill");
    let b = client(&c.nodes[1].conn_str(db)).await;
    assert_eq!(count(&b, "t").await, 1);

    let (ok, out) = pgrq_cli(on(&c.nodes[2], &["db", "drop", db])).await;
    assert!(!ok, "refused: {out}");
    assert!(out.contains("SQLSTATE 55006"), "{out}");
    assert!(
        out.contains(&format!(
            "database \"{db}\" is being accessed by other users"
        )),
        "{out}"
    );
    assert!(
        out.contains("There are 2 other sessions using the database."),
        "{out}"
    );
    // Nothing changed for the sessions.
    a.execute("INSERT INTO t VALUES (2)", &[])
        .await
        .expect("a still writes");
    assert_eq!(count(&b, "t").await, 2);

    let (ok, out) = pgrq_cli(on(&c.nodes[2], &["db", "drop", db, "--force"])).await;
    assert!(ok, "forced: {out}");
    assert!(out.contains("2 session(s) terminated"), "{out}");
    for (name, s) in [("a", &a), ("b", &b)] {
        let err = until(&format!("session {name} terminated"), 30, || async {
            // Before its node read the drop, a request may still reach the replicas.
            s.query("SELECT count(*) FROM t", &[]).await.err()
        })
        .await;
        let code = err.as_db_error().map(|e| e.code().clone());
        assert_eq!(
            code,
            Some(tokio_postgres::error::SqlState::ADMIN_SHUTDOWN),
            "{name}: {err:?}"
        );
        assert!(
            err.as_db_error().is_some_and(
                |e| e.message() == "terminating connection due to administrator command"
            ),
            "{err:?}"
        );
        until(&format!("connection {name} closed"), 10, || async {
            s.is_closed().then_some(())
        })
        .await;
    }
    let members = system_members(&c.nodes[0]);
    until("the database row deleted", 60, || async {
        let rows = catalog_rows(
            &members,
            &format!("SELECT state FROM databases WHERE name = '{db}'"),
        )
        .await;
        rows.is_empty().then_some(())
    })
    .await;
    let again = client(&c.nodes[0].conn_str(db)).await;
    let err = again
        .query("SELECT * FROM t", &[])
        .await
        .expect_err("a new, empty database");
    assert_eq!(
        err.code(),
        Some(&tokio_postgres::error::SqlState::UNDEFINED_TABLE),
        "{err:?}"
    );
}
