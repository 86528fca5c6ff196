//! PostgreSQL SQL text in, SQLite SQL text out.
//!
//! This module owns everything pgrq knows about SQL itself: it parses the
//! PostgreSQL dialect (with `sqlparser`), classifies each statement (query,
//! write, DDL, transaction control, session command), rewrites the parsed
//! tree into something SQLite runs with PostgreSQL's meaning, prints it back
//! to text, and maps PostgreSQL types to and from the column types it writes
//! into SQLite. Constructs it cannot translate faithfully are refused with a
//! [`SqlError`] naming them; it never emits silently different SQL.
//!
//! It must not do I/O of any kind, and it knows nothing about the
//! PostgreSQL wire protocol, sessions, or rqlite: callers hand it text and a
//! [`Context`] and get back [`Translated`] statements to act on. Mapping
//! [`SqlError`] variants to SQLSTATE codes is also done by the caller.

pub mod calendar;
pub mod catalog;
mod classify;
pub mod cluster_views;
pub mod decimal;
mod error;
pub mod floats;
mod infer;
mod input;
pub mod markers;
mod names;
mod parse;
mod pg_syntax;
mod rewrite;
mod schema;
mod session;
#[cfg(test)]
pub(crate) mod test_support;
mod types;

pub use error::SqlError;
pub use rewrite::array_param_json;
pub(crate) use rewrite::normalize_time_text;
pub use schema::{ColumnInfo, NoSchema, Schema, SchemaObject};
pub use types::PgType;

/// Prefix of the constraint name that records a key column's PostgreSQL type when SQLite
/// needs the declared type to be exactly `INTEGER` (e.g. `CONSTRAINT "pgrq_type_int8"
/// PRIMARY KEY` for a BIGSERIAL); the schema mirror reads it back.
pub const TYPE_MARKER_PREFIX: &str = "pgrq_type_";

/// Session facts that some SQL functions (`version()`, `current_user`, …)
/// are answered from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// Database the client connected to (`current_database()`).
    pub database: String,
    /// Connected user (`current_user`, `session_user`, `user`).
    pub user: String,
    /// Current schema (`current_schema()`); normally `"public"`.
    pub schema: String,
    /// Full `version()` string.
    pub version: String,
    /// The transaction's time, in microseconds since the Unix epoch (UTC),
    /// chosen by the session when the transaction starts. Every clock
    /// reading is translated to a literal of this time: `now()`,
    /// `CURRENT_TIMESTAMP`, `transaction_timestamp()`,
    /// `statement_timestamp()`, `clock_timestamp()` (all the same instant
    /// in pgrq), `LOCALTIMESTAMP`, `CURRENT_DATE`, `CURRENT_TIME`,
    /// `LOCALTIME`, `'now'::timestamptz` …, and the column time defaults
    /// an INSERT is completed with. Stored definitions (column defaults,
    /// views) keep reading the clock instead.
    pub now_micros: i64,
}

impl Context {
    /// This context with the transaction time set to `micros` since the
    /// Unix epoch (UTC).
    pub fn with_now(mut self, micros: i64) -> Self {
        self.now_micros = micros;
        self
    }
}

/// A transaction-control statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxnControl {
    /// `BEGIN` / `START TRANSACTION` (any isolation level); `read_only` is the access
    /// mode it names (`None`: `default_transaction_read_only` decides).
    Begin { read_only: Option<bool> },
    /// `COMMIT` / `END`.
    Commit,
    /// `ROLLBACK` / `ABORT`.
    Rollback,
    /// `SAVEPOINT name`.
    Savepoint(String),
    /// `RELEASE [SAVEPOINT] name`.
    Release(String),
    /// `ROLLBACK TO [SAVEPOINT] name`.
    RollbackTo(String),
}

/// What a statement is, as far as the caller needs to know to run it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatementKind {
    /// SELECT / VALUES / WITH … SELECT / EXPLAIN: read-only.
    Query,
    /// A read of the system catalogs (`pg_catalog`, `information_schema`): `sqlite` runs
    /// against the emulated catalog (`crate::catalog`), not the database.
    Catalog,
    /// A SELECT over the cluster views `pgrq.nodes` / `pgrq.databases`: the session
    /// answers it from what its backend knows of the cluster (`cluster_views`).
    ClusterView,
    /// INSERT / UPDATE / DELETE (including ON CONFLICT and TRUNCATE);
    /// see [`Translated::returning`].
    Write,
    /// CREATE / DROP / ALTER ….
    Ddl,
    /// Transaction control; `sqlite` is `None`.
    Transaction(TxnControl),
    /// `SET`; `value` is `None` for `DEFAULT`, `local` for `SET LOCAL`.
    Set {
        name: String,
        value: Option<String>,
        local: bool,
    },
    /// `SHOW name`; lower-cased, `"all"` for `SHOW ALL`.
    Show { name: String },
    /// `RESET name`; `None` for `RESET ALL`.
    Reset { name: Option<String> },
    /// `DISCARD …` or `DEALLOCATE …`: client housekeeping. The tag is
    /// `"DISCARD ALL"` (or `"DISCARD PLANS"` …), `"DEALLOCATE ALL"`, or
    /// `"DEALLOCATE <name>"` carrying the prepared statement's name (whose
    /// PostgreSQL command tag is plain `"DEALLOCATE"`).
    Discard,
    /// SQL-level `PREPARE name [(types)] AS body`: the session translates `body` (the
    /// statement's PostgreSQL text) and keeps it under `name`.
    PrepareSql {
        name: String,
        types: Vec<String>,
        body: String,
    },
    /// `EXECUTE name(args)`: `args` are the argument expressions' PostgreSQL text.
    ExecuteSql { name: String, args: Vec<String> },
    /// `SELECT pg_advisory_lock(…)` and the other advisory lock functions, as a whole
    /// statement: the session takes part (its locks live in the database,
    /// `session/advisory.rs`); `sqlite` is `None`.
    Advisory(AdvisoryCall),
    /// Empty statement (`;` or only comments).
    Empty,
}

/// One call of an advisory lock function (`pg_[try_]advisory_[xact_]lock[_shared]`,
/// `pg_advisory_unlock[_shared]`, `pg_advisory_unlock_all`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisoryCall {
    pub op: AdvisoryOp,
    /// Released at the end of the transaction rather than of the session.
    pub xact: bool,
    pub shared: bool,
    /// The key: one bigint or two ints (two key spaces, as in PostgreSQL); empty for
    /// `pg_advisory_unlock_all`.
    pub key: Vec<AdvisoryArg>,
    /// The result column's name (the function's, or the alias).
    pub column: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdvisoryOp {
    /// Waits until it holds the lock; returns void.
    Lock,
    /// Takes the lock if it is free; returns whether it did.
    TryLock,
    /// Releases one hold; returns whether the session held it.
    Unlock,
    /// Releases every session-level lock; returns void.
    UnlockAll,
}

/// A key argument: a constant, or a parameter (`$n`, 0-based index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdvisoryArg {
    Const(i64),
    Param(usize),
}

/// One translated statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Translated {
    /// What the statement is.
    pub kind: StatementKind,
    /// SQLite text to run; `None` for session and transaction commands.
    pub sqlite: Option<String>,
    /// Highest `$n` referenced (0 if none).
    pub param_count: usize,
    /// One entry per parameter; `Some` where the SQL states the type
    /// (`$1::int8`, `CAST($2 AS text)`, which wins wherever it stands) or
    /// where PostgreSQL would infer it from the context and the schema
    /// (`id = $1`, `VALUES ($1)` into a known column, `SET c = $1`,
    /// `LIMIT $1`, `lower($1)`, …). `None` where nothing says (`SELECT $1`).
    pub param_types: Vec<Option<PgType>>,
    /// Parameters (1-based) compared by `= ANY($n)`: the session sends each one's value,
    /// PostgreSQL's array text, as a JSON array ([`array_param_json`]).
    pub array_params: Vec<usize>,
    /// A write with a RETURNING clause.
    pub returning: bool,
    /// Command tag verb: "SELECT", "INSERT", "CREATE TABLE", "BEGIN", ….
    pub tag: String,
    /// False when the statement references no table (e.g. `SELECT 1`,
    /// `SELECT version()`): a local SQLite can answer it.
    pub needs_database: bool,
    /// PostgreSQL types of the output columns (the SELECT list, or the
    /// RETURNING list of a write): one entry per column when the columns
    /// can be listed from the statement and the schema, otherwise empty.
    /// `None` where pgrq is not sure; use the type rqlite reports there.
    pub column_types: Vec<Option<PgType>>,
    /// Display scale of each numeric output column whose scale PostgreSQL's rules fix
    /// (`price * 2` of a `numeric(10,2)` column prints 2 digits after the point); aligned
    /// with `column_types`, or empty.
    pub column_scales: Vec<Option<u32>>,
    /// Output columns holding an exact `avg` as `sum/count` text, to be divided with
    /// numeric's rules (`Some(scale of the sum)`, see `infer::avg`); empty when none.
    pub column_avgs: Vec<Option<u32>>,
    /// The SQLite text embeds the transaction time (`now()` and friends, or a time default
    /// added to an INSERT): a statement prepared once must be translated again for each
    /// transaction.
    pub uses_clock: bool,
    /// A sequence function the session must take part in (see [`SequenceOp`]).
    pub sequence: Option<SequenceOp>,
}

/// `SELECT nextval('s')` and friends: sequences change state outside transactions and
/// `currval`/`lastval` are per session, so the session handles these statements itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SequenceOp {
    /// `nextval(name)`: a write returning one row, run at once even inside a transaction
    /// block (PostgreSQL never rolls a sequence back); its value becomes the session's
    /// `currval(name)` and `lastval()`.
    Next(String),
    /// `setval(name, …)`: a write returning one row, run at once; no row means the value
    /// was out of the sequence's bounds.
    Set(String),
    /// `currval(name)`: answered from the session (55000 before any `nextval`); `sqlite`
    /// only serves Describe (and fails when the sequence does not exist).
    Current(String),
    /// `lastval()`: answered from the session.
    Last,
}

impl Translated {
    /// A statement that is handled without SQLite (session, transaction,
    /// housekeeping, empty).
    fn local(kind: StatementKind, tag: impl Into<String>) -> Self {
        Translated {
            kind,
            sqlite: None,
            param_count: 0,
            param_types: Vec::new(),
            returning: false,
            tag: tag.into(),
            needs_database: false,
            column_types: Vec::new(),
            column_scales: Vec::new(),
            column_avgs: Vec::new(),
            array_params: Vec::new(),
            uses_clock: false,
            sequence: None,
        }
    }
}

/// [`translate_with`] knowing no tables ([`NoSchema`]).
pub fn translate(sql: &str, ctx: &Context) -> Result<Vec<Translated>, SqlError> {
    translate_with(sql, ctx, &NoSchema)
}

/// Split a (possibly multi-statement) string and translate each statement,
/// using what `schema` knows about the tables: INSERTs then carry column
/// time defaults explicitly and may use `DEFAULT` in VALUES, and `*` and
/// column references get types.
///
/// An empty string, `;`, or only comments gives one [`StatementKind::Empty`].
/// If any statement fails, the whole call fails (PostgreSQL likewise
/// rejects a multi-statement string that does not parse before running any
/// of it).
pub fn translate_with(
    sql: &str,
    ctx: &Context,
    schema: &dyn Schema,
) -> Result<Vec<Translated>, SqlError> {
    let statements = parse::parse(sql)?;
    if statements.is_empty() {
        return Ok(vec![Translated::local(StatementKind::Empty, "")]);
    }
    statements
        .into_iter()
        .map(|stmt| classify::translate_statement(stmt, ctx, schema))
        .collect()
}

/// Like [`translate_with`], but each statement is translated on its own, so one that
/// fails (e.g. on a table created by an earlier statement of the same string) does not
/// stop the others. Only a string that does not parse fails as a whole.
pub fn translate_each(
    sql: &str,
    ctx: &Context,
    schema: &dyn Schema,
) -> Result<Vec<Result<Translated, SqlError>>, SqlError> {
    let statements = parse::parse(sql)?;
    if statements.is_empty() {
        return Ok(vec![Ok(Translated::local(StatementKind::Empty, ""))]);
    }
    Ok(statements
        .into_iter()
        .map(|stmt| classify::translate_statement(stmt, ctx, schema))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;

    #[test]
    fn empty_inputs_give_one_empty_statement() {
        for sql in ["", "   ", ";", "-- just a comment", "/* c */ ;"] {
            let out = translate(sql, &ctx()).unwrap();
            assert_eq!(out.len(), 1, "{sql:?}");
            assert_eq!(out[0].kind, StatementKind::Empty);
            assert_eq!(out[0].sqlite, None);
            assert!(!out[0].needs_database);
        }
    }

    #[test]
    fn multi_statement_string_is_split() {
        let out = translate("BEGIN; INSERT INTO t (a) VALUES ($1); COMMIT", &ctx()).unwrap();
        assert_eq!(out.len(), 3);
        assert_eq!(
            out[0].kind,
            StatementKind::Transaction(TxnControl::Begin { read_only: None })
        );
        assert_eq!(out[1].kind, StatementKind::Write);
        assert_eq!(out[1].param_count, 1);
        assert_eq!(out[2].kind, StatementKind::Transaction(TxnControl::Commit));
        check_sqlite(out[1].sqlite.as_deref().unwrap());
    }

    #[test]
    fn one_bad_statement_fails_the_batch() {
        let err = translate("SELECT 1; LISTEN x", &ctx()).unwrap_err();
        assert!(matches!(err, SqlError::Unsupported { .. }), "{err:?}");
    }

    #[test]
    fn session_literals_come_from_the_context() {
        let ctx = Context {
            database: "other".into(),
            user: "bob".into(),
            schema: "public".into(),
            version: "PostgreSQL 15.0".into(),
            now_micros: 0,
        };
        let out = translate("SELECT current_database(), current_user, version()", &ctx).unwrap();
        assert_eq!(
            out[0].sqlite.as_deref(),
            Some(
                "SELECT 'other' AS \"current_database\", 'bob' AS \"current_user\", \
                 'PostgreSQL 15.0' AS \"version\""
            )
        );
        assert_eq!(tr("SELECT 1").tag, "SELECT");
    }

    #[test]
    fn clock_literals_come_from_the_context() {
        let ctx = ctx().with_now(-1);
        let out = translate("SELECT now(), CURRENT_DATE", &ctx).unwrap();
        assert_eq!(
            out[0].sqlite.as_deref(),
            Some(
                "SELECT '1969-12-31 23:59:59.999999+00' AS \"now\", \
                 '1969-12-31' AS \"current_date\""
            )
        );
        let schema = schema_from(&["CREATE TABLE ev (n int, at timestamptz DEFAULT now())"]);
        let out = translate_with("INSERT INTO ev (n) VALUES (1)", &ctx.with_now(0), &schema);
        assert_eq!(
            out.unwrap()[0].sqlite.as_deref(),
            Some("INSERT INTO ev (n, at) VALUES (1, '1970-01-01 00:00:00+00')")
        );
    }

    #[test]
    fn translate_with_uses_the_schema_for_each_statement() {
        let schema = schema_from(&[
            "CREATE TABLE ev (id serial PRIMARY KEY, at timestamptz DEFAULT now(), n int)",
        ]);
        let out = translate_with(
            "INSERT INTO ev (n) VALUES ($1) RETURNING *; SELECT count(*), max(at) FROM ev",
            &ctx(),
            &schema,
        )
        .unwrap();
        assert_eq!(
            out[0].sqlite.as_deref(),
            Some(
                "INSERT INTO ev (n, at) VALUES (?1, '2026-11-22 03:17:34.426123+00') \
                 RETURNING *"
            )
        );
        assert_eq!(
            out[0].column_types,
            vec![
                Some(PgType::Int4),
                Some(PgType::Timestamptz),
                Some(PgType::Int4)
            ]
        );
        assert_eq!(
            out[1].sqlite.as_deref(),
            Some("SELECT count(*) AS \"count\", max(at) AS \"max\" FROM ev")
        );
        assert_eq!(
            out[1].column_types,
            vec![Some(PgType::Int8), Some(PgType::Timestamptz)]
        );
        // `translate` is `translate_with` knowing no table.
        let plain = translate("INSERT INTO ev (n) VALUES (1)", &ctx()).unwrap();
        assert_eq!(
            plain[0].sqlite.as_deref(),
            Some("INSERT INTO ev (n) VALUES (1)")
        );
        assert!(plain[0].column_types.is_empty());
    }
}
