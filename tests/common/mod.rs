//! Starts the real `pgrq` binary on an OS-chosen port with a temp data dir, reads the
//! address it prints, and kills it (and so its children) when dropped. Its output is
//! printed if a test fails.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

/// The first of 100 loopback ports for the databases of one pgrq started by a test
/// (`PGRQ_DATABASE__PORT_RANGE_HTTP_*` at +0..39, `…_RAFT_*` at +50..89), below Linux's
/// ephemeral range (32768–60999), so that no outgoing connection can take a port between
/// pgrq's bind probe and rqlited's bind. Each block of 100 (160 of them from 16000) is
/// reserved machine-wide by an exclusive lock on `<tmp>/pgrq-test-ports/<base>.lock`,
/// held until this process exits: concurrent test processes (other worktrees too) never
/// share a block, and neither do the pgrqs one process starts. (A block chosen from the
/// process id alone collided whenever two test processes' ids agreed modulo 16: their
/// pgrqs then bind-probed the same ports at once and one rqlited failed to bind.)
pub fn port_base() -> u16 {
    const BLOCKS: u16 = 160;
    static NEXT: AtomicU16 = AtomicU16::new(0);
    static HELD: Mutex<Vec<std::fs::File>> = Mutex::new(Vec::new());
    let dir = std::env::temp_dir().join("pgrq-test-ports");
    let _ = std::fs::create_dir_all(&dir);
    let start = (std::process::id() % 16) as u16 * 10;
    for _ in 0..BLOCKS {
        let block = (start + NEXT.fetch_add(1, Ordering::SeqCst)) % BLOCKS;
        let base = 16000 + block * 100;
        let Ok(file) = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(format!("{base}.lock")))
        else {
            continue;
        };
        if file.try_lock().is_ok() {
            HELD.lock().unwrap_or_else(|p| p.into_inner()).push(file);
            return base;
        }
    }
    panic!("every test port block under 16000..32000 is held by running test processes");
}

pub struct Pgrq {
    pub child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
    log: Arc<Mutex<String>>,
}

impl Pgrq {
    /// `env`: extra environment (e.g. PGRQ_TLS__MODE=off).
    pub fn start(env: &[(&str, &str)]) -> Pgrq {
        Pgrq::start_in(tempfile::tempdir().expect("tempdir"), env)
    }

    /// Starts pgrq on an existing directory (e.g. to restart on the same data).
    pub fn start_in(dir: tempfile::TempDir, env: &[(&str, &str)]) -> Pgrq {
        Pgrq::start_with(dir, env, None)
    }

    /// With a configuration file holding `config_toml`.
    pub fn start_with(
        dir: tempfile::TempDir,
        env: &[(&str, &str)],
        config_toml: Option<&str>,
    ) -> Pgrq {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgrq"));
        cmd.args(["up", "--single", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path().join("data"));
        if let Some(toml) = config_toml {
            let file = dir.path().join("pgrq.toml");
            std::fs::write(&file, toml).expect("write config");
            cmd.arg("--config").arg(file);
        }
        cmd.env("PGRQ_LOG", "debug")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn pgrq");
        let log = Arc::new(Mutex::new(String::new()));
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel();
        let l1 = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("pgrq listening on ") {
                    let addr = rest.split_whitespace().next().unwrap_or("").to_string();
                    let _ = tx.send(addr);
                }
                l1.lock().map(|mut l| l.push_str(&format!("{line}\n"))).ok();
            }
        });
        let l2 = log.clone();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stderr);
            let mut buf = [0u8; 4096];
            while let Ok(n) = r.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let chunk = String::from_utf8_lossy(&buf[..n]).to_string();
                l2.lock().map(|mut l| l.push_str(&chunk)).ok();
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("pgrq did not start; output:\n{}", log.lock().unwrap()));
        let port = addr
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port in banner");
        Pgrq {
            child,
            port,
            dir,
            log,
        }
    }

    pub fn conn_str(&self, user: &str, password: &str, db: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user={user} password={password} dbname={db} connect_timeout=20",
            self.port
        )
    }

    pub fn data_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("data")
    }

    /// Stops pgrq with SIGINT and hands back its directory for a restart.
    pub fn stop_keep_dir(mut self) -> tempfile::TempDir {
        let status = self.interrupt();
        assert!(
            status.is_some_and(|s| s.success()),
            "pgrq did not stop cleanly: {status:?}\n{}",
            self.output()
        );
        let dir = tempfile::tempdir().expect("tempdir");
        std::mem::replace(&mut self.dir, dir)
    }

    pub fn output(&self) -> String {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// SIGINT, then wait for exit (with a deadline); returns the exit status.
    pub fn interrupt(&mut self) -> Option<std::process::ExitStatus> {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(s)) = self.child.try_wait() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Pgrq {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("---- pgrq output ----\n{}", self.output());
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client of `db` as the `demo` app, its connection driven in the background.
pub async fn connect(p: &Pgrq, db: &str) -> Client {
    let (client, conn) = tokio_postgres::connect(&p.conn_str("demo", "demo", db), NoTls)
        .await
        .unwrap_or_else(|e| panic!("connect to {db}: {e}\n{}", p.output()));
    tokio::spawn(conn);
    client
}

/// All rows of the results of a simple query, as text.
pub async fn rows(c: &Client, sql: &str) -> Vec<Vec<Option<String>>> {
    let msgs = c
        .simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    msgs.into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => {
                Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
            }
            _ => None,
        })
        .collect()
}

/// A single-process pgrq on the engine this machine has (`PGRQ_RQLITED`, the install
/// script's cache, PATH), its replica ports in this process's range.
pub fn start_with_engine(max_databases: u32) -> Pgrq {
    use pgrq::node::locate::{RQLITE_VERSION, default_cache_root, locate_rqlited};
    let rqlited = match locate_rqlited(None, &default_cache_root(), RQLITE_VERSION) {
        Ok(p) => p.display().to_string(),
        Err(e) => panic!("the engine tests need rqlited: {e}"),
    };
    let base = port_base();
    let env = [
        ("PGRQ_RQLITED", rqlited),
        ("PGRQ_DATABASE__MAX_DATABASES", max_databases.to_string()),
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
    Pgrq::start(&env)
}
