//! Typed configuration, declared once. Loaded from an optional TOML file and then from
//! `PGRQ_`-prefixed environment variables (`PGRQ_PROXY__LISTEN_ADDRESS=127.0.0.1:6543`:
//! double underscore between section and key), with unknown keys rejected. `validate()`
//! returns every problem at once. The loaded value is passed explicitly to whoever needs
//! it; nothing reads configuration from globals.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

mod values;
pub use values::parse_duration;
use values::{check_multiaddrs, duration};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot load configuration: {0}")]
    Load(#[from] config::ConfigError),
    #[error("invalid configuration:\n  - {}", .0.join("\n  - "))]
    Invalid(Vec<String>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub node: NodeConfig,
    #[serde(default)]
    pub proxy: ProxyConfig,
    #[serde(default)]
    pub tls: TlsConfig,
    #[serde(default)]
    pub database: DatabaseConfig,
    #[serde(default)]
    pub rqlite: RqliteConfig,
    #[serde(default)]
    pub discovery: DiscoveryConfig,
    /// Applications: each owns the databases named `<app>_<db>` and logs in as user `<app>`.
    #[serde(default)]
    pub apps: Vec<AppConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeConfig {
    /// Root of everything this node stores: `<data_dir>/<app>_<db>/rqlite`, logs, secrets,
    /// the node's identity (`node.key`).
    pub data_dir: PathBuf,
    /// libp2p multiaddrs the gossip layer listens on (`/ip4/0.0.0.0/tcp/7480`).
    pub listen_addresses: Vec<String>,
    /// Gossip peer connections this node keeps at once; more are closed.
    pub max_connections: usize,
    /// IP address this node's rqlited replicas listen on and other nodes reach them at
    /// (`pgrq node`): loopback for one machine, a private interface across hosts.
    pub advertise_host: String,
}

impl Default for NodeConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("pgrq-data"),
            listen_addresses: vec!["/ip4/127.0.0.1/tcp/7480".into()],
            max_connections: 256,
            advertise_host: "127.0.0.1".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProxyConfig {
    /// Address the PostgreSQL front end listens on.
    pub listen_address: String,
    /// Connections beyond this number are refused with SQLSTATE 53300.
    pub max_connections: usize,
    /// `host:port` other nodes and `pgrq status` show for this node's front end; unset:
    /// the bound listen address (useless to others when it is 0.0.0.0).
    pub advertise_address: Option<String>,
}

impl Default for ProxyConfig {
    fn default() -> Self {
        Self {
            listen_address: "127.0.0.1:5432".into(),
            max_connections: 1000,
            advertise_address: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsMode {
    /// No TLS: SSLRequest is answered with `N`.
    Off,
    /// A self-signed certificate generated at start (development only).
    SelfSigned,
    /// Certificate chain and key from PEM files.
    Files,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    pub mode: TlsMode,
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
}

impl Default for TlsConfig {
    fn default() -> Self {
        Self {
            mode: TlsMode::SelfSigned,
            cert_file: None,
            key_file: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// Replicas per database (each one rqlited process).
    pub replication_factor: u32,
    /// Databases this node runs at once (hibernated ones only take disk; a wake on a full
    /// node hibernates its longest-idle database, `node::evict`).
    pub max_databases: u32,
    /// How long a connecting client may wait for its database to be created or woken.
    pub wake_timeout_secs: u64,
    /// A database idle this long (no session, no query) is hibernated; 0 never.
    #[serde(with = "duration")]
    pub hibernation_timeout: Duration,
    pub port_range_http_start: u16,
    pub port_range_http_end: u16,
    pub port_range_raft_start: u16,
    pub port_range_raft_end: u16,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            replication_factor: 3,
            max_databases: 100,
            wake_timeout_secs: 30,
            hibernation_timeout: Duration::from_secs(600),
            port_range_http_start: 14001,
            port_range_http_end: 14999,
            port_range_raft_start: 15001,
            port_range_raft_end: 15999,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RqliteConfig {
    /// Path of the rqlited binary; when unset: `PGRQ_RQLITED`, the install script's cache,
    /// then `PATH`.
    pub binary: Option<PathBuf>,
    /// Password of the rqlite user `pgrq`, identical on every node of a cluster (replicas
    /// of one database run on several nodes and every node's proxy talks to them). Unset:
    /// a random one kept in `<data_dir>/secrets` (enough for one node).
    pub password: Option<String>,
    /// Raft heartbeat and election timeout of every replica (the leader lease is half of
    /// it): a woken database elects its leader after 1–2 × this, and a leader silent this
    /// long is replaced. rqlite's default is 1s.
    #[serde(with = "duration")]
    pub raft_timeout: Duration,
}

impl Default for RqliteConfig {
    fn default() -> Self {
        Self {
            binary: None,
            password: None,
            raft_timeout: Duration::from_millis(250),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DiscoveryConfig {
    /// Multiaddrs of nodes to join through (`/ip4/10.0.0.1/tcp/7480`); empty for the first
    /// node of a cluster.
    pub bootstrap_peers: Vec<String>,
    /// Whether to find peers on the local network by mDNS (off for loopback tests and in
    /// clouds, where bootstrap peers do the job).
    pub mdns: bool,
    /// How often unconnected bootstrap and known peers are dialled again.
    #[serde(with = "duration")]
    pub discovery_interval: Duration,
    /// How often this node publishes its heartbeat; a peer silent for 3 intervals is
    /// unhealthy.
    #[serde(with = "duration")]
    pub health_check_interval: Duration,
    /// Nodes expected when the cluster is first formed (1 for a single node): once this
    /// many nodes see each other, the min(3, bootstrap_expect) lowest node ids form the
    /// system catalog (`_system`). Nodes that arrive later use it as clients.
    pub bootstrap_expect: u32,
}

impl Default for DiscoveryConfig {
    fn default() -> Self {
        Self {
            bootstrap_peers: Vec::new(),
            mdns: true,
            discovery_interval: Duration::from_secs(30),
            health_check_interval: Duration::from_secs(2),
            bootstrap_expect: 1,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    /// `[a-z0-9]+`: the user name clients log in with and the prefix of its databases.
    pub name: String,
    pub password: String,
    /// Whether connecting to a database of this app that does not exist creates it.
    #[serde(default = "default_true")]
    pub allow_create: bool,
}

fn default_true() -> bool {
    true
}

/// Longest database name accepted (`<app>_<db>`), well under every path and id limit.
pub const MAX_DATABASE_NAME: usize = 63;

impl Config {
    /// Loads `file` (if any), then `PGRQ_*` environment variables, then validates.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let cfg = Config::load_unvalidated(file)?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Loads without validating, for callers that complete the config first (`pgrq up`).
    pub fn load_unvalidated(file: Option<&Path>) -> Result<Config, ConfigError> {
        let mut builder = config::Config::builder();
        if let Some(file) = file {
            builder = builder.add_source(config::File::from(file).required(true));
        }
        // Lists from the environment are comma-separated:
        // PGRQ_DISCOVERY__BOOTSTRAP_PEERS=/ip4/10.0.0.1/tcp/7480,/ip4/10.0.0.2/tcp/7480
        // Only PGRQ_<SECTION>__<KEY>: other PGRQ_* variables (PGRQ_LOG, PGRQ_RQLITED,
        // PGRQ_CACHE_DIR) are not configuration keys.
        let vars: config::Map<String, String> = std::env::vars()
            .filter(|(k, _)| {
                k.strip_prefix("PGRQ_")
                    .is_some_and(|rest| rest.contains("__"))
            })
            .collect();
        builder = builder.add_source(
            config::Environment::with_prefix("PGRQ")
                .prefix_separator("_")
                .separator("__")
                .try_parsing(true)
                .list_separator(",")
                .with_list_parse_key("node.listen_addresses")
                .with_list_parse_key("discovery.bootstrap_peers")
                .source(Some(vars)),
        );
        Ok(builder.build()?.try_deserialize()?)
    }

    /// Every problem, not just the first, for `pgrq up --single`: every replica of a
    /// database on this host.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_with(self.database.replication_factor.max(1), 0)
    }

    /// Every problem for `pgrq node`: one replica of a database per node, plus this node's
    /// replica of the system catalog.
    pub fn validate_node(&self) -> Result<(), ConfigError> {
        self.validate_with(1, 1)
    }

    fn validate_with(&self, replicas_here: u32, reserved: u64) -> Result<(), ConfigError> {
        let mut errs = Vec::new();
        if self.proxy.listen_address.parse::<SocketAddr>().is_err() {
            errs.push(format!(
                "proxy.listen_address {:?} is not an IP:port address",
                self.proxy.listen_address
            ));
        }
        if let Some(a) = &self.proxy.advertise_address
            && !valid_host_port(a)
        {
            errs.push(format!(
                "proxy.advertise_address {a:?} must be host:port (a name or an IP, and a port)"
            ));
        }
        if self.proxy.max_connections == 0 {
            errs.push("proxy.max_connections must be at least 1".into());
        }
        let db = &self.database;
        if db.replication_factor == 0 {
            errs.push("database.replication_factor must be at least 1".into());
        }
        if db.max_databases == 0 {
            errs.push("database.max_databases must be at least 1".into());
        }
        if db.wake_timeout_secs == 0 {
            errs.push("database.wake_timeout_secs must be at least 1".into());
        }
        if self.rqlite.raft_timeout < Duration::from_millis(20) {
            errs.push("rqlite.raft_timeout must be at least 20ms".into());
        }
        let http = check_range(
            "http",
            db.port_range_http_start,
            db.port_range_http_end,
            &mut errs,
        );
        let raft = check_range(
            "raft",
            db.port_range_raft_start,
            db.port_range_raft_end,
            &mut errs,
        );
        let needed = u64::from(db.max_databases) * u64::from(replicas_here) + reserved;
        for (name, size) in [("http", http), ("raft", raft)] {
            if let Some(size) = size
                && size < needed
            {
                errs.push(format!(
                    "database.port_range_{name} holds {size} ports but max_databases ({}) × replicas of a database on this node ({replicas_here}){} needs {needed}",
                    db.max_databases,
                    if reserved > 0 { " + the system catalog's replica" } else { "" }
                ));
            }
        }
        if http.is_some()
            && raft.is_some()
            && db.port_range_http_start <= db.port_range_raft_end
            && db.port_range_raft_start <= db.port_range_http_end
        {
            errs.push("database.port_range_http and port_range_raft overlap".into());
        }
        match self.tls.mode {
            TlsMode::Files => {
                for (key, path) in [
                    ("tls.cert_file", &self.tls.cert_file),
                    ("tls.key_file", &self.tls.key_file),
                ] {
                    match path {
                        None => errs.push(format!("{key} is required when tls.mode = \"files\"")),
                        Some(p) => {
                            if let Err(e) = std::fs::File::open(p) {
                                errs.push(format!("{key} {}: {e}", p.display()));
                            }
                        }
                    }
                }
            }
            TlsMode::Off | TlsMode::SelfSigned => {
                if self.tls.cert_file.is_some() || self.tls.key_file.is_some() {
                    errs.push(
                        "tls.cert_file/key_file are only used with tls.mode = \"files\"".into(),
                    );
                }
            }
        }
        if self.node.listen_addresses.is_empty() {
            errs.push("node.listen_addresses is empty: peers could not reach this node".into());
        }
        check_multiaddrs(
            "node.listen_addresses",
            &self.node.listen_addresses,
            &mut errs,
        );
        check_multiaddrs(
            "discovery.bootstrap_peers",
            &self.discovery.bootstrap_peers,
            &mut errs,
        );
        if self
            .node
            .advertise_host
            .parse::<std::net::IpAddr>()
            .is_err()
        {
            errs.push(format!(
                "node.advertise_host {:?} must be an IP address (rqlited binds it)",
                self.node.advertise_host
            ));
        }
        if self.discovery.bootstrap_expect == 0 {
            errs.push("discovery.bootstrap_expect must be at least 1".into());
        }
        if self.rqlite.password.as_deref() == Some("") {
            errs.push("rqlite.password is empty: leave it unset or give a secret".into());
        }
        if self.node.max_connections == 0 {
            errs.push("node.max_connections must be at least 1".into());
        }
        let disc = &self.discovery;
        if disc.discovery_interval < Duration::from_millis(10) {
            errs.push("discovery.discovery_interval must be at least 10ms".into());
        }
        if disc.health_check_interval < Duration::from_millis(10) {
            errs.push("discovery.health_check_interval must be at least 10ms".into());
        }
        if self.apps.is_empty() {
            errs.push("no [[apps]] configured: nobody could log in".into());
        }
        for (i, app) in self.apps.iter().enumerate() {
            if !valid_app_name(&app.name) {
                errs.push(format!(
                    "apps[{i}].name {:?} must be 1-30 characters of [a-z0-9] (no underscore: databases are named <app>_<db>)",
                    app.name
                ));
            }
            if app.password.is_empty() {
                errs.push(format!("apps[{i}] ({}) has an empty password", app.name));
            }
            if self.apps[..i].iter().any(|a| a.name == app.name) {
                errs.push(format!("apps[{i}].name {:?} is listed twice", app.name));
            }
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid(errs))
        }
    }

    pub fn app(&self, name: &str) -> Option<&AppConfig> {
        self.apps.iter().find(|a| a.name == name)
    }
}

fn check_range(name: &str, start: u16, end: u16, errs: &mut Vec<String>) -> Option<u64> {
    if start == 0 || start > end {
        errs.push(format!(
            "database.port_range_{name}_start..end ({start}..{end}) is empty or starts at 0"
        ));
        None
    } else {
        Some(u64::from(end - start) + 1)
    }
}

fn valid_host_port(text: &str) -> bool {
    if text.parse::<SocketAddr>().is_ok() {
        return true;
    }
    match text.rsplit_once(':') {
        Some((host, port)) => {
            !host.is_empty()
                && port.parse::<u16>().is_ok_and(|p| p > 0)
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        }
        None => false,
    }
}

pub fn valid_app_name(name: &str) -> bool {
    (1..=30).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod node_tests;

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn base() -> Config {
        Config {
            node: NodeConfig::default(),
            proxy: ProxyConfig::default(),
            tls: TlsConfig::default(),
            database: DatabaseConfig::default(),
            rqlite: RqliteConfig::default(),
            discovery: DiscoveryConfig::default(),
            apps: vec![AppConfig {
                name: "demo".into(),
                password: "pw".into(),
                allow_create: true,
            }],
        }
    }

    #[test]
    fn defaults_are_valid() {
        base().validate().unwrap();
    }

    #[test]
    fn every_problem_is_listed() {
        let mut c = base();
        c.proxy.listen_address = "nowhere".into();
        c.database.replication_factor = 0;
        c.database.port_range_http_start = 20000;
        c.database.port_range_http_end = 20010;
        c.tls.mode = TlsMode::Files;
        c.apps.push(AppConfig {
            name: "Bad_App".into(),
            password: String::new(),
            allow_create: true,
        });
        let ConfigError::Invalid(errs) = c.validate().unwrap_err() else {
            panic!("expected Invalid");
        };
        let all = errs.join("\n");
        for needle in [
            "proxy.listen_address",
            "replication_factor",
            "port_range_http holds 11 ports but max_databases (100) × replicas of a database on this node (1) needs 100",
            "tls.cert_file is required",
            "tls.key_file is required",
            "apps[1].name",
            "empty password",
        ] {
            assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
        }
    }

    #[test]
    fn overlapping_ranges_and_duplicate_apps() {
        let mut c = base();
        c.database.port_range_raft_start = 14500;
        c.database.port_range_raft_end = 15600;
        c.apps.push(c.apps[0].clone());
        let err = c.validate().unwrap_err().to_string();
        assert!(err.contains("overlap"), "{err}");
        assert!(err.contains("listed twice"), "{err}");
    }

    #[test]
    fn file_and_env_load_with_unknown_keys_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pgrq.toml");
        std::fs::write(
            &file,
            "[proxy]\nlisten_address = \"127.0.0.1:6000\"\n[[apps]]\nname = \"shop\"\npassword = \"s3cret\"\n",
        )
        .unwrap();
        let cfg = Config::load(Some(&file)).unwrap();
        assert_eq!(cfg.proxy.listen_address, "127.0.0.1:6000");
        assert_eq!(cfg.app("shop").map(|a| a.allow_create), Some(true));

        std::fs::write(&file, "[proxy]\nlisten_adress = \"x\"\n").unwrap();
        let err = Config::load(Some(&file)).unwrap_err().to_string();
        assert!(err.contains("listen_adress"), "{err}");
    }

    #[test]
    fn app_names() {
        assert!(valid_app_name("demo"));
        assert!(valid_app_name("a1"));
        assert!(!valid_app_name("my_app"));
        assert!(!valid_app_name(""));
        assert!(!valid_app_name("Demo"));
    }
}
