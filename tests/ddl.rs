//! DDL behaviour only the real engine shows: foreign keys enforced by rqlite (`-fk`),
//! type limits and enum labels checked by SQLite, GENERATED ALWAYS identity, sequences
//! shared between sessions, ALTER TABLE rebuilds keeping rows, keys and indexes, and
//! savepoints undoing part of a block with its DDL. Each
//! test starts the `pgrq` binary, which starts real 3-replica rqlite clusters. Without an
//! rqlited binary they print why and return (`scripts/test.sh` says so too).

mod common;

use common::{Pgrq, connect, rows};
use tokio_postgres::Client;

use pgrq::node::locate::{RQLITE_VERSION, default_cache_root, locate_rqlited};

fn rqlited() -> Option<String> {
    match locate_rqlited(None, &default_cache_root(), RQLITE_VERSION) {
        Ok(p) => Some(p.display().to_string()),
        Err(e) => {
            println!("ddl engine test NOT RUN: no rqlited binary ({e})");
            None
        }
    }
}

fn start() -> Option<Pgrq> {
    let binary = rqlited()?;
    let base = common::port_base();
    let env = [
        ("PGRQ_RQLITED", binary),
        ("PGRQ_DATABASE__MAX_DATABASES", "10".into()),
        ("PGRQ_DATABASE__PORT_RANGE_HTTP_START", base.to_string()),
        (
            "PGRQ_DATABASE__PORT_RANGE_HTTP_END",
            (base + 39).to_string(),
        ),
        (
            "PGRQ_DATABASE__PORT_RANGE_RAFT_START",
            (base + 50).to_string(),
        ),
        (
            "PGRQ_DATABASE__PORT_RANGE_RAFT_END",
            (base + 89).to_string(),
        ),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Some(Pgrq::start(&env))
}

async fn one(c: &Client, sql: &str) -> String {
    let r = rows(c, sql).await;
    match r.as_slice() {
        [row] => row.first().cloned().flatten().unwrap_or_default(),
        _ => panic!("{sql}: expected one row, got {r:?}"),
    }
}

/// The SQLSTATE `sql` fails with.
async fn fails(c: &Client, sql: &str) -> String {
    match c.simple_query(sql).await {
        Ok(_) => panic!("{sql}: unexpectedly succeeded"),
        Err(e) => e
            .as_db_error()
            .map(|d| d.code().code().to_string())
            .unwrap_or_else(|| format!("not a database error: {e}")),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn constraints_types_and_identity_are_enforced() {
    let Some(p) = start() else { return };
    let c = connect(&p, "demo_ddl").await;
    c.batch_execute(
        "CREATE TABLE parent (id int PRIMARY KEY, code varchar(3), price numeric(4,2));
         CREATE TABLE child (id serial PRIMARY KEY,
                             parent_id int REFERENCES parent (id) ON DELETE CASCADE);
         CREATE TABLE keep (parent_id int REFERENCES parent (id));
         CREATE TYPE mood AS ENUM ('sad', 'ok');
         CREATE TABLE feel (m mood);
         CREATE TABLE ident (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, n int)",
    )
    .await
    .expect("schema");
    c.batch_execute("INSERT INTO parent VALUES (1, 'abc', 12.5), (2, 'x', 0)")
        .await
        .expect("parents");
    assert_eq!(
        fails(&c, "INSERT INTO child (parent_id) VALUES (9)").await,
        "23503"
    );
    c.batch_execute("INSERT INTO child (parent_id) VALUES (1), (1), (2)")
        .await
        .expect("children");
    c.batch_execute("DELETE FROM parent WHERE id = 1")
        .await
        .expect("cascade");
    assert_eq!(one(&c, "SELECT count(*) FROM child").await, "1");
    c.batch_execute("INSERT INTO keep VALUES (2)")
        .await
        .expect("keep");
    assert_eq!(fails(&c, "DELETE FROM parent WHERE id = 2").await, "23503");

    assert_eq!(
        fails(&c, "INSERT INTO parent (id, code) VALUES (3, 'abcd')").await,
        "22001"
    );
    assert_eq!(
        fails(&c, "INSERT INTO parent (id, price) VALUES (3, 100)").await,
        "22003"
    );
    assert_eq!(
        fails(&c, "INSERT INTO feel VALUES ('happy')").await,
        "22P02"
    );
    c.batch_execute("ALTER TYPE mood ADD VALUE 'happy'; INSERT INTO feel VALUES ('happy')")
        .await
        .expect("new label");
    assert_eq!(
        fails(&c, "INSERT INTO ident (id, n) VALUES (7, 1)").await,
        "428C9"
    );
    assert_eq!(
        one(&c, "INSERT INTO ident (n) VALUES (1) RETURNING id").await,
        "1"
    );

    // gen_random_uuid() defaults: one value per row, the same on every replica.
    c.batch_execute(
        "CREATE TABLE tok (id uuid DEFAULT gen_random_uuid() PRIMARY KEY, n int);
         INSERT INTO tok (n) VALUES (1), (2); INSERT INTO tok DEFAULT VALUES",
    )
    .await
    .expect("uuid defaults");
    assert_eq!(one(&c, "SELECT count(DISTINCT id) FROM tok").await, "3");
    let stmt = c
        .prepare("INSERT INTO tok (n) VALUES (9)")
        .await
        .expect("prepare");
    for _ in 0..2 {
        c.execute(&stmt, &[])
            .await
            .expect("each execution draws a new uuid");
    }
    assert_eq!(one(&c, "SELECT count(DISTINCT id) FROM tok").await, "5");
    drop(p);
}

#[tokio::test(flavor = "multi_thread")]
async fn sequences_are_shared_and_never_rolled_back() {
    let Some(p) = start() else { return };
    let a = connect(&p, "demo_seq").await;
    let b = connect(&p, "demo_seq").await;
    a.batch_execute("CREATE SEQUENCE s INCREMENT BY 10 MAXVALUE 100 START WITH 10")
        .await
        .expect("create sequence");
    assert_eq!(fails(&b, "SELECT currval('s')").await, "55000");
    assert_eq!(one(&a, "SELECT nextval('s')").await, "10");
    assert_eq!(one(&b, "SELECT nextval('s')").await, "20");
    assert_eq!(one(&a, "SELECT currval('s')").await, "10");
    assert_eq!(one(&b, "SELECT lastval()").await, "20");
    // A sequence ignores the transaction it is used in.
    a.batch_execute("BEGIN").await.expect("begin");
    assert_eq!(one(&a, "SELECT nextval('s')").await, "30");
    a.batch_execute("ROLLBACK").await.expect("rollback");
    assert_eq!(one(&b, "SELECT nextval('s')").await, "40");
    assert_eq!(one(&a, "SELECT setval('s', 100)").await, "100");
    assert_eq!(fails(&b, "SELECT nextval('s')").await, "2200H");
    assert_eq!(fails(&a, "SELECT nextval('nope')").await, "42P01");
    a.batch_execute("DROP SEQUENCE s").await.expect("drop");
    assert_eq!(fails(&b, "SELECT nextval('s')").await, "42P01");
    drop(p);
}

#[tokio::test(flavor = "multi_thread")]
async fn alter_column_type_rebuild_keeps_rows_keys_and_indexes() {
    let Some(p) = start() else { return };
    let c = connect(&p, "demo_alter").await;
    c.batch_execute(
        "CREATE TABLE acct (id bigserial PRIMARY KEY, email text NOT NULL, n text);
         CREATE UNIQUE INDEX acct_email ON acct (email);
         CREATE TABLE ref (acct_id bigint REFERENCES acct (id));
         INSERT INTO acct (email, n) VALUES ('a', '1'), ('b', '22'), ('c', '3');
         INSERT INTO ref VALUES (1), (2);
         DELETE FROM acct WHERE id = 3",
    )
    .await
    .expect("setup");
    c.batch_execute(
        "ALTER TABLE acct ALTER COLUMN n TYPE int USING n::int, ALTER COLUMN n SET NOT NULL",
    )
    .await
    .expect("alter column type");
    assert_eq!(
        rows(&c, "SELECT id, email, n + 1 FROM acct ORDER BY id").await,
        vec![
            vec![Some("1".into()), Some("a".into()), Some("2".into())],
            vec![Some("2".into()), Some("b".into()), Some("23".into())],
        ]
    );
    // The unique index came back, the key counter kept its place, the children their parent.
    assert_eq!(
        fails(&c, "INSERT INTO acct (email, n) VALUES ('a', 1)").await,
        "23505"
    );
    assert_eq!(
        fails(&c, "INSERT INTO acct (email) VALUES ('z')").await,
        "23502"
    );
    assert_eq!(
        one(
            &c,
            "INSERT INTO acct (email, n) VALUES ('d', 4) RETURNING id"
        )
        .await,
        "4",
        "the deleted id 3 is not handed out again"
    );
    assert_eq!(fails(&c, "DELETE FROM acct WHERE id = 1").await, "23503");
    assert_eq!(
        fails(&c, "ALTER TABLE acct ALTER COLUMN email TYPE int").await,
        "42804"
    );
    c.batch_execute("ALTER TABLE acct ALTER COLUMN email SET DEFAULT 'none'")
        .await
        .expect("set default");
    assert_eq!(
        one(&c, "INSERT INTO acct (n) VALUES (5) RETURNING email").await,
        "none"
    );
    drop(p);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_migration_in_one_transaction_sees_its_own_ddl() {
    let Some(p) = start() else { return };
    let c = connect(&p, "demo_migrate").await;
    for sql in [
        "BEGIN",
        "CREATE TYPE status AS ENUM ('new', 'done')",
        "CREATE TABLE task (id serial PRIMARY KEY, s status NOT NULL DEFAULT 'new')",
        "CREATE TABLE note (id serial PRIMARY KEY, task_id int)",
        "ALTER TABLE note ADD CONSTRAINT note_task_fkey FOREIGN KEY (task_id) REFERENCES task (id)",
        "CREATE SEQUENCE ticket",
        "INSERT INTO task DEFAULT VALUES",
        "INSERT INTO note (task_id) VALUES (1)",
        "COMMIT",
    ] {
        c.simple_query(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    assert_eq!(one(&c, "SELECT s FROM task").await, "new");
    assert_eq!(
        fails(&c, "INSERT INTO note (task_id) VALUES (9)").await,
        "23503"
    );
    assert_eq!(
        fails(&c, "INSERT INTO task (s) VALUES ('x')").await,
        "22P02"
    );
    assert_eq!(one(&c, "SELECT nextval('ticket')").await, "1");
    // A rolled-back block leaves nothing behind.
    c.batch_execute("BEGIN; CREATE TABLE gone (a int); ROLLBACK")
        .await
        .expect("rolled back ddl");
    assert_eq!(fails(&c, "SELECT * FROM gone").await, "42P01");
    drop(p);
}

#[tokio::test(flavor = "multi_thread")]
async fn savepoints_undo_part_of_a_block_including_its_ddl() {
    let Some(p) = start() else { return };
    let c = connect(&p, "demo_savepoint").await;
    c.batch_execute("CREATE TABLE acct (id int PRIMARY KEY, n int)")
        .await
        .unwrap_or_else(|e| panic!("create: {e}\n{}", p.output()));
    for sql in [
        "BEGIN",
        "INSERT INTO acct VALUES (1, 10)",
        "SAVEPOINT a",
        "INSERT INTO acct VALUES (2, 20)",
        "CREATE TABLE scratch (x int)",
        "SAVEPOINT b",
    ] {
        c.simple_query(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    // An error fails the block; ROLLBACK TO heals it and keeps what came before.
    assert_eq!(fails(&c, "INSERT INTO acct VALUES (1, 0)").await, "23505");
    assert_eq!(fails(&c, "SELECT 1").await, "25P02");
    c.simple_query("ROLLBACK TO SAVEPOINT b").await.unwrap();
    assert_eq!(one(&c, "SELECT count(*) FROM acct").await, "2");
    c.simple_query("ROLLBACK TO a").await.unwrap();
    assert_eq!(one(&c, "SELECT count(*) FROM acct").await, "1");
    // The table created after `a` is gone for the block's later statements too.
    assert_eq!(fails(&c, "SELECT x FROM scratch").await, "42P01");
    c.simple_query("ROLLBACK TO a").await.unwrap();
    c.simple_query("INSERT INTO acct VALUES (3, 30)")
        .await
        .unwrap();
    c.simple_query("RELEASE a").await.unwrap();
    c.simple_query("COMMIT").await.unwrap();
    assert_eq!(
        rows(&c, "SELECT id, n FROM acct ORDER BY id").await,
        [
            [Some("1".to_string()), Some("10".to_string())],
            [Some("3".to_string()), Some("30".to_string())]
        ]
    );
    assert_eq!(fails(&c, "SELECT x FROM scratch").await, "42P01");
    assert_eq!(fails(&c, "RELEASE a").await, "25P01");
}
