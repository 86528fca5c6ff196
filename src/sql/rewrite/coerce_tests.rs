//! Tests for string literals typed by the column they meet (`coerce.rs`).

use super::{bytea_hex, parse_bool};
use crate::sql::SqlError;
use crate::sql::test_support::*;

fn typed() -> TestSchema {
    schema_from(&[
        "CREATE TABLE t (id int PRIMARY KEY, flag boolean, data bytea, d date, \
         ts timestamp, tz timestamptz, note text)",
    ])
}

#[test]
fn insert_values_take_the_column_types() {
    assert_eq!(
        sqlite_with(
            "INSERT INTO t VALUES (1, 'yes', '\\x00ff', '2024-03-04', '2024-03-04', \
             '2024-03-04 05:06:07.89+01', 'true')",
            &typed()
        ),
        "INSERT INTO t VALUES (1, 1, X'00ff', '2024-03-04', '2024-03-04 00:00:00', \
         '2024-03-04 04:06:07.89+00', 'true')"
    );
    assert_eq!(
        sqlite_with(
            "INSERT INTO t (tz, flag) VALUES ('2024-01-01T00:30:00-02:30', 'off')",
            &typed()
        ),
        "INSERT INTO t (tz, flag) VALUES ('2024-01-01 03:00:00+00', 0)"
    );
}

#[test]
fn update_set_upsert_and_where_take_the_column_types() {
    assert_eq!(
        sqlite_with(
            "UPDATE t SET flag = 'f' WHERE flag = 't' AND id = 1",
            &typed()
        ),
        "UPDATE t SET flag = 0 WHERE flag = 1 AND id = 1"
    );
    assert_eq!(
        sqlite_with("SELECT id FROM t x WHERE x.flag IN ('t', 'n')", &typed()),
        "SELECT id FROM t x WHERE x.flag IN (1, 0)"
    );
    assert_eq!(
        sqlite_with("DELETE FROM t WHERE data = 'a\\\\b'", &typed()),
        "DELETE FROM t WHERE data = X'615c62'"
    );
    assert!(
        sqlite_with(
            "INSERT INTO t (id, flag) VALUES (1, 'true') \
             ON CONFLICT (id) DO UPDATE SET flag = 'false'",
            &typed()
        )
        .contains("SET flag = 0")
    );
}

#[test]
fn text_columns_and_unreadable_times_are_left_alone() {
    let out = sqlite_with(
        "INSERT INTO t (note, d) VALUES ('\\x00', 'today')",
        &typed(),
    );
    assert_eq!(out, "INSERT INTO t (note, d) VALUES ('\\x00', 'today')");
}

#[test]
fn bad_input_is_22p02() {
    assert!(matches!(
        err_with("INSERT INTO t (flag) VALUES ('maybe')", &typed()),
        SqlError::InvalidText { .. }
    ));
    assert!(matches!(
        err_with("INSERT INTO t (data) VALUES ('\\xabc')", &typed()),
        SqlError::InvalidText { .. }
    ));
}

#[test]
fn boolean_and_bytea_input_forms() {
    for t in ["t", "TRUE", " yes ", "y", "on", "1", "tr"] {
        assert_eq!(parse_bool(t), Ok(true), "{t}");
    }
    for f in ["f", "false", "no", "n", "off", "0", "of"] {
        assert_eq!(parse_bool(f), Ok(false), "{f}");
    }
    for bad in ["o", "", "2", "yess"] {
        assert!(parse_bool(bad).is_err(), "{bad}");
    }
    assert_eq!(bytea_hex("\\x DE ad").unwrap(), "dead");
    assert_eq!(bytea_hex("a\\000b").unwrap(), "610062");
    assert!(bytea_hex("\\9").is_err());
}

#[test]
fn uuid_and_bytea_literals_are_stored_as_postgres_stores_them() {
    let s = schema_from(&["CREATE TABLE k (id uuid PRIMARY KEY, b bytea)"]);
    assert_eq!(
        sqlite_with(
            "INSERT INTO k VALUES ('{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}', '\\x00FF'::bytea)",
            &s
        ),
        "INSERT INTO k VALUES ('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', X'00ff')"
    );
}

#[test]
fn number_columns_read_their_literals_as_numbers() {
    let schema = schema_from(&["CREATE TABLE n (id int, big int8, small int2, price numeric)"]);
    assert_eq!(
        sqlite_with(
            "INSERT INTO n VALUES (' 7 ', '-12', '+3', ' 1.50 ')",
            &schema
        ),
        "INSERT INTO n VALUES (7, -12, 3, 1.50)"
    );
    assert_eq!(
        sqlite_with("SELECT id FROM n WHERE price = 'NaN' AND id = '2'", &schema),
        "SELECT id FROM n WHERE price = 'NaN' AND id = 2"
    );
    for bad in [
        "INSERT INTO n (id) VALUES ('one')",
        "INSERT INTO n (id) VALUES ('1.5')",
        "INSERT INTO n (price) VALUES ('1.2.3')",
        "UPDATE n SET big = '' WHERE id = 1",
        "DELETE FROM n WHERE id = 'abc'",
    ] {
        assert!(
            matches!(err_with(bad, &schema), SqlError::InvalidText { .. }),
            "{bad}"
        );
    }
    assert!(matches!(
        err_with("INSERT INTO n (small) VALUES ('40000')", &schema),
        SqlError::OutOfRange { .. }
    ));
}

#[test]
fn numerics_a_real_cannot_hold_are_refused() {
    let schema = schema_from(&["CREATE TABLE n (a numeric, b numeric(30,10), c numeric(10,2))"]);
    let refused = err_with(
        "INSERT INTO n (b) VALUES (12345678901234567890.0123456789)",
        &schema,
    );
    assert!(
        refused.to_string().contains("15 significant digits"),
        "{refused}"
    );
    assert!(
        err_with("INSERT INTO n (a) VALUES (1.0 / 3)", &schema)
            .to_string()
            .contains("significant digits")
    );
    // Rounded to the column's scale first; trailing zeros cost nothing.
    sqlite_with("INSERT INTO n (c) VALUES (1.0 / 3)", &schema);
    sqlite_with("INSERT INTO n (a, b) VALUES (1e20, '0.10')", &schema);
}
