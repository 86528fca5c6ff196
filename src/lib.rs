//! pgrq: PostgreSQL wire protocol in front of many small replicated SQLite databases,
//! each one a 3-replica rqlite cluster.
//!
//! # Layout (the data path, dependencies pointing down only)
//! - `wire/`: pgwire front end (TLS, SCRAM, cancel, message encoding).
//! - `session/`: one connection: database, GUCs, transaction block; owns the `Backend` trait.
//! - `sql/`: pure translation of PostgreSQL statements into SQLite.
//! - `backend`: implements `session::Backend` over `rqlite/` and `node/`.
//! - `mirror/`: per-database in-memory copy of the schema (Describe, defaults).
//! - `catalog/`: the emulated pg_catalog / information_schema built from a mirror's schema.
//! - `rqlite/`: HTTP client of one rqlite cluster.
//! - `node/`: locating, starting and supervising `rqlited` processes; placement; what this
//!   node reports (`pgrq status`).
//! - `gossip/`: libp2p discovery and heartbeats between pgrq nodes.
//! - `syscatalog/`: the system catalog's schema and conditional writes.
//! - `config`, `error`: typed configuration; the single SQLSTATE mapping.
//! - `app`: composition root and ordered shutdown.

pub mod app;
pub mod backend;
pub mod catalog;
pub mod config;
pub mod error;
pub mod gossip;
pub mod mirror;
pub mod node;
pub mod rqlite;
pub mod session;
pub mod sql;
pub mod syscatalog;
pub mod wire;
