//! The `pgrq` binary: parses the command line and hands over to `app`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use pgrq::app::{self, Role, UpOptions};
use pgrq::config::Config;
use pgrq::node::admin::Request;
use pgrq::node::status::read_status;

#[derive(Parser)]
#[command(
    name = "pgrq",
    version,
    about = "PostgreSQL wire protocol over replicated SQLite (rqlite) databases"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a local pgrq cluster: three `pgrq node` processes on loopback (one data dir
    /// each, under --data-dir), every database a 3-replica rqlite cluster placed on them
    /// on first connect. Without --config it serves the app `demo` (password `demo`).
    Up {
        /// One process running every replica itself (no gossip, no system catalog).
        #[arg(long)]
        single: bool,
        /// TOML configuration file (keys in config/pgrq.example.toml; PGRQ_* env overrides).
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Address to listen on (overrides proxy.listen_address).
        #[arg(long)]
        listen: Option<String>,
        /// Where databases live (overrides node.data_dir).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Run one node of a pgrq cluster: the proxy as `up` does, plus the gossip layer that
    /// finds the other nodes (node.listen_addresses, discovery.*; see config/cluster/).
    Node {
        /// An operation on the running cluster instead (through this node's admin socket).
        #[command(subcommand)]
        action: Option<NodeAction>,
        /// TOML configuration file (PGRQ_* env overrides); required to run a node.
        #[arg(long, short, global = true)]
        config: Option<PathBuf>,
        /// Address to listen on (overrides proxy.listen_address).
        #[arg(long)]
        listen: Option<String>,
        /// Where databases live (overrides node.data_dir).
        #[arg(long, global = true)]
        data_dir: Option<PathBuf>,
    },
    /// Print the nodes the node running on this data dir knows: id, proxy address, health,
    /// last heartbeat, databases.
    Status {
        /// The node's configuration file (for node.data_dir).
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// The node's data dir (overrides the configuration).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Print the status as JSON.
        #[arg(long)]
        json: bool,
        /// Also print where a new database of this name would be placed, as computed from
        /// the nodes this node knows (every node computes the same from the same view).
        #[arg(long, value_name = "DATABASE", conflicts_with = "json")]
        place: Option<String>,
    },
    /// Act on one database of the pgrq running on this data dir (through its admin socket,
    /// `<data_dir>/admin.sock`).
    Db {
        #[command(subcommand)]
        action: DbAction,
        /// The node's configuration file (for node.data_dir).
        #[arg(long, short, global = true)]
        config: Option<PathBuf>,
        /// The node's data dir (overrides the configuration).
        #[arg(long, global = true)]
        data_dir: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum NodeAction {
    /// Move every replica off NODE (its id or proxy address) without downtime: each gets a
    /// new replica elsewhere first, then the old one leaves; NODE gets no new replicas.
    /// Returns at once; run it again to see how many replicas are left.
    Drain { node: String },
}

#[derive(Subcommand)]
enum DbAction {
    /// Stop the database's replicas now (data stays on disk); the next connection or
    /// request wakes it.
    Hibernate { name: String },
    /// Start the database's replicas now, if they are not running.
    Wake { name: String },
    /// For a database that lost its majority (replicas whose data is gone): restart it
    /// from the replicas that kept their data (rqlite's peers.json procedure), then let the
    /// lost ones rejoin empty. Writes that only lost replicas had are gone.
    Recover {
        name: String,
        /// Required: you accept that writes only the lost replicas had are gone.
        #[arg(long = "yes-i-know-writes-may-be-lost")]
        confirm: bool,
    },
    /// Drop the database (`pgrq node`): its replicas stop and their data is deleted; the
    /// next connection with its name creates a new, empty database. Refused (55006) while
    /// sessions use it, unless --force.
    Drop {
        name: String,
        /// Terminate the sessions using it (they get 57P01), as DROP DATABASE … WITH (FORCE).
        #[arg(long)]
        force: bool,
    },
    /// Wakes, hibernations and port moves since pgrq started; running databases; sessions
    /// and last activity per database (JSON).
    Stats,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PGRQ_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // Colour codes only on a terminal (node logs of `pgrq up` go to files).
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let (opts, role) = match Cli::parse().command {
        Command::Up {
            single: true,
            config,
            listen,
            data_dir,
        } => (
            UpOptions {
                config,
                listen,
                data_dir,
            },
            Role::Standalone,
        ),
        Command::Up {
            single: false,
            config,
            listen,
            data_dir,
        } => {
            return up_cluster(UpOptions {
                config,
                listen,
                data_dir,
            });
        }
        Command::Node {
            action: Some(NodeAction::Drain { node }),
            config,
            data_dir,
            ..
        } => return admin(Request::Drain { node }, config, data_dir),
        Command::Node {
            action: None,
            config: None,
            ..
        } => {
            eprintln!("pgrq node: --config is required to run a node");
            return ExitCode::from(2);
        }
        Command::Node {
            action: None,
            config: Some(config),
            listen,
            data_dir,
        } => (
            UpOptions {
                config: Some(config),
                listen,
                data_dir,
            },
            Role::Node,
        ),
        Command::Status {
            config,
            data_dir,
            json,
            place,
        } => return status(config, data_dir, json, place),
        Command::Db {
            action,
            config,
            data_dir,
        } => return db(action, config, data_dir),
    };
    let cfg = match load(&opts, role) {
        Ok(c) => c,
        Err(code) => return code,
    };
    block_on(true, app::run(cfg, role))
}

/// The configuration of `up`/`node`; a problem is printed and exits 2.
fn load(opts: &UpOptions, role: Role) -> Result<Config, ExitCode> {
    app::load_up_config(opts, role).map_err(|e| {
        eprintln!("pgrq: {e}");
        ExitCode::from(2)
    })
}

/// Runs `fut` to its end on a new runtime (multi-threaded for a serving node); an error is
/// printed and exits 1.
fn block_on<E: std::fmt::Display>(
    multi_thread: bool,
    fut: impl std::future::Future<Output = Result<(), E>>,
) -> ExitCode {
    let mut builder = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let rt = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pgrq: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(fut) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pgrq: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `pgrq up`: three local node processes.
fn up_cluster(opts: UpOptions) -> ExitCode {
    let cfg = match load(&opts, Role::Node) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let cluster = app::ClusterOptions {
        config: opts.config,
        listen: opts.listen,
        data_dir: opts.data_dir,
        nodes: 3,
    };
    block_on(false, app::run_local_cluster(cfg, cluster))
}

/// `pgrq status`: exit 0 with the table, 1 when no node runs on the data dir, its status
/// is stale or the asked placement is impossible, 2 on a configuration error.
fn status(
    config: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    json: bool,
    place: Option<String>,
) -> ExitCode {
    use std::io::Write;
    let mut cfg = match Config::load_unvalidated(config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("pgrq: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(d) = data_dir {
        cfg.node.data_dir = d;
    }
    let st = match read_status(&cfg.node.data_dir) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("pgrq: {e}");
            return ExitCode::FAILURE;
        }
    };
    let now = std::time::SystemTime::now();
    // The catalog's view (nodes, databases, leaders) once the system catalog exists.
    let view = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
        .and_then(|rt| {
            rt.block_on(pgrq::node::view::view_from_data_dir(
                &cfg.node.data_dir,
                Some(&st.nodes),
            ))
        });
    let mut text = if json {
        // The status file's fields, plus "catalog" (null until the system catalog answers).
        let mut doc = serde_json::to_value(&st).unwrap_or_default();
        if let Some(obj) = doc.as_object_mut() {
            obj.insert(
                "catalog".into(),
                serde_json::to_value(view.as_ref().ok()).unwrap_or_default(),
            );
        }
        serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
    } else {
        match &view {
            Ok(v) => format!("{}\n{}", st.render(now), v.render()),
            Err(e) => format!("{}\ncatalog: {e}\n", st.render(now)),
        }
    };
    let mut placed = true;
    if let Some(db) = place {
        let inventory = pgrq::node::inventory::from_peers(&st.nodes);
        let rf = cfg.database.replication_factor as usize;
        match pgrq::node::placement::place(&inventory, rf, &db) {
            Ok(nodes) => text.push_str(&format!("placement of {db}: {}\n", nodes.join(" "))),
            Err(e) => {
                placed = false;
                text.push_str(&format!("placement of {db}: {e}\n"));
            }
        }
    }
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    if st.stale(now).is_some() || !placed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// `pgrq db …`: see `admin`.
fn db(action: DbAction, config: Option<PathBuf>, data_dir: Option<PathBuf>) -> ExitCode {
    let req = match action {
        DbAction::Hibernate { name } => Request::Hibernate { db: name },
        DbAction::Wake { name } => Request::Wake { db: name },
        DbAction::Recover { name, confirm } => {
            if !confirm {
                eprintln!(
                    "pgrq: recovering {name} restarts it from the replicas that kept their data; \
                     writes only the lost replicas had are gone. Re-run with \
                     --yes-i-know-writes-may-be-lost to proceed."
                );
                return ExitCode::FAILURE;
            }
            Request::Recover {
                db: name,
                confirm,
                survivor: None,
            }
        }
        DbAction::Drop { name, force } => Request::Drop { db: name, force },
        DbAction::Stats => Request::Stats,
    };
    admin(req, config, data_dir)
}

/// Sends `req` to the pgrq running on the data dir (admin socket): exit 0 when pgrq did
/// it, 1 when it refused or failed, 2 on a configuration error or when no pgrq answers.
fn admin(req: Request, config: Option<PathBuf>, data_dir: Option<PathBuf>) -> ExitCode {
    use pgrq::node::admin::{request, socket_path};
    let mut cfg = match Config::load_unvalidated(config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("pgrq: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(d) = data_dir {
        cfg.node.data_dir = d;
    }
    // A wake may take up to the configured wake timeout; a hibernation waits for
    // rqlited's snapshot on close.
    let timeout = std::time::Duration::from_secs(cfg.database.wake_timeout_secs + 30);
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pgrq: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let path = socket_path(&cfg.node.data_dir);
    match rt.block_on(request(&path, &req, timeout)) {
        Ok(r) => {
            use std::io::Write;
            // Write errors are ignored (e.g. `pgrq db stats | head`).
            if let Some(stats) = r.stats {
                let text = serde_json::to_string_pretty(&stats).unwrap_or_default();
                let _ = writeln!(std::io::stdout().lock(), "{text}");
            } else if r.ok {
                let _ = writeln!(std::io::stdout().lock(), "{}", r.message);
            } else {
                let _ = writeln!(std::io::stderr().lock(), "pgrq: {}", r.message);
            }
            if r.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("pgrq: {e}");
            ExitCode::from(2)
        }
    }
}
