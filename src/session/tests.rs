//! Session semantics against a recording fake of the session's own `Backend` boundary:
//! what is sent for each statement, and what the client gets back.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::*;

#[derive(Default)]
pub(super) struct Recorder {
    batches: Mutex<Vec<Batch>>,
    /// Scripted answers, one per `run`; when empty, every statement succeeds with 1 row
    /// affected (reads: no rows).
    answers: Mutex<VecDeque<Result<Vec<StmtResult>, BackendError>>>,
}

impl Recorder {
    pub(super) fn answer(&self, a: Result<Vec<StmtResult>, BackendError>) {
        self.answers.lock().unwrap().push_back(a);
    }
    pub(super) fn batches(&self) -> Vec<Batch> {
        self.batches.lock().unwrap().clone()
    }
}

#[async_trait]
impl Backend for Recorder {
    async fn open(&self, _db: &DbName, _allow_create: bool) -> Result<(), BackendError> {
        Ok(())
    }

    async fn run(&self, _db: &DbName, batch: Batch) -> Result<Vec<StmtResult>, BackendError> {
        // The schema mirror's reads are answered here (an empty schema), not recorded.
        if let Batch::Read { stmt, .. } = &batch
            && stmt.sql == crate::mirror::SCHEMA_QUERY
        {
            return Ok(vec![rows(&["sql"], &["text"], Vec::new())]);
        }
        let n = match &batch {
            Batch::Read { .. } => 1,
            Batch::Write { stmts, .. } | Batch::Probe { stmts } => stmts.len(),
        };
        self.batches.lock().unwrap().push(batch);
        match self.answers.lock().unwrap().pop_front() {
            Some(a) => a,
            None => Ok((0..n)
                .map(|_| {
                    Ok(Output {
                        rows_affected: 1,
                        rows: None,
                    })
                })
                .collect()),
        }
    }
}

pub(super) fn session() -> (Session, Arc<Recorder>) {
    let rec = Arc::new(Recorder::default());
    let db = DbName::for_app("demo", "demo_app").unwrap();
    let mirror = Arc::new(crate::mirror::Mirror::new().unwrap());
    let s = Session::new(db, "demo", &BTreeMap::new(), rec.clone(), mirror).unwrap();
    (s, rec)
}

pub(super) fn rows(cols: &[&str], decl: &[&str], values: Vec<Vec<Value>>) -> StmtResult {
    Ok(Output {
        rows_affected: 0,
        rows: Some(Rows {
            columns: cols.iter().map(|c| c.to_string()).collect(),
            decl_types: decl.iter().map(|c| c.to_string()).collect(),
            values,
        }),
    })
}

pub(super) async fn one(s: &mut Session, sql: &str) -> Result<Reply, PgError> {
    let mut r = s.simple_query(sql).await;
    assert_eq!(r.len(), 1, "{sql}: {r:?}");
    r.remove(0)
}

pub(super) fn tag(r: &Result<Reply, PgError>) -> String {
    match r {
        Ok(Reply::Command { tag }) | Ok(Reply::Rows { tag, .. }) => tag.clone(),
        Ok(Reply::TxnStart(t)) | Ok(Reply::TxnEnd(t)) => t.clone(),
        Ok(Reply::Empty) => "EMPTY".into(),
        Err(e) => format!("ERROR {}", e.code),
    }
}

#[tokio::test]
async fn autocommit_reads_use_the_session_read_level() {
    let (mut s, rec) = session();
    rec.answer(Ok(vec![rows(
        &["n"],
        &["integer"],
        vec![vec![Value::Int(1)]],
    )]));
    let r = one(&mut s, "SELECT n FROM t").await;
    assert_eq!(tag(&r), "SELECT 1");
    assert!(matches!(
        &rec.batches()[0],
        Batch::Read {
            level: ReadLevel::Linearizable,
            ..
        }
    ));
    assert_eq!(
        tag(&one(&mut s, "SET pgrq.read_consistency = weak").await),
        "SET"
    );
    one(&mut s, "SELECT n FROM t").await.unwrap();
    assert!(matches!(
        &rec.batches()[1],
        Batch::Read {
            level: ReadLevel::Weak,
            ..
        }
    ));
}

#[tokio::test]
async fn autocommit_writes_and_tags() {
    let (mut s, rec) = session();
    let r = one(&mut s, "INSERT INTO t (a) VALUES (1)").await;
    assert_eq!(tag(&r), "INSERT 0 1");
    match &rec.batches()[0] {
        Batch::Write {
            stmts,
            transaction,
            returning,
        } => {
            assert_eq!(stmts.len(), 1);
            assert!(!transaction);
            assert!(!returning);
        }
        other => panic!("{other:?}"),
    }
    rec.answer(Ok(vec![Ok(Output {
        rows_affected: 3,
        rows: None,
    })]));
    assert_eq!(tag(&one(&mut s, "UPDATE t SET a = 2").await), "UPDATE 3");
    assert_eq!(
        tag(&one(&mut s, "CREATE TABLE u (id int)").await),
        "CREATE TABLE"
    );
}

#[tokio::test]
async fn returning_gives_rows_and_an_insert_tag() {
    let (mut s, rec) = session();
    rec.answer(Ok(vec![Ok(Output {
        rows_affected: 1,
        rows: Some(Rows {
            columns: vec!["id".into()],
            decl_types: vec!["integer".into()],
            values: vec![vec![Value::Int(7)]],
        }),
    })]));
    let r = one(&mut s, "INSERT INTO t (a) VALUES (1) RETURNING id").await;
    match r {
        Ok(Reply::Rows { columns, rows, tag }) => {
            assert_eq!(tag, "INSERT 0 1");
            assert_eq!(columns[0].name, "id");
            assert_eq!(rows, vec![vec![Value::Int(7)]]);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        &rec.batches()[0],
        Batch::Write {
            returning: true,
            ..
        }
    ));
}

#[tokio::test]
async fn transaction_block_probes_then_commits_atomically() {
    let (mut s, rec) = session();
    assert_eq!(tag(&one(&mut s, "BEGIN").await), "BEGIN");
    assert!(s.in_transaction());
    assert_eq!(
        tag(&one(&mut s, "INSERT INTO t (a) VALUES (1)").await),
        "INSERT 0 1"
    );
    rec.answer(Ok(vec![
        Ok(Output::default()),
        rows(&["a"], &["integer"], vec![vec![Value::Int(1)]]),
    ]));
    assert_eq!(tag(&one(&mut s, "SELECT a FROM t").await), "SELECT 1");
    assert_eq!(tag(&one(&mut s, "COMMIT").await), "COMMIT");
    assert!(!s.in_transaction());
    let b = rec.batches();
    assert_eq!(b.len(), 3);
    match (&b[0], &b[1], &b[2]) {
        (
            Batch::Probe { stmts: p1 },
            Batch::Probe { stmts: p2 },
            Batch::Write {
                stmts,
                transaction: true,
                ..
            },
        ) => {
            assert_eq!(p1.len(), 1);
            assert_eq!(p2.len(), 2, "the read sees the block's insert");
            assert_eq!(stmts.len(), 1, "only the write is committed");
            assert_eq!(stmts[0], p1[0]);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn rollback_sends_nothing() {
    let (mut s, rec) = session();
    one(&mut s, "BEGIN").await.unwrap();
    one(&mut s, "DELETE FROM t").await.unwrap();
    assert_eq!(tag(&one(&mut s, "ROLLBACK").await), "ROLLBACK");
    let b = rec.batches();
    assert_eq!(b.len(), 1);
    assert!(matches!(b[0], Batch::Probe { .. }));
}

#[tokio::test]
async fn error_in_block_fails_it_until_rollback() {
    let (mut s, rec) = session();
    one(&mut s, "BEGIN").await.unwrap();
    rec.answer(Ok(vec![Err("UNIQUE constraint failed: t.a".into())]));
    let r = one(&mut s, "INSERT INTO t (a) VALUES (1)").await;
    assert_eq!(tag(&r), "ERROR 23505");
    assert!(s.in_failed_transaction());
    assert_eq!(tag(&one(&mut s, "SELECT 1").await), "ERROR 25P02");
    assert_eq!(tag(&one(&mut s, "COMMIT").await), "ROLLBACK");
    assert!(!s.in_transaction());
    // After the block the session works again.
    one(&mut s, "SELECT 1").await.unwrap();
    assert_eq!(rec.batches().len(), 2);
}

#[tokio::test]
async fn a_statement_that_fails_to_parse_fails_the_block() {
    // pgjdbc sends BEGIN and the block's first statement in one batch; a Parse error of
    // the statement must leave the block failed, not silently back in autocommit.
    let (mut s, _rec) = session();
    one(&mut s, "BEGIN").await.unwrap();
    assert!(s.prepare_statement("SELEC 1", &[]).await.is_err());
    assert!(s.in_failed_transaction());
    assert_eq!(tag(&one(&mut s, "SELECT 1").await), "ERROR 25P02");
    assert_eq!(tag(&one(&mut s, "ROLLBACK").await), "ROLLBACK");
}

#[tokio::test]
async fn failed_commit_ends_the_block_with_the_error() {
    let (mut s, rec) = session();
    one(&mut s, "BEGIN").await.unwrap();
    one(&mut s, "INSERT INTO t (a) VALUES (1)").await.unwrap();
    rec.answer(Ok(vec![Err("FOREIGN KEY constraint failed".into())]));
    assert_eq!(tag(&one(&mut s, "COMMIT").await), "ERROR 23503");
    assert!(!s.in_transaction());
}

#[tokio::test]
async fn rollback_to_savepoint_drops_the_later_writes_and_heals_a_failed_block() {
    let (mut s, rec) = session();
    one(&mut s, "BEGIN").await.unwrap();
    one(&mut s, "INSERT INTO t (a) VALUES (1)").await.unwrap();
    assert_eq!(tag(&one(&mut s, "SAVEPOINT sp").await), "SAVEPOINT");
    one(&mut s, "INSERT INTO t (a) VALUES (2)").await.unwrap();
    rec.answer(Ok(vec![
        Ok(Output::default()),
        Ok(Output::default()),
        Err("UNIQUE constraint failed: t.a".into()),
    ]));
    assert_eq!(
        tag(&one(&mut s, "INSERT INTO t (a) VALUES (1)").await),
        "ERROR 23505"
    );
    assert!(s.in_failed_transaction());
    // The wire layer reports in-progress before a ROLLBACK TO that heals the block.
    assert!(s.heals_failed_block("ROLLBACK TO SAVEPOINT sp"));
    assert!(!s.heals_failed_block("SELECT 1"));
    assert_eq!(tag(&one(&mut s, "RELEASE sp").await), "ERROR 25P02");
    assert_eq!(
        tag(&one(&mut s, "ROLLBACK TO SAVEPOINT sp").await),
        "ROLLBACK"
    );
    assert!(s.in_transaction() && !s.in_failed_transaction());
    one(&mut s, "INSERT INTO t (a) VALUES (3)").await.unwrap();
    assert_eq!(tag(&one(&mut s, "RELEASE SAVEPOINT sp").await), "RELEASE");
    assert_eq!(tag(&one(&mut s, "RELEASE sp").await), "ERROR 3B001");
    // The failed RELEASE failed the block; ROLLBACK ends it.
    assert_eq!(tag(&one(&mut s, "COMMIT").await), "ROLLBACK");

    one(&mut s, "BEGIN").await.unwrap();
    one(&mut s, "INSERT INTO t (a) VALUES (1)").await.unwrap();
    one(&mut s, "SAVEPOINT sp").await.unwrap();
    one(&mut s, "INSERT INTO t (a) VALUES (2)").await.unwrap();
    one(&mut s, "ROLLBACK TO sp").await.unwrap();
    one(&mut s, "INSERT INTO t (a) VALUES (3)").await.unwrap();
    assert_eq!(tag(&one(&mut s, "COMMIT").await), "COMMIT");
    match rec.batches().last() {
        Some(Batch::Write {
            stmts,
            transaction: true,
            ..
        }) => {
            let sql: Vec<&str> = stmts.iter().map(|st| st.sql.as_str()).collect();
            assert_eq!(sql.len(), 2, "{sql:?}");
            assert!(sql[0].contains("(1)") && sql[1].contains("(3)"), "{sql:?}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn savepoints_outside_a_block_are_25p01() {
    let (mut s, _) = session();
    assert_eq!(tag(&one(&mut s, "SAVEPOINT a").await), "ERROR 25P01");
    assert_eq!(tag(&one(&mut s, "ROLLBACK TO a").await), "ERROR 25P01");
    assert!(!s.in_transaction());
    one(&mut s, "BEGIN").await.unwrap();
    assert_eq!(tag(&one(&mut s, "ROLLBACK TO nope").await), "ERROR 3B001");
}

#[tokio::test]
async fn unavailable_cluster_is_57p03_and_the_session_survives() {
    let (mut s, rec) = session();
    rec.answer(Err(BackendError::Unavailable {
        db: "demo_app".into(),
        reason: "no leader".into(),
    }));
    assert_eq!(tag(&one(&mut s, "SELECT a FROM t").await), "ERROR 57P03");
    one(&mut s, "SELECT a FROM t").await.unwrap();
}

#[tokio::test]
async fn multi_statement_stops_at_first_error() {
    let (mut s, rec) = session();
    rec.answer(Ok(vec![Ok(Output::default())]));
    rec.answer(Ok(vec![Err("no such table: nope".into())]));
    let r = s
        .simple_query("INSERT INTO t (a) VALUES (1); SELECT * FROM nope; SELECT 2")
        .await;
    assert_eq!(r.len(), 2);
    assert_eq!(tag(&r[1]), "ERROR 42P01");
    assert_eq!(rec.batches().len(), 2);
    assert!(!s.in_transaction());
}

#[tokio::test]
async fn set_show_reset_and_parameter_status() {
    let (mut s, rec) = session();
    one(&mut s, "SET application_name = 'myapp'").await.unwrap();
    assert_eq!(
        s.take_parameter_changes(),
        vec![("application_name".to_string(), "myapp".to_string())]
    );
    match one(&mut s, "SHOW application_name").await {
        Ok(Reply::Rows { columns, rows, .. }) => {
            assert_eq!(columns[0].name, "application_name");
            assert_eq!(rows, vec![vec![Value::Text("myapp".into())]]);
        }
        other => panic!("{other:?}"),
    }
    match one(&mut s, "SHOW transaction_read_only").await {
        Ok(Reply::Rows { rows, .. }) => assert_eq!(rows, vec![vec![Value::Text("off".into())]]),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        tag(&one(&mut s, "SHOW no_such_setting").await),
        "ERROR 42704"
    );
    assert_eq!(tag(&one(&mut s, "RESET ALL").await), "RESET");
    assert!(
        rec.batches().is_empty(),
        "session commands never reach the engine"
    );
}

#[tokio::test]
async fn empty_and_syntax_errors() {
    let (mut s, _) = session();
    assert_eq!(tag(&one(&mut s, "SELEC 1").await), "ERROR 42601");
    one(&mut s, "SELECT 1").await.unwrap();
}

#[tokio::test]
async fn several_writes_in_one_query_commit_together() {
    let (mut s, rec) = session();
    let r = s
        .simple_query("INSERT INTO t (a) VALUES (1); SELECT a FROM t; INSERT INTO t (a) VALUES (2)")
        .await;
    assert_eq!(r.len(), 3);
    assert!(r.iter().all(Result::is_ok), "{r:?}");
    assert!(!s.in_transaction());
    let b = rec.batches();
    assert_eq!(b.len(), 4, "three probes and one commit: {b:?}");
    assert!(matches!(&b[1], Batch::Probe { stmts } if stmts.len() == 2));
    match &b[3] {
        Batch::Write {
            stmts, transaction, ..
        } => {
            assert!(*transaction, "one atomic request");
            assert_eq!(stmts.len(), 2, "the two writes");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_failure_in_one_query_commits_nothing() {
    let (mut s, rec) = session();
    rec.answer(Ok(vec![Ok(Output::default())]));
    rec.answer(Ok(vec![
        Ok(Output::default()),
        Err("NOT NULL constraint failed: t.a".into()),
    ]));
    let r = s
        .simple_query("INSERT INTO t (a) VALUES (1); INSERT INTO t (a) VALUES (NULL); INSERT INTO t (a) VALUES (3)")
        .await;
    assert_eq!(r.len(), 2);
    assert_eq!(tag(&r[1]), "ERROR 23502");
    assert!(
        !s.in_transaction(),
        "back to idle, as PostgreSQL after an implicit transaction"
    );
    let b = rec.batches();
    assert!(
        b.iter().all(|b| matches!(b, Batch::Probe { .. })),
        "nothing committed: {b:?}"
    );
}

#[tokio::test]
async fn ddl_strings_run_statement_by_statement() {
    let (mut s, rec) = session();
    let r = s
        .simple_query("CREATE TABLE u (id int); INSERT INTO u (id) VALUES (1)")
        .await;
    assert!(r.iter().all(Result::is_ok), "{r:?}");
    let b = rec.batches();
    assert_eq!(b.len(), 2);
    // The DDL runs as its own (all-or-nothing) request, then the INSERT.
    assert!(matches!(
        b[0],
        Batch::Write {
            transaction: true,
            ..
        }
    ));
    assert!(matches!(
        b[1],
        Batch::Write {
            transaction: false,
            ..
        }
    ));
}

#[tokio::test]
async fn nextval_runs_at_once_even_in_a_block_and_sets_lastval() {
    let (mut s, rec) = session();
    assert_eq!(
        tag(&one(&mut s, "SELECT lastval()").await),
        "ERROR 55000",
        "nothing drawn yet in this session"
    );
    one(&mut s, "BEGIN").await.unwrap();
    rec.answer(Ok(vec![rows(
        &["nextval"],
        &[""],
        vec![vec![Value::Int(7)]],
    )]));
    assert_eq!(tag(&one(&mut s, "SELECT nextval('s')").await), "SELECT 1");
    match &rec.batches()[0] {
        Batch::Write {
            stmts,
            transaction: false,
            returning: true,
        } => assert!(stmts[0].sql.starts_with("UPDATE \"pgrq_seq_s\"")),
        other => panic!("not run at once: {other:?}"),
    }
    one(&mut s, "ROLLBACK").await.unwrap();
    match one(&mut s, "SELECT lastval()").await {
        Ok(Reply::Rows { rows, .. }) => assert_eq!(rows, vec![vec![Value::Int(7)]]),
        other => panic!("{other:?}"),
    }
    // No row back from setval: the value was outside the sequence's bounds.
    rec.answer(Ok(vec![rows(&["setval"], &[""], Vec::new())]));
    assert_eq!(
        tag(&one(&mut s, "SELECT setval('s', 1000)").await),
        "ERROR 22003"
    );
}

#[tokio::test]
async fn catalog_queries_in_a_block_see_its_own_ddl() {
    let (mut s, _) = session();
    let q = "SELECT c.relname FROM pg_catalog.pg_class c WHERE c.relname = 'zz'";
    one(&mut s, "BEGIN").await.unwrap();
    one(&mut s, "CREATE TABLE zz (a int)").await.unwrap();
    match one(&mut s, q).await {
        Ok(Reply::Rows { rows, .. }) => assert_eq!(rows, vec![vec![Value::Text("zz".into())]]),
        other => panic!("{other:?}"),
    }
    one(&mut s, "ROLLBACK").await.unwrap();
    match one(&mut s, q).await {
        Ok(Reply::Rows { rows, .. }) => assert!(rows.is_empty(), "{rows:?}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn sql_level_prepare_execute_and_deallocate() {
    let (mut s, rec) = session();
    assert_eq!(
        tag(&one(
            &mut s,
            "PREPARE ins (int, text) AS INSERT INTO t (a, b) VALUES ($1, $2)"
        )
        .await),
        "PREPARE"
    );
    assert_eq!(
        tag(&one(&mut s, "PREPARE ins AS SELECT 1").await),
        "ERROR 42P05"
    );
    assert_eq!(tag(&one(&mut s, "EXECUTE nope(1)").await), "ERROR 26000");
    assert_eq!(tag(&one(&mut s, "EXECUTE ins(1)").await), "ERROR 42601");
    assert_eq!(tag(&one(&mut s, "DEALLOCATE ins").await), "DEALLOCATE");
    assert_eq!(
        tag(&one(&mut s, "EXECUTE ins(1, 'x')").await),
        "ERROR 26000"
    );
    assert!(rec.batches().is_empty());
}
