//! Port allocation for this node's rqlited replicas: the lowest free ports of the configured
//! ranges, bind-probed on the replicas' host, skipping ports already recorded for this node
//! (sticky: a replica keeps the ports the catalog holds for it).

use std::collections::HashSet;
use std::net::{IpAddr, TcpListener};

use crate::config::DatabaseConfig;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no free {kind} port left in {start}..{end} on {host}")]
pub struct PortsExhausted {
    pub kind: &'static str,
    pub start: u16,
    pub end: u16,
    pub host: IpAddr,
}

/// One HTTP and one Raft port, free now and not in `taken`.
pub fn allocate_pair(
    d: &DatabaseConfig,
    host: IpAddr,
    taken: &HashSet<u16>,
) -> Result<(u16, u16), PortsExhausted> {
    let http = pick(
        host,
        d.port_range_http_start,
        d.port_range_http_end,
        taken,
        "http",
    )?;
    let raft = pick(
        host,
        d.port_range_raft_start,
        d.port_range_raft_end,
        taken,
        "raft",
    )?;
    Ok((http, raft))
}

fn pick(
    host: IpAddr,
    start: u16,
    end: u16,
    taken: &HashSet<u16>,
    kind: &'static str,
) -> Result<u16, PortsExhausted> {
    (start..=end)
        .filter(|p| !taken.contains(p))
        .find(|p| TcpListener::bind((host, *p)).is_ok())
        .ok_or(PortsExhausted {
            kind,
            start,
            end,
            host,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_taken_and_bound_ports() {
        let host: IpAddr = "127.0.0.1".parse().unwrap();
        let busy = TcpListener::bind((host, 0)).unwrap();
        let port = busy.local_addr().unwrap().port();
        let d = DatabaseConfig {
            port_range_http_start: port,
            port_range_http_end: port.saturating_add(2),
            port_range_raft_start: port,
            port_range_raft_end: port.saturating_add(2),
            ..DatabaseConfig::default()
        };
        let taken: HashSet<u16> = [port.saturating_add(1)].into();
        let (http, raft) = allocate_pair(&d, host, &taken).unwrap();
        // Each range is probed on its own: the same free port may serve both in a test.
        assert_eq!(http, port.saturating_add(2));
        assert_eq!(raft, port.saturating_add(2));
        let all: HashSet<u16> = [port.saturating_add(1), port.saturating_add(2)].into();
        assert_eq!(
            allocate_pair(&d, host, &all).unwrap_err().kind,
            "http",
            "the bound port is skipped too"
        );
    }
}
