//! The node layer on this host: finding the `rqlited` binary and supervising the replica
//! processes (`locate`, `supervisor`, `engine`), the pure placement function (`placement`),
//! the system catalog's cluster, its membership over time and typed access to it
//! (`system`, `sysmember`, `catalog`), port
//! allocation (`ports`), the reconciler that converges this node's replicas on the
//! catalog (`core`, `reconcile`), hibernation and wake under `pgrq node` (`hibernate`,
//! `wake`, fed by `activity` through gossip; `evict` makes room on a full node for a
//! wake), what operators see of the cluster (`view`),
//! and what this node reports about itself to the gossip layer and to `pgrq status`
//! (`status`); the operations (`ops`: `drain`, `drop`, `recover`, and `creating` for
//! creations a dead node left unfinished; `relay` carries a request to the node that must
//! run it). It must not know SQL or the wire protocol;
//! placement decisions are pure functions of an inventory its callers pass in.

pub mod activity;
pub mod admin;
pub mod catalog;
mod catalog_ops;
pub mod core;
pub mod creating;
pub mod drain;
pub mod drop;
pub mod engine;
pub mod evict;
pub mod hibernate;
pub mod inventory;
pub mod lifecycle;
pub mod lifecycle_admin;
pub mod locate;
pub mod ops;
pub mod placement;
pub mod ports;
pub mod reconcile;
pub mod recover;
mod recover_choice;
pub mod relay;
pub mod replace;
pub mod status;
pub mod supervisor;
pub mod sysmember;
pub mod system;
#[cfg(test)]
mod test_peers;
pub mod view;
pub mod wake;
