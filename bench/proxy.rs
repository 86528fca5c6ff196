//! pgrq's benchmark harness: every figure is measured side by side in one run and reported
//! as a ratio to its baseline, because absolute times on a shared 2-core machine are noise.
//!
//! `cargo bench --bench proxy` (needs rqlited: `scripts/install-rqlited.sh` or
//! `PGRQ_RQLITED`). It starts the real `pgrq` binary (release build of this crate) with
//! real rqlited replicas, then measures, in the same run:
//! - create-on-first-connect: connect to a new database until the first query answers;
//! - point reads: the same prepared SELECT through pgrq (tokio-postgres, extended
//!   protocol) vs straight to rqlite's HTTP API (`/db/query?level=linearizable`);
//! - single-row autocommit writes: INSERT through pgrq vs `/db/execute`;
//! - wake on connect: hibernate a 3-replica database (`pgrq db hibernate`, through the
//!   admin socket), then connect and run a first query, vs the same connect and first
//!   query on a database that is running.
//!
//! It writes the table to `bench/RESULTS.md` and prints it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pgrq::node::locate::{RQLITE_VERSION, default_cache_root, locate_rqlited};

const N: usize = 300;
const DATABASES: usize = 5;
/// Hibernate/wake cycles for the wake figure.
const WAKES: usize = 100;

struct Server {
    child: Child,
    port: u16,
    data: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn pgrq_binary() -> PathBuf {
    // Cargo builds the package's binary for its benches and tells them where it is.
    PathBuf::from(env!("CARGO_BIN_EXE_pgrq"))
}

fn start(rqlited: &str) -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let mut child = Command::new(pgrq_binary())
        .args(["up", "--single", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .env("PGRQ_RQLITED", rqlited)
        .env("PGRQ_LOG", "warn")
        .env("PGRQ_TLS__MODE", "off")
        .env("PGRQ_DATABASE__MAX_DATABASES", "20")
        // The bench hibernates explicitly; nothing else may.
        .env("PGRQ_DATABASE__HIBERNATION_TIMEOUT", "0s")
        .env("PGRQ_DATABASE__PORT_RANGE_HTTP_START", "24001")
        .env("PGRQ_DATABASE__PORT_RANGE_HTTP_END", "24099")
        .env("PGRQ_DATABASE__PORT_RANGE_RAFT_START", "25001")
        .env("PGRQ_DATABASE__PORT_RANGE_RAFT_END", "25099")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start pgrq");
    let stdout = child.stdout.take().expect("stdout");
    let mut port = 0;
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        if let Some(rest) = line.strip_prefix("pgrq listening on ") {
            let addr = rest.split_whitespace().next().unwrap_or_default();
            port = addr
                .rsplit(':')
                .next()
                .and_then(|p| p.parse().ok())
                .unwrap_or(0);
            break;
        }
    }
    assert!(port != 0, "pgrq did not start");
    Server {
        child,
        port,
        data,
        _dir: dir,
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn p99(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[(v.len() * 99 / 100).min(v.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

async fn connect(port: u16, db: &str) -> tokio_postgres::Client {
    let conn = format!("host=127.0.0.1 port={port} user=demo password=demo dbname={db}");
    let (client, connection) = tokio_postgres::connect(&conn, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    client
}

/// rqlite's HTTP address of one replica of `db`, and pgrq's credentials for it.
fn rqlite_endpoint(data: &Path, db: &str) -> (String, String) {
    let placement: serde_json::Value = serde_json::from_slice(
        &std::fs::read(data.join(db).join("placement.json")).expect("placement"),
    )
    .expect("json");
    let port = placement["http"][0].as_u64().expect("port");
    let password = std::fs::read_to_string(data.join("secrets/rqlite-password")).expect("secret");
    (format!("127.0.0.1:{port}"), password.trim().to_string())
}

#[tokio::main]
async fn main() {
    let rqlited = match locate_rqlited(None, &default_cache_root(), RQLITE_VERSION) {
        Ok(p) => p.display().to_string(),
        Err(e) => {
            eprintln!("bench: {e}");
            std::process::exit(2);
        }
    };
    let server = start(&rqlited);
    let mut rows: Vec<(String, String, String, String)> = Vec::new();

    // Create on first connect.
    let mut creates = Vec::new();
    for i in 0..DATABASES {
        let t = Instant::now();
        let c = connect(server.port, &format!("demo_bench{i}")).await;
        c.simple_query("SELECT 1").await.expect("first query");
        creates.push(t.elapsed());
    }
    rows.push((
        format!("create on first connect ({DATABASES} databases, 3 replicas each)"),
        format!("p50 {}", ms(median(creates.clone()))),
        format!(
            "max {}",
            ms(*creates.iter().max().unwrap_or(&Duration::ZERO))
        ),
        "—".into(),
    ));

    let c = connect(server.port, "demo_bench0").await;
    c.batch_execute("CREATE TABLE kv (k int PRIMARY KEY, v text)")
        .await
        .expect("create");
    for k in 0..100 {
        c.execute(
            "INSERT INTO kv (k, v) VALUES ($1::int4, $2::text)",
            &[&k, &format!("v{k}")],
        )
        .await
        .expect("seed");
    }
    let (addr, password) = rqlite_endpoint(&server.data, "demo_bench0");
    let http = reqwest::Client::builder().no_proxy().build().expect("http");

    // Point reads.
    let stmt = c
        .prepare("SELECT v FROM kv WHERE k = $1::int4")
        .await
        .expect("prepare");
    let mut proxy = Vec::with_capacity(N);
    let mut direct = Vec::with_capacity(N);
    for i in 0..N {
        let k = (i % 100) as i32;
        let t = Instant::now();
        c.query_one(&stmt, &[&k]).await.expect("read via pgrq");
        proxy.push(t.elapsed());
        let t = Instant::now();
        http.post(format!("http://{addr}/db/query?level=linearizable"))
            .basic_auth("pgrq", Some(&password))
            .json(&serde_json::json!([["SELECT v FROM kv WHERE k = ?", k]]))
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .expect("read via rqlite");
        direct.push(t.elapsed());
    }
    rows.push(ratio_row("point read (linearizable)", proxy, direct));

    // Single-row writes.
    let ins = c
        .prepare("INSERT INTO kv (k, v) VALUES ($1::int4, 'x')")
        .await
        .expect("prepare");
    let mut proxy = Vec::with_capacity(N);
    let mut direct = Vec::with_capacity(N);
    for i in 0..N {
        let t = Instant::now();
        c.execute(&ins, &[&(1000 + i as i32)])
            .await
            .expect("write via pgrq");
        proxy.push(t.elapsed());
        let t = Instant::now();
        http.post(format!("http://{addr}/db/execute"))
            .basic_auth("pgrq", Some(&password))
            .json(&serde_json::json!([[
                "INSERT INTO kv (k, v) VALUES (?, 'x')",
                100_000 + i
            ]]))
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .expect("write via rqlite");
        direct.push(t.elapsed());
    }
    rows.push(ratio_row("single-row write", proxy, direct));

    // Wake on connect vs connect to a running database, alternating.
    drop(c);
    let sock = pgrq::node::admin::socket_path(&server.data);
    let mut woken = Vec::with_capacity(WAKES);
    let mut running = Vec::with_capacity(WAKES);
    for _ in 0..WAKES {
        let t = Instant::now();
        let c = connect(server.port, "demo_bench1").await;
        c.simple_query("SELECT 1")
            .await
            .expect("query a running db");
        running.push(t.elapsed());
        drop(c);
        let r = pgrq::node::admin::request(
            &sock,
            &pgrq::node::admin::Request::Hibernate {
                db: "demo_bench1".into(),
            },
            Duration::from_secs(60),
        )
        .await
        .expect("hibernate");
        assert!(r.ok, "hibernate: {}", r.message);
        let t = Instant::now();
        let c = connect(server.port, "demo_bench1").await;
        c.simple_query("SELECT 1").await.expect("query after wake");
        woken.push(t.elapsed());
    }
    let mut row = ratio_row(
        "wake on connect (3 replicas; connect + first query)",
        woken,
        running,
    );
    row.2 = format!("{} (database running)", row.2);
    rows.push(row);

    let mut table = String::from(
        "| figure | pgrq | baseline (rqlite HTTP, same run) | ratio (p50) |\n| --- | --- | --- | --- |\n",
    );
    for (a, b, c, d) in &rows {
        table.push_str(&format!("| {a} | {b} | {c} | {d} |\n"));
    }
    let report = format!(
        "# pgrq benchmark results\n\nProduced by `cargo bench --bench proxy` ({N} sequential operations per figure, \
         {WAKES} hibernate/wake cycles, one client, loopback, release build). rqlited: {}.\n\n{table}",
        Command::new(&rqlited)
            .arg("-version")
            .output()
            .map(|o| {
                let out = [o.stdout, o.stderr].concat();
                String::from_utf8_lossy(&out).trim().to_string()
            })
            .unwrap_or_default()
    );
    println!("{report}");
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/RESULTS.md");
    // The node benchmark's section (bench/nodes.rs) is kept as it is.
    let kept = std::fs::read_to_string(&out)
        .ok()
        .and_then(|old| {
            old.find("<!-- nodes:begin -->")
                .map(|i| old[i..].to_string())
        })
        .map_or(String::new(), |s| format!("\n{s}"));
    if let Err(e) = std::fs::write(&out, format!("{report}{kept}")) {
        eprintln!("bench: cannot write {}: {e}", out.display());
    }
}

fn ratio_row(
    name: &str,
    proxy: Vec<Duration>,
    direct: Vec<Duration>,
) -> (String, String, String, String) {
    let (pm, dm) = (median(proxy.clone()), median(direct.clone()));
    (
        name.to_string(),
        format!("p50 {} / p99 {}", ms(pm), ms(p99(proxy))),
        format!("p50 {} / p99 {}", ms(dm), ms(p99(direct))),
        format!("{:.2}×", pm.as_secs_f64() / dm.as_secs_f64().max(1e-9)),
    )
}
