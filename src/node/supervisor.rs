//! Starting, watching, restarting and stopping local `rqlited` replicas.
//! The [`Supervisor`] runs exactly the [`ReplicaSpec`] it is given; it never
//! chooses ports, data directories, node IDs or peers (placement is the
//! caller's), and it speaks no rqlite API beyond polling `/readyz`.
//!
//! Children never outlive pgrq: each gets `PR_SET_PDEATHSIG = SIGTERM` and
//! `kill_on_drop`. Caveat: Linux sends PDEATHSIG when the *thread* that
//! forked the child exits, not the process. Call [`Supervisor::start`] from a
//! task on a long-lived runtime worker (never from `spawn_blocking`, whose
//! threads are reaped when idle); restarts are spawned from the watcher task,
//! also on a runtime worker. Each child leads its own process group so a
//! terminal Ctrl-C reaches only pgrq, which then stops the children in order.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::net::SocketAddr;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::process::{Child, Command};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

const RESTART_MIN: Duration = Duration::from_millis(100);
const RESTART_MAX: Duration = Duration::from_secs(5);
const RESTART_RESET_UPTIME: Duration = Duration::from_secs(30);
const READY_POLL: Duration = Duration::from_millis(10);
const TAIL_LINES: usize = 20;

/// Errors of rqlited discovery and supervision.
#[derive(Debug, thiserror::Error)]
pub enum SupervisorError {
    #[error(
        "rqlited not found (looked in: {}). Build it with: scripts/install-rqlited.sh  \
         (or set PGRQ_RQLITED / [rqlite] binary in the config)",
        join_paths(looked_in)
    )]
    RqlitedNotFound { looked_in: Vec<PathBuf> },
    #[error(
        "{} (from {source_setting}) is not an executable file; fix the path or build rqlited \
         with scripts/install-rqlited.sh", path.display()
    )]
    NotExecutable {
        path: PathBuf,
        source_setting: &'static str,
    },
    #[error("invalid rqlite node id {0:?}: use only letters, digits, '.', '_' and '-'")]
    InvalidNodeId(String),
    #[error("rqlite replica {0:?} is already running under this supervisor")]
    AlreadyRunning(String),
    #[error("no rqlite replica {0:?} is supervised (never started, or already stopped)")]
    UnknownNode(String),
    #[error("{what}: {source}")]
    Io { what: String, source: io::Error },
    #[error("could not start {} for replica {node_id:?}: {source}", binary.display())]
    Spawn {
        node_id: String,
        binary: PathBuf,
        source: io::Error,
    },
    #[error(
        "rqlited replica {node_id:?} exited before becoming ready ({exit}); last log lines:\n{log_tail}"
    )]
    ExitedBeforeReady {
        node_id: String,
        exit: String,
        log_tail: String,
    },
    #[error(
        "rqlited replica {node_id:?} not ready at http://{addr}/readyz after {waited:?}; last log lines:\n{log_tail}"
    )]
    NotReady {
        node_id: String,
        addr: SocketAddr,
        waited: Duration,
        log_tail: String,
    },
    #[error("watcher of rqlite replica {node_id:?} failed: {detail}")]
    Watcher { node_id: String, detail: String },
}

fn join_paths(paths: &[PathBuf]) -> String {
    let v: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    v.join(", ")
}

/// Everything needed to run one replica.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaSpec {
    pub node_id: String,
    pub http_addr: SocketAddr,
    pub raft_addr: SocketAddr,
    pub data_dir: PathBuf,
    /// Raft addresses of peers (empty when restarting or single-node).
    pub join: Vec<SocketAddr>,
    pub bootstrap_expect: Option<u32>,
    /// User for `-join-as` (needed when joining a cluster that uses `-auth`).
    pub join_as: Option<String>,
    pub auth_file: PathBuf,
    pub extra_args: Vec<String>,
}

impl ReplicaSpec {
    /// The `rqlited` command line; the data dir is the last argument.
    pub fn args(&self) -> Vec<String> {
        let mut a = vec![
            "-node-id".to_string(),
            self.node_id.clone(),
            "-http-addr".to_string(),
            self.http_addr.to_string(),
            "-raft-addr".to_string(),
            self.raft_addr.to_string(),
        ];
        if !self.join.is_empty() {
            let j: Vec<String> = self.join.iter().map(|s| s.to_string()).collect();
            a.extend(["-join".to_string(), j.join(",")]);
        }
        if let (false, Some(user)) = (self.join.is_empty(), &self.join_as) {
            // With -auth, joining goes through the Raft port with these credentials.
            a.extend(["-join-as".to_string(), user.clone()]);
        }
        if let Some(n) = self.bootstrap_expect {
            a.extend(["-bootstrap-expect".to_string(), n.to_string()]);
        }
        a.extend([
            "-auth".to_string(),
            self.auth_file.display().to_string(),
            // Keep membership when a node shuts down (hibernation).
            "-raft-cluster-remove-shutdown=false".to_string(),
            "-fk".to_string(),
        ]);
        a.extend(self.extra_args.iter().cloned());
        a.push(self.data_dir.display().to_string());
        a
    }
}

/// Writes rqlite's `-auth` file (`[{"username","password","perms":["all"]}]`)
/// with mode 0600, atomically (temp file + rename).
pub fn write_auth_file(path: &Path, user: &str, password: &str) -> io::Result<()> {
    let body = serde_json::to_vec_pretty(&serde_json::json!([
        { "username": user, "password": password, "perms": ["all"] }
    ]))?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    f.write_all(&body)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// Reads back the first user of an `-auth` file written by [`write_auth_file`].
pub fn read_auth_file(path: &Path) -> io::Result<crate::rqlite::Credentials> {
    #[derive(serde::Deserialize)]
    struct User {
        username: String,
        password: String,
    }
    let users: Vec<User> = serde_json::from_slice(&std::fs::read(path)?)?;
    let u = users
        .into_iter()
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no user in the auth file"))?;
    Ok(crate::rqlite::Credentials {
        user: u.username,
        password: u.password,
    })
}

/// What a watcher publishes about its child.
#[derive(Debug, Clone, Default)]
struct Status {
    pid: Option<u32>,
    exits: u64,
    restarts: u32,
    last_exit: Option<String>,
}

#[derive(Debug)]
struct Launch {
    node_id: String,
    binary: PathBuf,
    args: Vec<String>,
    http_addr: SocketAddr,
    log_path: PathBuf,
}

struct Handle {
    launch: Arc<Launch>,
    status: watch::Receiver<Status>,
    stop: oneshot::Sender<Duration>,
    task: JoinHandle<()>,
}

/// Owns the `rqlited` children of this pgrq process (one supervisor per
/// process). Dropping it kills any child still running.
pub struct Supervisor {
    binary: PathBuf,
    log_dir: PathBuf,
    children: Mutex<HashMap<String, Handle>>,
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        // Aborting a watcher drops its Child, and kill_on_drop SIGKILLs it.
        for (_, h) in self.lock().drain() {
            h.task.abort();
        }
    }
}

impl Supervisor {
    pub fn new(binary: PathBuf, log_dir: PathBuf) -> Self {
        Supervisor {
            binary,
            log_dir,
            children: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Handle>> {
        self.children.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Spawns the replica (output appended to `<log_dir>/<node_id>.log`) and
    /// a watcher that restarts it if it exits without [`Supervisor::stop`].
    pub async fn start(&self, spec: ReplicaSpec) -> Result<(), SupervisorError> {
        let args = spec.args();
        self.launch(&spec.node_id, spec.http_addr, args)
    }

    fn launch(
        &self,
        node_id: &str,
        http_addr: SocketAddr,
        args: Vec<String>,
    ) -> Result<(), SupervisorError> {
        let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        if node_id.is_empty() || node_id.starts_with('.') || !node_id.chars().all(valid) {
            return Err(SupervisorError::InvalidNodeId(node_id.to_string()));
        }
        std::fs::create_dir_all(&self.log_dir).map_err(|source| SupervisorError::Io {
            what: format!("cannot create log directory {}", self.log_dir.display()),
            source,
        })?;
        let mut children = self.lock();
        if children.contains_key(node_id) {
            return Err(SupervisorError::AlreadyRunning(node_id.to_string()));
        }
        let launch = Arc::new(Launch {
            node_id: node_id.to_string(),
            binary: self.binary.clone(),
            args,
            http_addr,
            log_path: self.log_path(node_id),
        });
        let child = spawn_child(&launch)?;
        tracing::info!(node_id, pid = child.id(), binary = %launch.binary.display(), "started rqlited");
        let (status_tx, status_rx) = watch::channel(Status {
            pid: child.id(),
            ..Status::default()
        });
        let (stop_tx, stop_rx) = oneshot::channel();
        let task = tokio::spawn(watch_child(launch.clone(), child, status_tx, stop_rx));
        children.insert(
            node_id.to_string(),
            Handle {
                launch,
                status: status_rx,
                stop: stop_tx,
                task,
            },
        );
        Ok(())
    }

    /// Polls `/readyz` every 10 ms until HTTP 200. Fails at once (with the
    /// log tail) if the child exits meanwhile or is not running now.
    pub async fn wait_ready(
        &self,
        http: &reqwest::Client,
        node_id: &str,
        creds: (&str, &str),
        deadline: Duration,
    ) -> Result<(), SupervisorError> {
        let (addr, mut status) = {
            let children = self.lock();
            let h = children
                .get(node_id)
                .ok_or_else(|| SupervisorError::UnknownNode(node_id.to_string()))?;
            (h.launch.http_addr, h.status.clone())
        };
        let node = addr.to_string();
        let started = Instant::now();
        let exits_at_start = status.borrow().exits;
        loop {
            let (exited, down, last_exit) = {
                let s = status.borrow_and_update();
                (
                    s.exits > exits_at_start,
                    s.pid.is_none(),
                    s.last_exit.clone(),
                )
            };
            if exited || down {
                return Err(SupervisorError::ExitedBeforeReady {
                    node_id: node_id.to_string(),
                    exit: last_exit.unwrap_or_else(|| "not running".to_string()),
                    log_tail: self.log_tail(node_id, TAIL_LINES),
                });
            }
            let remaining = deadline.saturating_sub(started.elapsed());
            let probe_timeout = remaining.clamp(Duration::from_millis(50), Duration::from_secs(1));
            if crate::rqlite::probe_ready(http, &node, creds.0, creds.1, probe_timeout).await {
                return Ok(());
            }
            if started.elapsed() >= deadline {
                return Err(SupervisorError::NotReady {
                    node_id: node_id.to_string(),
                    addr,
                    waited: started.elapsed(),
                    log_tail: self.log_tail(node_id, TAIL_LINES),
                });
            }
            tokio::select! {
                _ = tokio::time::sleep(READY_POLL.min(remaining)) => {}
                changed = status.changed() => {
                    if changed.is_err() {
                        // Watcher gone: the replica was stopped meanwhile.
                        return Err(SupervisorError::UnknownNode(node_id.to_string()));
                    }
                }
            }
        }
    }

    /// Stops one replica: cancels its watcher (no restart), SIGTERMs its
    /// process group, waits up to `grace`, then SIGKILLs; always reaps.
    pub async fn stop(&self, node_id: &str, grace: Duration) -> Result<(), SupervisorError> {
        let h = self
            .lock()
            .remove(node_id)
            .ok_or_else(|| SupervisorError::UnknownNode(node_id.to_string()))?;
        // If the watcher already ended the send fails; awaiting it still works.
        let _ = h.stop.send(grace);
        h.task.await.map_err(|e| SupervisorError::Watcher {
            node_id: node_id.to_string(),
            detail: e.to_string(),
        })
    }

    /// Stops every replica concurrently (same steps as [`Supervisor::stop`]).
    pub async fn stop_all(&self, grace: Duration) {
        let handles: Vec<(String, Handle)> = self.lock().drain().collect();
        let mut tasks = Vec::with_capacity(handles.len());
        for (id, h) in handles {
            let _ = h.stop.send(grace);
            tasks.push((id, h.task));
        }
        for (node_id, task) in tasks {
            if let Err(e) = task.await {
                tracing::error!(node_id, error = %e, "rqlited watcher failed during stop_all");
            }
        }
    }

    /// Node IDs currently supervised (started, not stopped), sorted.
    pub fn running(&self) -> Vec<String> {
        let mut v: Vec<String> = self.lock().keys().cloned().collect();
        v.sort();
        v
    }

    /// PID of the replica's current process (`None` while awaiting restart).
    pub fn pid(&self, node_id: &str) -> Option<u32> {
        self.lock().get(node_id).and_then(|h| h.status.borrow().pid)
    }

    /// How many times the replica was restarted after crashing.
    pub fn restarts(&self, node_id: &str) -> Option<u32> {
        self.lock().get(node_id).map(|h| h.status.borrow().restarts)
    }

    /// The last `lines` lines of the replica's log ("" if there is none).
    pub fn log_tail(&self, node_id: &str, lines: usize) -> String {
        tail_file(&self.log_path(node_id), lines).unwrap_or_default()
    }

    fn log_path(&self, node_id: &str) -> PathBuf {
        self.log_dir.join(format!("{node_id}.log"))
    }
}

fn tail_file(path: &Path, lines: usize) -> io::Result<String> {
    const MAX: u64 = 64 * 1024;
    let mut f = File::open(path)?;
    let len = f.metadata()?.len();
    f.seek(SeekFrom::Start(len.saturating_sub(MAX)))?;
    let mut buf = Vec::new();
    f.read_to_end(&mut buf)?;
    let text = String::from_utf8_lossy(&buf);
    let all: Vec<&str> = text.lines().collect();
    Ok(all[all.len().saturating_sub(lines)..].join("\n"))
}

/// Spawns one process of `launch` with PDEATHSIG, its own process group,
/// kill-on-drop and output appended to its log file.
fn spawn_child(launch: &Launch) -> Result<Child, SupervisorError> {
    let io_err = |what: &str, source| SupervisorError::Io {
        what: format!("{what} {}", launch.log_path.display()),
        source,
    };
    let mut log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&launch.log_path)
        .map_err(|e| io_err("cannot open log file", e))?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    writeln!(
        log,
        "--- pgrq {stamp}: starting {} {}",
        launch.binary.display(),
        launch.args.join(" ")
    )
    .map_err(|e| io_err("cannot write log file", e))?;
    let stderr = log
        .try_clone()
        .map_err(|e| io_err("cannot reopen log file", e))?;
    let parent = nix::unistd::getpid();
    let mut cmd = Command::new(&launch.binary);
    cmd.args(&launch.args)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(stderr))
        .kill_on_drop(true)
        .process_group(0);
    // SAFETY: the closure runs in the forked child before exec and only
    // makes async-signal-safe calls (prctl, getppid); it does not allocate.
    unsafe {
        cmd.pre_exec(move || {
            nix::sys::prctl::set_pdeathsig(Signal::SIGTERM).map_err(io::Error::from)?;
            // The parent may have died before prctl took effect.
            if nix::unistd::getppid() != parent {
                return Err(io::Error::from_raw_os_error(nix::libc::ESRCH));
            }
            Ok(())
        });
    }
    cmd.spawn().map_err(|source| SupervisorError::Spawn {
        node_id: launch.node_id.clone(),
        binary: launch.binary.clone(),
        source,
    })
}

fn describe(res: io::Result<ExitStatus>) -> String {
    match res {
        Ok(s) => s.to_string(),
        Err(e) => format!("wait failed: {e}"),
    }
}

/// SIGTERM the child's process group, wait `grace`, then SIGKILL; reap.
async fn terminate(child: &mut Child, grace: Duration, node_id: &str) -> String {
    if let Some(pid) = child.id().and_then(|p| i32::try_from(p).ok()) {
        let _ = killpg(Pid::from_raw(pid), Signal::SIGTERM);
        if let Ok(res) = tokio::time::timeout(grace, child.wait()).await {
            return describe(res);
        }
        tracing::warn!(
            node_id,
            pid,
            ?grace,
            "rqlited ignored SIGTERM; sending SIGKILL"
        );
        let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    }
    let _ = child.start_kill();
    describe(child.wait().await)
}

/// Owns one replica's child: restarts it after unexpected exits (backoff
/// 100 ms doubling to 5 s, reset after 30 s of uptime) until told to stop.
async fn watch_child(
    launch: Arc<Launch>,
    first: Child,
    status: watch::Sender<Status>,
    mut stop: oneshot::Receiver<Duration>,
) {
    let node_id = launch.node_id.as_str();
    let mut child = Some(first);
    let mut started_at = Instant::now();
    let mut backoff = RESTART_MIN;
    loop {
        if let Some(c) = child.as_mut() {
            tokio::select! {
                res = c.wait() => {
                    let exit = describe(res);
                    let uptime = started_at.elapsed();
                    if uptime >= RESTART_RESET_UPTIME {
                        backoff = RESTART_MIN;
                    }
                    tracing::warn!(node_id, %exit, ?uptime, ?backoff, "rqlited exited unexpectedly; restarting");
                    status.send_modify(|s| {
                        s.pid = None;
                        s.exits += 1;
                        s.last_exit = Some(exit);
                    });
                    child = None;
                }
                grace = &mut stop => {
                    let exit = terminate(c, grace.unwrap_or(Duration::ZERO), node_id).await;
                    tracing::info!(node_id, %exit, "stopped rqlited");
                    status.send_modify(|s| s.pid = None);
                    return;
                }
            }
        } else {
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = &mut stop => return,
            }
            backoff = (backoff * 2).min(RESTART_MAX);
            match spawn_child(&launch) {
                Ok(c) => {
                    tracing::info!(node_id, pid = c.id(), "restarted rqlited");
                    started_at = Instant::now();
                    status.send_modify(|s| {
                        s.pid = c.id();
                        s.restarts += 1;
                    });
                    child = Some(c);
                }
                Err(e) => {
                    tracing::error!(node_id, error = %e, "cannot restart rqlited; will retry");
                    status.send_modify(|s| s.last_exit = Some(e.to_string()));
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "supervisor_tests.rs"]
mod tests;
