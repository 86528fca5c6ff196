//! pgrq against the real engine: every test here starts the `pgrq` binary, which starts
//! real `rqlited` processes (3 replicas per database), and drives it with real clients.
//! They need an rqlited binary (`scripts/install-rqlited.sh`, or `PGRQ_RQLITED`): without
//! one they fail, never skip. `scripts/test.sh` runs this file only when rqlited exists.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{Pgrq, connect, rows};
use tokio_postgres::{NoTls, SimpleQueryMessage};

use pgrq::node::locate::{RQLITE_VERSION, default_cache_root, locate_rqlited};

fn rqlited() -> String {
    match locate_rqlited(None, &default_cache_root(), RQLITE_VERSION) {
        Ok(p) => p.display().to_string(),
        Err(e) => panic!("the engine tests need rqlited: {e}"),
    }
}

/// Distinct port ranges per pgrq started by this test binary (tests run in parallel).
fn engine_env() -> Vec<(String, String)> {
    let base = common::port_base();
    let env = [
        ("PGRQ_RQLITED", rqlited()),
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
    env.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn start(extra: &[(&str, &str)]) -> Pgrq {
    start_in(tempfile::tempdir().expect("tempdir"), extra)
}

fn start_in(dir: tempfile::TempDir, extra: &[(&str, &str)]) -> Pgrq {
    let env = engine_env();
    let mut all: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    all.extend_from_slice(extra);
    Pgrq::start_in(dir, &all)
}

fn sqlstate(e: &tokio_postgres::Error) -> String {
    e.as_db_error()
        .map(|d| d.code().code().to_string())
        .unwrap_or_else(|| format!("not a database error: {e}"))
}

/// rqlited processes whose data dir is under `dir`.
fn rqlited_pids(dir: &std::path::Path) -> Vec<u32> {
    let out = Command::new("ps")
        .args(["-eo", "pid=,args="])
        .output()
        .expect("ps");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("rqlited") && l.contains(&*dir.to_string_lossy()))
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_core_scenario_with_tokio_postgres() {
    let p = start(&[]);
    let c = connect(&p, "demo_core").await;
    assert_eq!(rqlited_pids(&p.data_dir()).len(), 3, "three replicas");

    c.batch_execute(
        "CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL UNIQUE, \
         active boolean DEFAULT true, data bytea, n bigint)",
    )
    .await
    .expect("create table");
    let r = rows(
        &c,
        "INSERT INTO items (name, data, n) VALUES ('a', '\\x00ff', 9007199254740993) RETURNING id, active",
    )
    .await;
    assert_eq!(r, vec![vec![Some("1".into()), Some("t".into())]]);
    let r = rows(&c, "SELECT name, data, n, active FROM items").await;
    assert_eq!(
        r,
        vec![vec![
            Some("a".into()),
            Some("\\x00ff".into()),
            Some("9007199254740993".into()),
            Some("t".into())
        ]]
    );

    // 23505 with the constraint name; the connection keeps working.
    let e = c
        .batch_execute("INSERT INTO items (name) VALUES ('a')")
        .await
        .expect_err("duplicate");
    assert_eq!(sqlstate(&e), "23505");
    assert_eq!(
        e.as_db_error().and_then(|d| d.constraint()),
        Some("items_name_key")
    );
    assert_eq!(
        rows(&c, "SELECT count(*) FROM items").await[0][0].as_deref(),
        Some("1")
    );

    // A committed and a rolled-back transaction.
    c.batch_execute("BEGIN; INSERT INTO items (name) VALUES ('b'); COMMIT")
        .await
        .expect("commit");
    c.batch_execute("BEGIN; INSERT INTO items (name) VALUES ('c'); ROLLBACK")
        .await
        .expect("rollback");
    let names = rows(&c, "SELECT name FROM items ORDER BY id").await;
    assert_eq!(names, vec![vec![Some("a".into())], vec![Some("b".into())]]);

    // Inside a block the client sees its own writes; an error fails the block.
    c.batch_execute("BEGIN").await.expect("begin");
    c.batch_execute("INSERT INTO items (name) VALUES ('d')")
        .await
        .expect("insert");
    assert_eq!(
        rows(&c, "SELECT count(*) FROM items").await[0][0].as_deref(),
        Some("3")
    );
    let e = c
        .batch_execute("SELECT * FROM nope")
        .await
        .expect_err("42P01");
    assert_eq!(sqlstate(&e), "42P01");
    let e = c.batch_execute("SELECT 1").await.expect_err("25P02");
    assert_eq!(sqlstate(&e), "25P02");
    c.batch_execute("ROLLBACK").await.expect("rollback");
    assert_eq!(
        rows(&c, "SELECT count(*) FROM items").await[0][0].as_deref(),
        Some("2")
    );

    // UPDATE/DELETE tags carry row counts.
    let msgs = c
        .simple_query("UPDATE items SET n = 1")
        .await
        .expect("update");
    assert!(
        msgs.iter()
            .any(|m| matches!(m, SimpleQueryMessage::CommandComplete(2)))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_of_the_leader_mid_session() {
    let p = start(&[]);
    let c = connect(&p, "demo_failover").await;
    c.batch_execute("CREATE TABLE t (id serial PRIMARY KEY, v text)")
        .await
        .expect("create");
    c.batch_execute("INSERT INTO t (v) VALUES ('before')")
        .await
        .expect("insert");

    let leader = leader_pid(&p).await;
    let status = Command::new("kill")
        .args(["-9", &leader.to_string()])
        .status();
    assert!(status.is_ok_and(|s| s.success()), "kill -9 {leader}");

    // The next statement comes after the leader died: wait until the supervisor has seen
    // the death and started a replacement process. (A write in flight at the very moment
    // of the kill has an unknown outcome, which pgrq reports instead of risking a
    // duplicate; see rqlite/client.rs.)
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let pids = rqlited_pids(&p.data_dir());
        if pids.len() == 3 && !pids.contains(&leader) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the killed replica was not replaced\n{}",
            p.output()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The same session's next statements succeed (a new leader is elected).
    c.batch_execute("INSERT INTO t (v) VALUES ('after')")
        .await
        .unwrap_or_else(|e| panic!("write after leader kill: {e:?}\n{}", p.output()));
    let r = rows(&c, "SELECT v FROM t ORDER BY id").await;
    assert_eq!(
        r,
        vec![vec![Some("before".into())], vec![Some("after".into())]]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn restart_keeps_data_and_leaves_no_orphans() {
    let p = start(&[]);
    let data = p.data_dir();
    {
        let c = connect(&p, "demo_keep").await;
        c.batch_execute(
            "CREATE TABLE k (id serial PRIMARY KEY, v text); INSERT INTO k (v) VALUES ('x')",
        )
        .await
        .expect("write");
    }
    let dir = p.stop_keep_dir();
    assert!(
        rqlited_pids(&data).is_empty(),
        "rqlited left running after SIGINT"
    );

    // An unfinished creation (interrupted, or a cluster that never formed), here with a
    // stale placement and junk Raft state, is discarded and created afresh.
    let half = data.join("demo_half");
    std::fs::create_dir_all(half.join("rqlite/demo_half-1")).expect("mkdir");
    std::fs::write(half.join("creating"), b"").expect("marker");
    let placement = std::fs::read(data.join("demo_keep/placement.json")).expect("placement");
    std::fs::write(half.join("placement.json"), placement).expect("stale placement");
    std::fs::write(half.join("rqlite/demo_half-1/raft.db"), b"junk").expect("junk");

    let p = start_in(dir, &[]);
    let c = connect(&p, "demo_keep").await;
    assert_eq!(
        rows(&c, "SELECT v FROM k").await,
        vec![vec![Some("x".into())]]
    );
    c.batch_execute("INSERT INTO k (v) VALUES ('y')")
        .await
        .expect("write after restart");
    assert_eq!(rqlited_pids(&p.data_dir()).len(), 3);
    let h = connect(&p, "demo_half").await;
    h.batch_execute("CREATE TABLE t (a int); INSERT INTO t VALUES (1)")
        .await
        .expect("the discarded creation works as a new database");
    assert_eq!(
        rows(&h, "SELECT a FROM t").await,
        vec![vec![Some("1".into())]]
    );
    assert!(!data.join("demo_half/creating").exists());
    assert_eq!(rqlited_pids(&p.data_dir()).len(), 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn apps_that_may_not_create_get_3d000() {
    let env = engine_env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let config = "[[apps]]\nname = \"demo\"\npassword = \"demo\"\nallow_create = false\n";
    let p = Pgrq::start_with(tempfile::tempdir().expect("tempdir"), &env, Some(config));
    let e = tokio_postgres::connect(&p.conn_str("demo", "demo", "demo_missing"), NoTls)
        .await
        .err()
        .expect("refused");
    assert_eq!(sqlstate(&e), "3D000", "{e}");
    assert!(
        rqlited_pids(&p.data_dir()).is_empty(),
        "nothing was started"
    );
}

#[test]
fn psql_session_of_the_readme() {
    let p = start(&[]);
    let script = "\\set ON_ERROR_STOP 0\n\
        CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL, done boolean DEFAULT false, \
          created timestamptz DEFAULT now(), price numeric(10,2));\n\
        INSERT INTO notes (body, price) VALUES ('first', 1.5) RETURNING id, done;\n\
        SELECT id, body, done, price FROM notes;\n\
        INSERT INTO notes (id, body) VALUES (1, 'dup');\n\
        SELECT 'alive' AS status;\n";
    let out = Command::new("psql")
        .arg(format!(
            "host=127.0.0.1 port={} user=demo dbname=demo_readme sslmode=require",
            p.port
        ))
        .args(["-X", "-f", "-"])
        .env("PGPASSWORD", "demo")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            if let Some(mut stdin) = child.stdin.take() {
                stdin.write_all(script.as_bytes())?;
            }
            child.wait_with_output()
        })
        .expect("psql runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("CREATE TABLE"), "{stdout}\n{stderr}");
    assert!(stdout.contains("INSERT 0 1"), "{stdout}\n{stderr}");
    assert!(stdout.contains(" first"), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("1.50"),
        "numeric(10,2) keeps its scale: {stdout}"
    );
    assert!(
        stderr.contains("duplicate key value violates unique constraint"),
        "{stderr}"
    );
    assert!(
        stdout.contains("alive"),
        "the session survives the error: {stdout}"
    );
}

/// The pid of the rqlited that is the Raft leader of the (single) database under `p`.
async fn leader_pid(p: &Pgrq) -> u32 {
    let data = p.data_dir();
    let password =
        std::fs::read_to_string(data.join("secrets/rqlite-password")).expect("rqlite password");
    let http = reqwest::Client::builder().no_proxy().build().expect("http");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        for (pid, addr) in replicas(&data) {
            let status = http
                .get(format!("http://{addr}/status"))
                .basic_auth("pgrq", Some(password.trim()))
                .send()
                .await;
            if let Ok(resp) = status
                && let Ok(v) = resp.json::<serde_json::Value>().await
                && v["store"]["raft"]["state"] == "Leader"
            {
                return pid;
            }
        }
        assert!(Instant::now() < deadline, "no leader found\n{}", p.output());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn extended_protocol_with_binary_parameters_and_results() {
    let p = start(&[]);
    let mut c = connect(&p, "demo_ext").await;
    c.batch_execute(
        "CREATE TABLE m (id bigserial PRIMARY KEY, name varchar(20) NOT NULL, score float8, \
         ok boolean, blob bytea, small int2, n int4)",
    )
    .await
    .expect("create");

    // tokio-postgres: Parse/Describe/Sync, then Bind/Execute with binary parameters and
    // binary results.
    let ins = c
        .prepare("INSERT INTO m (name, score, ok, blob, small, n) VALUES ($1::varchar, $2::float8, $3::bool, $4::bytea, $5::int2, $6::int4) RETURNING id")
        .await
        .expect("prepare insert");
    for i in 0..8i32 {
        let name = format!("row{i}");
        let blob = vec![0u8, i as u8];
        let row = c
            .query_one(
                &ins,
                &[
                    &name,
                    &(i as f64 / 2.0),
                    &(i % 2 == 0),
                    &blob,
                    &(i as i16),
                    &i,
                ],
            )
            .await
            .expect("insert");
        let _id: i64 = row.get(0);
    }
    let sel = c
        .prepare("SELECT name, score, ok, blob, small, n FROM m WHERE n >= $1::int4 ORDER BY n")
        .await
        .expect("prepare select");
    let rows = c.query(&sel, &[&6i32]).await.expect("select");
    assert_eq!(rows.len(), 2);
    let name: String = rows[0].get(0);
    let score: f64 = rows[0].get(1);
    let ok: bool = rows[0].get(2);
    let blob: Vec<u8> = rows[0].get(3);
    let small: i16 = rows[0].get(4);
    let n: i32 = rows[0].get(5);
    assert_eq!(
        (name.as_str(), score, ok, blob, small, n),
        ("row6", 3.0, true, vec![0, 6], 6, 6)
    );

    // Uncast parameters get their type from context, as in PostgreSQL.
    let r = c
        .query(
            "SELECT name FROM m WHERE n = $1 AND ok = $2 LIMIT $3",
            &[&6i32, &true, &5i64],
        )
        .await
        .expect("inferred parameter types");
    assert_eq!(r.len(), 1);
    c.execute(
        "UPDATE m SET score = $1 WHERE small = $2",
        &[&9.5f64, &6i16],
    )
    .await
    .expect("update with inferred types");

    // NULLs both ways.
    c.execute(
        &ins,
        &[
            &"nulls",
            &None::<f64>,
            &None::<bool>,
            &None::<Vec<u8>>,
            &None::<i16>,
            &None::<i32>,
        ],
    )
    .await
    .expect("insert nulls");
    let r = c
        .query_one(
            "SELECT score, ok FROM m WHERE name = $1::varchar",
            &[&"nulls"],
        )
        .await
        .expect("select nulls");
    assert_eq!(r.get::<_, Option<f64>>(0), None);
    assert_eq!(r.get::<_, Option<bool>>(1), None);

    // Errors keep the connection usable; statements are reused across transactions.
    let e = c
        .execute(&ins, &[&"row1", &0.0f64, &true, &vec![1u8], &1i16, &1i32])
        .await;
    assert!(e.is_ok(), "name is not unique here: {e:?}");
    let bad = c
        .prepare("SELECT nope FROM m")
        .await
        .expect_err("42703 at parse");
    assert_eq!(sqlstate(&bad), "42703");
    for _ in 0..7 {
        let rows = c.query(&sel, &[&0i32]).await.expect("reuse");
        assert_eq!(rows.len(), 9);
    }
    let tx = c.transaction().await.expect("begin");
    tx.execute(
        &ins,
        &[&"in_tx", &1.0f64, &false, &Vec::<u8>::new(), &0i16, &100i32],
    )
    .await
    .expect("insert in tx");
    let seen = tx.query(&sel, &[&100i32]).await.expect("read own write");
    assert_eq!(seen.len(), 1);
    tx.rollback().await.expect("rollback");
    assert!(
        c.query(&sel, &[&100i32])
            .await
            .expect("after rollback")
            .is_empty()
    );

    // A portal read in chunks (Execute with max_rows → PortalSuspended).
    let tx = c.transaction().await.expect("begin");
    let portal = tx.bind(&sel, &[&0i32]).await.expect("bind");
    let first = tx.query_portal(&portal, 4).await.expect("first chunk");
    let rest = tx.query_portal(&portal, 100).await.expect("rest");
    assert_eq!((first.len(), rest.len()), (4, 5));
    tx.commit().await.expect("commit");
}

#[tokio::test(flavor = "multi_thread")]
async fn default_now_is_the_insert_time_on_every_replica() {
    let p = start(&[]);
    let c = connect(&p, "demo_now").await;
    c.batch_execute("CREATE TABLE e (id serial PRIMARY KEY, at timestamptz DEFAULT now(), v text)")
        .await
        .expect("create");
    c.batch_execute("INSERT INTO e (v) VALUES ('first')")
        .await
        .expect("first");
    tokio::time::sleep(Duration::from_millis(50)).await;
    c.batch_execute("INSERT INTO e (v) VALUES ('second')")
        .await
        .expect("second");
    let r = rows(&c, "SELECT at FROM e ORDER BY id").await;
    let (a, b) = (r[0][0].clone().expect("at"), r[1][0].clone().expect("at"));
    assert!(a < b, "each row gets its own insert time: {a} vs {b}");
    // A prepared statement reused later gets the time of its own transaction.
    let ins = c
        .prepare("INSERT INTO e (v) VALUES ($1) RETURNING at")
        .await
        .expect("prepare");
    // (tokio-postgres reads timestamptz in binary.)
    let t1: std::time::SystemTime = c.query_one(&ins, &[&"p1"]).await.expect("p1").get(0);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let t2: std::time::SystemTime = c.query_one(&ins, &[&"p2"]).await.expect("p2").get(0);
    assert!(
        t1 < t2,
        "prepared once, fresh time each run: {t1:?} vs {t2:?}"
    );
    let age = std::time::SystemTime::now()
        .duration_since(t1)
        .unwrap_or_default();
    assert!(
        age < Duration::from_secs(600),
        "binary timestamptz decodes to now: {t1:?}"
    );
    c.batch_execute("DELETE FROM e WHERE v IN ('p1', 'p2')")
        .await
        .expect("cleanup");
    // Every replica holds the same value (the time is fixed before Raft): ask each one
    // directly, reading its local copy once it has applied both rows (followers learn of
    // commits a heartbeat later).
    let deadline = Instant::now() + Duration::from_secs(15);
    let per_replica = loop {
        let reads = local_reads(&p, "SELECT at FROM e ORDER BY id").await;
        if reads.iter().all(|r| r.matches("+00").count() == 2) {
            break reads;
        }
        assert!(
            Instant::now() < deadline,
            "replicas never caught up: {reads:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(per_replica.len(), 3);
    assert!(
        per_replica.windows(2).all(|w| w[0] == w[1]),
        "replicas disagree: {per_replica:?}"
    );
    assert!(per_replica[0].contains(&a), "{per_replica:?} vs {a}");
}

/// The same query on every replica's local copy (`level=none`), as JSON text.
async fn local_reads(p: &Pgrq, sql: &str) -> Vec<String> {
    let data = p.data_dir();
    let password =
        std::fs::read_to_string(data.join("secrets/rqlite-password")).expect("rqlite password");
    let http = reqwest::Client::builder().no_proxy().build().expect("http");
    let mut out = Vec::new();
    for (_, addr) in replicas(&data) {
        let body = serde_json::json!([[sql]]);
        let resp = http
            .post(format!("http://{addr}/db/query?level=none"))
            .basic_auth("pgrq", Some(password.trim()))
            .json(&body)
            .send()
            .await
            .expect("query replica");
        let v: serde_json::Value = resp.json().await.expect("json");
        out.push(v["results"][0]["values"].to_string());
    }
    out
}

/// (pid, HTTP address) of each rqlited replica under `data`, from its command line.
fn replicas(data: &std::path::Path) -> Vec<(u32, String)> {
    rqlited_pids(data)
        .into_iter()
        .filter_map(|pid| {
            let args = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).ok()?;
            let args: Vec<&str> = args.split('\0').collect();
            let i = args.iter().position(|a| *a == "-http-addr")?;
            args.get(i + 1).map(|s| (pid, s.to_string()))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_request_stops_a_running_query() {
    let p = start(&[]);
    let c = connect(&p, "demo_cancel").await;
    c.batch_execute("CREATE TABLE one (x int)")
        .await
        .expect("create");
    let token = c.cancel_token();
    let slow = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000000) \
                SELECT count(*) FROM n";
    let canceller = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        token.cancel_query(NoTls).await
    });
    let result = c.simple_query(slow).await;
    canceller.await.expect("join").expect("cancel request sent");
    let e = result.expect_err("the query was cancelled");
    assert_eq!(sqlstate(&e), "57014", "{e:?}");
    // The session goes on.
    assert_eq!(rows(&c, "SELECT 1").await, vec![vec![Some("1".into())]]);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_query_message_is_one_transaction() {
    let p = start(&[]);
    let c = connect(&p, "demo_implicit").await;
    c.batch_execute("CREATE TABLE q (id serial PRIMARY KEY, v text NOT NULL)")
        .await
        .expect("create");
    let e = c
        .batch_execute("INSERT INTO q (v) VALUES ('a'); INSERT INTO q (v) VALUES (NULL)")
        .await
        .expect_err("23502");
    assert_eq!(sqlstate(&e), "23502");
    assert_eq!(
        rows(&c, "SELECT count(*) FROM q").await[0][0].as_deref(),
        Some("0")
    );
    c.batch_execute("INSERT INTO q (v) VALUES ('a'); INSERT INTO q (v) VALUES ('b')")
        .await
        .expect("both");
    assert_eq!(
        rows(&c, "SELECT count(*) FROM q").await[0][0].as_deref(),
        Some("2")
    );
}

/// Query semantics only the real engine can show: SQLite's LIKE ignores case and its
/// ORDER BY puts NULLs first, its division by zero is NULL, its CAST reads 'x' as 0, and it
/// has no DISTINCT ON; pgrq's translation must give PostgreSQL's answers (or its errors).
#[tokio::test(flavor = "multi_thread")]
async fn postgres_query_semantics_on_the_engine() {
    let p = start(&[]);
    let c = connect(&p, "demo_semantics").await;
    c.batch_execute(
        "CREATE TABLE fruit (id int PRIMARY KEY, name text, price numeric, doc jsonb, at timestamptz);
         INSERT INTO fruit VALUES
           (1, 'Apple', 3, '{\"b\":1,\"a\":[1,2]}', '2026-01-31 10:00:00.25+00'),
           (2, 'apple', NULL, NULL, NULL),
           (3, 'Banana', 7.5, '{\"tags\":[\"x\"]}', '2026-02-01 00:00:00+00')",
    )
    .await
    .unwrap_or_else(|e| panic!("setup: {e}\n{}", p.output()));
    let col = |sql: &'static str| {
        let c = &c;
        async move {
            rows(c, sql)
                .await
                .into_iter()
                .map(|mut r| r.remove(0).unwrap_or_else(|| "NULL".into()))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        col("SELECT id FROM fruit WHERE name LIKE 'a%' ORDER BY id").await,
        ["2"]
    );
    assert_eq!(
        col("SELECT id FROM fruit WHERE name ILIKE 'a%' ORDER BY id").await,
        ["1", "2"]
    );
    assert_eq!(
        col("SELECT id FROM fruit ORDER BY price").await,
        ["1", "3", "2"]
    );
    assert_eq!(
        col("SELECT id FROM fruit ORDER BY price DESC").await,
        ["2", "3", "1"]
    );
    assert_eq!(
        col("SELECT DISTINCT ON (lower(name)) name FROM fruit ORDER BY lower(name), id DESC").await,
        ["apple", "Banana"]
    );
    assert_eq!(
        col("SELECT DISTINCT lower(name) FROM fruit ORDER BY 1").await,
        ["apple", "banana"]
    );
    assert_eq!(
        col("SELECT price % 2 FROM fruit WHERE id = 3").await,
        ["1.5"]
    );
    assert_eq!(
        col("SELECT greatest(price, 5) FROM fruit ORDER BY id").await,
        ["5", "5", "7.5"]
    );
    assert_eq!(
        col("SELECT doc FROM fruit WHERE id = 1").await,
        [r#"{"a": [1, 2], "b": 1}"#]
    );
    assert_eq!(
        col("SELECT id FROM fruit WHERE doc @> '{\"tags\": [\"x\"]}'").await,
        ["3"]
    );
    assert_eq!(
        col("SELECT at + interval '1 month' FROM fruit WHERE id = 1").await,
        ["2026-02-28 10:00:00.25+00"]
    );
    assert_eq!(
        col("SELECT extract(second FROM at) FROM fruit WHERE id = 1").await,
        ["0.250000"]
    );
    assert_eq!(col("SELECT 2.5::int").await, ["3"]);
    for (sql, code) in [
        ("SELECT 1 / (price - 3) FROM fruit WHERE id = 1", "22012"),
        ("SELECT name::int FROM fruit WHERE id = 1", "22P02"),
        ("SELECT * FROM fruit WHERE name ~ '(an)+a'", "0A000"),
    ] {
        let e = c
            .simple_query(sql)
            .await
            .err()
            .unwrap_or_else(|| panic!("{sql} ran"));
        assert_eq!(sqlstate(&e), code, "{sql}: {e}");
    }
}
