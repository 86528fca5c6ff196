//! Tests for PostgreSQL's output column names (`names.rs`).

use sqlparser::ast::{SelectItem, SetExpr, Statement};

use super::output_name;
use crate::sql::parse::parse;
use crate::sql::test_support::*;

/// PostgreSQL's name for the single item of `SELECT <item>`.
fn pg_name(item: &str) -> Option<String> {
    let sql = format!("SELECT {item}");
    let Some(Statement::Query(q)) = parse(&sql).unwrap().pop() else {
        panic!("{sql}");
    };
    let SetExpr::Select(s) = *q.body else {
        panic!("{sql}");
    };
    let Some(SelectItem::UnnamedExpr(e)) = s.projection.into_iter().next() else {
        panic!("{sql}");
    };
    output_name(&e)
}

#[test]
fn functions_are_named_without_schema() {
    assert_eq!(pg_name("count(*)").as_deref(), Some("count"));
    assert_eq!(pg_name("pg_catalog.version()").as_deref(), Some("version"));
    assert_eq!(pg_name("NOW()").as_deref(), Some("now"));
    assert_eq!(
        pg_name("sum(x) OVER (PARTITION BY y)").as_deref(),
        Some("sum")
    );
    assert_eq!(pg_name("coalesce(a, 1)").as_deref(), Some("coalesce"));
}

#[test]
fn casts_take_the_inner_name_or_the_type_name() {
    let cases = [
        ("x::int", "x"),
        ("t.x::text", "x"),
        ("lower(x)::varchar", "lower"),
        ("'1'::int", "int4"),
        ("'1'::integer", "int4"),
        ("1::bigint", "int8"),
        ("'t'::boolean", "bool"),
        ("'a'::text", "text"),
        ("'a'::varchar(10)", "varchar"),
        ("'a'::char(2)", "bpchar"),
        ("1::double precision", "float8"),
        ("1::real", "float4"),
        ("'x'::timestamp with time zone", "timestamptz"),
        ("'x'::time with time zone", "timetz"),
        ("'x'::pg_catalog.int2", "int2"),
        ("CAST('1' AS numeric(10, 2))", "numeric"),
        ("'1'::text::int", "int4"),
        ("DATE '2026-01-01'", "date"),
        ("true", "bool"),
        ("true::int", "int4"),
    ];
    for (item, want) in cases {
        assert_eq!(pg_name(item).as_deref(), Some(want), "{item}");
    }
}

#[test]
fn keywords_and_special_forms() {
    let cases = [
        ("current_user", "current_user"),
        ("session_user", "session_user"),
        ("current_schema", "current_schema"),
        ("current_catalog", "current_catalog"),
        ("CURRENT_DATE", "current_date"),
        ("current_timestamp", "current_timestamp"),
        ("localtimestamp", "localtimestamp"),
        ("EXISTS (SELECT 1)", "exists"),
        ("NOT EXISTS (SELECT 1)", "?column?"),
        ("ARRAY[1, 2]", "array"),
        ("CASE WHEN a THEN 1 END", "case"),
        ("CASE WHEN a THEN 1 ELSE b END", "b"),
        ("CASE WHEN a THEN 1 ELSE 2::int END", "case"),
        ("(SELECT max(a) FROM t)", "max"),
        ("(SELECT a AS total FROM t)", "total"),
        ("(SELECT 1)", "?column?"),
        ("((count(*)))", "count"),
        ("trim(a)", "btrim"),
        ("trim(leading 'x' FROM a)", "ltrim"),
        ("substring(a FROM 2)", "substring"),
        ("position('x' IN a)", "position"),
        ("1", "?column?"),
        ("a + 1", "?column?"),
        ("a = b", "?column?"),
        ("NULL", "?column?"),
        ("$1", "?column?"),
        ("-1", "?column?"),
    ];
    for (item, want) in cases {
        assert_eq!(pg_name(item).as_deref(), Some(want), "{item}");
    }
    assert_eq!(pg_name("(SELECT * FROM t)"), None);
}

#[test]
fn aggregate_and_session_functions_get_aliases() {
    assert_eq!(
        sqlite("SELECT count(*) FROM t"),
        "SELECT count(*) AS \"count\" FROM t"
    );
    assert_eq!(
        sqlite("SELECT version()"),
        "SELECT 'PostgreSQL 16.0 (pgrq 0.1.0 on SQLite)' AS \"version\""
    );
    assert_eq!(
        sqlite("SELECT current_user"),
        "SELECT 'alice' AS \"current_user\""
    );
}

#[test]
fn literals_and_operators_are_unnamed() {
    assert_eq!(sqlite("SELECT 1"), "SELECT 1 AS \"?column?\"");
    assert_eq!(
        sqlite("SELECT a + 1 FROM t"),
        "SELECT a + 1 AS \"?column?\" FROM t"
    );
}

#[test]
fn casts_and_case_in_the_output() {
    assert_eq!(
        sqlite("SELECT x::text FROM t"),
        "SELECT CAST(x AS TEXT) AS \"x\" FROM t"
    );
    assert_eq!(sqlite("SELECT '1'::int"), "SELECT 1 AS \"int4\"");
    assert_eq!(
        sqlite("SELECT CASE WHEN a > 0 THEN 'p' ELSE 'n' END FROM t"),
        "SELECT CASE WHEN a > 0 THEN 'p' ELSE 'n' END AS \"case\" FROM t"
    );
}

#[test]
fn aliases_columns_and_stars_are_left_alone() {
    for sql in [
        "SELECT sum(n) AS total FROM t",
        "SELECT * FROM t",
        "SELECT t.* FROM t",
        "SELECT a, t.b, \"C\" FROM t",
    ] {
        assert_eq!(sqlite(sql), sql);
    }
    assert_eq!(sqlite("SELECT (a) FROM t"), "SELECT (a) FROM t");
}

#[test]
fn quotes_in_names_are_escaped() {
    assert_eq!(
        sqlite("SELECT \"we\"\"ird\"::text FROM t"),
        "SELECT CAST(\"we\"\"ird\" AS TEXT) AS \"we\"\"ird\" FROM t"
    );
}

#[test]
fn only_the_leftmost_member_of_a_union_is_named() {
    assert_eq!(
        sqlite("SELECT count(*) FROM t UNION ALL SELECT count(*) FROM u"),
        "SELECT count(*) AS \"count\" FROM t UNION ALL SELECT count(*) FROM u"
    );
}

#[test]
fn returning_lists_are_named() {
    assert_eq!(
        sqlite("INSERT INTO t (a) VALUES (1) RETURNING id, a::text, now()"),
        "INSERT INTO t (a) VALUES (1) RETURNING id, CAST(a AS TEXT) AS \"a\", \
         '2026-11-22 03:17:34.426123+00' AS \"now\""
    );
    assert_eq!(
        sqlite("DELETE FROM t RETURNING *, 1"),
        "DELETE FROM t RETURNING *, 1 AS \"?column?\""
    );
}

#[test]
fn derived_tables_ctes_and_created_tables_are_named() {
    assert_eq!(
        sqlite("SELECT s.count FROM (SELECT count(*) FROM t) AS s"),
        "SELECT s.count FROM (SELECT count(*) AS \"count\" FROM t) AS s"
    );
    assert_eq!(
        sqlite("WITH c AS (SELECT max(a) FROM t) SELECT max FROM c"),
        "WITH c AS (SELECT max(a) AS \"max\" FROM t) SELECT max FROM c"
    );
    assert_eq!(
        sqlite("WITH c (m) AS (SELECT max(a) FROM t) SELECT m FROM c"),
        "WITH c (m) AS (SELECT max(a) FROM t) SELECT m FROM c"
    );
    assert_eq!(
        sqlite("CREATE TABLE t2 AS SELECT a, count(*) FROM t GROUP BY a"),
        "CREATE TABLE t2 AS SELECT a, count(*) AS \"count\" FROM t GROUP BY a"
    );
    // Subqueries in expressions keep SQLite's names: nobody sees them.
    assert_eq!(
        sqlite("SELECT a FROM t WHERE a IN (SELECT max(b) FROM u)"),
        "SELECT a FROM t WHERE a IN (SELECT max(b) FROM u)"
    );
}
