//! Port allocation for this node's rqlited replicas: the lowest free ports of the configured
//! ranges, bind-probed on the replicas' host, skipping ports already recorded for this node
//! (sticky: a replica keeps the ports the catalog holds for it). A hibernated database
//! holds no ports: its replica's recorded ports are only its preferred ones on wake, and
//! when the ranges are otherwise full a replica that needs ports takes them (`PortBook`),
//! the hibernated one getting new ports when it wakes. Every allocation is a conditional
//! catalog write (`Catalog::claim_ports`; the catalog keeps a node's ports unique), made by
//! this node's reconciler alone, so two replicas never get the same ports.

use std::collections::HashSet;
use std::net::{IpAddr, TcpListener};

use crate::config::DatabaseConfig;
use crate::node::catalog::{Catalog, Snapshot};
use crate::node::core::NodeCore;
use crate::syscatalog::{DbState, ReplicaRecord};

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

/// This node's ports as the catalog records them: `held` by the system replica and by the
/// replicas of databases in any state but `hibernating` (never given to another), and
/// those of hibernated replicas (`asleep`, by database), taken only when nothing else is
/// free.
#[derive(Debug, Clone, Default)]
pub struct PortBook {
    held: HashSet<u16>,
    asleep: Vec<(String, u16, u16)>,
}

/// Ports for a replica, and the hibernated database they are taken from, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortChoice {
    pub ports: (u16, u16),
    pub victim: Option<String>,
}

impl PortBook {
    pub fn of(snap: &Snapshot, node_id: &str, system: (u16, u16)) -> PortBook {
        let mut book = PortBook {
            held: [system.0, system.1].into(),
            asleep: Vec::new(),
        };
        for r in snap.replicas.iter().filter(|r| r.node_id == node_id) {
            let (Some(http), Some(raft)) = (r.http_port, r.raft_port) else {
                continue;
            };
            let hibernating = snap
                .database(&r.database)
                .is_some_and(|d| d.state == DbState::Hibernating);
            if hibernating {
                book.asleep.push((r.database.clone(), http, raft));
            } else {
                book.held.extend([http, raft]);
            }
        }
        book.asleep.sort_by_key(|a| a.1);
        book
    }

    /// The lowest free pair; when the ranges hold none, the pair of the first hibernated
    /// replica whose ports are in range and bindable now (its rqlited has stopped).
    pub fn choose(&self, d: &DatabaseConfig, host: IpAddr) -> Result<PortChoice, PortsExhausted> {
        let mut recorded = self.held.clone();
        recorded.extend(self.asleep.iter().flat_map(|a| [a.1, a.2]));
        let exhausted = match allocate_pair(d, host, &recorded) {
            Ok(ports) => {
                return Ok(PortChoice {
                    ports,
                    victim: None,
                });
            }
            Err(e) => e,
        };
        let in_range = |p: u16, start: u16, end: u16| (start..=end).contains(&p);
        self.asleep
            .iter()
            .find(|(_, http, raft)| {
                in_range(*http, d.port_range_http_start, d.port_range_http_end)
                    && in_range(*raft, d.port_range_raft_start, d.port_range_raft_end)
                    && TcpListener::bind((host, *http)).is_ok()
                    && TcpListener::bind((host, *raft)).is_ok()
            })
            .map(|(db, http, raft)| PortChoice {
                ports: (*http, *raft),
                victim: Some(db.clone()),
            })
            .ok_or(exhausted)
    }

    /// After a claim of `c` applied: its ports are held, its victim holds none.
    fn record(&mut self, c: &PortChoice) {
        self.held.extend([c.ports.0, c.ports.1]);
        if let Some(v) = &c.victim {
            self.asleep.retain(|a| &a.0 != v);
        }
    }
}

/// Gives this node's replica `r` ports (it holds `held` now), taking a hibernated
/// replica's when the ranges are full; true when the catalog recorded them (the caller
/// looks again on the next pass, nudged).
pub async fn claim(
    core: &NodeCore,
    catalog: &Catalog,
    r: &ReplicaRecord,
    held: Option<(u16, u16)>,
    book: &mut PortBook,
) -> Result<bool, String> {
    let choice = book
        .choose(&core.config.database, core.host)
        .map_err(|e| format!("{}: {e}", r.database))?;
    let won = catalog
        .claim_ports(
            &r.database,
            &core.node_id,
            held,
            choice.ports,
            choice.victim.as_deref(),
        )
        .await
        .map_err(|e| e.to_string())?;
    if won {
        book.record(&choice);
        match &choice.victim {
            Some(v) => tracing::info!(
                db = %r.database,
                ports = ?choice.ports,
                from = %v,
                "ports allocated: taken from a hibernated database (it moves when it wakes)"
            ),
            None => tracing::debug!(db = %r.database, ports = ?choice.ports, "ports allocated"),
        }
        core.nudge(&r.database);
        if let Some(v) = &choice.victim {
            core.nudge(v);
        }
    }
    Ok(won)
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

    #[test]
    fn a_hibernated_replica_s_ports_are_taken_only_when_nothing_else_is_free() {
        use crate::syscatalog::{DatabaseRecord, ReplicaRecord};
        let host: IpAddr = "127.0.0.1".parse().unwrap();
        let p = free_block(host, 7);
        let d = DatabaseConfig {
            port_range_http_start: p,
            port_range_http_end: p + 1,
            port_range_raft_start: p + 4,
            port_range_raft_end: p + 5,
            ..DatabaseConfig::default()
        };
        let snap = |state| Snapshot {
            nodes: vec![],
            databases: vec![DatabaseRecord {
                name: "demo_a".into(),
                app: "demo".into(),
                state,
                replication_factor: 1,
                version: 1,
                claim: String::new(),
            }],
            replicas: vec![ReplicaRecord {
                database: "demo_a".into(),
                node_id: "n".into(),
                replica_id: "demo_a-1".into(),
                http_port: Some(p + 1),
                raft_port: Some(p + 5),
            }],
        };
        let system = (p, p + 4);
        let asleep = PortBook::of(&snap(DbState::Hibernating), "n", system);
        assert_eq!(
            asleep.choose(&d, host),
            Ok(PortChoice {
                ports: (p + 1, p + 5),
                victim: Some("demo_a".into())
            })
        );
        let awake = PortBook::of(&snap(DbState::Waking), "n", system);
        assert!(
            awake.choose(&d, host).is_err(),
            "a waking replica keeps its ports"
        );
        // With room in the ranges, nobody's ports are taken.
        let wider = DatabaseConfig {
            port_range_http_end: p + 2,
            port_range_raft_end: p + 6,
            ..d.clone()
        };
        assert_eq!(
            asleep.choose(&wider, host),
            Ok(PortChoice {
                ports: (p + 2, p + 6),
                victim: None
            })
        );
    }

    /// A base port whose `len` ports can all be bound now (other processes on the
    /// machine, e.g. tests running beside this one, hold ports at random).
    fn free_block(host: IpAddr, len: u16) -> u16 {
        for _ in 0..50 {
            let p = TcpListener::bind((host, 0))
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
                .saturating_sub(len * 2);
            if (p..p + len).all(|q| TcpListener::bind((host, q)).is_ok()) {
                return p;
            }
        }
        panic!("no block of {len} free ports found");
    }
}
