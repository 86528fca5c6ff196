//! Helpers shared by the unit tests of this module.

use sqlparser::dialect::SQLiteDialect;
use sqlparser::parser::Parser;

use super::{Context, SqlError, Translated, translate};

/// The context every test translates with.
pub(crate) fn ctx() -> Context {
    Context {
        database: "appdb".into(),
        user: "alice".into(),
        schema: "public".into(),
        version: "PostgreSQL 16.0 (pgrq 0.1.0 on SQLite)".into(),
    }
}

/// Assert that `sqlite` parses with sqlparser's SQLite dialect.
pub(crate) fn check_sqlite(sqlite: &str) {
    if let Err(e) = Parser::parse_sql(&SQLiteDialect {}, sqlite) {
        panic!("output does not parse as SQLite: {e}\n{sqlite}");
    }
}

/// Translate a single statement, checking any SQLite output parses.
pub(crate) fn tr(sql: &str) -> Translated {
    let mut out = match translate(sql, &ctx()) {
        Ok(out) => out,
        Err(e) => panic!("translate({sql:?}) failed: {e}"),
    };
    assert_eq!(out.len(), 1, "expected one statement from {sql:?}");
    let t = out.remove(0);
    if let Some(s) = &t.sqlite {
        check_sqlite(s);
    }
    t
}

/// The SQLite text for a single statement (checked to parse).
pub(crate) fn sqlite(sql: &str) -> String {
    match tr(sql).sqlite {
        Some(s) => s,
        None => panic!("{sql:?} produced no SQLite text"),
    }
}

/// The error translating `sql`.
pub(crate) fn err(sql: &str) -> SqlError {
    match translate(sql, &ctx()) {
        Ok(out) => panic!("{sql:?} unexpectedly translated: {out:?}"),
        Err(e) => e,
    }
}

/// Assert `sql` is refused as unsupported with a message containing `needle`.
pub(crate) fn assert_unsupported(sql: &str, needle: &str) {
    match err(sql) {
        SqlError::Unsupported { construct } => assert!(
            construct.contains(needle),
            "{sql:?}: construct {construct:?} does not mention {needle:?}"
        ),
        other => panic!("{sql:?}: expected Unsupported, got {other:?}"),
    }
}
