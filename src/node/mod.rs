//! The node layer on this host: finding the `rqlited` binary and supervising the replica
//! processes (`locate`, `supervisor`), the pure placement function (`placement`), and what
//! this node reports about itself to the gossip layer and to `pgrq status` (`status`). It
//! must not know SQL or the wire protocol; placement decisions are pure functions of an
//! inventory its callers pass in.

pub mod activity;
pub mod admin;
pub mod inventory;
pub mod lifecycle;
pub mod locate;
pub mod placement;
pub mod status;
pub mod supervisor;
