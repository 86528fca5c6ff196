//! READ ONLY transactions: BEGIN READ ONLY, SET TRANSACTION READ ONLY, the session default
//! (`default_transaction_read_only`, SET SESSION CHARACTERISTICS) and what SHOW reports.

use super::tests::{one, session, tag};
use super::*;

async fn show_ro(s: &mut Session) -> String {
    match one(s, "SHOW transaction_read_only").await {
        Ok(Reply::Rows { rows, .. }) => match &rows[0][0] {
            Value::Text(v) => v.clone(),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn begin_read_only_refuses_writes_and_fails_the_block() {
    let (mut s, rec) = session();
    one(&mut s, "BEGIN READ ONLY").await.unwrap();
    assert_eq!(show_ro(&mut s).await, "on");
    one(&mut s, "SELECT 1").await.unwrap();
    let e = one(&mut s, "INSERT INTO t (a) VALUES (1)")
        .await
        .unwrap_err();
    assert_eq!(e.code, "25006");
    assert_eq!(
        e.message,
        "cannot execute INSERT in a read-only transaction"
    );
    assert_eq!(tag(&one(&mut s, "SELECT 1").await), "ERROR 25P02");
    assert_eq!(tag(&one(&mut s, "ROLLBACK").await), "ROLLBACK");
    assert_eq!(
        show_ro(&mut s).await,
        "off",
        "the next transaction is read-write"
    );
    one(&mut s, "DELETE FROM t").await.unwrap();
    // Only the read probe and the final delete reached the engine.
    assert_eq!(rec.batches().len(), 2);
}

#[tokio::test]
async fn set_transaction_read_only_acts_inside_a_block_only() {
    let (mut s, _rec) = session();
    one(&mut s, "SET TRANSACTION READ ONLY").await.unwrap();
    assert_eq!(show_ro(&mut s).await, "off", "no effect outside a block");
    one(&mut s, "START TRANSACTION").await.unwrap();
    one(&mut s, "SET TRANSACTION READ ONLY").await.unwrap();
    assert_eq!(
        tag(&one(&mut s, "CREATE TABLE u (a int)").await),
        "ERROR 25006"
    );
    one(&mut s, "ROLLBACK").await.unwrap();
    one(&mut s, "BEGIN").await.unwrap();
    one(&mut s, "SET transaction_read_only = on").await.unwrap();
    assert_eq!(
        tag(&one(&mut s, "SELECT nextval('s')").await),
        "ERROR 25006"
    );
}

#[tokio::test]
async fn the_session_default_makes_every_transaction_read_only() {
    let (mut s, rec) = session();
    one(
        &mut s,
        "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
    )
    .await
    .unwrap();
    assert_eq!(show_ro(&mut s).await, "on");
    assert_eq!(tag(&one(&mut s, "UPDATE t SET a = 1").await), "ERROR 25006");
    one(&mut s, "BEGIN READ WRITE").await.unwrap();
    one(&mut s, "UPDATE t SET a = 1").await.unwrap();
    one(&mut s, "COMMIT").await.unwrap();
    assert_eq!(show_ro(&mut s).await, "on");
    one(&mut s, "SET default_transaction_read_only = off")
        .await
        .unwrap();
    one(&mut s, "DELETE FROM t").await.unwrap();
    assert_eq!(rec.batches().len(), 3, "probe, commit, delete");
}

#[tokio::test]
async fn the_default_can_come_from_the_startup_packet() {
    let rec = std::sync::Arc::new(tests::Recorder::default());
    let db = DbName::for_app("demo", "demo_app").unwrap();
    let mirror = Arc::new(crate::mirror::Mirror::new().unwrap());
    let startup = BTreeMap::from([(
        "default_transaction_read_only".to_string(),
        "on".to_string(),
    )]);
    let mut s = Session::new(db, "demo", &startup, rec.clone(), mirror).unwrap();
    assert_eq!(tag(&one(&mut s, "DELETE FROM t").await), "ERROR 25006");
    assert!(rec.batches().is_empty());
}
