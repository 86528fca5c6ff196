//! Tests for sequences (`sequences.rs`).

use crate::sql::test_support::*;
use crate::sql::{PgType, SequenceOp, SqlError, StatementKind};

#[test]
fn create_sequence_writes_a_table_with_its_options() {
    let t = tr("CREATE SEQUENCE public.order_no INCREMENT BY 5 MAXVALUE 1000 START WITH 100 CYCLE");
    assert_eq!(
        (t.kind, t.tag.as_str()),
        (StatementKind::Ddl, "CREATE SEQUENCE")
    );
    let sql = t.sqlite.unwrap();
    assert!(sql.starts_with(
        "CREATE TABLE \"pgrq_seq_order_no\" (last_value INTEGER NOT NULL, start_value"
    ));
    assert!(sql.contains("CONSTRAINT \"pgrq_seqmax_order_no\" CHECK (last_value <= max_value)"));
    assert!(sql.ends_with(
        "INSERT INTO \"pgrq_seq_order_no\" SELECT 100, 100, 5, 1, 1000, 1, 0, 'bigint' \
         WHERE NOT EXISTS (SELECT 1 FROM \"pgrq_seq_order_no\")"
    ));
    let down = sqlite("CREATE SEQUENCE IF NOT EXISTS d AS integer INCREMENT -1");
    assert!(down.starts_with("CREATE TABLE IF NOT EXISTS \"pgrq_seq_d\""));
    assert!(down.contains("SELECT -1, -1, -1, -2147483648, -1, 0, 0, 'integer'"));
}

#[test]
fn options_in_any_order_as_pg_dump_writes_them() {
    let sql = sqlite(
        "CREATE SEQUENCE public.t_id_seq AS integer START WITH 1 INCREMENT BY 1 \
         NO MINVALUE NO MAXVALUE CACHE 1",
    );
    assert!(
        sql.contains("SELECT 1, 1, 1, 1, 2147483647, 0, 0, 'integer'"),
        "{sql}"
    );
}

#[test]
fn bad_sequence_options_are_refused_as_postgres_does() {
    for (sql, msg) in [
        (
            "CREATE SEQUENCE s INCREMENT 0",
            "INCREMENT must not be zero",
        ),
        (
            "CREATE SEQUENCE s START 0",
            "START value (0) cannot be less than MINVALUE (1)",
        ),
        (
            "CREATE SEQUENCE s MINVALUE 5 MAXVALUE 5",
            "MINVALUE (5) must be less than MAXVALUE (5)",
        ),
        (
            "CREATE SEQUENCE s AS smallint MAXVALUE 40000",
            "out of range",
        ),
    ] {
        match err(sql) {
            SqlError::InvalidParameter { message } => {
                assert!(message.contains(msg), "{sql}: {message}")
            }
            other => panic!("{sql}: {other:?}"),
        }
    }
    assert_unsupported("CREATE TEMPORARY SEQUENCE s", "TEMPORARY SEQUENCE");
}

#[test]
fn sequence_functions_are_session_operations() {
    let t = tr("SELECT nextval('Public.\"Ord\"'::regclass)");
    assert_eq!(t.sequence, Some(SequenceOp::Next("Ord".into())));
    assert_eq!(
        (t.kind, t.returning, t.tag.as_str()),
        (StatementKind::Write, true, "SELECT")
    );
    assert_eq!(t.column_types, vec![Some(PgType::Int8)]);
    let sql = t.sqlite.unwrap();
    assert!(sql.starts_with("UPDATE \"pgrq_seq_Ord\" SET is_called = 1, last_value = CASE"));
    assert!(sql.ends_with("RETURNING last_value AS \"nextval\""));
    let t = tr("SELECT setval('s', 42, false) AS v");
    assert_eq!(t.sequence, Some(SequenceOp::Set("s".into())));
    assert_eq!(
        t.sqlite.as_deref(),
        Some(
            "UPDATE \"pgrq_seq_s\" SET last_value = 42, is_called = 0 \
             WHERE 42 BETWEEN min_value AND max_value RETURNING 42 AS \"v\""
        )
    );
    let t = tr("SELECT currval('S')");
    assert_eq!(t.sequence, Some(SequenceOp::Current("s".into())));
    assert_eq!(t.kind, StatementKind::Query);
    assert_eq!(tr("SELECT lastval()").sequence, Some(SequenceOp::Last));
    assert_unsupported(
        "SELECT nextval('s') FROM t",
        "nextval() outside a plain SELECT",
    );
    assert_unsupported("SELECT nextval(name) ", "sequence argument");
}

#[test]
fn drop_sequence_drops_each_table() {
    assert_eq!(
        sqlite("DROP SEQUENCE IF EXISTS a, public.b CASCADE"),
        "DROP TABLE IF EXISTS \"pgrq_seq_a\";\nDROP TABLE IF EXISTS \"pgrq_seq_b\""
    );
}

#[test]
fn sequences_live_in_the_mirror() {
    let m = mirror_from(&["CREATE SEQUENCE s", "CREATE TABLE t (a int)"]);
    assert!(crate::sql::Schema::columns(&m, "pgrq_seq_s").is_some());
    match err_with("CREATE SEQUENCE t", &m) {
        SqlError::DuplicateObject {
            message,
            relation: true,
        } => {
            assert_eq!(message, "relation \"t\" already exists")
        }
        other => panic!("{other:?}"),
    }
}
