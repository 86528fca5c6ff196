//! Three real `pgrq node` processes on loopback find each other by gossip: bootstrap peers
//! pointing at the first node (given through the environment), heartbeats, health. Then
//! the first node is killed (SIGKILL) and the others see it turn unhealthy while still
//! seeing each other; a node stopped cleanly removes its status, and restarted on the same
//! data dir it comes back with the same identity. No rqlited needed: no database opens.
//! Ports are OS-chosen (`tcp/0`), read back from `pgrq status --json`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

const DEADLINE: Duration = Duration::from_secs(60);

struct Node {
    name: &'static str,
    child: Child,
    data_dir: PathBuf,
    log: Arc<Mutex<String>>,
}

fn config(data_dir: &Path) -> String {
    format!(
        r#"
[node]
data_dir = "{}"
listen_addresses = ["/ip4/127.0.0.1/tcp/0"]
[proxy]
listen_address = "127.0.0.1:0"
[tls]
mode = "off"
[discovery]
mdns = false
health_check_interval = "200ms"
discovery_interval = "500ms"
[rqlite]
binary = "/nonexistent/rqlited"
[[apps]]
name = "demo"
password = "demo"
"#,
        data_dir.display()
    )
}

impl Node {
    fn start(name: &'static str, root: &Path, bootstrap: Option<&str>) -> Node {
        let data_dir = root.join(name);
        std::fs::create_dir_all(&data_dir).expect("data dir");
        let file = root.join(format!("{name}.toml"));
        std::fs::write(&file, config(&data_dir)).expect("config");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgrq"));
        cmd.args(["node", "--config"])
            .arg(&file)
            .env("PGRQ_LOG", "info,pgrq::gossip=debug")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(b) = bootstrap {
            // The list key from the environment, as an operator would set it.
            cmd.env("PGRQ_DISCOVERY__BOOTSTRAP_PEERS", b);
        }
        let mut child = cmd.spawn().expect("spawn pgrq node");
        let log = Arc::new(Mutex::new(String::new()));
        for mut stream in [
            Box::new(child.stdout.take().expect("stdout")) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().expect("stderr")),
        ] {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = stream.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    let chunk = String::from_utf8_lossy(&buf[..n]).to_string();
                    log.lock().map(|mut l| l.push_str(&chunk)).ok();
                }
            });
        }
        Node {
            name,
            child,
            data_dir,
            log,
        }
    }

    /// `pgrq status --json`: `None` while the node has not written it (or it is stale).
    fn status(&self) -> Option<Value> {
        let out = Command::new(env!("CARGO_BIN_EXE_pgrq"))
            .args(["status", "--json", "--data-dir"])
            .arg(&self.data_dir)
            .output()
            .expect("run pgrq status");
        if !out.status.success() {
            return None;
        }
        serde_json::from_slice(&out.stdout).ok()
    }

    /// Polls until `f` holds of this node's status.
    fn wait_for(&self, what: &str, f: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            if let Some(s) = self.status()
                && f(&s)
            {
                return s;
            }
            if start.elapsed() > DEADLINE {
                panic!(
                    "{}: {what} not reached within {DEADLINE:?}; last status: {:?}\n---- {} output ----\n{}",
                    self.name,
                    self.status(),
                    self.name,
                    self.output()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn output(&self) -> String {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    fn interrupt(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let start = Instant::now();
        loop {
            if let Ok(Some(s)) = self.child.try_wait() {
                return s;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "{} did not stop on SIGINT\n{}",
                self.name,
                self.output()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("---- {} output ----\n{}", self.name, self.output());
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn nodes(s: &Value) -> &Vec<Value> {
    s["nodes"].as_array().expect("nodes array")
}

fn id_of(s: &Value) -> String {
    nodes(s)[0]["heartbeat"]["node_id"]
        .as_str()
        .expect("self id")
        .to_string()
}

/// Health of `id` as the status sees it (`None`: not known).
fn health(s: &Value, id: &str) -> Option<bool> {
    nodes(s)
        .iter()
        .find(|n| n["heartbeat"]["node_id"] == id)
        .and_then(|n| n["healthy"].as_bool())
}

#[test]
fn three_nodes_learn_each_other_and_see_a_dead_one() {
    let root = tempfile::tempdir().expect("tempdir");
    let started = Instant::now();
    let n1 = Node::start("n1", root.path(), None);
    let s1 = n1.wait_for("a gossip address", |s| {
        nodes(s)[0]["heartbeat"]["gossip_addrs"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    });
    let boot = nodes(&s1)[0]["heartbeat"]["gossip_addrs"][0]
        .as_str()
        .expect("address")
        .to_string();
    assert!(boot.starts_with("/ip4/127.0.0.1/tcp/"), "{boot}");
    let proxy = nodes(&s1)[0]["heartbeat"]["proxy_addr"].as_str().unwrap();
    assert!(
        !proxy.ends_with(":0"),
        "the bound proxy port is announced: {proxy}"
    );

    let n2 = Node::start("n2", root.path(), Some(&boot));
    let mut n3 = Node::start("n3", root.path(), Some(&boot));
    let all = [&n1, &n2, &n3];
    let t0 = Instant::now();
    let ids: Vec<String> = all
        .iter()
        .map(|n| id_of(&n.wait_for("its own id", |s| !nodes(s).is_empty())))
        .collect();
    for n in all {
        n.wait_for("three healthy nodes", |s| {
            ids.iter().all(|id| health(s, id) == Some(true))
        });
    }
    eprintln!(
        "three nodes saw each other {:?} after nodes 2 and 3 were spawned ({:?} from the start)",
        t0.elapsed(),
        started.elapsed()
    );
    // The table `pgrq status` prints names every node.
    let table = Command::new(env!("CARGO_BIN_EXE_pgrq"))
        .args(["status", "--data-dir"])
        .arg(&n2.data_dir)
        .output()
        .expect("pgrq status");
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(table.status.success(), "{text}");
    for id in &ids {
        assert!(text.contains(id.as_str()), "{id} missing from:\n{text}");
    }
    assert_eq!(text.matches(" healthy ").count(), 3, "{text}");

    // Every node computes the same placement from the same gossip view.
    let placements: Vec<String> = all
        .iter()
        .map(|n| {
            let out = Command::new(env!("CARGO_BIN_EXE_pgrq"))
                .args(["status", "--place", "demo_orders", "--data-dir"])
                .arg(&n.data_dir)
                .output()
                .expect("pgrq status --place");
            let text = String::from_utf8_lossy(&out.stdout).to_string();
            assert!(out.status.success(), "{text}");
            text.lines()
                .find_map(|l| l.strip_prefix("placement of demo_orders: "))
                .unwrap_or_else(|| panic!("no placement line in:\n{text}"))
                .to_string()
        })
        .collect();
    let mut chosen: Vec<&str> = placements[0].split(' ').collect();
    chosen.sort_unstable();
    let mut expected: Vec<&str> = ids.iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(chosen, expected, "three nodes, replication factor 3");
    assert!(
        placements.iter().all(|p| *p == placements[0]),
        "{placements:?}"
    );

    // Kill -9 the bootstrap node: the others, directly connected, keep seeing each other.
    let mut n1 = n1;
    n1.child.kill().expect("kill n1");
    n1.child.wait().expect("reap n1");
    let t1 = Instant::now();
    for n in [&n2, &n3] {
        n.wait_for("n1 unhealthy, the other healthy", |s| {
            health(s, &ids[0]) == Some(false)
                && health(s, &ids[1]) == Some(true)
                && health(s, &ids[2]) == Some(true)
        });
    }
    eprintln!("n1 seen unhealthy {:?} after SIGKILL", t1.elapsed());
    // Its status file is left behind, and reported as stale.
    let start = Instant::now();
    loop {
        let out = Command::new(env!("CARGO_BIN_EXE_pgrq"))
            .args(["status", "--data-dir"])
            .arg(&n1.data_dir)
            .output()
            .expect("pgrq status");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        if !out.status.success() {
            assert!(text.contains("probably not running"), "{text}");
            break;
        }
        assert!(start.elapsed() < DEADLINE, "n1's status never went stale");
        std::thread::sleep(Duration::from_millis(50));
    }

    // A clean stop removes the status; the same data dir keeps the same identity.
    assert!(n3.interrupt().success(), "{}", n3.output());
    assert!(n3.status().is_none());
    let addr2 = nodes(&n2.status().expect("n2 status"))[0]["heartbeat"]["gossip_addrs"][0]
        .as_str()
        .expect("n2 address")
        .to_string();
    let n3 = Node::start("n3", root.path(), Some(&addr2));
    let again = n3.wait_for("n2 healthy", |s| health(s, &ids[1]) == Some(true));
    assert_eq!(id_of(&again), ids[2], "node id changed across a restart");
    n2.wait_for("n3 back", |s| health(s, &ids[2]) == Some(true));
}

#[test]
fn a_bad_node_config_lists_every_problem_and_starts_nothing() {
    let root = tempfile::tempdir().expect("tempdir");
    let file = root.path().join("bad.toml");
    let data = root.path().join("data");
    std::fs::write(
        &file,
        format!(
            r#"
[node]
data_dir = "{}"
listen_addresses = ["127.0.0.1:7480"]
[database]
replication_factor = 0
max_databases = 50
port_range_http_start = 20000
port_range_http_end = 20010
port_range_raft_start = 20005
port_range_raft_end = 20100
[discovery]
bootstrap_peers = ["/ip4/10.0.0.1/udp/7480"]
health_check_interval = "0s"
[tls]
mode = "files"
key_file = "/nonexistent/server.key"
cert_file = "/nonexistent/server.crt"
[[apps]]
name = "demo"
password = "demo"
"#,
            data.display()
        ),
    )
    .expect("config");
    let out = Command::new(env!("CARGO_BIN_EXE_pgrq"))
        .args(["node", "--config"])
        .arg(&file)
        .output()
        .expect("run pgrq node");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    for needle in [
        "database.replication_factor must be at least 1",
        "database.port_range_http holds 11 ports",
        "port_range_http and port_range_raft overlap",
        "node.listen_addresses[0]",
        "discovery.bootstrap_peers[0]",
        "discovery.health_check_interval",
        "tls.key_file /nonexistent/server.key",
        "tls.cert_file /nonexistent/server.crt",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
    assert!(
        !data.exists(),
        "nothing may start on an invalid configuration"
    );
}
