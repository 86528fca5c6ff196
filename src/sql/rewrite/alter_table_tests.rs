//! Tests for ALTER TABLE by table rebuild (`alter_table.rs`, `rebuild.rs`).

use crate::sql::test_support::*;
use crate::sql::{SqlError, StatementKind};

fn shop() -> crate::mirror::Mirror {
    mirror_from(&[
        "CREATE TABLE users (id bigserial PRIMARY KEY, email varchar(50) NOT NULL, \
         age int DEFAULT 0, note text)",
        "CREATE INDEX users_email_idx ON users (email)",
        "CREATE VIEW adults AS SELECT id FROM users WHERE age >= 18",
        "CREATE TABLE orders (id serial PRIMARY KEY, user_id bigint REFERENCES users (id))",
    ])
}

#[test]
fn alter_column_type_rebuilds_and_keeps_indexes_views_and_key_counter() {
    let t = tr_with(
        "ALTER TABLE users ALTER COLUMN age TYPE numeric(5,1)",
        &shop(),
    );
    assert_eq!(
        (t.kind, t.tag.as_str()),
        (StatementKind::Ddl, "ALTER TABLE")
    );
    let sql = t.sqlite.unwrap();
    let stmts: Vec<&str> = sql.split(";\n").collect();
    assert_eq!(
        stmts[0],
        "CREATE TABLE \"pgrq_old_users\" AS SELECT * FROM \"users\""
    );
    assert_eq!(stmts[1], "PRAGMA defer_foreign_keys = 1");
    assert_eq!(
        stmts[2],
        "CREATE TABLE \"pgrq_old_seq_users\" AS SELECT seq FROM sqlite_sequence WHERE name = 'users'"
    );
    assert_eq!(stmts[3], "DROP TABLE \"users\"");
    assert!(stmts[4].starts_with("CREATE TABLE \"users\" (id INTEGER CONSTRAINT \"pgrq_type_int8\" PRIMARY KEY AUTOINCREMENT"), "{}", stmts[4]);
    assert!(stmts[4].contains(
        "age NUMERIC(5,1) DEFAULT 0 CONSTRAINT \"pgrq_numeric_5_1\" CHECK (\"age\" IS NULL OR abs(round(\"age\", 1)) < 1e4)"
    ), "{}", stmts[4]);
    assert_eq!(
        stmts[5],
        "INSERT INTO \"users\" (\"id\", \"email\", \"age\", \"note\") \
         SELECT \"id\", \"email\", \"age\", \"note\" FROM \"pgrq_old_users\""
    );
    assert_eq!(stmts[6], "DROP TABLE \"pgrq_old_users\"");
    assert!(stmts[7].starts_with("UPDATE sqlite_sequence SET seq = max(seq"));
    assert!(stmts[8].starts_with("INSERT INTO sqlite_sequence"));
    assert_eq!(stmts[9], "DROP TABLE \"pgrq_old_seq_users\"");
    assert!(stmts[10].starts_with("CREATE INDEX users_email_idx"));
    assert_eq!(stmts.len(), 11);
    for s in stmts {
        check_sqlite(s);
    }
}

#[test]
fn not_null_default_and_constraints() {
    let m = shop();
    let sql = sqlite_with(
        "ALTER TABLE users ALTER COLUMN note SET NOT NULL, ALTER COLUMN age DROP DEFAULT, \
         ALTER COLUMN email DROP NOT NULL, ADD CONSTRAINT adult CHECK (age >= 0), \
         ADD COLUMN seen timestamptz DEFAULT now()",
        &m,
    );
    assert!(sql.contains("note TEXT NOT NULL"), "{sql}");
    assert!(sql.contains("age INT,"), "{sql}");
    assert!(sql.contains("email VARCHAR(50) CONSTRAINT"), "{sql}");
    assert!(sql.contains("CONSTRAINT adult CHECK (age >= 0)"), "{sql}");
    assert!(
        sql.contains(
            "seen TIMESTAMPTZ_TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00', 'n' || 'ow'))"
        ),
        "{sql}"
    );
    let sql = sqlite_with(
        "ALTER TABLE users ADD CHECK (age < 200), ADD COLUMN k int CHECK (k > 0)",
        &m,
    );
    assert!(
        sql.contains("CONSTRAINT users_age_check CHECK (age < 200)"),
        "{sql}"
    );
    assert!(
        sql.contains("k INT CONSTRAINT users_k_check CHECK (k > 0)"),
        "{sql}"
    );
    let sql = sqlite_with(
        "ALTER TABLE users ALTER COLUMN note SET DEFAULT 'x' || 'y'",
        &m,
    );
    assert!(sql.contains("note TEXT DEFAULT ('x' || 'y')"), "{sql}");
}

#[test]
fn types_without_an_assignment_cast_need_using() {
    let m = shop();
    match err_with("ALTER TABLE users ALTER COLUMN note TYPE int", &m) {
        SqlError::CannotCastAutomatically { column, type_name } => {
            assert_eq!((column.as_str(), type_name.as_str()), ("note", "int"))
        }
        other => panic!("{other:?}"),
    }
    assert!(
        sqlite_with(
            "ALTER TABLE users ALTER COLUMN note TYPE int USING note::int",
            &m
        )
        .contains("note INT")
    );
    assert!(sqlite_with("ALTER TABLE users ALTER COLUMN age TYPE text", &m).contains("age TEXT"));
    assert!(
        sqlite_with("ALTER TABLE users ALTER COLUMN note TYPE varchar(9)", &m)
            .contains("note VARCHAR(9)")
    );
}

#[test]
fn values_are_converted_as_postgres_converts_them() {
    let m = mirror_from(&["CREATE TABLE v (r numeric(6,2), s text)"]);
    let sql = sqlite_with("ALTER TABLE v ALTER COLUMN r TYPE int", &m);
    assert!(
        sql.contains("SELECT CAST(round(\"r\") AS INTEGER), \"s\" FROM"),
        "{sql}"
    );
    let sql = sqlite_with(
        "ALTER TABLE v ALTER COLUMN s TYPE bigint USING s::bigint",
        &m,
    );
    assert!(
        sql.ends_with(
            "CREATE TABLE \"pgrq_guard\" (v NUMERIC CONSTRAINT \"pgrq_invalid_int8\" \
         CHECK (typeof(v) IN ('integer', 'null')));\n\
         INSERT INTO \"pgrq_guard\" (v) SELECT \"s\" FROM \"v\";\nDROP TABLE \"pgrq_guard\""
        ),
        "{sql}"
    );
}

#[test]
fn rebuild_refusals() {
    let m = mirror_from(&[
        "CREATE TABLE p (id int PRIMARY KEY, n int)",
        "CREATE TABLE c (p_id int REFERENCES p (id) ON DELETE CASCADE)",
    ]);
    assert_unsupported_with(
        "ALTER TABLE p ALTER COLUMN n SET NOT NULL",
        &m,
        "ON DELETE action",
    );
    assert_unsupported_with(
        "ALTER TABLE c ALTER COLUMN p_id TYPE text USING p_id || 'x'",
        &m,
        "USING",
    );
    assert_unsupported_with(
        "ALTER TABLE p ALTER COLUMN id TYPE bigint",
        &m,
        "primary key",
    );
    assert!(matches!(
        err_with("ALTER TABLE nope ALTER COLUMN a SET NOT NULL", &m),
        SqlError::UndefinedTable { .. }
    ));
}

fn assert_unsupported_with(sql: &str, schema: &dyn crate::sql::Schema, needle: &str) {
    match err_with(sql, schema) {
        SqlError::Unsupported { construct } => assert!(construct.contains(needle), "{construct}"),
        other => panic!("{sql}: {other:?}"),
    }
}

#[test]
fn if_exists_forms_are_resolved_against_the_schema() {
    let m = shop();
    assert_eq!(
        sqlite_with("ALTER TABLE IF EXISTS nope ADD COLUMN a int", &m),
        "SELECT 1"
    );
    assert_eq!(
        sqlite_with("ALTER TABLE users ADD COLUMN IF NOT EXISTS age int", &m),
        "SELECT 1"
    );
    assert_eq!(
        sqlite_with(
            "ALTER TABLE IF EXISTS users ADD COLUMN IF NOT EXISTS x int",
            &m
        ),
        "ALTER TABLE users ADD COLUMN x INT"
    );
    assert_eq!(
        sqlite_with("ALTER TABLE users DROP COLUMN IF EXISTS zz", &m),
        "SELECT 1"
    );
    let sql = sqlite_with("ALTER TABLE users DROP COLUMN IF EXISTS note", &m);
    assert!(
        sql.contains("SELECT \"id\", \"email\", \"age\" FROM"),
        "{sql}"
    );
}

#[test]
fn dropping_an_indexed_column_drops_its_index() {
    let m = shop();
    let sql = sqlite_with("ALTER TABLE orders DROP COLUMN user_id", &m);
    assert!(
        sql.contains("CREATE TABLE \"orders\" (id INTEGER PRIMARY KEY AUTOINCREMENT)"),
        "{sql}"
    );
    let sql = sqlite_with("ALTER TABLE users DROP COLUMN email, DROP COLUMN note", &m);
    assert!(!sql.contains("users_email_idx"), "{sql}");
    assert!(
        sql.contains("INSERT INTO \"users\" (\"id\", \"age\") SELECT \"id\", \"age\""),
        "{sql}"
    );
    match err_with("ALTER TABLE users DROP COLUMN age, DROP COLUMN note", &m) {
        SqlError::DependentObjects { detail, .. } => {
            assert_eq!(detail, "view adults depends on column age of table users")
        }
        other => panic!("{other:?}"),
    }
}
