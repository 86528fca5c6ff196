//! Node-layer benchmark: from a fresh three-node `pgrq up`, connect to 50 new databases
//! through randomly chosen nodes (each connect creates one: placement, catalog write,
//! three rqlited started on three nodes, cluster formed, marked active), then check the
//! spread of replicas over the nodes and that every database answers from every node.
//!
//! `cargo bench --bench nodes` (release build), or `cargo bench --profile dev --bench
//! nodes` to reuse a debug build (creation time is rqlite's cluster formation, not the
//! proxy's code). Needs rqlited (`PGRQ_RQLITED`, the install cache or PATH). Writes its
//! section of `bench/RESULTS.md` and prints it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pgrq::node::locate::{RQLITE_VERSION, default_cache_root, locate_rqlited};
use tokio_postgres::NoTls;

const DATABASES: usize = 50;
const BEGIN: &str = "<!-- nodes:begin -->";
const END: &str = "<!-- nodes:end -->";

struct Up {
    child: Child,
    hosts: Vec<String>,
    data: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Up {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn start(rqlited: &str) -> Up {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let mut child = Command::new(env!("CARGO_BIN_EXE_pgrq"))
        .args(["up", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .env("PGRQ_RQLITED", rqlited)
        .env("PGRQ_TLS__MODE", "off")
        .env("PGRQ_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn pgrq up");
    let out = child.stdout.take().expect("stdout");
    let mut hosts = Vec::new();
    for line in BufReader::new(out).lines().map_while(Result::ok) {
        if let Some(rest) = line.strip_prefix("pgrq cluster of 3 nodes listening on ") {
            let list = rest.split_whitespace().next().unwrap_or("");
            hosts = list.split(',').map(str::to_string).collect();
            break;
        }
    }
    assert_eq!(hosts.len(), 3, "pgrq up did not print three nodes");
    Up {
        child,
        hosts,
        data,
        _dir: dir,
    }
}

async fn connect(host: &str, db: &str) -> tokio_postgres::Client {
    let (h, p) = host.rsplit_once(':').expect("host:port");
    let conn = format!("host={h} port={p} user=demo password=demo dbname={db} connect_timeout=120");
    let (c, task) = tokio_postgres::connect(&conn, NoTls)
        .await
        .unwrap_or_else(|e| panic!("{db} via {host}: {e:?}"));
    tokio::spawn(task);
    c
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

/// Databases with a replica directory under each node's data dir.
fn replicas_per_node(data: &Path) -> Vec<usize> {
    (1..=3)
        .map(|i| {
            std::fs::read_dir(data.join(format!("node{i}")))
                .map(|rd| {
                    rd.flatten()
                        .filter(|e| {
                            e.file_name().to_string_lossy().starts_with("demo_b")
                                && e.path().join("rqlite").is_dir()
                        })
                        .count()
                })
                .unwrap_or(0)
        })
        .collect()
}

fn main() {
    let rqlited = match locate_rqlited(None, &default_cache_root(), RQLITE_VERSION) {
        Ok(p) => p.display().to_string(),
        Err(e) => {
            println!("nodes bench: NOT RUN — {e}");
            return;
        }
    };
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let up = start(&rqlited);
    // A fixed xorshift sequence: "random" nodes, the same in every run.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut pick = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % 3) as usize
    };
    let (times, answered) = rt.block_on(async {
        let mut times = Vec::new();
        for i in 0..DATABASES {
            let db = format!("demo_b{i:02}");
            let host = &up.hosts[pick()];
            let t0 = Instant::now();
            let c = connect(host, &db).await;
            c.simple_query("SELECT 1").await.expect("first query");
            times.push(t0.elapsed());
            c.batch_execute("CREATE TABLE b (n int); INSERT INTO b VALUES (1)")
                .await
                .unwrap_or_else(|e| panic!("{db}: {e}"));
        }
        let mut answered = 0;
        for i in 0..DATABASES {
            let db = format!("demo_b{i:02}");
            for host in &up.hosts {
                let c = connect(host, &db).await;
                let n: i64 = c
                    .query_one("SELECT count(*) FROM b", &[])
                    .await
                    .unwrap_or_else(|e| panic!("{db} via {host}: {e}"))
                    .get(0);
                assert_eq!(n, 1, "{db} via {host}");
                answered += 1;
            }
        }
        (times, answered)
    });
    let mut sorted = times.clone();
    sorted.sort();
    let per_node = replicas_per_node(&up.data);
    let (max, min) = (
        per_node.iter().copied().max().unwrap_or(0),
        per_node.iter().copied().min().unwrap_or(0),
    );
    let ratio = if min == 0 {
        f64::INFINITY
    } else {
        max as f64 / min as f64
    };
    let version = Command::new(&rqlited)
        .arg("-version")
        .output()
        .map(|o| {
            let out = [o.stdout, o.stderr].concat();
            String::from_utf8_lossy(&out).trim().to_string()
        })
        .unwrap_or_default();
    let section = format!(
        "{BEGIN}\n## Node layer: {DATABASES} databases created on a fresh three-node `pgrq up`\n\n\
         Produced by `{command}` ({profile} build of pgrq; {version}). Each \
         database is created by the first connect through a node picked by a fixed \
         pseudo-random sequence, one after the other; time from connect to the first \
         answer.\n\n\
         | figure | value |\n| --- | --- |\n\
         | creation time, p50 / p99 / max | {} / {} / {} |\n\
         | replicas per node (node1, node2, node3) | {} |\n\
         | max / min replicas per node | {ratio:.2} |\n\
         | databases × nodes answering `SELECT count(*)` correctly | {answered} of {} |\n{END}\n",
        ms(percentile(&sorted, 0.5)),
        ms(percentile(&sorted, 0.99)),
        ms(*sorted.last().expect("times")),
        per_node
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        DATABASES * 3,
        command = if cfg!(debug_assertions) {
            "cargo bench --profile dev --bench nodes"
        } else {
            "cargo bench --bench nodes"
        },
        profile = if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
    );
    drop(up);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/RESULTS.md");
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    let new = match (old.find(BEGIN), old.find(END)) {
        (Some(a), Some(b)) if a < b => format!(
            "{}{section}{}",
            &old[..a],
            old[b + END.len()..].trim_start_matches('\n')
        ),
        _ => format!("{}\n{section}", old.trim_end()),
    };
    if let Err(e) = std::fs::write(&path, new) {
        eprintln!("cannot write {}: {e}", path.display());
    }
    print!("{section}");
    assert!(ratio <= 1.5, "replicas spread unevenly: {per_node:?}");
    assert_eq!(answered, DATABASES * 3);
}
