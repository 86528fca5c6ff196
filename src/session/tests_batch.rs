//! The implicit transaction of an extended-protocol batch, as the wire layer drives it:
//! `defers_in_batch` for a write outside a block, `begin_implicit` when the batch goes on,
//! `sync` at the Sync.

use super::tests::{one, rows, session, tag};
use super::*;

async fn exec(s: &mut Session, sql: &str) -> Result<Reply, PgError> {
    let t = s
        .prepare(sql)
        .await?
        .ok_or_else(|| PgError::new("XX000", "empty"))?;
    s.run(&t, Vec::new()).await
}

fn write_kind() -> StatementKind {
    StatementKind::Write
}

#[tokio::test]
async fn a_write_alone_in_its_batch_is_one_autocommit_request() {
    let (mut s, rec) = session();
    assert!(s.defers_in_batch(&write_kind()));
    assert_eq!(
        tag(&exec(&mut s, "INSERT INTO t (a) VALUES (1)").await),
        "INSERT 0 1"
    );
    s.sync(false).await.unwrap();
    let b = rec.batches();
    assert_eq!(b.len(), 1);
    assert!(matches!(&b[0], Batch::Write { stmts, transaction: false, .. } if stmts.len() == 1));
}

#[tokio::test]
async fn a_batch_commits_its_writes_together_at_sync_and_reads_see_them() {
    let (mut s, rec) = session();
    s.begin_implicit();
    exec(&mut s, "INSERT INTO t (a) VALUES (1)").await.unwrap();
    exec(&mut s, "INSERT INTO t (a) VALUES (2)").await.unwrap();
    rec.answer(Ok(vec![
        Ok(Output::default()),
        Ok(Output::default()),
        rows(
            &["a"],
            &["integer"],
            vec![vec![Value::Int(1)], vec![Value::Int(2)]],
        ),
    ]));
    assert_eq!(tag(&exec(&mut s, "SELECT a FROM t").await), "SELECT 2");
    assert!(
        !s.defers_in_batch(&write_kind()),
        "inside the batch's transaction"
    );
    s.sync(false).await.unwrap();
    assert!(!s.in_transaction());
    let b = rec.batches();
    assert_eq!(b.len(), 4, "{b:?}");
    assert!(matches!(&b[2], Batch::Probe { stmts } if stmts.len() == 3));
    assert!(matches!(&b[3], Batch::Write { stmts, transaction: true, .. } if stmts.len() == 2));
}

#[tokio::test]
async fn an_error_in_a_batch_rolls_back_its_earlier_writes() {
    let (mut s, rec) = session();
    s.begin_implicit();
    exec(&mut s, "INSERT INTO t (a) VALUES (1)").await.unwrap();
    rec.answer(Ok(vec![
        Ok(Output::default()),
        Err("UNIQUE constraint failed: t.a".into()),
    ]));
    let r = exec(&mut s, "INSERT INTO t (a) VALUES (1)").await;
    assert_eq!(tag(&r), "ERROR 23505");
    s.sync(true).await.unwrap();
    assert!(!s.in_transaction());
    assert_eq!(rec.batches().len(), 2, "nothing committed");
    // The next batch starts clean: an autocommit read.
    one(&mut s, "SELECT 1").await.unwrap();
    assert!(matches!(rec.batches().last(), Some(Batch::Read { .. })));
}

#[tokio::test]
async fn an_error_the_session_did_not_see_still_rolls_the_batch_back() {
    let (mut s, rec) = session();
    s.begin_implicit();
    exec(&mut s, "INSERT INTO t (a) VALUES (1)").await.unwrap();
    // e.g. a Bind whose parameter did not decode: the wire layer skipped to the Sync.
    s.sync(true).await.unwrap();
    assert!(!s.in_transaction());
    assert_eq!(rec.batches().len(), 1);
}

#[tokio::test]
async fn begin_inside_a_batch_makes_it_an_explicit_block() {
    let (mut s, rec) = session();
    s.begin_implicit();
    exec(&mut s, "INSERT INTO t (a) VALUES (1)").await.unwrap();
    assert_eq!(tag(&exec(&mut s, "BEGIN").await), "BEGIN");
    s.sync(false).await.unwrap();
    assert!(
        s.in_transaction(),
        "the Sync does not end an explicit block"
    );
    assert_eq!(tag(&exec(&mut s, "COMMIT").await), "COMMIT");
    let b = rec.batches();
    assert!(matches!(&b[1], Batch::Write { stmts, transaction: true, .. } if stmts.len() == 1));
}

#[tokio::test]
async fn a_failed_commit_at_sync_is_the_batch_error() {
    let (mut s, rec) = session();
    s.begin_implicit();
    exec(&mut s, "INSERT INTO t (a) VALUES (1)").await.unwrap();
    rec.answer(Ok(vec![Err("FOREIGN KEY constraint failed".into())]));
    let e = s.sync(false).await.unwrap_err();
    assert_eq!(e.code, "23503");
    assert!(!s.in_transaction());
}

#[tokio::test]
async fn an_error_inside_an_explicit_block_seen_only_by_the_wire_fails_it() {
    let (mut s, _rec) = session();
    one(&mut s, "BEGIN").await.unwrap();
    s.sync(true).await.unwrap();
    assert!(s.in_failed_transaction());
}
