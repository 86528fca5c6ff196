//! Configuration of a node: gossip addresses, discovery, hibernation, the advertised
//! address, and the shipped example files.

use std::path::Path;
use std::time::Duration;

use super::tests::base;
use super::*;

#[test]
fn node_and_discovery_keys_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("node.toml");
    std::fs::write(
        &file,
        r#"
[node]
data_dir = "/var/lib/pgrq"
listen_addresses = ["/ip4/0.0.0.0/tcp/7480", "/ip6/::/tcp/7480"]
max_connections = 64
[database]
replication_factor = 3
hibernation_timeout = "15m"
max_databases = 10
[discovery]
bootstrap_peers = ["/ip4/10.0.0.1/tcp/7480"]
mdns = false
discovery_interval = 5
health_check_interval = "250ms"
[[apps]]
name = "shop"
password = "pw"
"#,
    )
    .unwrap();
    let cfg = Config::load(Some(&file)).unwrap();
    assert_eq!(cfg.node.listen_addresses.len(), 2);
    assert_eq!(cfg.node.max_connections, 64);
    assert_eq!(cfg.database.hibernation_timeout, Duration::from_secs(900));
    assert_eq!(cfg.discovery.bootstrap_peers, ["/ip4/10.0.0.1/tcp/7480"]);
    assert!(!cfg.discovery.mdns);
    assert_eq!(cfg.discovery.discovery_interval, Duration::from_secs(5));
    assert_eq!(
        cfg.discovery.health_check_interval,
        Duration::from_millis(250)
    );

    std::fs::write(
        &file,
        "[discovery]\nhealth_check_interval = \"soon\"\n[[apps]]\nname = \"a\"\npassword = \"p\"\n",
    )
    .unwrap();
    let err = Config::load(Some(&file)).unwrap_err().to_string();
    assert!(err.contains("\"soon\" is not a duration"), "{err}");
}

#[test]
fn node_problems_are_all_listed() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = base();
    c.database.replication_factor = 0;
    c.database.max_databases = 1000;
    c.database.port_range_raft_start = 14990;
    c.node.listen_addresses = vec!["0.0.0.0:7480".into()];
    c.node.max_connections = 0;
    c.proxy.advertise_address = Some("db.example.com".into());
    c.discovery.bootstrap_peers = vec!["/dns4/seed/tcp/7480".into()];
    c.discovery.health_check_interval = Duration::ZERO;
    c.tls.mode = TlsMode::Files;
    c.tls.cert_file = Some(dir.path().join("server.crt"));
    std::fs::write(dir.path().join("server.crt"), "pem").unwrap();
    c.tls.key_file = Some(dir.path().join("missing.key"));
    let ConfigError::Invalid(errs) = c.validate().unwrap_err() else {
        panic!("expected Invalid");
    };
    let all = errs.join("\n");
    for needle in [
        "database.replication_factor must be at least 1",
        "port_range_http holds 999 ports but max_databases (1000)",
        "port_range_http and port_range_raft overlap",
        "node.listen_addresses[0] \"0.0.0.0:7480\" is not a multiaddr",
        "node.max_connections must be at least 1",
        "proxy.advertise_address \"db.example.com\" must be host:port",
        "discovery.bootstrap_peers[0] \"/dns4/seed/tcp/7480\" must start /ip4/",
        "discovery.health_check_interval must be at least 10ms",
        "tls.key_file",
    ] {
        assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
    }
    assert!(!all.contains("tls.cert_file"), "{all}");
}

#[test]
fn replicas_multiply_the_ports_needed() {
    let mut c = base();
    c.database.replication_factor = 3;
    c.database.max_databases = 10;
    c.database.port_range_http_start = 20000;
    c.database.port_range_http_end = 20028;
    c.database.port_range_raft_start = 21000;
    c.database.port_range_raft_end = 21029;
    let err = c.validate().unwrap_err().to_string();
    assert!(err.contains("port_range_http holds 29 ports"), "{err}");
    assert!(!err.contains("port_range_raft holds"), "{err}");
}

#[test]
fn shipped_examples_are_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let mut files = Vec::new();
    for dir in [root.clone(), root.join("cluster")] {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                files.push(path);
            }
        }
    }
    assert!(files.len() >= 5, "{files:?}");
    for f in files {
        // Every example is a node's configuration; the full one also serves --single.
        let cfg = Config::load_unvalidated(Some(&f)).unwrap();
        if let Err(e) = cfg.validate_node() {
            panic!("{}: {e}", f.display());
        }
        if f.ends_with("pgrq.example.toml") {
            cfg.validate().unwrap();
        }
    }
}

#[test]
fn advertise_addresses() {
    for ok in ["db1.example.com:5432", "10.0.0.7:5432", "[::1]:5432"] {
        assert!(valid_host_port(ok), "{ok}");
    }
    for bad in ["db1", ":5432", "db1:0", "db1:port", "a b:5432"] {
        assert!(!valid_host_port(bad), "{bad}");
    }
}
