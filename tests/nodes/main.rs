//! Three real `pgrq node` processes with real rqlited: the system catalog forms by itself
//! (`bootstrap_expect = 3`), databases are created on first access through any node and
//! placed on three nodes, two clients racing to create one database through two nodes get
//! one database, a restarted node comes back with its replicas (and removes an orphan's
//! data), and with the first node killed, multi-host psql and tokio-postgres land on
//! another node and work; `pgrq up` prints one multi-host URI for its three node processes
//! and stops them all on SIGINT. Needs rqlited (`PGRQ_RQLITED`, the install cache or PATH):
//! without one it fails, never skips; `scripts/test.sh` runs it only when rqlited exists.

#[path = "../common/mod.rs"]
mod common;
mod drop;
mod evict;
mod hibernate;
mod ops;
mod ports;
mod replace;
mod sysmember;

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pgrq::node::locate::{RQLITE_VERSION, default_cache_root, locate_rqlited};
use tokio_postgres::NoTls;

/// The node tests run one at a time: two clusters at once on a small CI host starve
/// gossip heartbeats (200 ms here) and flap health.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct Node {
    child: Child,
    port: u16,
    data_dir: PathBuf,
    config: PathBuf,
    log: Arc<Mutex<String>>,
}

fn rqlited() -> String {
    match locate_rqlited(None, &default_cache_root(), RQLITE_VERSION) {
        Ok(p) => p.display().to_string(),
        Err(e) => panic!("the node tests need rqlited: {e}"),
    }
}

/// One node's configuration: its own slice (`width` ports from `ports`: HTTP in the first
/// half, Raft in the second) of the test's 100-port block for replicas.
fn config(
    data_dir: &Path,
    gossip: u16,
    peers: &[u16],
    ports: u16,
    width: u16,
    expect: usize,
) -> String {
    let peers: Vec<String> = peers
        .iter()
        .map(|p| format!("\"/ip4/127.0.0.1/tcp/{p}\""))
        .collect();
    format!(
        r#"
[node]
data_dir = "{}"
listen_addresses = ["/ip4/127.0.0.1/tcp/{gossip}"]
[proxy]
listen_address = "127.0.0.1:0"
[tls]
mode = "off"
[database]
max_databases = 10
wake_timeout_secs = 60
port_range_http_start = {}
port_range_http_end = {}
port_range_raft_start = {}
port_range_raft_end = {}
[discovery]
mdns = false
bootstrap_expect = {expect}
bootstrap_peers = [{}]
health_check_interval = "500ms"
discovery_interval = "1s"
[rqlite]
binary = "{}"
password = "node-tests-secret"
[[apps]]
name = "demo"
password = "demo"
"#,
        data_dir.display(),
        ports,
        ports + width / 2 - 1,
        ports + width / 2,
        ports + width - 1,
        peers.join(", "),
        rqlited(),
    )
}

impl Node {
    fn start(data_dir: PathBuf, config_text: &str) -> Node {
        std::fs::create_dir_all(&data_dir).expect("data dir");
        let config = data_dir.with_extension("toml");
        std::fs::write(&config, config_text).expect("config");
        let mut node = Node {
            child: Command::new("true").spawn().expect("placeholder"),
            port: 0,
            data_dir,
            config,
            log: Arc::default(),
        };
        node.restart();
        node
    }

    fn restart(&mut self) {
        let _ = self.child.wait();
        let mut child = Command::new(env!("CARGO_BIN_EXE_pgrq"))
            .args(["node", "--config"])
            .arg(&self.config)
            .env(
                "PGRQ_LOG",
                std::env::var("PGRQ_TEST_NODE_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn pgrq node");
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().expect("stdout");
        let log = self.log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("pgrq listening on ") {
                    let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_string());
                }
                log.lock()
                    .map(|mut l| l.push_str(&format!("{line}\n")))
                    .ok();
            }
        });
        let mut stderr = child.stderr.take().expect("stderr");
        let log = self.log.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let chunk = String::from_utf8_lossy(&buf[..n]).to_string();
                log.lock().map(|mut l| l.push_str(&chunk)).ok();
            }
        });
        let Ok(addr) = rx.recv_timeout(Duration::from_secs(60)) else {
            let _ = child.kill();
            let status = child.wait();
            std::thread::sleep(Duration::from_millis(200));
            panic!("node did not start ({status:?}):\n{}", self.output());
        };
        self.port = addr
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port in banner");
        self.child = child;
    }

    fn output(&self) -> String {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// SIGINT and wait: a clean stop.
    fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(s)) = self.child.try_wait() {
                assert!(s.success(), "unclean stop: {s}\n{}", self.output());
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("node did not stop:\n{}", self.output());
    }

    fn conn_str(&self, db: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user=demo password=demo dbname={db} connect_timeout=60",
            self.port
        )
    }
}

struct Cluster {
    nodes: Vec<Node>,
    _dir: tempfile::TempDir,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for (i, n) in self.nodes.iter_mut().enumerate() {
            if std::thread::panicking() {
                eprintln!("---- node {} output ----\n{}", i + 1, n.output());
                print_replica_logs(&n.data_dir);
            }
            let _ = n.child.kill();
            let _ = n.child.wait();
        }
    }
}

/// `n` nodes forming the system catalog together (`bootstrap_expect = n`).
/// The last lines of each rqlited log on a node (database and system replicas).
fn print_replica_logs(data_dir: &Path) {
    let Ok(entries) = std::fs::read_dir(data_dir.join("logs")) else {
        return;
    };
    for e in entries.flatten() {
        let text = std::fs::read_to_string(e.path()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(25)..].join("\n");
        eprintln!("---- {} ----\n{tail}", e.path().display());
    }
}

fn cluster(n: usize) -> Cluster {
    cluster_with(n, "")
}

/// `n` nodes whose `[database]` section also has (or has instead) the `key = value` lines
/// of `extra`.
fn cluster_with(n: usize, extra: &str) -> Cluster {
    cluster_sized(n, extra, None)
}

/// `cluster_with`, each node's HTTP and Raft port ranges cut to `room` ports when given.
fn cluster_sized(n: usize, extra: &str, room: Option<u16>) -> Cluster {
    let dir = tempfile::tempdir().expect("tempdir");
    let width = 100 / n as u16;
    let gossip: Vec<u16> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("bind"))
        .collect::<Vec<_>>()
        .iter()
        .map(|l| l.local_addr().expect("addr").port())
        .collect();
    let base = common::port_base();
    let nodes = (0..n)
        .map(|i| {
            let peers: Vec<u16> = (0..n).filter(|j| *j != i).map(|j| gossip[j]).collect();
            let data = dir.path().join(format!("node{}", i + 1));
            let first = base + width * i as u16;
            let mut text = config(&data, gossip[i], &peers, first, width, n);
            if let Some(room) = room {
                let (http_end, raft_end) = (first + room - 1, first + width / 2 + room - 1);
                text = text
                    .replace(
                        &format!("port_range_http_end = {}", first + width / 2 - 1),
                        &format!("port_range_http_end = {http_end}"),
                    )
                    .replace(
                        &format!("port_range_raft_end = {}", first + width - 1),
                        &format!("port_range_raft_end = {raft_end}"),
                    );
            }
            for line in extra.lines() {
                let key = format!("{} =", line.split('=').next().unwrap_or("").trim());
                text = match text.lines().find(|l| l.starts_with(&key)) {
                    Some(old) => text.replacen(old, line, 1),
                    None => text.replacen("[database]\n", &format!("[database]\n{line}\n"), 1),
                };
            }
            Node::start(data, &text)
        })
        .collect();
    Cluster { nodes, _dir: dir }
}

async fn client(conn_str: &str) -> tokio_postgres::Client {
    let (c, conn) = tokio_postgres::connect(conn_str, NoTls)
        .await
        .unwrap_or_else(|e| panic!("connect {conn_str}: {e:?}"));
    tokio::spawn(conn);
    c
}

async fn count(c: &tokio_postgres::Client, table: &str) -> i64 {
    c.query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .await
        .unwrap_or_else(|e| panic!("count {table}: {e:?}"))
        .get(0)
}

/// Nodes holding a replica directory of `db`.
fn holders(c: &Cluster, db: &str) -> usize {
    c.nodes
        .iter()
        .filter(|n| n.data_dir.join(db).join("rqlite").is_dir())
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_create_race_restart_and_fail_over() {
    let _serial = SERIAL.lock().await;
    let mut c = cluster(3);

    // Creation through each node; every database answers from every node.
    for (i, node) in c.nodes.iter().enumerate() {
        let db = format!("demo_via{}", i + 1);
        let first = client(&node.conn_str(&db)).await;
        first
            .batch_execute(
                "CREATE TABLE t (id serial PRIMARY KEY, v text); INSERT INTO t (v) VALUES ('x')",
            )
            .await
            .unwrap_or_else(|e| panic!("{db}: {e}"));
        for other in &c.nodes {
            assert_eq!(count(&client(&other.conn_str(&db)).await, "t").await, 1);
        }
        assert_eq!(holders(&c, &db), 3, "{db}: one replica on each node");
    }

    // Two clients race to create one database through two nodes: one database.
    let (via1, via2) = (
        c.nodes[0].conn_str("demo_race"),
        c.nodes[1].conn_str("demo_race"),
    );
    let (a, b) = tokio::join!(client(&via1), client(&via2));
    a.batch_execute("CREATE TABLE IF NOT EXISTS r (who text)")
        .await
        .expect("create r");
    a.execute("INSERT INTO r VALUES ('a')", &[])
        .await
        .expect("a");
    b.execute("INSERT INTO r VALUES ('b')", &[])
        .await
        .expect("b");
    assert_eq!(
        count(&client(&c.nodes[2].conn_str("demo_race")).await, "r").await,
        2
    );
    assert_eq!(holders(&c, "demo_race"), 3);

    // The cluster as SQL, from any session: every node, every database with its leader.
    let healthy: i64 = a
        .query_one("SELECT count(*) FROM pgrq.nodes WHERE healthy", &[])
        .await
        .expect("pgrq.nodes")
        .get(0);
    assert_eq!(healthy, 3);
    let dbs = a
        .simple_query("SELECT name, state, leader FROM pgrq.databases ORDER BY name")
        .await
        .expect("pgrq.databases");
    let names: Vec<String> = dbs
        .iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => {
                assert_eq!(r.get(1), Some("active"));
                assert!(r.get(2).is_some(), "a leader for {:?}", r.get(0));
                r.get(0).map(str::to_string)
            }
            _ => None,
        })
        .collect();
    assert_eq!(names, ["demo_race", "demo_via1", "demo_via2", "demo_via3"]);

    // A node stopped cleanly comes back with its replicas and drops an orphan's data.
    c.nodes[2].stop();
    let orphan = c.nodes[2].data_dir.join("demo_orphan").join("rqlite");
    std::fs::create_dir_all(&orphan).expect("orphan dir");
    c.nodes[2].restart();
    let via3 = client(&c.nodes[2].conn_str("demo_via3")).await;
    via3.execute("INSERT INTO t (v) VALUES ('after restart')", &[])
        .await
        .expect("write after restart");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while orphan.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "orphan data never removed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(holders(&c, "demo_via3"), 3, "placed data stays");

    // Node 1 dies (its rqlited children with it): node 3's restarted replicas keep every
    // database at a quorum, and multi-host clients land on a live node.
    c.nodes[0].child.kill().expect("kill node 1");
    let _ = c.nodes[0].child.wait();
    let out = Command::new("psql")
        .arg(format!(
            "host=127.0.0.1,127.0.0.1 port={},{} user=demo password=demo dbname=demo_via1 \
             target_session_attrs=read-write connect_timeout=60",
            c.nodes[0].port, c.nodes[1].port
        ))
        .args(["-At", "-c", "INSERT INTO t (v) VALUES ('psql')"])
        .args(["-c", "SELECT count(*) FROM t"])
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "psql: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().last(), Some("2"), "{stdout}");
    let multi = format!(
        "host=127.0.0.1,127.0.0.1,127.0.0.1 port={},{},{} user=demo password=demo \
         dbname=demo_via2 target_session_attrs=read-write connect_timeout=60",
        c.nodes[0].port, c.nodes[1].port, c.nodes[2].port
    );
    let tp = client(&multi).await;
    tp.execute("INSERT INTO t (v) VALUES ('tokio-postgres')", &[])
        .await
        .expect("write with node 1 down");
    assert_eq!(count(&tp, "t").await, 2);
}

#[test]
fn pgrq_up_runs_three_nodes_behind_one_multi_host_uri() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let base = common::port_base();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pgrq"))
        .args(["up", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .env("PGRQ_RQLITED", rqlited())
        .env("PGRQ_TLS__MODE", "off")
        .env("PGRQ_DATABASE__MAX_DATABASES", "5")
        .env("PGRQ_DATABASE__PORT_RANGE_HTTP_START", base.to_string())
        .env(
            "PGRQ_DATABASE__PORT_RANGE_HTTP_END",
            (base + 44).to_string(),
        )
        .env(
            "PGRQ_DATABASE__PORT_RANGE_RAFT_START",
            (base + 50).to_string(),
        )
        .env(
            "PGRQ_DATABASE__PORT_RANGE_RAFT_END",
            (base + 94).to_string(),
        )
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn pgrq up");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(uri) = line.trim().strip_prefix("psql \"") {
                let _ = tx.send(uri.trim_end_matches('"').to_string());
            }
        }
    });
    let uri = rx.recv_timeout(Duration::from_secs(60));
    let logs = || {
        (1..=3)
            .map(|i| {
                let f = data.join(format!("node{i}")).join("pgrq.log");
                format!(
                    "---- node{i} ----\n{}",
                    std::fs::read_to_string(f).unwrap_or_default()
                )
            })
            .collect::<String>()
    };
    let Ok(uri) = uri else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("pgrq up printed no URI\n{}", logs());
    };
    assert_eq!(uri.matches("127.0.0.1:").count(), 3, "{uri}");
    let out = Command::new("psql")
        .arg(format!("{uri}&connect_timeout=60"))
        .args([
            "-At",
            "-c",
            "CREATE TABLE t (n int)",
            "-c",
            "INSERT INTO t VALUES (7)",
        ])
        .args(["-c", "SELECT n FROM t"])
        .output()
        .expect("psql runs");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    if !out.status.success() || stdout.lines().last() != Some("7") {
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "psql through {uri}: {stdout}{}\n{}",
            String::from_utf8_lossy(&out.stderr),
            logs()
        );
    }
    // Ctrl-C stops every node and every rqlited.
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let status = child.wait().expect("wait");
    assert!(status.success(), "{status}\n{}", logs());
    let left = processes_under(&data);
    let described: Vec<String> = left
        .iter()
        .map(|pid| {
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            format!(
                "{pid}: {}",
                String::from_utf8_lossy(&cmd).replace('\0', " ")
            )
        })
        .collect();
    assert!(left.is_empty(), "left running: {described:#?}\n{}", logs());
}

/// PIDs of processes whose command line mentions `dir` (a node's rqlited children).
fn processes_under(dir: &Path) -> Vec<u32> {
    let needle = dir.display().to_string();
    std::fs::read_dir("/proc")
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
                .filter(|pid| {
                    std::fs::read(format!("/proc/{pid}/cmdline"))
                        .is_ok_and(|c| String::from_utf8_lossy(&c).contains(&needle))
                })
                .collect()
        })
        .unwrap_or_default()
}
