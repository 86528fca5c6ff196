//! Helpers shared by the unit tests of this module.

use sqlparser::ast::{ColumnOption, Expr, Statement};
use sqlparser::dialect::SQLiteDialect;
use sqlparser::parser::Parser;

use super::{ColumnInfo, Context, Schema, SqlError, Translated, translate, translate_with};

/// The context every test translates with.
pub(crate) fn ctx() -> Context {
    Context {
        database: "appdb".into(),
        user: "alice".into(),
        schema: "public".into(),
        version: "PostgreSQL 16.0 (pgrq 0.1.0 on SQLite)".into(),
        // 2026-11-22 03:17:34.426123 UTC.
        now_micros: 1_795_317_454_426_123,
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

/// A schema built the way the session's mirror sees it: each PostgreSQL
/// CREATE TABLE is translated, and the SQLite text read back column by
/// column as `pragma_table_info` reports it (DEFAULT without its outer
/// parentheses).
pub(crate) struct TestSchema(Vec<(String, Vec<ColumnInfo>)>);

impl Schema for TestSchema {
    fn columns(&self, table: &str) -> Option<Vec<ColumnInfo>> {
        self.0
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(table))
            .map(|(_, cols)| cols.clone())
    }
}

/// Build a [`TestSchema`] from PostgreSQL CREATE TABLE statements.
pub(crate) fn schema_from(ddl: &[&str]) -> TestSchema {
    let mut tables = Vec::new();
    for pg in ddl {
        let text = sqlite(pg);
        let parsed = Parser::parse_sql(&SQLiteDialect {}, &text).unwrap();
        let Some(Statement::CreateTable(ct)) = parsed.into_iter().next() else {
            panic!("not a CREATE TABLE: {pg}");
        };
        let columns = ct
            .columns
            .iter()
            .map(|c| {
                let has = |f: fn(&ColumnOption) -> bool| c.options.iter().any(|o| f(&o.option));
                ColumnInfo {
                    name: c.name.value.clone(),
                    decl_type: c.data_type.to_string(),
                    default_expr: c.options.iter().find_map(|o| match &o.option {
                        ColumnOption::Default(Expr::Nested(e)) => Some(e.to_string()),
                        ColumnOption::Default(e) => Some(e.to_string()),
                        _ => None,
                    }),
                    not_null: has(|o| matches!(o, ColumnOption::NotNull)),
                    primary_key: has(|o| matches!(o, ColumnOption::PrimaryKey(_))),
                }
            })
            .collect();
        let name = match ct.name.0.last().and_then(|p| p.as_ident()) {
            Some(ident) => ident.value.clone(),
            None => ct.name.to_string(),
        };
        tables.push((name, columns));
    }
    TestSchema(tables)
}

/// Translate a single statement with `schema`, checking the output parses.
pub(crate) fn tr_with(sql: &str, schema: &dyn Schema) -> Translated {
    let mut out = match translate_with(sql, &ctx(), schema) {
        Ok(out) => out,
        Err(e) => panic!("translate_with({sql:?}) failed: {e}"),
    };
    assert_eq!(out.len(), 1, "expected one statement from {sql:?}");
    let t = out.remove(0);
    if let Some(s) = &t.sqlite {
        check_sqlite(s);
    }
    t
}

/// The SQLite text for `sql` translated with `schema`.
pub(crate) fn sqlite_with(sql: &str, schema: &dyn Schema) -> String {
    match tr_with(sql, schema).sqlite {
        Some(s) => s,
        None => panic!("{sql:?} produced no SQLite text"),
    }
}

/// The error translating `sql` with `schema`.
pub(crate) fn err_with(sql: &str, schema: &dyn Schema) -> SqlError {
    match translate_with(sql, &ctx(), schema) {
        Ok(out) => panic!("{sql:?} unexpectedly translated: {out:?}"),
        Err(e) => e,
    }
}

/// A schema mirror (the session's real one, an in-memory SQLite) holding what the
/// PostgreSQL statements `ddl` create, each translated against the mirror as it stands.
pub(crate) fn mirror_from(ddl: &[&str]) -> crate::mirror::Mirror {
    let mirror = match crate::mirror::Mirror::new() {
        Ok(m) => m,
        Err(e) => panic!("mirror: {e}"),
    };
    let mut applied: Vec<String> = Vec::new();
    for pg in ddl {
        let out = match translate_with(pg, &ctx(), &mirror) {
            Ok(out) => out,
            Err(e) => panic!("translate_with({pg:?}) failed: {e}"),
        };
        applied.extend(out.into_iter().filter_map(|t| t.sqlite));
        if let Err(e) = mirror.load(&applied) {
            panic!("mirror load: {e}");
        }
    }
    mirror
}
