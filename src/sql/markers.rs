//! Names pgrq gives to the objects and constraints it adds to a database's SQLite schema,
//! in one place: the DDL rewrite writes them, `crate::error` reads constraint names back
//! out of SQLite's messages, and the schema mirror and catalog recognise pgrq's own
//! objects by them (every one starts with `pgrq_`, which users should not see).
//!
//! Objects (one per PostgreSQL object, so the mirror, which holds only the schema, knows
//! them):
//!
//! * sequence `s` → table `pgrq_seq_s (last_value, start_value, increment_by, min_value,
//!   max_value, cycle, is_called, data_type)`, one row;
//! * enum type `e` → view `pgrq_enum_e (sortorder, label)` over `VALUES`, the labels in
//!   order (`sortorder` 1, 2, …), readable from the mirror as well as from rqlite;
//! * comments → table `pgrq_comments (objtype, object, column, description)` (objtype
//!   `table`, `column`, `view`, `index`, `sequence`, `type`; `column` is `''` unless
//!   objtype is `column`);
//! * advisory locks → table `pgrq_advisory_locks (space, k1, k2, owner, xact, shared,
//!   count, expires)`, one row per lock a session holds (`session/advisory.rs`).
//!
//! Named column constraints (CHECK): `pgrq_varchar_<n>`, `pgrq_bpchar_<n>`,
//! `pgrq_numeric_<p>_<s>` (type limits), `pgrq_enum_<e>` (labels of enum `e`),
//! `pgrq_identity_always` / `pgrq_identity_default` (a GENERATED ALWAYS / BY DEFAULT
//! identity column, told apart from a SERIAL one), and on a sequence table
//! `pgrq_seqmax_<s>` / `pgrq_seqmin_<s>` (its bounds).

/// Every object and constraint name pgrq adds starts with this.
pub const PREFIX: &str = "pgrq_";
pub const SEQUENCE_TABLE: &str = "pgrq_seq_";
pub const ENUM_VIEW: &str = "pgrq_enum_";
pub const COMMENTS_TABLE: &str = "pgrq_comments";
pub const ADVISORY_LOCKS_TABLE: &str = "pgrq_advisory_locks";
pub const VARCHAR_CHECK: &str = "pgrq_varchar_";
pub const BPCHAR_CHECK: &str = "pgrq_bpchar_";
pub const NUMERIC_CHECK: &str = "pgrq_numeric_";
pub const ENUM_CHECK: &str = "pgrq_enum_";
pub const IDENTITY_ALWAYS: &str = "pgrq_identity_always";
pub const IDENTITY_DEFAULT: &str = "pgrq_identity_default";
/// On the transient `pgrq_guard` table of an ALTER COLUMN … TYPE: `pgrq_invalid_<type>`.
pub const INVALID_CHECK: &str = "pgrq_invalid_";
pub const SEQUENCE_MAX_CHECK: &str = "pgrq_seqmax_";
pub const SEQUENCE_MIN_CHECK: &str = "pgrq_seqmin_";
