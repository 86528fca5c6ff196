//! Which loopback ports each database's replicas use. Ports are sticky (kept in
//! `placement.json`) but held only while the database runs: a hibernated database holds
//! none. A new database takes ports no other database recorded, falling back to ports
//! recorded by hibernated ones when the ranges run out; a waking database reuses its old
//! ports when free, else takes new ones and rewrites every replica's Raft membership
//! (`peers.json`) before restart.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;

use super::{LocalBackend, Placement, internal, replica_id, write_placement};
use crate::node::lifecycle::{self, Peer};
use crate::session::{BackendError, DbName};

/// Marker file in a database's directory while its replicas move to new ports.
const MOVING: &str = "moving";

fn remove_marker(path: &std::path::Path) -> Result<(), BackendError> {
    std::fs::remove_file(path).map_err(|e| internal(format!("{}: {e}", path.display())))
}

impl LocalBackend {
    pub(super) fn leases(&self) -> std::sync::MutexGuard<'_, HashMap<DbName, Placement>> {
        self.leases.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Ports for a new database of `n` replicas, leased to it.
    pub(super) fn lease_new(&self, db: &DbName, n: usize) -> Result<Placement, BackendError> {
        let mut leases = self.leases();
        let p = self.allocate(&leases, n)?;
        leases.insert(db.clone(), p.clone());
        Ok(p)
    }

    /// The ports `db` (which exists, `old` being its placement) will wake on, leased to
    /// it: `old` when every port is free, else new ones, recorded in `placement.json`
    /// after every replica's `peers.json` names the new Raft addresses.
    pub(super) fn claim(
        &self,
        db: &DbName,
        dir: &std::path::Path,
        old: Placement,
    ) -> Result<Placement, BackendError> {
        let mut leases = self.leases();
        let held: HashSet<u16> = leases
            .iter()
            .filter(|(k, _)| *k != db)
            .flat_map(|(_, p)| p.http.iter().chain(&p.raft).copied())
            .collect();
        let free = old
            .http
            .iter()
            .chain(&old.raft)
            .all(|p| !held.contains(p) && lifecycle::port_free(*p));
        let n = old.http.len().max(old.raft.len());
        // Present while a move is under way: a move interrupted before placement.json
        // named the new ports left peers.json files naming them; make them name the ports
        // chosen now. (A peers.json without it is an operator's, and is left alone.)
        let moving = dir.join(MOVING);
        let placement = if free {
            if moving.exists() {
                self.write_peers(db, dir, &old)?;
                remove_marker(&moving)?;
            }
            old
        } else {
            let new = self.allocate(&leases, n)?;
            tracing::warn!(
                %db,
                old_raft = ?old.raft,
                new_raft = ?new.raft,
                "old ports are taken: moving the replicas (peers.json)"
            );
            std::fs::write(&moving, b"")
                .map_err(|e| internal(format!("{}: {e}", moving.display())))?;
            if new.raft != old.raft {
                self.write_peers(db, dir, &new)?;
            }
            write_placement(&dir.join("placement.json"), &new)?;
            remove_marker(&moving)?;
            self.port_moves
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            new
        };
        leases.insert(db.clone(), placement.clone());
        Ok(placement)
    }

    /// `db` no longer holds its ports (hibernated, or its start failed).
    pub(super) fn release(&self, db: &DbName) {
        self.leases().remove(db);
    }

    /// The same `peers.json` in every (stopped) replica of `db`: all of `placement`'s
    /// Raft addresses, under the replicas' unchanging node ids.
    fn write_peers(
        &self,
        db: &DbName,
        dir: &std::path::Path,
        placement: &Placement,
    ) -> Result<(), BackendError> {
        let peers: Vec<Peer> = placement
            .raft
            .iter()
            .enumerate()
            .map(|(i, port)| Peer {
                id: replica_id(db, i),
                address: SocketAddr::from(([127, 0, 0, 1], *port)),
                non_voter: false,
            })
            .collect();
        for peer in &peers {
            lifecycle::write_peers_json(&lifecycle::replica_dir(dir, &peer.id), &peers)
                .map_err(|e| internal(e.to_string()))?;
        }
        Ok(())
    }

    /// `n` free (bind-probed) ports from each configured range, none leased to a running
    /// database; ports recorded by a hibernated database only when no others are left.
    fn allocate(
        &self,
        leases: &HashMap<DbName, Placement>,
        n: usize,
    ) -> Result<Placement, BackendError> {
        let held: HashSet<u16> = leases
            .values()
            .flat_map(|p| p.http.iter().chain(&p.raft).copied())
            .collect();
        let recorded: HashSet<u16> = self.recorded_ports();
        let d = &self.config.database;
        let pick = |start: u16, end: u16, kind: &str| -> Result<Vec<u16>, BackendError> {
            let mut out = Vec::new();
            for avoid_recorded in [true, false] {
                for port in start..=end {
                    if out.len() == n {
                        return Ok(out);
                    }
                    if held.contains(&port)
                        || out.contains(&port)
                        || (avoid_recorded && recorded.contains(&port))
                    {
                        continue;
                    }
                    if lifecycle::port_free(port) {
                        out.push(port);
                    }
                }
            }
            if out.len() == n {
                return Ok(out);
            }
            Err(BackendError::Capacity {
                reason: format!("no {n} free {kind} ports left in {start}..{end}"),
            })
        };
        Ok(Placement {
            http: pick(d.port_range_http_start, d.port_range_http_end, "http")?,
            raft: pick(d.port_range_raft_start, d.port_range_raft_end, "raft")?,
        })
    }

    /// Ports recorded in the `placement.json` of every database (running or not), a moving
    /// database's own included (it takes new ports, not its old ones).
    fn recorded_ports(&self) -> HashSet<u16> {
        let Ok(entries) = std::fs::read_dir(&self.config.node.data_dir) else {
            return HashSet::new();
        };
        entries
            .flatten()
            .filter_map(|e| std::fs::read(e.path().join("placement.json")).ok())
            .filter_map(|b| serde_json::from_slice::<Placement>(&b).ok())
            .flat_map(|p| p.http.into_iter().chain(p.raft))
            .collect()
    }
}
