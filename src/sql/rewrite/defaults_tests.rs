//! Tests for INSERTs completed from the schema (`defaults.rs`) and the
//! time defaults written by DDL (`time_defaults.rs`).

use crate::sql::test_support::*;
use crate::sql::{ColumnInfo, NoSchema, Schema, SqlError};

/// The transaction time of the test context, as the defaults' literals.
const TS: &str = "'2026-11-22 03:17:34.426123+00'";
const DAY: &str = "'2026-11-22'";

fn events() -> TestSchema {
    schema_from(&[
        "CREATE TABLE events (id serial PRIMARY KEY, name text NOT NULL, \
         at timestamptz NOT NULL DEFAULT now(), day date DEFAULT CURRENT_DATE, \
         n int DEFAULT 0, note text)",
        "CREATE TABLE plain (a int, b text DEFAULT 'x')",
        "CREATE TABLE q (\"Created At\" timestamptz DEFAULT now(), \"order\" int)",
    ])
}

#[test]
fn mirrored_schema_holds_the_hidden_now_defaults() {
    let cols = events().columns("events").unwrap();
    assert_eq!(cols[2].name, "at");
    assert_eq!(cols[2].decl_type, "TIMESTAMPTZ_TEXT");
    assert_eq!(
        cols[2].default_expr.as_deref(),
        Some("strftime('%Y-%m-%d %H:%M:%f+00', 'n' || 'ow')")
    );
    assert_eq!(cols[3].default_expr.as_deref(), Some("date('n' || 'ow')"));
    assert!(cols[0].primary_key && cols[1].not_null);
}

#[test]
fn omitted_time_column_is_added_to_a_single_row() {
    assert_eq!(
        sqlite_with("INSERT INTO events (name) VALUES ('a')", &events()),
        format!("INSERT INTO events (name, at, day) VALUES ('a', {TS}, {DAY})")
    );
}

#[test]
fn omitted_time_column_is_added_to_every_row() {
    assert_eq!(
        sqlite_with(
            "INSERT INTO events (name, day) VALUES ('a', '2026-01-01'), ($1, NULL)",
            &events()
        ),
        format!(
            "INSERT INTO events (name, day, at) VALUES ('a', '2026-01-01', {TS}), (?1, NULL, {TS})"
        )
    );
}

#[test]
fn insert_select_gets_the_time_in_its_projection() {
    assert_eq!(
        sqlite_with(
            "INSERT INTO events (name, day) SELECT title, d FROM src WHERE ok",
            &events()
        ),
        format!("INSERT INTO events (name, day, at) SELECT title, d, {TS} FROM src WHERE ok")
    );
    assert_eq!(
        sqlite_with(
            "WITH s AS (SELECT 'a' AS n) INSERT INTO events (name, day) SELECT n, NULL FROM s",
            &events()
        ),
        format!(
            "WITH s AS (SELECT 'a' AS n) INSERT INTO events (name, day, at) \
             SELECT n, NULL, {TS} FROM s"
        )
    );
}

#[test]
fn insert_of_a_set_operation_is_wrapped() {
    assert_eq!(
        sqlite_with(
            "INSERT INTO events (name, day) SELECT 'a', NULL UNION SELECT 'b', NULL",
            &events()
        ),
        format!(
            "INSERT INTO events (name, day, at) SELECT *, {TS} FROM \
             (SELECT 'a', NULL UNION SELECT 'b', NULL)"
        )
    );
    assert_eq!(
        sqlite_with(
            "INSERT INTO events (name, day) (SELECT 'a', NULL) ON CONFLICT DO NOTHING",
            &events()
        ),
        format!(
            "INSERT INTO events (name, day, at) SELECT *, {TS} FROM \
             ((SELECT 'a', NULL)) WHERE 1 ON CONFLICT DO NOTHING"
        )
    );
}

#[test]
fn default_values_lists_the_time_columns() {
    assert_eq!(
        sqlite_with("INSERT INTO events DEFAULT VALUES RETURNING id", &events()),
        format!("INSERT INTO events (at, day) VALUES ({TS}, {DAY}) RETURNING id")
    );
    assert_eq!(
        sqlite_with("INSERT INTO plain DEFAULT VALUES", &events()),
        "INSERT INTO plain DEFAULT VALUES"
    );
}

#[test]
fn default_keyword_with_a_parameter() {
    let t = tr_with(
        "INSERT INTO events (at, name) VALUES (DEFAULT, $1) RETURNING at",
        &events(),
    );
    assert_eq!(
        t.sqlite.as_deref(),
        Some(
            format!("INSERT INTO events (name, at, day) VALUES (?1, {TS}, {DAY}) RETURNING at")
                .as_str()
        )
    );
    assert_eq!(t.param_count, 1);
}

#[test]
fn default_key_is_left_to_sqlite() {
    assert_eq!(
        sqlite_with(
            "INSERT INTO events (id, name, at, day) VALUES (DEFAULT, 'a', DEFAULT, '2026-01-01')",
            &events()
        ),
        format!("INSERT INTO events (name, day, at) VALUES ('a', '2026-01-01', {TS})")
    );
}

#[test]
fn default_in_some_rows_is_replaced_by_the_column_default() {
    assert_eq!(
        sqlite_with(
            "INSERT INTO events (id, name, at, n, day) VALUES \
             (DEFAULT, 'a', DEFAULT, DEFAULT, NULL), (7, 'b', $1, 5, DEFAULT)",
            &events()
        ),
        format!(
            "INSERT INTO events (id, name, at, n, day) VALUES \
             (NULL, 'a', {TS}, 0, NULL), (7, 'b', ?1, 5, {DAY})"
        )
    );
}

#[test]
fn rows_of_only_defaults() {
    assert_eq!(
        sqlite_with(
            "INSERT INTO plain (a, b) VALUES (DEFAULT, DEFAULT)",
            &events()
        ),
        "INSERT INTO plain DEFAULT VALUES"
    );
    assert_eq!(
        sqlite_with(
            "INSERT INTO plain (a, b) VALUES (DEFAULT, DEFAULT), (DEFAULT, DEFAULT)",
            &events()
        ),
        "INSERT INTO plain (a) VALUES (NULL), (NULL)"
    );
    assert_eq!(
        sqlite_with(
            "INSERT INTO plain (b, a) VALUES (DEFAULT, 1), ('y', 2)",
            &events()
        ),
        "INSERT INTO plain (b, a) VALUES ('x', 1), ('y', 2)"
    );
}

#[test]
fn short_values_without_a_column_list_get_one() {
    assert_eq!(
        sqlite_with("INSERT INTO events VALUES (DEFAULT, 'a')", &events()),
        format!("INSERT INTO events (name, at, day) VALUES ('a', {TS}, {DAY})")
    );
    assert_eq!(
        sqlite_with("INSERT INTO plain VALUES (1)", &events()),
        "INSERT INTO plain (a) VALUES (1)"
    );
    assert_eq!(
        sqlite_with("INSERT INTO plain VALUES (1, 'y')", &events()),
        "INSERT INTO plain VALUES (1, 'y')"
    );
    assert_eq!(
        sqlite_with("INSERT INTO plain SELECT a FROM other", &events()),
        "INSERT INTO plain (a) SELECT a FROM other"
    );
    assert_eq!(
        sqlite_with("INSERT INTO events SELECT * FROM other", &events()),
        "INSERT INTO events SELECT * FROM other"
    );
    assert_eq!(
        sqlite_with("INSERT INTO plain VALUES (1, 'y', 3)", &events()),
        "INSERT INTO plain VALUES (1, 'y', 3)"
    );
    assert!(matches!(
        err_with("INSERT INTO plain VALUES (1, DEFAULT, 3)", &events()),
        SqlError::Syntax { .. }
    ));
}

#[test]
fn explicit_time_values_are_untouched() {
    for sql in [
        "INSERT INTO events (name, at, day) VALUES ('a', $1, $2)",
        "INSERT INTO events (id, name, at, day, n, note) VALUES (1, 'a', $1, NULL, 2, NULL)",
    ] {
        let plain = sqlite(sql);
        assert_eq!(sqlite_with(sql, &events()), plain, "{sql}");
        assert!(!plain.contains("'now'"), "{plain}");
    }
}

#[test]
fn without_a_schema_nothing_changes() {
    let sql = "INSERT INTO events (name) VALUES ('a')";
    assert_eq!(
        sqlite_with(sql, &NoSchema),
        "INSERT INTO events (name) VALUES ('a')"
    );
    assert_eq!(sqlite(sql), sqlite_with(sql, &NoSchema));
    assert_eq!(
        sqlite_with("INSERT INTO unknown (a) VALUES (1)", &events()),
        "INSERT INTO unknown (a) VALUES (1)"
    );
    assert_eq!(
        sqlite("INSERT INTO events DEFAULT VALUES"),
        "INSERT INTO events DEFAULT VALUES"
    );
}

#[test]
fn default_without_a_schema_is_refused() {
    assert_unsupported(
        "INSERT INTO events (id, name) VALUES (DEFAULT, 'a')",
        "DEFAULT in VALUES for a table pgrq has no schema for",
    );
    assert_eq!(
        err_with("INSERT INTO unknown (a) VALUES (DEFAULT)", &events()),
        SqlError::unsupported("DEFAULT in VALUES for a table pgrq has no schema for")
    );
}

#[test]
fn default_for_a_column_the_schema_lacks_is_refused() {
    match err_with(
        "INSERT INTO plain (a, zz) VALUES (1, DEFAULT), (2, 3)",
        &events(),
    ) {
        SqlError::Unsupported { construct } => assert!(construct.contains("\"zz\""), "{construct}"),
        other => panic!("{other:?}"),
    }
    // DEFAULT in every row: the column is simply left out.
    assert_eq!(
        sqlite_with("INSERT INTO plain (a, zz) VALUES (1, DEFAULT)", &events()),
        "INSERT INTO plain (a) VALUES (1)"
    );
}

#[test]
fn quoted_column_names_stay_quoted() {
    assert_eq!(
        sqlite_with("INSERT INTO q (\"order\") VALUES (1)", &events()),
        format!("INSERT INTO q (\"order\", \"Created At\") VALUES (1, {TS})")
    );
}

struct Native;

impl Schema for Native {
    fn columns(&self, table: &str) -> Option<Vec<ColumnInfo>> {
        let col = |name: &str, default: Option<&str>| ColumnInfo {
            name: name.into(),
            decl_type: "TEXT".into(),
            default_expr: default.map(str::to_string),
            not_null: false,
            primary_key: false,
        };
        (table == "logs").then(|| {
            vec![
                col("msg", None),
                col("at", Some("CURRENT_TIMESTAMP")),
                col(
                    "frozen",
                    Some("strftime('%Y-%m-%d %H:%M:%f+00', 2461366.624958)"),
                ),
            ]
        })
    }
}

#[test]
fn sqlite_clock_defaults_are_made_explicit_too() {
    assert_eq!(
        sqlite_with("INSERT INTO logs (msg) VALUES ('x')", &Native),
        "INSERT INTO logs (msg, at) VALUES ('x', '2026-11-22 03:17:34')"
    );
    // A default rqlite already froze is an ordinary default.
    assert_eq!(
        sqlite_with(
            "INSERT INTO logs (msg, frozen) VALUES ('x', DEFAULT), ('y', 'z')",
            &Native
        ),
        "INSERT INTO logs (msg, frozen, at) VALUES \
         ('x', strftime('%Y-%m-%d %H:%M:%f+00', 2461366.624958), '2026-11-22 03:17:34'), \
         ('y', 'z', '2026-11-22 03:17:34')"
    );
}

#[test]
fn ddl_hides_now_from_rqlite() {
    assert_eq!(
        sqlite(
            "CREATE TABLE t (a timestamptz DEFAULT CURRENT_TIMESTAMP, b time DEFAULT LOCALTIME, \
             c timestamp DEFAULT LOCALTIMESTAMP, d timestamptz DEFAULT 'now'::timestamptz, \
             e text DEFAULT 'now')"
        ),
        "CREATE TABLE t (a TIMESTAMPTZ_TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00', 'n' || 'ow')), \
         b TIME_TEXT DEFAULT (strftime('%H:%M:%f', 'n' || 'ow')), \
         c TIMESTAMP_TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'n' || 'ow')), \
         d TIMESTAMPTZ_TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00', 'n' || 'ow')), \
         e TEXT DEFAULT ('n' || 'ow'))"
    );
    assert_eq!(
        sqlite("ALTER TABLE t ADD COLUMN d date DEFAULT CURRENT_DATE"),
        "ALTER TABLE t ADD COLUMN d DATE_TEXT DEFAULT (date('n' || 'ow'))"
    );
}

#[test]
fn views_read_the_clock_when_queried() {
    assert_eq!(
        sqlite("CREATE VIEW recent AS SELECT * FROM t WHERE day >= CURRENT_DATE"),
        "CREATE VIEW recent AS SELECT * FROM t WHERE day >= date('n' || 'ow')"
    );
    // A query is not stored: it reads the transaction time.
    assert_eq!(
        sqlite("SELECT * FROM t WHERE day >= CURRENT_DATE"),
        format!("SELECT * FROM t WHERE day >= {DAY}")
    );
}

#[test]
fn each_kind_of_time_default_gets_its_literal() {
    let schema = schema_from(&[
        "CREATE TABLE k (id int, tz timestamptz DEFAULT CURRENT_TIMESTAMP(3), \
         ts timestamp DEFAULT LOCALTIMESTAMP, d date DEFAULT 'now'::date, \
         ttz timetz DEFAULT CURRENT_TIME, t time DEFAULT LOCALTIME, \
         c timestamptz DEFAULT clock_timestamp())",
    ]);
    let out = sqlite_with("INSERT INTO k (id) VALUES (1)", &schema);
    assert_eq!(
        out,
        format!(
            "INSERT INTO k (id, tz, ts, d, ttz, t, c) VALUES (1, {TS}, \
             '2026-11-22 03:17:34.426123', {DAY}, '03:17:34.426123+00', '03:17:34.426123', {TS})"
        )
    );
}

#[test]
fn defaults_are_read_at_the_context_time() {
    let ctx = ctx().with_now(951_782_400_000_000); // 2000-02-29 00:00:00
    let out = crate::sql::translate_with("INSERT INTO events (name) VALUES ('a')", &ctx, &events());
    assert_eq!(
        out.unwrap()[0].sqlite.as_deref(),
        Some(
            "INSERT INTO events (name, at, day) VALUES ('a', '2000-02-29 00:00:00+00', '2000-02-29')"
        )
    );
}

struct SqliteClocks;

impl Schema for SqliteClocks {
    fn columns(&self, table: &str) -> Option<Vec<ColumnInfo>> {
        let col = |name: &str, default: Option<&str>| ColumnInfo {
            name: name.into(),
            decl_type: "TEXT".into(),
            default_expr: default.map(str::to_string),
            not_null: false,
            primary_key: false,
        };
        (table == "clocks").then(|| {
            vec![
                col("id", None),
                col("d", Some("CURRENT_DATE")),
                col("t", Some("CURRENT_TIME")),
                col("dt", Some("datetime('now')")),
                col("tt", Some("time('NOW')")),
                col("local", Some("datetime('now', 'localtime')")),
                col("epoch", Some("strftime('%s', 'n' || 'ow')")),
            ]
        })
    }
}

#[test]
fn sqlite_time_defaults_become_what_sqlite_would_store() {
    let out = sqlite_with("INSERT INTO clocks (id) VALUES (1)", &SqliteClocks);
    assert_eq!(
        out,
        "INSERT INTO clocks (id, d, t, dt, tt, local, epoch) VALUES (1, '2026-11-22', \
         '03:17:34', '2026-11-22 03:17:34', '03:17:34', \
         datetime('2026-11-22 03:17:34.426123', 'localtime'), \
         strftime('%s', '2026-11-22 03:17:34.426123'))"
    );
    assert!(!out.to_lowercase().contains("'now'"), "{out}");
    // DEFAULT in VALUES gives the same values.
    assert_eq!(
        sqlite_with(
            "INSERT INTO clocks (id, dt, local) VALUES (1, DEFAULT, DEFAULT), (2, 'x', 'y')",
            &SqliteClocks
        ),
        "INSERT INTO clocks (id, dt, local, d, t, tt, epoch) VALUES \
         (1, '2026-11-22 03:17:34', datetime('2026-11-22 03:17:34.426123', 'localtime'), \
         '2026-11-22', '03:17:34', '03:17:34', strftime('%s', '2026-11-22 03:17:34.426123')), \
         (2, 'x', 'y', '2026-11-22', '03:17:34', '03:17:34', \
         strftime('%s', '2026-11-22 03:17:34.426123'))"
    );
}

#[test]
fn update_set_default_takes_the_column_default() {
    let schema = schema_from(&["CREATE TABLE u (id int, n int DEFAULT 5, note text)"]);
    assert_eq!(
        sqlite_with(
            "UPDATE u SET n = DEFAULT, note = DEFAULT WHERE id = 1",
            &schema
        ),
        "UPDATE u SET n = 5, note = NULL WHERE id = 1"
    );
}
