//! The node layer on this host. For now: finding the `rqlited` binary and supervising the
//! replica processes. It must not decide placement from anything but the catalog (later)
//! and must not know SQL or the wire protocol.

pub mod locate;
pub mod placement;
pub mod supervisor;
