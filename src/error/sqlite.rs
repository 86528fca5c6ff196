//! SQLite's message text (as rqlite returns it) read back as the PostgreSQL error a client
//! expects: constraint failures (UNIQUE, NOT NULL, CHECK, FOREIGN KEY, pgrq's own named
//! CHECKs), errors a translated statement raised on purpose, and the common SQLite
//! failures. Only message text in, [`PgError`] out; it must not import session or wire
//! code, and name/shape messages belong to `sqlite_names`.

use super::{PgError, codes, sqlite_names};

/// Maps an error message produced by SQLite (as rqlite returns it) to a PostgreSQL error
/// with the SQLSTATE and wording a PostgreSQL client expects.
pub fn from_sqlite(message: &str) -> PgError {
    let msg = message.trim();
    if let Some(e) = raised(msg) {
        return e;
    }
    if let Some(e) = sqlite_names::name_error(msg) {
        return e;
    }
    if let Some(index) = msg
        .strip_prefix("UNIQUE constraint failed: index '")
        .and_then(|r| r.strip_suffix('\''))
    {
        // A unique index on expressions: SQLite names the index, not the columns.
        let mut e = PgError::new(
            codes::UNIQUE_VIOLATION,
            format!("duplicate key value violates unique constraint \"{index}\""),
        );
        e.fields.constraint = Some(index.to_string());
        return e;
    }
    if let Some(rest) = msg.strip_prefix("UNIQUE constraint failed: ") {
        let (table, cols) = split_table_columns(rest);
        let constraint = format!("{table}_{}_key", cols.join("_"));
        let mut e = PgError::new(
            codes::UNIQUE_VIOLATION,
            format!("duplicate key value violates unique constraint \"{constraint}\""),
        )
        .with_detail(format!("Key ({}) already exists.", cols.join(", ")));
        e.fields.table = Some(table);
        e.fields.constraint = Some(constraint);
        return e;
    }
    if let Some(rest) = msg.strip_prefix("NOT NULL constraint failed: ") {
        let (table, cols) = split_table_columns(rest);
        let column = cols.into_iter().next().unwrap_or_default();
        let mut e = PgError::new(
            codes::NOT_NULL_VIOLATION,
            format!(
                "null value in column \"{column}\" of relation \"{table}\" violates not-null constraint"
            ),
        );
        e.fields.table = Some(table);
        e.fields.column = Some(column);
        return e;
    }
    if let Some(rest) = msg.strip_prefix("foreign key mismatch - ") {
        // `"c" referencing "p"`: the referenced columns are not a key of the parent.
        let parent = rest
            .rsplit(" referencing ")
            .next()
            .unwrap_or(rest)
            .trim_matches('"');
        return PgError::new(
            codes::INVALID_FOREIGN_KEY,
            format!(
                "there is no unique constraint matching given keys for referenced table \"{parent}\""
            ),
        );
    }
    if msg.starts_with("FOREIGN KEY constraint failed") {
        return PgError::new(
            codes::FOREIGN_KEY_VIOLATION,
            "insert, update or delete violates a foreign key constraint",
        );
    }
    if let Some(rest) = msg.strip_prefix("CHECK constraint failed: ") {
        if let Some(e) = pgrq_check(rest) {
            return e;
        }
        let mut e = PgError::new(
            codes::CHECK_VIOLATION,
            format!("new row violates check constraint \"{rest}\""),
        );
        e.fields.constraint = Some(rest.to_string());
        return e;
    }
    if let Some(t) = msg.strip_prefix("no such table: ") {
        let t = t.strip_prefix("main.").unwrap_or(t);
        let t = t
            .strip_prefix(crate::sql::markers::SEQUENCE_TABLE)
            .unwrap_or(t);
        return PgError::new(
            codes::UNDEFINED_TABLE,
            format!("relation \"{t}\" does not exist"),
        );
    }
    if let Some(v) = msg.strip_prefix("no such view: ") {
        let v = v.strip_prefix("main.").unwrap_or(v);
        return PgError::new(
            codes::UNDEFINED_TABLE,
            format!("view \"{v}\" does not exist"),
        );
    }
    if let Some(i) = msg.strip_prefix("no such index: ") {
        let i = i.strip_prefix("main.").unwrap_or(i);
        return PgError::new(
            codes::UNDEFINED_OBJECT,
            format!("index \"{i}\" does not exist"),
        );
    }
    if let Some(c) = msg.strip_prefix("no such column: ") {
        return PgError::new(
            codes::UNDEFINED_COLUMN,
            format!("column \"{c}\" does not exist"),
        );
    }
    if let Some(c) = msg.strip_prefix("no such function: ") {
        return PgError::new(
            codes::UNDEFINED_FUNCTION,
            format!("function {c} does not exist"),
        );
    }
    if let Some(rest) = msg.strip_prefix("table ")
        && let Some(t) = rest.strip_suffix(" already exists")
    {
        let bare = t.trim_matches('"');
        if let Some(s) = bare.strip_prefix(crate::sql::markers::SEQUENCE_TABLE) {
            return PgError::new(
                codes::DUPLICATE_TABLE,
                format!("relation \"{s}\" already exists"),
            );
        }
        return PgError::new(
            codes::DUPLICATE_TABLE,
            format!("relation \"{bare}\" already exists"),
        );
    }
    if let Some(rest) = msg.strip_prefix("index ")
        && let Some(i) = rest.strip_suffix(" already exists")
    {
        return PgError::new(
            codes::DUPLICATE_TABLE,
            format!("relation \"{}\" already exists", i.trim_matches('"')),
        );
    }
    if msg.contains("syntax error") || msg.starts_with("incomplete input") {
        return PgError::new(codes::SYNTAX_ERROR, msg.to_string());
    }
    if msg.starts_with("datatype mismatch") {
        return PgError::new(codes::DATATYPE_MISMATCH, msg.to_string());
    }
    if msg.contains("readonly database") || msg.contains("read-only") {
        return PgError::new(codes::READ_ONLY_SQL_TRANSACTION, msg.to_string());
    }
    if msg.contains("constraint failed") {
        return PgError::new(codes::INTEGRITY_CONSTRAINT_VIOLATION, msg.to_string());
    }
    PgError::new(codes::INTERNAL_ERROR, msg.to_string())
}

/// An error a translated statement raised on purpose (see `sql::rewrite::build::raise`):
/// SQLite reports it as `bad JSON path: 'pgrq:<SQLSTATE>:<message>'`.
fn raised(msg: &str) -> Option<PgError> {
    let rest = msg
        .strip_prefix("bad JSON path: 'pgrq:")?
        .strip_suffix('\'')?;
    let (code, text) = rest.split_once(':')?;
    let code = [
        codes::DIVISION_BY_ZERO,
        codes::INVALID_TEXT_REPRESENTATION,
        codes::NUMERIC_VALUE_OUT_OF_RANGE,
        codes::INVALID_PARAMETER_VALUE,
        codes::INVALID_ARGUMENT_FOR_POWER,
        codes::INVALID_ARGUMENT_FOR_LOG,
        codes::SUBSTRING_ERROR,
        codes::INVALID_DATETIME_FORMAT,
        codes::DATETIME_FIELD_OVERFLOW,
        codes::FEATURE_NOT_SUPPORTED,
        codes::CARDINALITY_VIOLATION,
    ]
    .into_iter()
    .find(|c| *c == code)?;
    // SQLite quotes the path with %Q, doubling single quotes.
    Some(PgError::new(code, text.replace("''", "'")))
}

/// The error PostgreSQL gives where one of pgrq's own CHECK constraints failed (see
/// `sql::markers`), identified by its name.
fn pgrq_check(name: &str) -> Option<PgError> {
    use crate::sql::markers as m;
    if let Some(n) = name.strip_prefix(m::VARCHAR_CHECK) {
        return Some(PgError::new(
            codes::STRING_DATA_RIGHT_TRUNCATION,
            format!("value too long for type character varying({n})"),
        ));
    }
    if let Some(n) = name.strip_prefix(m::BPCHAR_CHECK) {
        return Some(PgError::new(
            codes::STRING_DATA_RIGHT_TRUNCATION,
            format!("value too long for type character({n})"),
        ));
    }
    if let Some((p, s)) = name
        .strip_prefix(m::NUMERIC_CHECK)
        .and_then(|ps| ps.split_once('_'))
    {
        let (p, s) = (p.parse::<u32>().ok()?, s.parse::<u32>().ok()?);
        let detail = if p > s {
            format!(
                "A field with precision {p}, scale {s} must round to an absolute value less than 10^{}.",
                p - s
            )
        } else {
            format!(
                "A field with precision {p}, scale {s} must round to an absolute value less than 1."
            )
        };
        return Some(
            PgError::new(codes::NUMERIC_VALUE_OUT_OF_RANGE, "numeric field overflow")
                .with_detail(detail),
        );
    }
    if let Some(t) = name.strip_prefix(m::INVALID_CHECK) {
        let t = crate::sql::PgType::from_decl(t);
        let shown = match t {
            crate::sql::PgType::Int2 => "smallint",
            crate::sql::PgType::Int4 => "integer",
            crate::sql::PgType::Int8 => "bigint",
            crate::sql::PgType::Float4 => "real",
            crate::sql::PgType::Float8 => "double precision",
            _ => "numeric",
        };
        return Some(PgError::new(
            codes::INVALID_TEXT_REPRESENTATION,
            format!("invalid input syntax for type {shown}"),
        ));
    }
    if let Some(t) = name.strip_prefix(m::ENUM_CHECK) {
        return Some(PgError::new(
            codes::INVALID_TEXT_REPRESENTATION,
            format!("invalid input value for enum {t}"),
        ));
    }
    if let Some(s) = name.strip_prefix(m::SEQUENCE_MAX_CHECK) {
        return Some(PgError::new(
            codes::SEQUENCE_GENERATOR_LIMIT_EXCEEDED,
            format!("nextval: reached maximum value of sequence \"{s}\""),
        ));
    }
    if let Some(s) = name.strip_prefix(m::SEQUENCE_MIN_CHECK) {
        return Some(PgError::new(
            codes::SEQUENCE_GENERATOR_LIMIT_EXCEEDED,
            format!("nextval: reached minimum value of sequence \"{s}\""),
        ));
    }
    None
}

/// `t.a, t.b` → (`t`, [`a`, `b`]).
fn split_table_columns(s: &str) -> (String, Vec<String>) {
    let mut table = String::new();
    let mut cols = Vec::new();
    for part in s.split(',') {
        let part = part.trim();
        match part.split_once('.') {
            Some((t, c)) => {
                table = t.to_string();
                cols.push(c.to_string());
            }
            None => cols.push(part.to_string()),
        }
    }
    (table, cols)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_violation_names_constraint_and_table() {
        let e = from_sqlite("UNIQUE constraint failed: users.email");
        assert_eq!(e.code, "23505");
        assert_eq!(e.fields.constraint.as_deref(), Some("users_email_key"));
        assert_eq!(e.fields.table.as_deref(), Some("users"));
        assert!(e.message.contains("\"users_email_key\""));
        let e = from_sqlite("UNIQUE constraint failed: t.a, t.b");
        assert_eq!(e.fields.constraint.as_deref(), Some("t_a_b_key"));
        assert_eq!(
            e.fields.detail.as_deref(),
            Some("Key (a, b) already exists.")
        );
    }

    #[test]
    fn raised_errors_keep_their_sqlstate() {
        let e = from_sqlite("bad JSON path: 'pgrq:22012:division by zero'");
        assert_eq!((e.code, e.message.as_str()), ("22012", "division by zero"));
        let e = from_sqlite(
            "bad JSON path: 'pgrq:22P02:invalid input syntax for type integer: \"x''y\"'",
        );
        assert_eq!(e.code, "22P02");
        assert_eq!(e.message, "invalid input syntax for type integer: \"x'y\"");
        assert_eq!(from_sqlite("bad JSON path: '$.x'").code, "XX000");
    }

    #[test]
    fn common_sqlite_errors() {
        let cases = [
            ("NOT NULL constraint failed: t.name", "23502"),
            ("FOREIGN KEY constraint failed", "23503"),
            ("CHECK constraint failed: positive", "23514"),
            ("no such table: nope", "42P01"),
            ("no such table: main.nope", "42P01"),
            ("no such column: zz", "42703"),
            ("no such function: frob", "42883"),
            ("table t already exists", "42P07"),
            ("near \"SELEC\": syntax error", "42601"),
            ("something odd", "XX000"),
        ];
        for (msg, code) in cases {
            assert_eq!(from_sqlite(msg).code, code, "{msg}");
        }
        assert_eq!(
            from_sqlite("no such table: main.nope").message,
            "relation \"nope\" does not exist"
        );
        let e = from_sqlite("NOT NULL constraint failed: t.name");
        assert_eq!(e.fields.column.as_deref(), Some("name"));
    }

    #[test]
    fn pgrq_constraints_read_back_as_postgres_errors() {
        let cases = [
            (
                "CHECK constraint failed: pgrq_varchar_20",
                "22001",
                "value too long for type character varying(20)",
            ),
            (
                "CHECK constraint failed: pgrq_bpchar_2",
                "22001",
                "value too long for type character(2)",
            ),
            (
                "CHECK constraint failed: pgrq_numeric_5_2",
                "22003",
                "numeric field overflow",
            ),
            (
                "CHECK constraint failed: pgrq_enum_mood",
                "22P02",
                "invalid input value for enum mood",
            ),
            (
                "CHECK constraint failed: pgrq_seqmax_s",
                "2200H",
                "nextval: reached maximum value of sequence \"s\"",
            ),
            (
                "no such table: pgrq_seq_s",
                "42P01",
                "relation \"s\" does not exist",
            ),
            (
                "table \"pgrq_seq_s\" already exists",
                "42P07",
                "relation \"s\" already exists",
            ),
            ("no such view: v", "42P01", "view \"v\" does not exist"),
            (
                "no such index: main.i",
                "42704",
                "index \"i\" does not exist",
            ),
        ];
        for (msg, code, text) in cases {
            let e = from_sqlite(msg);
            assert_eq!((e.code, e.message.as_str()), (code, text), "{msg}");
        }
        assert_eq!(
            from_sqlite("CHECK constraint failed: pgrq_numeric_5_2")
                .fields
                .detail
                .as_deref(),
            Some(
                "A field with precision 5, scale 2 must round to an absolute value less than 10^3."
            )
        );
    }
}
