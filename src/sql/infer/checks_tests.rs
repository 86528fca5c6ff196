//! Tests for the static checks and `pg_typeof` (`checks.rs`).

use crate::sql::SqlError;
use crate::sql::test_support::*;

fn schema() -> TestSchema {
    schema_from(&[
        "CREATE TABLE e (id int PRIMARY KEY, v text, n numeric(10,2), b boolean)",
        "CREATE TABLE s (region text, qty int, product varchar(10))",
    ])
}

#[test]
fn pg_typeof_names_the_static_type() {
    let out = sqlite_with(
        "SELECT pg_typeof(1), pg_typeof(1.5), pg_typeof('a'), pg_typeof(2147483648), \
         pg_typeof(id), pg_typeof(product), pg_typeof(1::float8 * 2) FROM e, s",
        &schema(),
    );
    for name in [
        "'integer'",
        "'numeric'",
        "'unknown'",
        "'bigint'",
        "'character varying'",
        "'double precision'",
    ] {
        assert!(out.contains(name), "{name}: {out}");
    }
    // The argument is still evaluated: an aggregate keeps the query grouped.
    let out = sqlite_with("SELECT pg_typeof(sum(qty)) FROM s", &schema());
    assert!(out.contains("sum(qty) IS NULL THEN 'bigint'"), "{out}");
    assert_unsupported("SELECT pg_typeof(x) FROM nowhere", "pg_typeof");
}

#[test]
fn mismatched_branches_are_42804() {
    for sql in [
        "SELECT CASE WHEN true THEN 1 ELSE 'x'::text END",
        "SELECT coalesce(id, v) FROM e",
        "SELECT CASE WHEN b THEN b ELSE 1 END FROM e",
    ] {
        assert!(
            matches!(err_with(sql, &schema()), SqlError::DatatypeMismatch { .. }),
            "{sql}"
        );
    }
    // Untyped literals adapt; numbers widen.
    sqlite_with(
        "SELECT CASE WHEN b THEN 1 ELSE 2.5 END, coalesce(v, 'x'), coalesce(n, 0) FROM e",
        &schema(),
    );
}

#[test]
fn operators_between_type_families_are_42883() {
    for sql in [
        "SELECT * FROM e WHERE id = 'abc'::text",
        "SELECT id + v FROM e",
        "SELECT * FROM e WHERE b = 1",
    ] {
        assert!(
            matches!(err_with(sql, &schema()), SqlError::UndefinedOperator { .. }),
            "{sql}"
        );
    }
    sqlite_with(
        "SELECT * FROM e WHERE v = 'x' AND id = 2 AND n > 1 AND v || id = 'a1'",
        &schema(),
    );
}

#[test]
fn untyped_literals_must_read_as_the_other_operand() {
    assert!(matches!(
        err_with("SELECT 'a' + 1", &schema()),
        SqlError::InvalidText { .. }
    ));
    assert!(matches!(
        err_with(
            "SELECT e1.id FROM e e1 JOIN e e2 ON e1.id = e2.id WHERE e2.id = 'x'",
            &schema()
        ),
        SqlError::InvalidText { .. }
    ));
    sqlite_with("SELECT '5' + 1, n * '2.5' FROM e", &schema());
}

#[test]
fn ungrouped_columns_are_42803() {
    for sql in [
        "SELECT region, qty FROM s GROUP BY region",
        "SELECT qty, count(*) FROM s",
        "SELECT region FROM s GROUP BY product HAVING qty > 1",
    ] {
        match err_with(sql, &schema()) {
            SqlError::Grouping { message } => assert!(message.contains("s."), "{message}"),
            other => panic!("{sql}: {other:?}"),
        }
    }
    for sql in [
        "SELECT region, count(*) FROM s GROUP BY 1",
        "SELECT upper(region) AS r, sum(qty) FROM s GROUP BY r",
        "SELECT lower(region), max(qty) FROM s GROUP BY lower(region)",
        "SELECT s.region, count(*) FROM s GROUP BY region ORDER BY 1",
        "SELECT id, v, count(*) FROM e GROUP BY id",
        "SELECT count(*), (SELECT max(qty) FROM s) FROM e",
        "SELECT region, qty FROM s",
        "SELECT region, sum(qty) OVER () FROM s",
    ] {
        sqlite_with(sql, &schema());
    }
}
