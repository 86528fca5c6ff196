//! `x::T`, `CAST(x AS T)` and typed literals (`DATE '2026-01-01'`) become
//! `CAST(x AS <SQLite type>)`, with boolean and 'now' literals folded.

use sqlparser::ast::{CastKind, DataType, Expr, Value};

use super::{Rewriter, functions, number, params, types};
use crate::sql::{PgType, SqlError};

/// Spellings PostgreSQL accepts for boolean input (case-insensitive).
const TRUE_WORDS: &[&str] = &["t", "true", "y", "yes", "on", "1"];
const FALSE_WORDS: &[&str] = &["f", "false", "n", "no", "off", "0"];

/// Rewrite a `Cast` or `TypedString` expression in place.
pub(super) fn rewrite_cast(rw: &mut Rewriter<'_>, expr: &mut Expr) -> Result<(), SqlError> {
    let (inner, data_type) = match expr {
        Expr::Cast {
            kind,
            expr: inner,
            data_type,
            format,
        } => {
            if matches!(kind, CastKind::TryCast | CastKind::SafeCast) || format.is_some() {
                return Err(SqlError::unsupported(format!("cast form `{expr}`")));
            }
            (
                std::mem::replace(inner.as_mut(), number("0")),
                data_type.clone(),
            )
        }
        Expr::TypedString(ts) => (Expr::Value(ts.value.clone()), ts.data_type.clone()),
        _ => return Ok(()),
    };
    *expr = cast(rw, inner, &data_type)?;
    Ok(())
}

fn cast(rw: &mut Rewriter<'_>, inner: Expr, data_type: &DataType) -> Result<Expr, SqlError> {
    let (sqlite_type, pg) = types::cast_target(data_type)?;
    if let Some(index) = params::param_index(&inner) {
        rw.params.note_type(index, pg);
    }
    if let Some(text) = string_literal(&inner)
        && let Some(folded) = fold_literal(text, pg)?
    {
        return Ok(folded);
    }
    Ok(Expr::Cast {
        kind: CastKind::Cast,
        expr: Box::new(inner),
        data_type: sqlite_type,
        format: None,
    })
}

fn string_literal(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

/// Literals whose PostgreSQL reading SQLite's CAST would get wrong.
fn fold_literal(text: &str, pg: PgType) -> Result<Option<Expr>, SqlError> {
    match pg {
        PgType::Bool => {
            let word = text.trim().to_ascii_lowercase();
            if TRUE_WORDS.contains(&word.as_str()) {
                Ok(Some(number("1")))
            } else if FALSE_WORDS.contains(&word.as_str()) {
                Ok(Some(number("0")))
            } else {
                Err(SqlError::syntax(format!(
                    "invalid input syntax for type boolean: \"{text}\""
                )))
            }
        }
        PgType::Timestamp | PgType::Timestamptz | PgType::Date => {
            let word = text.trim().to_ascii_lowercase();
            Ok(match (word.as_str(), pg) {
                ("now", PgType::Date) | ("today", PgType::Date) => Some(functions::current_date()),
                ("now", PgType::Timestamptz) => Some(functions::current_timestamp(true)),
                ("now", PgType::Timestamp) => Some(functions::current_timestamp(false)),
                _ => None,
            })
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::SqlError;
    use crate::sql::test_support::*;

    #[test]
    fn casts_map_to_sqlite_types() {
        assert_eq!(
            sqlite("SELECT a::int, b::bigint, c::float8, d::real, e::numeric(10,2)"),
            "SELECT CAST(a AS INTEGER), CAST(b AS INTEGER), CAST(c AS REAL), CAST(d AS REAL), \
             CAST(e AS NUMERIC)"
        );
        assert_eq!(
            sqlite("SELECT CAST(a AS varchar(10)), b::uuid, c::jsonb, d::timestamptz, e::bytea"),
            "SELECT CAST(a AS TEXT), CAST(b AS TEXT), CAST(c AS TEXT), CAST(d AS TEXT), \
             CAST(e AS BLOB)"
        );
    }

    #[test]
    fn boolean_literal_casts_fold_to_integers() {
        assert_eq!(
            sqlite("SELECT 't'::bool, 'TRUE'::boolean, 'yes'::bool, 'on'::bool, '1'::bool"),
            "SELECT 1, 1, 1, 1, 1"
        );
        assert_eq!(
            sqlite("SELECT 'f'::bool, 'False'::boolean, 'no'::bool, 'OFF'::bool, '0'::bool"),
            "SELECT 0, 0, 0, 0, 0"
        );
        assert_eq!(
            sqlite("SELECT flag::boolean"),
            "SELECT CAST(flag AS INTEGER)"
        );
    }

    #[test]
    fn bad_boolean_literal_is_refused() {
        match err("SELECT 'maybe'::bool") {
            SqlError::Syntax { message } => {
                assert_eq!(message, "invalid input syntax for type boolean: \"maybe\"")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn typed_literals_become_casts() {
        assert_eq!(
            sqlite("SELECT DATE '2026-01-02', TIMESTAMP '2026-01-02 03:04:05'"),
            "SELECT CAST('2026-01-02' AS TEXT), CAST('2026-01-02 03:04:05' AS TEXT)"
        );
        assert_eq!(sqlite("SELECT BOOLEAN 'true'"), "SELECT 1");
    }

    #[test]
    fn now_literals_use_the_clock() {
        assert_eq!(
            sqlite("SELECT 'now'::timestamptz, 'today'::date"),
            "SELECT strftime('%Y-%m-%d %H:%M:%f+00', 'now'), date('now')"
        );
    }

    #[test]
    fn object_identifier_casts_are_refused() {
        assert_unsupported("SELECT 't'::regclass", "cast to regclass");
        assert_unsupported("SELECT 'int4'::regtype", "cast to regtype");
        assert_unsupported("SELECT 1::oid", "cast to oid");
        assert_unsupported("SELECT x::inet", "cast to inet");
        assert_unsupported("SELECT '{1}'::int[]", "array");
    }

    #[test]
    fn nested_casts() {
        assert_eq!(
            sqlite("SELECT (a::text)::int"),
            "SELECT CAST((CAST(a AS TEXT)) AS INTEGER)"
        );
    }
}
