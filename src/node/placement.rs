//! Placement: which nodes host the replicas of a database. A pure function of the node
//! inventory, the replication factor and the database name — no I/O, no clock, no
//! randomness — so every node computes the same answer from the same inventory, and the
//! catalog's conditional write decides between racing creators.
//!
//! Weighted rendezvous hashing: each eligible node scores `-ln(U) / w`, where `U` in (0, 1)
//! comes from a fixed hash of (node id, database name) and `w` is the node's free capacity;
//! the `RF` lowest scores win. A node's weight is its headroom up to the fill level of the
//! fullest node plus one slot (capped by what it can really still host), so the emptier a
//! node, the likelier it wins, and databases spread evenly as they are created. A node
//! joining with nothing on it changes no other node's weight, so a database moves only if
//! the newcomer enters its top `RF` (minimal disruption).
//! It must not read the catalog or the network: callers pass the inventory in.

/// What placement needs to know about one node.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeInventory {
    pub id: String,
    pub healthy: bool,
    pub max_databases: u32,
    pub current_databases: u32,
    /// Replicas this node's port ranges can still take (one HTTP and one Raft port each).
    pub free_ports: u32,
}

impl NodeInventory {
    /// Replicas this node can still take: 0 when unhealthy or full.
    pub fn free_slots(&self) -> u32 {
        if !self.healthy {
            return 0;
        }
        self.max_databases
            .saturating_sub(self.current_databases)
            .min(self.free_ports)
    }

    fn fill(&self) -> f64 {
        if self.max_databases == 0 {
            1.0
        } else {
            f64::from(self.current_databases) / f64::from(self.max_databases)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlacementError {
    /// Fewer nodes able to take a replica than the replication factor.
    #[error("insufficient nodes: got {got}, need {need}")]
    InsufficientNodes { got: usize, need: usize },
    #[error("replication factor must be at least 1")]
    ZeroReplicationFactor,
}

/// The ids of the `rf` distinct nodes chosen for `database`, best first.
pub fn place(
    nodes: &[NodeInventory],
    rf: usize,
    database: &str,
) -> Result<Vec<String>, PlacementError> {
    if rf == 0 {
        return Err(PlacementError::ZeroReplicationFactor);
    }
    let mut eligible: Vec<&NodeInventory> = Vec::new();
    for n in nodes {
        // Ids are unique in an inventory; a duplicate entry must not count twice.
        if n.free_slots() > 0 && !eligible.iter().any(|e| e.id == n.id) {
            eligible.push(n);
        }
    }
    if eligible.len() < rf {
        return Err(PlacementError::InsufficientNodes {
            got: eligible.len(),
            need: rf,
        });
    }
    let fullest = eligible.iter().map(|n| n.fill()).fold(0.0, f64::max);
    let mut scored: Vec<(f64, &str)> = eligible
        .iter()
        .map(|n| {
            let w = weight(n, fullest);
            (-unit_hash(&n.id, database).ln() / w, n.id.as_str())
        })
        .collect();
    // Ties (practically impossible) fall back to the id, so the order is total.
    scored.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(b.1)));
    Ok(scored
        .into_iter()
        .take(rf)
        .map(|(_, id)| id.to_string())
        .collect())
}

/// Headroom up to the fullest node's fill level plus one slot, never more than the node can
/// host. Always ≥ 1 for an eligible node.
fn weight(n: &NodeInventory, fullest: f64) -> f64 {
    let target = f64::from(n.max_databases) * fullest + 1.0;
    let headroom = (target - f64::from(n.current_databases)).max(1.0);
    headroom.min(f64::from(n.free_slots())).max(1.0)
}

/// A value in (0, 1) from (node, database): FNV-1a over both strings (with a separator),
/// then the splitmix64 finaliser to spread the bits. Fixed forever: changing it would move
/// every database's placement.
fn unit_hash(node: &str, database: &str) -> f64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in node.bytes().chain([0u8]).chain(database.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    // 53 bits into (0, 1): never 0 (ln would be -inf) nor 1.
    ((h >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

#[cfg(test)]
#[path = "placement_tests.rs"]
mod tests;
