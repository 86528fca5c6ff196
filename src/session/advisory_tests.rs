//! Advisory locks against the recording fake backend: what each call sends, and the
//! session's own bookkeeping (re-entrant counts, xact locks, release at the end).

use crate::session::tests::{one, session, tag};
use crate::session::{Batch, BoundStmt, Output, Reply, StmtResult, Value};

fn affected(n: u64) -> StmtResult {
    Ok(Output {
        rows_affected: n,
        rows: None,
    })
}

fn value(r: &Reply) -> Value {
    match r {
        Reply::Rows { rows, .. } => rows[0][0].clone(),
        other => panic!("{other:?}"),
    }
}

fn stmts(b: &Batch) -> &[BoundStmt] {
    match b {
        Batch::Write { stmts, .. } => stmts,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn try_lock_creates_the_table_once_and_reports_a_conflict_as_false() {
    let (mut s, rec) = session();
    rec.answer(Ok(vec![affected(0), affected(0), affected(1)]));
    let r = one(&mut s, "SELECT pg_try_advisory_lock(7)").await.unwrap();
    assert_eq!(value(&r), Value::Bool(true));
    rec.answer(Ok(vec![affected(0), affected(0)]));
    let r = one(&mut s, "SELECT pg_try_advisory_lock(8)").await.unwrap();
    assert_eq!(value(&r), Value::Bool(false), "another owner holds 8");
    let b = rec.batches();
    assert_eq!(stmts(&b[0]).len(), 3);
    assert!(
        stmts(&b[0])[0]
            .sql
            .starts_with("CREATE TABLE IF NOT EXISTS pgrq_advisory_locks")
    );
    assert_eq!(stmts(&b[1]).len(), 2, "the table exists now");
    assert_eq!(stmts(&b[1])[1].params[1], Value::Int(8));
}

#[tokio::test]
async fn unlock_counts_holds_and_knows_what_it_does_not_hold() {
    let (mut s, rec) = session();
    one(&mut s, "SELECT pg_advisory_lock(1, 2)").await.unwrap();
    one(&mut s, "SELECT pg_advisory_lock(1, 2)").await.unwrap();
    let r = one(&mut s, "SELECT pg_advisory_unlock(1, 2)")
        .await
        .unwrap();
    assert_eq!(value(&r), Value::Bool(true));
    let r = one(&mut s, "SELECT pg_advisory_unlock(1, 2)")
        .await
        .unwrap();
    assert_eq!(value(&r), Value::Bool(true));
    let sent = rec.batches().len();
    let r = one(&mut s, "SELECT pg_advisory_unlock(1, 2)")
        .await
        .unwrap();
    assert_eq!(value(&r), Value::Bool(false));
    assert_eq!(rec.batches().len(), sent, "nothing held: nothing sent");
    let b = rec.batches();
    assert!(stmts(&b[2])[0].sql.starts_with("UPDATE"), "{:?}", b[2]);
    assert!(stmts(&b[3])[0].sql.starts_with("DELETE"), "{:?}", b[3]);
}

#[tokio::test]
async fn xact_locks_end_with_the_block_and_session_locks_survive_it() {
    let (mut s, rec) = session();
    one(&mut s, "BEGIN").await.unwrap();
    one(&mut s, "SELECT pg_advisory_xact_lock(5)")
        .await
        .unwrap();
    one(&mut s, "SELECT pg_advisory_lock(6)").await.unwrap();
    assert_eq!(rec.batches().len(), 2);
    assert_eq!(tag(&one(&mut s, "ROLLBACK").await), "ROLLBACK");
    let b = rec.batches();
    assert_eq!(b.len(), 3);
    assert!(stmts(&b[2])[0].sql.contains("xact = 1"), "{:?}", b[2]);
    // Autocommit: the xact lock ends with its own statement.
    one(&mut s, "SELECT pg_advisory_xact_lock(5)")
        .await
        .unwrap();
    assert_eq!(rec.batches().len(), 5);
    one(&mut s, "SELECT pg_advisory_unlock_all()")
        .await
        .unwrap();
    let b = rec.batches();
    assert!(stmts(&b[5])[0].sql.contains("xact = 0"), "{:?}", b[5]);
}

#[tokio::test]
async fn parameters_give_the_key_and_void_is_empty() {
    let (mut s, rec) = session();
    let t = s
        .prepare("SELECT pg_advisory_lock($1)")
        .await
        .unwrap()
        .unwrap();
    let r = s.run(&t, vec![Value::Int(-9)]).await.unwrap();
    assert_eq!(value(&r), Value::Text(String::new()));
    let b = rec.batches();
    let insert = stmts(&b[0]).last().unwrap();
    assert_eq!(
        insert.params[..3],
        [Value::Int(1), Value::Int(-9), Value::Int(0)]
    );
    let r = s.run(&t, vec![Value::Null]).await.unwrap();
    assert_eq!(value(&r), Value::Null, "strict: NULL in, NULL out");
    assert_eq!(rec.batches().len(), 1);
}

#[tokio::test]
async fn a_failed_block_refuses_advisory_calls() {
    let (mut s, rec) = session();
    one(&mut s, "BEGIN").await.unwrap();
    rec.answer(Ok(vec![Err("no such table: t".into())]));
    assert!(one(&mut s, "SELECT * FROM t").await.is_err());
    assert_eq!(
        tag(&one(&mut s, "SELECT pg_advisory_lock(1)").await),
        "ERROR 25P02"
    );
}

#[tokio::test]
async fn an_xact_lock_in_an_extended_batch_lasts_until_the_sync() {
    let (mut s, rec) = session();
    let t = s
        .prepare("SELECT pg_advisory_xact_lock(3)")
        .await
        .unwrap()
        .unwrap();
    assert!(s.defers_in_batch(&t.kind));
    s.begin_implicit();
    s.run(&t, Vec::new()).await.unwrap();
    assert_eq!(rec.batches().len(), 1, "held until the Sync");
    s.sync(false).await.unwrap();
    let b = rec.batches();
    assert_eq!(b.len(), 2, "{b:?}");
    assert!(stmts(&b[1])[0].sql.contains("xact = 1"), "{:?}", b[1]);
}
