//! Casts whose SQLite CAST gives a silently different answer: to integer
//! types (SQLite truncates 2.5 to 2, reads 'abc' as 0 and saturates
//! overflow; PostgreSQL rounds half away from zero, raises 22P02 and
//! 22003), to boolean (PostgreSQL reads 'yes', 'off', …) and to float or
//! numeric ('abc' is 0 in SQLite, 22P02 in PostgreSQL). Constants are
//! checked here; other values by a CASE that SQLite evaluates.

use sqlparser::ast::Expr;

use super::build::{literal_str, raise};
use super::template::fill;
use super::{number, params};
use crate::sql::{PgType, SqlError};

/// The checked cast of `inner` to `pg`, or `None` when SQLite's CAST
/// already agrees with PostgreSQL.
pub(super) fn checked(inner: &Expr, pg: PgType) -> Result<Option<Expr>, SqlError> {
    let range = match pg {
        PgType::Int2 => Some(("smallint", i64::from(i16::MIN), i64::from(i16::MAX))),
        PgType::Int4 => Some(("integer", i64::from(i32::MIN), i64::from(i32::MAX))),
        PgType::Int8 => Some(("bigint", i64::MIN, i64::MAX)),
        _ => None,
    };
    // Parameters arrive already decoded as the type the cast names.
    if params::param_index(inner).is_some() {
        return Ok(None);
    }
    if let Some((name, lo, hi)) = range {
        return Ok(Some(to_integer(inner, name, lo, hi)?));
    }
    match pg {
        PgType::Uuid => Ok(Some(uuid(inner)?)),
        PgType::Json | PgType::Jsonb => {
            Ok(Some(super::json::checked_cast(inner, pg == PgType::Jsonb)?))
        }
        PgType::Bool => Ok(Some(fill(
            TO_BOOL,
            &[inner.clone(), invalid("boolean", inner)],
        )?)),
        PgType::Float4 | PgType::Float8 | PgType::Numeric => {
            if number_literal(inner).is_some() {
                return Ok(None);
            }
            let name = if pg == PgType::Numeric {
                "numeric"
            } else {
                "double precision"
            };
            if let Some(text) = literal_str(inner) {
                if pg == PgType::Numeric
                    && matches!(
                        text.trim()
                            .to_ascii_lowercase()
                            .trim_start_matches(['+', '-']),
                        "nan" | "infinity" | "inf"
                    )
                {
                    return Err(SqlError::unsupported(
                        "numeric NaN and Infinity (pgrq holds numerics as SQLite REALs)",
                    ));
                }
                return Ok(Some(match float_literal(text) {
                    Some(n) => number(&n),
                    None => invalid(name, inner),
                }));
            }
            let sqlite_type = if pg == PgType::Numeric {
                "NUMERIC"
            } else {
                "REAL"
            };
            let specials = if pg == PgType::Numeric {
                ""
            } else {
                FLOAT_SPECIALS
            };
            let sql = TO_NUMBER
                .replace("SQLITE_TYPE", sqlite_type)
                .replace("FLOAT_SPECIALS", specials);
            Ok(Some(fill(&sql, &[inner.clone(), invalid(name, inner)])?))
        }
        _ => Ok(None),
    }
}

/// uuid input: 32 hex digits, optionally hyphenated (8-4-4-4-12) or
/// braced; printed lower case and hyphenated.
pub(super) fn uuid(inner: &Expr) -> Result<Expr, SqlError> {
    if let Some(text) = literal_str(inner) {
        let t = text.trim();
        let t = t
            .strip_prefix('{')
            .and_then(|x| x.strip_suffix('}'))
            .unwrap_or(t);
        let hex: String = t.chars().filter(|c| *c != '-').collect();
        let hyphens_ok =
            !t.contains('-') || t.split('-').map(str::len).collect::<Vec<_>>() == [8, 4, 4, 4, 12];
        if hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()) && hyphens_ok {
            let h = hex.to_ascii_lowercase();
            return Ok(super::string(&format!(
                "{}-{}-{}-{}-{}",
                &h[..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..]
            )));
        }
        return Ok(invalid("uuid", inner));
    }
    fill("lower(pgrq_arg1)", std::slice::from_ref(inner))
}

fn invalid(type_name: &str, inner: &Expr) -> Expr {
    let shown = match literal_str(inner) {
        Some(text) => format!("\"{text}\""),
        None => "(value)".to_string(),
    };
    raise(
        "22P02",
        &format!("invalid input syntax for type {type_name}: {shown}"),
    )
}

fn out_of_range(type_name: &str) -> Expr {
    raise("22003", &format!("{type_name} out of range"))
}

/// A number rounded half away from zero, text checked as an optionally
/// signed run of digits, then the range.
const TO_INTEGER: &str = "CASE WHEN pgrq_arg1 IS NULL THEN NULL \
     WHEN typeof(pgrq_arg1) = 'integer' THEN CASE WHEN pgrq_arg1 BETWEEN pgrq_arg4 AND pgrq_arg5 \
     THEN pgrq_arg1 ELSE pgrq_arg3 END \
     WHEN typeof(pgrq_arg1) = 'real' THEN CASE WHEN pgrq_arg1 > pgrq_arg4 - 0.5 \
     AND pgrq_arg1 < pgrq_arg5 + 0.5 AND abs(pgrq_arg1) < 9.2e18 \
     THEN CAST(round(pgrq_arg1) AS INTEGER) ELSE pgrq_arg3 END \
     WHEN length(trim(pgrq_arg1)) > 0 AND NOT glob('*[^0-9]*', \
     CASE WHEN substr(trim(pgrq_arg1), 1, 1) IN ('+', '-') THEN substr(trim(pgrq_arg1), 2) \
     ELSE trim(pgrq_arg1) END) AND length(trim(pgrq_arg1, '+-')) > 0 \
     THEN CASE WHEN length(ltrim(trim(pgrq_arg1, '+- '), '0')) <= 19 \
     AND CAST(trim(pgrq_arg1) AS INTEGER) BETWEEN pgrq_arg4 AND pgrq_arg5 \
     THEN CAST(trim(pgrq_arg1) AS INTEGER) ELSE pgrq_arg3 END \
     ELSE pgrq_arg2 END";

const TO_BOOL: &str = "CASE WHEN pgrq_arg1 IS NULL THEN NULL \
     WHEN typeof(pgrq_arg1) = 'integer' THEN pgrq_arg1 <> 0 \
     WHEN lower(trim(pgrq_arg1)) IN ('t', 'true', 'y', 'yes', 'on', '1') THEN 1 \
     WHEN lower(trim(pgrq_arg1)) IN ('f', 'false', 'n', 'no', 'off', '0') THEN 0 \
     ELSE pgrq_arg2 END";

/// Text must look like a number (digits, one point, an exponent).
const TO_NUMBER: &str = "CASE WHEN pgrq_arg1 IS NULL THEN NULL \
     WHEN typeof(pgrq_arg1) IN ('integer', 'real') THEN CAST(pgrq_arg1 AS SQLITE_TYPE) \
     WHEN glob('*[0-9]*', pgrq_arg1) AND NOT glob('*[^0-9.eE+ -]*', pgrq_arg1) \
     AND CAST(trim(pgrq_arg1) AS SQLITE_TYPE) || '' <> '' \
     AND NOT glob('*[0-9.][+-]*', trim(pgrq_arg1)) AND NOT glob('*.*.*', pgrq_arg1) \
     THEN CAST(trim(pgrq_arg1) AS SQLITE_TYPE) FLOAT_SPECIALS ELSE pgrq_arg2 END";

/// PostgreSQL's spellings of NaN and ±Infinity, as pgrq stores them (`sql::floats`).
const FLOAT_SPECIALS: &str = "WHEN lower(trim(pgrq_arg1)) IN ('nan', '+nan', '-nan') THEN 'NaN' \
     WHEN lower(trim(pgrq_arg1)) IN ('inf', '+inf', 'infinity', '+infinity') THEN 9e999 \
     WHEN lower(trim(pgrq_arg1)) IN ('-inf', '-infinity') THEN -9e999";

fn to_integer(inner: &Expr, name: &str, lo: i64, hi: i64) -> Result<Expr, SqlError> {
    if let Some(n) = number_literal(inner) {
        // An integer literal in range stays; a decimal one is rounded now.
        return Ok(match n.parse::<i64>() {
            Ok(i) if (lo..=hi).contains(&i) => return Ok(inner.clone()),
            Ok(_) => out_of_range(name),
            Err(_) => match n.parse::<f64>() {
                Ok(f) if f.round() >= lo as f64 && f.round() <= hi as f64 && f.abs() < 9.2e18 => {
                    number(&format!("{}", f.round() as i64))
                }
                _ => out_of_range(name),
            },
        });
    }
    if let Some(text) = literal_str(inner) {
        return Ok(match text.trim().parse::<i64>() {
            Ok(n) if (lo..=hi).contains(&n) => number(&n.to_string()),
            Ok(_) => out_of_range(name),
            Err(_)
                if text
                    .trim()
                    .trim_start_matches(['+', '-'])
                    .bytes()
                    .all(|b| b.is_ascii_digit())
                    && !text.trim().is_empty() =>
            {
                out_of_range(name)
            }
            Err(_) => invalid(name, inner),
        });
    }
    fill(
        TO_INTEGER,
        &[
            inner.clone(),
            invalid(name, inner),
            out_of_range(name),
            number(&lo.to_string()),
            number(&hi.to_string()),
        ],
    )
}

/// The text of a number literal (`2`, `2.5`, `-2.5`).
fn number_literal(e: &Expr) -> Option<String> {
    match e {
        Expr::Value(v) => match &v.value {
            sqlparser::ast::Value::Number(n, _) => Some(n.clone()),
            _ => None,
        },
        Expr::Nested(inner) => number_literal(inner),
        Expr::UnaryOp {
            op: sqlparser::ast::UnaryOperator::Minus,
            expr,
        } => number_literal(expr).map(|n| format!("-{n}")),
        _ => None,
    }
}

/// A float or numeric literal's text as a number literal, if valid.
fn float_literal(text: &str) -> Option<String> {
    let t = text.trim();
    let f: f64 = t.parse().ok()?;
    if !f.is_finite() {
        return None;
    }
    let digits = t.trim_start_matches('+');
    let digits = if digits.starts_with('.') {
        format!("0{digits}")
    } else if let Some(rest) = digits.strip_prefix("-.") {
        format!("-0.{rest}")
    } else {
        digits.to_string()
    };
    let digits = match digits.strip_suffix('.') {
        Some(d) => d.to_string(),
        None => digits,
    };
    Some(digits)
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn integer_literals_are_checked_now() {
        assert_eq!(
            sqlite("SELECT 2.5::int, (-2.5)::int, 7::int2"),
            "SELECT 3 AS \"int4\", -3 AS \"int4\", 7 AS \"int2\""
        );
        assert!(sqlite("SELECT 70000::int2").contains("smallint out of range"));
        assert_eq!(sqlite("SELECT ' 42 '::int"), "SELECT 42 AS \"int4\"");
        assert_eq!(
            sqlite("SELECT 'x'::int"),
            "SELECT json_extract('null', 'pgrq:22P02:invalid input syntax for type integer: \"x\"') \
             AS \"int4\""
        );
        assert!(sqlite("SELECT '3000000000'::int").contains("pgrq:22003:integer out of range"));
        assert_eq!(
            sqlite("SELECT '3000000000'::int8"),
            "SELECT 3000000000 AS \"int8\""
        );
    }

    #[test]
    fn other_integer_casts_are_checked_by_sqlite() {
        let out = sqlite("SELECT a::int FROM t");
        assert!(
            out.contains("typeof(a) = 'real'") && out.contains("pgrq:22P02"),
            "{out}"
        );
        assert_eq!(
            sqlite("SELECT $1::int8"),
            "SELECT CAST(?1 AS INTEGER) AS \"int8\""
        );
    }

    #[test]
    fn uuid_casts() {
        assert_eq!(
            sqlite("SELECT 'A0EEBC999C0B4EF8BB6D6BB9BD380A11'::uuid"),
            "SELECT 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' AS \"uuid\""
        );
        assert!(sqlite("SELECT 'not-a-uuid'::uuid").contains("pgrq:22P02"));
    }

    #[test]
    fn boolean_and_number_casts() {
        assert!(sqlite("SELECT a::bool FROM t").contains("'yes'"));
        assert_eq!(
            sqlite("SELECT '.5'::float8, ' 2.'::numeric"),
            "SELECT 0.5 AS \"float8\", '2' AS \"numeric\""
        );
        assert!(sqlite("SELECT 'x'::numeric").contains("pgrq:22P02"));
        assert_unsupported("SELECT 'NaN'::numeric", "NaN");
        let out = sqlite("SELECT s::float8 FROM t");
        assert!(
            out.contains("THEN 'NaN'") && out.contains("THEN -9e999"),
            "{out}"
        );
        assert!(sqlite("SELECT a::numeric FROM t").contains("CAST(a AS NUMERIC)"));
    }
}
