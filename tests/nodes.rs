//! Three real `pgrq node` processes with real rqlited: the system catalog forms by itself
//! (`bootstrap_expect = 3`), databases are created on first access through any node and
//! placed on three nodes, two clients racing to create one database through two nodes get
//! one database, a restarted node comes back with its replicas (and removes an orphan's
//! data), and with the first node killed, multi-host psql and tokio-postgres land on
//! another node and work. Needs rqlited (`PGRQ_RQLITED`, the install cache or PATH):
//! without one it fails, never skips; `scripts/test.sh` runs it only when rqlited exists.

mod common;

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
health_check_interval = "200ms"
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
            .env("PGRQ_LOG", "info")
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
/// The last lines of each database replica's rqlited log on a node (system ones skipped).
fn print_replica_logs(data_dir: &Path) {
    let Ok(entries) = std::fs::read_dir(data_dir.join("logs")) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with("system-") {
            continue;
        }
        let text = std::fs::read_to_string(e.path()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(25)..].join("\n");
        eprintln!("---- {} ----\n{tail}", e.path().display());
    }
}

fn cluster(n: usize) -> Cluster {
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
            let text = config(&data, gossip[i], &peers, base + width * i as u16, width, n);
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

const RQLITE_AUTH: (&str, &str) = ("pgrq", "node-tests-secret");

/// Rows of `sql` read from the rqlited at `addr` (`level=none`: that replica's own data).
async fn rqlite_rows(
    addr: &str,
    sql: &str,
    level: &str,
) -> Result<Vec<Vec<serde_json::Value>>, String> {
    let resp = reqwest::Client::new()
        .post(format!("http://{addr}/db/query?level={level}"))
        .basic_auth(RQLITE_AUTH.0, Some(RQLITE_AUTH.1))
        .json(&[sql])
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let body: serde_json::Value = resp.json().await.map_err(|e| e.to_string())?;
    let first = &body["results"][0];
    if let Some(e) = first.get("error") {
        return Err(e.to_string());
    }
    Ok(first["values"]
        .as_array()
        .map(|rows| rows.iter().filter_map(|r| r.as_array().cloned()).collect())
        .unwrap_or_default())
}

/// The system catalog's HTTP addresses, from a node's `system.json`.
fn system_members(node: &Node) -> Vec<String> {
    let text = std::fs::read_to_string(node.data_dir.join("system.json")).expect("system.json");
    let v: serde_json::Value = serde_json::from_str(&text).expect("system.json is JSON");
    v["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m["http_addr"].as_str().expect("http_addr").to_string())
        .collect()
}

/// `sql` on the system catalog, through whichever member answers.
async fn catalog_rows(members: &[String], sql: &str) -> Vec<Vec<serde_json::Value>> {
    let mut errors = Vec::new();
    for m in members {
        match rqlite_rows(m, sql, "strong").await {
            Ok(rows) => return rows,
            Err(e) => errors.push(format!("{m}: {e}")),
        }
    }
    panic!("no system catalog member answered: {errors:?}")
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

/// Polls `check` every 100 ms until it yields a value, failing after `secs`.
async fn until<T, F, Fut>(what: &str, secs: u64, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting: {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_node_s_replica_is_replaced_while_clients_write() {
    let _serial = SERIAL.lock().await;
    let mut c = cluster(4);
    let db = "demo_replace";
    let first = client(&c.nodes[0].conn_str(db)).await;
    first
        .batch_execute("CREATE TABLE t (id serial PRIMARY KEY, v int)")
        .await
        .expect("create");
    for i in 0..20 {
        first
            .execute("INSERT INTO t (v) VALUES ($1)", &[&i])
            .await
            .expect("insert");
    }
    drop(first);
    let members = system_members(&c.nodes[0]);
    // Every node registers itself once the catalog answers it (the last one may lag).
    let node_ids: Vec<String> = until("every node registered", 60, || async {
        let rows = catalog_rows(&members, "SELECT id, proxy_addr FROM nodes").await;
        c.nodes
            .iter()
            .map(|n| {
                let addr = format!("127.0.0.1:{}", n.port);
                rows.iter()
                    .find(|r| r[1] == addr.as_str())
                    .and_then(|r| r[0].as_str())
                    .map(str::to_string)
            })
            .collect::<Option<Vec<String>>>()
    })
    .await;
    let placed_sql = format!(
        "SELECT node_id, replica_id, http_port FROM replicas WHERE database = '{db}' ORDER BY replica_id"
    );
    let before = catalog_rows(&members, &placed_sql).await;
    assert_eq!(before.len(), 3, "{before:?}");
    // The victim holds a replica and, preferably, a system catalog replica too (the
    // catalog then runs on 2 of 3 during the replacement).
    let holds = |i: usize| before.iter().any(|r| r[0] == node_ids[i].as_str());
    let is_member = |i: usize| {
        let sys: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(c.nodes[i].data_dir.join("system.json")).expect("system.json"),
        )
        .expect("json");
        members.contains(&format!("127.0.0.1:{}", sys["ports"][0]))
    };
    let victim = (0..4)
        .rev()
        .find(|&i| holds(i) && is_member(i))
        .or_else(|| (0..4).find(|&i| holds(i)))
        .expect("a holder");
    let writer_node = (0..4).find(|&i| i != victim).expect("a writer node");
    let old_replica = before
        .iter()
        .find(|r| r[0] == node_ids[victim].as_str())
        .and_then(|r| r[1].as_str())
        .expect("victim's replica")
        .to_string();

    // Writes keep flowing through another node during the whole replacement.
    let writer = client(&c.nodes[writer_node].conn_str(db)).await;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writes = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let (mut ok, mut failed) = (0u32, Vec::new());
            let mut i = 1000;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                i += 1;
                match writer.execute("INSERT INTO t (v) VALUES ($1)", &[&i]).await {
                    Ok(_) => ok += 1,
                    Err(e) => failed.push(e.to_string()),
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            (ok, failed, writer)
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;

    // kill -9 of the whole node: its rqlited children die with it (parent-death signal).
    let victim_dir = c.nodes[victim].data_dir.clone();
    assert!(
        !processes_under(&victim_dir).is_empty(),
        "victim runs rqlited"
    );
    c.nodes[victim].child.kill().expect("kill -9");
    let _ = c.nodes[victim].child.wait();
    let killed = std::time::Instant::now();
    until("the victim's rqlited children exit", 30, || async {
        processes_under(&victim_dir).is_empty().then_some(())
    })
    .await;

    // The catalog places a new replica (fresh id) on the node that had none, with ports.
    let (new_node, new_id, new_port) = until("a replacement in the catalog", 120, || async {
        let rows = catalog_rows(&members, &placed_sql).await;
        let on_victim = rows.iter().any(|r| r[0] == node_ids[victim].as_str());
        let fresh = rows.iter().find(|r| !before.iter().any(|b| b[0] == r[0]))?;
        (!on_victim && rows.len() == 3).then_some(())?;
        Some((
            fresh[0].as_str()?.to_string(),
            fresh[1].as_str()?.to_string(),
            fresh[2].as_u64()?,
        ))
    })
    .await;
    let decided = killed.elapsed();
    assert!(
        !before.iter().any(|r| r[1] == new_id.as_str()),
        "fresh replica id"
    );
    assert_ne!(new_node, node_ids[victim]);
    let new_addr = format!("127.0.0.1:{new_port}");
    let count_sql = "SELECT count(*) FROM t";
    until("the new replica receives rows", 120, || async {
        let rows = rqlite_rows(&new_addr, count_sql, "none").await.ok()?;
        (rows.first()?.first()?.as_i64()? > 0).then_some(())
    })
    .await;

    // Writes stop; the new replica must hold every row the cluster has.
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (ok, failed, writer) = writes.await.expect("writer task");
    let total = count(&writer, "t").await;
    assert!(
        total >= 20 + i64::from(ok),
        "{total} rows, {ok} acknowledged writes"
    );
    assert!(ok > 0, "writes went through during the replacement");
    let caught_up = until("the new replica holds every row", 120, || async {
        let rows = rqlite_rows(&new_addr, count_sql, "none").await.ok()?;
        (rows.first()?.first()?.as_i64()? == total).then_some(killed.elapsed())
    })
    .await;
    println!(
        "replacement: kill -9 → new replica decided in {} ms, holding all {total} rows in {} ms \
         ({ok} writes acknowledged during it, {} failed: {failed:?})",
        decided.as_millis(),
        caught_up.as_millis(),
        failed.len()
    );
    // The dead replica left the Raft cluster: three members, the new one among them.
    let resp: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "http://{new_addr}/nodes?nonvoters&ver=2&timeout=1s"
        ))
        .basic_auth(RQLITE_AUTH.0, Some(RQLITE_AUTH.1))
        .send()
        .await
        .expect("/nodes")
        .json()
        .await
        .expect("/nodes JSON");
    let ids: Vec<&str> = resp["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter_map(|n| n["id"].as_str())
        .collect();
    assert_eq!(ids.len(), 3, "{resp}");
    assert!(
        ids.contains(&new_id.as_str()) && !ids.contains(&old_replica.as_str()),
        "{resp}"
    );

    // The dead node comes back: it does not restart the replica and removes its data.
    let stale = victim_dir.join(db);
    assert!(
        stale.join("rqlite").is_dir(),
        "stale data present before restart"
    );
    c.nodes[victim].restart();
    until("the stale replica data is removed", 60, || async {
        (!stale.exists()).then_some(())
    })
    .await;
    let via_victim = client(&c.nodes[victim].conn_str(db)).await;
    via_victim
        .execute("INSERT INTO t (v) VALUES (-1)", &[])
        .await
        .expect("write through the returned node");
    assert_eq!(count(&via_victim, "t").await, total + 1);
    assert!(
        !stale.exists(),
        "the replica was not restarted on the returned node"
    );
}
