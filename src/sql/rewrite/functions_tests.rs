//! Tests for function calls (`functions.rs`): session values, clocks, renames,
//! aggregates, SQL-standard special forms and the refusal of functions SQLite lacks.

use crate::sql::test_support::*;
use crate::sql::{PgType, SqlError};

#[test]
fn session_functions_become_literals() {
    let t = tr("SELECT version(), pg_catalog.version(), current_database(), current_schema()");
    assert_eq!(
        t.sqlite.as_deref(),
        Some(
            "SELECT 'PostgreSQL 16.0 (pgrq 0.1.0 on SQLite)' AS \"version\", \
              'PostgreSQL 16.0 (pgrq 0.1.0 on SQLite)' AS \"version\", \
              'appdb' AS \"current_database\", 'public' AS \"current_schema\""
        )
    );
    assert!(!t.needs_database);
    assert_eq!(
        sqlite("SELECT current_schema, current_user, session_user, user, current_catalog"),
        "SELECT 'public' AS \"current_schema\", 'alice' AS \"current_user\", \
         'alice' AS \"session_user\", 'alice' AS \"user\", 'appdb' AS \"current_catalog\""
    );
    assert_eq!(
        sqlite("SELECT pg_is_in_recovery()"),
        "SELECT 0 AS \"pg_is_in_recovery\""
    );
}

#[test]
fn quoted_current_schema_is_a_column() {
    assert_eq!(
        sqlite("SELECT \"current_schema\" FROM t"),
        "SELECT \"current_schema\" FROM t"
    );
}

#[test]
fn clocks_are_the_transaction_time() {
    let ts = "'2026-11-22 03:17:34.426123+00'";
    assert_eq!(
        sqlite("SELECT now(), CURRENT_TIMESTAMP, transaction_timestamp(), statement_timestamp()"),
        format!(
            "SELECT {ts} AS \"now\", {ts} AS \"current_timestamp\", \
             {ts} AS \"transaction_timestamp\", {ts} AS \"statement_timestamp\""
        )
    );
    assert_eq!(
        sqlite("SELECT clock_timestamp(), pg_catalog.now()"),
        format!("SELECT {ts} AS \"clock_timestamp\", {ts} AS \"now\"")
    );
    assert_eq!(
        sqlite("SELECT CURRENT_DATE"),
        "SELECT '2026-11-22' AS \"current_date\""
    );
    assert_eq!(
        sqlite("SELECT LOCALTIMESTAMP"),
        "SELECT '2026-11-22 03:17:34.426123' AS \"localtimestamp\""
    );
    assert_eq!(
        sqlite("SELECT CURRENT_TIME, LOCALTIME"),
        "SELECT '03:17:34.426123+00' AS \"current_time\", \
         '03:17:34.426123' AS \"localtime\""
    );
    let t = tr("SELECT now(), clock_timestamp(), LOCALTIMESTAMP, CURRENT_DATE, LOCALTIME");
    assert!(!t.needs_database);
    assert_eq!(
        t.column_types,
        vec![
            Some(PgType::Timestamptz),
            Some(PgType::Timestamptz),
            Some(PgType::Timestamp),
            Some(PgType::Date),
            Some(PgType::Time)
        ]
    );
    assert!(!sqlite("SELECT * FROM t WHERE at < now()").contains("'now'"));
}

#[test]
fn clock_precision_rounds() {
    assert_eq!(
        sqlite("SELECT current_timestamp(3), CURRENT_TIMESTAMP(0), LOCALTIMESTAMP(2)"),
        "SELECT '2026-11-22 03:17:34.426+00' AS \"current_timestamp\", \
         '2026-11-22 03:17:34+00' AS \"current_timestamp\", \
         '2026-11-22 03:17:34.43' AS \"localtimestamp\""
    );
    assert_eq!(
        sqlite("SELECT CURRENT_TIME(1), LOCALTIME(5), CURRENT_TIMESTAMP(6)"),
        "SELECT '03:17:34.4+00' AS \"current_time\", \
         '03:17:34.42612' AS \"localtime\", \
         '2026-11-22 03:17:34.426123+00' AS \"current_timestamp\""
    );
    // PostgreSQL reduces a precision above 6 to 6 (with a warning).
    assert_eq!(
        sqlite("SELECT CURRENT_TIMESTAMP(9)"),
        "SELECT '2026-11-22 03:17:34.426123+00' AS \"current_timestamp\""
    );
    for sql in ["SELECT CURRENT_TIMESTAMP($1)", "SELECT LOCALTIME(1.5)"] {
        assert!(matches!(err(sql), SqlError::Syntax { .. }), "{sql}");
    }
    // Only the SQL-standard clocks take a precision.
    assert_eq!(
        err("SELECT clock_timestamp(3)"),
        SqlError::UndefinedFunction {
            name: "clock_timestamp".into()
        }
    );
}

#[test]
fn clocks_in_stored_definitions_read_sqlite_clock() {
    assert_eq!(
        sqlite(
            "CREATE TABLE t (a timestamptz DEFAULT clock_timestamp(), b time DEFAULT LOCALTIME(3))"
        ),
        "CREATE TABLE t (a TIMESTAMPTZ_TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00', 'n' || 'ow')), \
         b TIME_TEXT DEFAULT (strftime('%H:%M:%f', 'n' || 'ow')))"
    );
    // A table created from a query stores the values, not the clock.
    assert_eq!(
        sqlite("CREATE TABLE t AS SELECT now() AS at"),
        "CREATE TABLE t AS SELECT '2026-11-22 03:17:34.426123+00' AS at"
    );
}

#[test]
fn pg_catalog_prefix_is_stripped() {
    assert_eq!(
        sqlite("SELECT pg_catalog.length(name) FROM t"),
        "SELECT length(name) AS \"length\" FROM t"
    );
}

#[test]
fn renamed_functions() {
    assert_eq!(
        sqlite("SELECT char_length(a), strpos(a, 'x'), btrim(a) FROM t"),
        "SELECT length(a) AS \"char_length\", instr(a, 'x') AS \"strpos\", \
         trim(a) AS \"btrim\" FROM t"
    );
    assert_eq!(
        sqlite("SELECT random()"),
        "SELECT CASE (abs(random()) / 9223372036854775808.0) WHEN 9e999 THEN 'Infinity' \
         WHEN -9e999 THEN '-Infinity' ELSE (abs(random()) / 9223372036854775808.0) END \
         AS \"random\""
    );
}

#[test]
fn boolean_aggregates_and_array_agg() {
    assert_eq!(
        sqlite("SELECT bool_and(a), every(a), bool_or(a) FILTER (WHERE b) FROM t"),
        "SELECT min(a) AS \"bool_and\", min(a) AS \"every\", \
         max(a) FILTER (WHERE b) AS \"bool_or\" FROM t"
    );
    let out = sqlite("SELECT array_agg(a ORDER BY b DESC) FROM t");
    assert!(
        out.starts_with("SELECT '{' || group_concat(CASE WHEN a IS NULL"),
        "{out}"
    );
    assert!(
        out.ends_with(", ',' ORDER BY b DESC NULLS FIRST) || '}' AS \"array_agg\" FROM t"),
        "{out}"
    );
    assert_unsupported("SELECT array_agg(DISTINCT a) FROM t", "array_agg(DISTINCT");
    assert_eq!(
        sqlite("SELECT string_agg(DISTINCT a, ',' ORDER BY a) FROM t"),
        "SELECT group_concat(DISTINCT a ORDER BY a NULLS LAST) AS \"string_agg\" FROM t"
    );
    assert_unsupported(
        "SELECT string_agg(DISTINCT a, '-') FROM t",
        "string_agg(DISTINCT",
    );
}

#[test]
fn sql_standard_forms_become_calls() {
    assert_eq!(
        sqlite("SELECT substring(a FROM 2 FOR 3), substring(a, 2), position('x' IN a) FROM t"),
        "SELECT substr(a, 2, 3) AS \"substring\", substr(a, 2) AS \"substring\", \
         instr(a, 'x') AS \"position\" FROM t"
    );
    assert_eq!(
        sqlite("SELECT trim(a), trim(leading 'x' FROM a), ceil(b), floor(b) FROM t"),
        "SELECT trim(a) AS \"btrim\", ltrim(a, 'x') AS \"ltrim\", \
         (CAST(b AS INTEGER) + (b > CAST(b AS INTEGER))) AS \"ceil\", \
         (CAST(b AS INTEGER) - (b < CAST(b AS INTEGER))) AS \"floor\" FROM t"
    );
}

#[test]
fn sqlite_functions_and_aggregates_pass_through() {
    assert_eq!(
        sqlite(
            "SELECT count(*), sum(x) FILTER (WHERE x > 0), coalesce(a, b), \
                row_number() OVER (PARTITION BY a) FROM t GROUP BY a, b"
        ),
        "SELECT count(*) AS \"count\", sum(x) FILTER (WHERE x > 0) AS \"sum\", \
         coalesce(a, b) AS \"coalesce\", \
         row_number() OVER (PARTITION BY a) AS \"row_number\" FROM t GROUP BY a, b"
    );
}

#[test]
fn postgres_functions_without_translation_are_unsupported() {
    assert_unsupported("SELECT nextval('s') + 1", "function nextval()");
    assert_unsupported(
        "SELECT regexp_replace('a', 'b', 'c')",
        "function regexp_replace()",
    );
}

#[test]
fn unknown_functions_are_undefined() {
    assert_eq!(
        err("SELECT frobnicate(1)"),
        SqlError::UndefinedFunction {
            name: "frobnicate".into()
        }
    );
    assert_eq!(
        err("SELECT load_extension('x')"),
        SqlError::UndefinedFunction {
            name: "load_extension".into()
        }
    );
}

#[test]
fn other_schemas_and_within_group_are_refused() {
    assert_unsupported("SELECT myschema.f(1)", "schema-qualified function");
    assert_unsupported(
        "SELECT rank(1) WITHIN GROUP (ORDER BY x) FROM t",
        "WITHIN GROUP",
    );
}
