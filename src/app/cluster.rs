//! `pgrq up`: a local cluster of three `pgrq node` processes on loopback (distinct proxy
//! and gossip ports, one data dir each, disjoint slices of the replica port ranges, one
//! shared rqlite secret, `bootstrap_expect = 3`), started from this binary. Prints one
//! multi-host URI naming all three. The children get SIGTERM when this process dies
//! (parent-death signal) and are stopped in order on SIGINT/SIGTERM.

use std::io::{BufRead, BufReader};
use std::net::TcpListener as StdListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{AppError, Signals};
use crate::config::{Config, TlsMode};

pub struct ClusterOptions {
    pub config: Option<PathBuf>,
    /// First proxy address; the next nodes take the following ports (port 0: OS-chosen).
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub nodes: usize,
}

struct NodeProc {
    name: String,
    child: Child,
    addr: String,
}

/// Runs the local cluster until SIGINT/SIGTERM. `cfg` is the validated base configuration
/// (apps, TLS, database settings) every node shares.
pub async fn run_local_cluster(cfg: Config, opts: ClusterOptions) -> Result<(), AppError> {
    let signals = Signals::install().map_err(AppError::Signal)?;
    let root = cfg.node.data_dir.clone();
    std::fs::create_dir_all(&root).map_err(|e| cluster_err(&root, e))?;
    let secret = crate::node::engine::load_or_create_secret(&root.join("cluster-secret"))?;
    // Without a configuration file the children still need the apps: written once.
    let config_file = match &opts.config {
        Some(f) => f.clone(),
        None => {
            let f = root.join("up.toml");
            std::fs::write(&f, apps_toml(&cfg)).map_err(|e| cluster_err(&f, e))?;
            f
        }
    };
    let first: std::net::SocketAddr = cfg
        .proxy
        .listen_address
        .parse()
        .map_err(|e| AppError::Cluster(format!("proxy.listen_address: {e}")))?;
    let gossip_ports = free_ports(first.ip(), opts.nodes)?;
    let exe = std::env::current_exe().map_err(|e| AppError::Cluster(e.to_string()))?;
    let mut procs = Vec::new();
    for i in 0..opts.nodes {
        let name = format!("node{}", i + 1);
        let dir = root.join(&name);
        std::fs::create_dir_all(&dir).map_err(|e| cluster_err(&dir, e))?;
        let port = if first.port() == 0 {
            0
        } else {
            first.port() + i as u16
        };
        let peers: Vec<String> = (0..opts.nodes)
            .filter(|j| *j != i)
            .map(|j| format!("/ip4/{}/tcp/{}", first.ip(), gossip_ports[j]))
            .collect();
        let env = node_env(&cfg, &opts, i, &dir, port, gossip_ports[i], &peers, &secret);
        match spawn_node(&exe, &config_file, &env, &dir, &name) {
            Ok(p) => procs.push(p),
            Err(e) => {
                stop_all(&mut procs);
                return Err(e);
            }
        }
    }
    print_cluster_banner(&cfg, &procs, &root);
    // Children that exit on their own (killed to try failover) are reported, not restarted.
    let watcher = async {
        let mut reported = vec![false; procs.len()];
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            for (i, p) in procs.iter_mut().enumerate() {
                if !reported[i]
                    && let Ok(Some(status)) = p.child.try_wait()
                {
                    reported[i] = true;
                    tracing::warn!("{} ({}) exited: {status}", p.name, p.addr);
                }
            }
        }
    };
    tokio::select! {
        () = signals.wait() => {}
        () = watcher => {}
    }
    tracing::info!("stopping the nodes");
    stop_all(&mut procs);
    Ok(())
}

fn cluster_err(path: &Path, e: impl std::fmt::Display) -> AppError {
    AppError::Cluster(format!("{}: {e}", path.display()))
}

/// Free TCP ports on `ip` for the gossip listeners (bound, then released).
fn free_ports(ip: std::net::IpAddr, n: usize) -> Result<Vec<u16>, AppError> {
    let listeners: Vec<StdListener> = (0..n)
        .map(|_| StdListener::bind((ip, 0)))
        .collect::<Result<_, _>>()
        .map_err(|e| AppError::Cluster(format!("cannot find free gossip ports: {e}")))?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<Result<_, _>>()
        .map_err(|e| AppError::Cluster(e.to_string()))
}

fn apps_toml(cfg: &Config) -> String {
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let mut out =
        String::from("# Written by `pgrq up` (no --config given): the apps every node serves.\n");
    for a in &cfg.apps {
        out.push_str(&format!(
            "[[apps]]\nname = {}\npassword = {}\nallow_create = {}\n",
            q(&a.name),
            q(&a.password),
            a.allow_create
        ));
    }
    out
}

/// The environment overriding node `i`'s keys (environment beats the file).
#[allow(clippy::too_many_arguments)]
fn node_env(
    cfg: &Config,
    opts: &ClusterOptions,
    i: usize,
    dir: &Path,
    port: u16,
    gossip_port: u16,
    peers: &[String],
    secret: &str,
) -> Vec<(String, String)> {
    let d = &cfg.database;
    let n = opts.nodes as u32;
    let slice = |start: u16, end: u16| {
        let size = (u32::from(end) - u32::from(start) + 1) / n;
        let s = u32::from(start) + size * i as u32;
        (s.to_string(), (s + size - 1).to_string())
    };
    let (hs, he) = slice(d.port_range_http_start, d.port_range_http_end);
    let (rs, re) = slice(d.port_range_raft_start, d.port_range_raft_end);
    let ip = cfg
        .proxy
        .listen_address
        .rsplit_once(':')
        .map_or("127.0.0.1", |(h, _)| h)
        .to_string();
    let mut env = vec![
        ("PGRQ_NODE__DATA_DIR", dir.display().to_string()),
        (
            "PGRQ_NODE__LISTEN_ADDRESSES",
            format!("/ip4/{ip}/tcp/{gossip_port}"),
        ),
        ("PGRQ_NODE__ADVERTISE_HOST", ip.clone()),
        ("PGRQ_PROXY__LISTEN_ADDRESS", format!("{ip}:{port}")),
        ("PGRQ_DISCOVERY__BOOTSTRAP_PEERS", peers.join(",")),
        ("PGRQ_DISCOVERY__BOOTSTRAP_EXPECT", n.to_string()),
        ("PGRQ_DISCOVERY__MDNS", "false".into()),
        ("PGRQ_DATABASE__PORT_RANGE_HTTP_START", hs),
        ("PGRQ_DATABASE__PORT_RANGE_HTTP_END", he),
        ("PGRQ_DATABASE__PORT_RANGE_RAFT_START", rs),
        ("PGRQ_DATABASE__PORT_RANGE_RAFT_END", re),
        ("PGRQ_RQLITE__PASSWORD", secret.to_string()),
    ];
    if opts.config.is_none() {
        // A local cluster reacts fast: heartbeats twice a second, reconcile every 2 s.
        env.push(("PGRQ_DISCOVERY__HEALTH_CHECK_INTERVAL", "500ms".into()));
        env.push(("PGRQ_DISCOVERY__DISCOVERY_INTERVAL", "2s".into()));
    }
    env.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn spawn_node(
    exe: &Path,
    config_file: &Path,
    env: &[(String, String)],
    dir: &Path,
    name: &str,
) -> Result<NodeProc, AppError> {
    let log_path = dir.join("pgrq.log");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|e| cluster_err(&log_path, e))?;
    let mut cmd = Command::new(exe);
    cmd.arg("node")
        .arg("--config")
        .arg(config_file)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .process_group(0);
    let parent = nix::unistd::getpid();
    // SAFETY: runs in the forked child before exec; only async-signal-safe calls.
    unsafe {
        cmd.pre_exec(move || {
            nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGTERM)
                .map_err(std::io::Error::from)?;
            if nix::unistd::getppid() != parent {
                return Err(std::io::Error::from_raw_os_error(nix::libc::ESRCH));
            }
            Ok(())
        });
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| AppError::Cluster(format!("cannot start {name}: {e}")))?;
    let stdout = child.stdout.take();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let Some(out) = stdout else { return };
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("pgrq listening on ") {
                let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_string());
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(addr) = rx.recv_timeout(Duration::from_millis(100)) {
            return Ok(NodeProc {
                name: name.to_string(),
                child,
                addr,
            });
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(AppError::Cluster(format!(
                "{name} exited ({status}); see {}",
                log_path.display()
            )));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(AppError::Cluster(format!(
                "{name} did not start within 60s; see {}",
                log_path.display()
            )));
        }
    }
}

/// SIGTERM to every node, then wait (SIGKILL after 30 s).
fn stop_all(procs: &mut [NodeProc]) {
    for p in procs.iter() {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(p.child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    for p in procs.iter_mut() {
        loop {
            match p.child.try_wait() {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) if Instant::now() > deadline => {
                    let _ = p.child.kill();
                    let _ = p.child.wait();
                    break;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }
}

fn print_cluster_banner(cfg: &Config, procs: &[NodeProc], root: &Path) {
    use std::io::Write;
    let ssl = match cfg.tls.mode {
        TlsMode::Off => "disable",
        _ => "require",
    };
    let hosts: Vec<&str> = procs.iter().map(|p| p.addr.as_str()).collect();
    let mut text = format!(
        "pgrq cluster of {} nodes listening on {} (replicas per database: {})\n",
        procs.len(),
        hosts.join(","),
        cfg.database.replication_factor
    );
    for app in &cfg.apps {
        text.push_str(&format!(
            "  psql \"postgresql://{}:{}@{}/{}_app?sslmode={ssl}&target_session_attrs=read-write\"\n",
            app.name,
            app.password,
            hosts.join(","),
            app.name
        ));
    }
    text.push_str(&format!(
        "Node logs: {}/node*/pgrq.log. Ctrl-C stops every node and every rqlited.\n",
        root.display()
    ));
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}
