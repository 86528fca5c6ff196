//! `x::T`, `CAST(x AS T)` and typed literals (`DATE '2026-01-01'`) become
//! `CAST(x AS <SQLite type>)`, with boolean and 'now' literals folded (the
//! latter to the transaction time, see `clock`).

use sqlparser::ast::{CastKind, DataType, Expr, Value};

use super::clock::{self, Clock};
use super::{Rewriter, build, checked_casts, number, params, time_literals, types};
use crate::sql::{PgType, SqlError, floats};

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

/// A numeric literal written with a point and no exponent (`1.50`, `007.`) as
/// PostgreSQL's numeric output prints it: its digits after the point kept, leading
/// zeros dropped.
fn decimal_literal_text(e: &Expr) -> Option<String> {
    let Expr::Value(v) = e else {
        return None;
    };
    let sqlparser::ast::Value::Number(n, _) = &v.value else {
        return None;
    };
    let (int, frac) = n.split_once('.')?;
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    Some(if frac.is_empty() {
        int.to_string()
    } else {
        format!("{int}.{frac}")
    })
}

fn cast(rw: &mut Rewriter<'_>, inner: Expr, data_type: &DataType) -> Result<Expr, SqlError> {
    if matches!(data_type, DataType::Array(_)) {
        if let Some(index) = params::param_index(&inner) {
            let pg = super::array_values::array_type(data_type).unwrap_or(PgType::Text);
            rw.params.note_type(index, pg);
        }
        if let Some(done) = super::array_values::cast(inner, data_type)? {
            return Ok(done);
        }
        return Err(SqlError::unsupported(format!(
            "cast to array type {data_type}"
        )));
    }
    let (sqlite_type, pg) = types::cast_target(data_type)?;
    if let Some(index) = params::param_index(&inner) {
        rw.params.note_type(index, pg);
    }
    if let Some(text) = string_literal(&inner)
        && let Some(folded) = fold_literal(rw, text, pg)?
    {
        return Ok(folded);
    }
    // float8 → integer rounds half to even (rint); numeric rounds half away
    // from zero, which the checked cast does.
    let inner = if matches!(pg, PgType::Int2 | PgType::Int4 | PgType::Int8) && is_float(rw, &inner)
    {
        super::template::fill(HALF_EVEN, &[inner])?
    } else {
        inner
    };
    if let Some(checked) = checked_casts::checked(&inner, pg)? {
        return Ok(checked);
    }
    if matches!(pg, PgType::Float4 | PgType::Float8) && params::param_index(&inner).is_some() {
        // A NaN parameter arrives as the text 'NaN', which CAST would make 0.
        return super::template::fill(PARAM_FLOAT, &[inner]);
    }
    if params::param_index(&inner).is_none()
        && let Some(reshaped) = time_literals::reshape(&inner, pg)
    {
        return Ok(reshaped);
    }
    if pg == PgType::Text
        && let Some(text) = decimal_literal_text(&inner)
    {
        return Ok(super::string(&text));
    }
    // A numeric(p, s) column prints with its scale (PostgreSQL keeps it; SQLite's REAL
    // would print 12.3 for 12.30).
    if pg == PgType::Text
        && let Some(s) = rw
            .column_types
            .numeric_scale(&inner)
            .filter(|s| *s > 0 && *s <= 30)
    {
        return super::template::fill(
            &format!("CASE WHEN pgrq_arg1 IS NULL THEN NULL ELSE printf('%.{s}f', pgrq_arg1) END"),
            &[inner],
        );
    }
    if pg == PgType::Text && is_float(rw, &inner) {
        return super::template::fill(FLOAT_TEXT, &[inner]);
    }
    if let Some(n) = declared_length(data_type) {
        let text = Expr::Cast {
            kind: CastKind::Cast,
            expr: Box::new(inner),
            data_type: sqlite_type,
            format: None,
        };
        // An explicit cast to varchar(n) / char(n) truncates; char(n) pads.
        let sql = if matches!(
            data_type,
            DataType::Varchar(_) | DataType::CharacterVarying(_)
        ) {
            format!("substr(pgrq_arg1, 1, {n})")
        } else {
            format!("substr(pgrq_arg1 || printf('%{n}s', ''), 1, {n})")
        };
        return super::template::fill(&sql, &[text]);
    }
    Ok(Expr::Cast {
        kind: CastKind::Cast,
        expr: Box::new(inner),
        data_type: sqlite_type,
        format: None,
    })
}

/// A float parameter: a number (or the text of ±Inf) as REAL, NaN kept as pgrq stores it.
const PARAM_FLOAT: &str = "CASE pgrq_arg1 WHEN 'NaN' THEN 'NaN' ELSE CAST(pgrq_arg1 AS REAL) END";

/// A float's halves rounded to the even integer; other values unchanged.
const HALF_EVEN: &str = "CASE WHEN abs(pgrq_arg1 - CAST(pgrq_arg1 AS INTEGER)) = 0.5 \
     THEN CAST(pgrq_arg1 AS INTEGER) + CAST(pgrq_arg1 AS INTEGER) % 2 ELSE pgrq_arg1 END";

/// float8 → text as PostgreSQL prints it: SQLite writes `100.0` and
/// `1.0e+20` where PostgreSQL writes `100` and `1e+20` (both switch to the
/// exponent form at the same magnitudes).
/// SQLite writes ±Inf as `Inf`, PostgreSQL as `Infinity` (NaN is already the text `NaN`).
const FLOAT_TEXT: &str = "replace(rtrim(replace(replace(CAST(pgrq_arg1 AS TEXT) || '~', '.0~', ''), \
     '.0e', 'e'), '~'), 'Inf', 'Infinity')";

/// Whether `e` (rewritten) is a float8/float4 value: a cast to REAL or a
/// float column.
fn is_float(rw: &Rewriter<'_>, e: &Expr) -> bool {
    match e {
        Expr::Nested(inner) => is_float(rw, inner),
        Expr::Cast {
            data_type: DataType::Real,
            ..
        } => true,
        other => matches!(
            rw.column_types.of(other),
            Some(PgType::Float4 | PgType::Float8)
        ),
    }
}

/// The `n` of `varchar(n)` / `char(n)`.
fn declared_length(dt: &DataType) -> Option<u64> {
    use sqlparser::ast::CharacterLength;
    match dt {
        DataType::Varchar(Some(CharacterLength::IntegerLength { length, .. }))
        | DataType::CharacterVarying(Some(CharacterLength::IntegerLength { length, .. }))
        | DataType::Char(Some(CharacterLength::IntegerLength { length, .. }))
        | DataType::Character(Some(CharacterLength::IntegerLength { length, .. })) => Some(*length),
        _ => None,
    }
}

fn string_literal(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => Some(s),
            _ => None,
        },
        Expr::Nested(inner) => string_literal(inner),
        _ => None,
    }
}

/// Literals whose PostgreSQL reading SQLite's CAST would get wrong.
fn fold_literal(rw: &Rewriter<'_>, text: &str, pg: PgType) -> Result<Option<Expr>, SqlError> {
    match pg {
        PgType::Bool => Ok(Some(match super::coerce::parse_bool(text) {
            Ok(b) => number(if b { "1" } else { "0" }),
            Err(e) => build::raise("22P02", &e.to_string()),
        })),
        PgType::Timestamp | PgType::Timestamptz | PgType::Date => {
            let word = text.trim().to_ascii_lowercase();
            let clock = match (word.as_str(), pg) {
                ("now" | "today", PgType::Date) => Clock::Date,
                ("now", PgType::Timestamptz) => Clock::Timestamptz,
                ("now", PgType::Timestamp) => Clock::Timestamp,
                _ => return Ok(time_literals::fold(text, pg)),
            };
            Ok(Some(clock::current(rw, clock, None)))
        }
        // A time of day in PostgreSQL's printed form (other input forms pass as written).
        PgType::Time => Ok(time_literals::normalize(text, pg).map(|t| super::string(&t))),
        PgType::Bytea => Ok(Some(Expr::value(Value::HexStringLiteral(
            super::coerce::bytea_hex(text)?,
        )))),
        // NaN and ±Infinity in the form pgrq stores them (`sql::floats`); finite numbers
        // are left to the checked cast.
        PgType::Float4 | PgType::Float8 => Ok(match floats::checked_input(text, pg) {
            Ok(f) if !f.is_finite() => Some(super::coerce::float_expr(f)),
            // `-0` would be SQLite's integer 0.
            Ok(f) if f == 0.0 && f.is_sign_negative() => {
                Some(super::template::fill("CAST(-0.0 AS REAL)", &[])?)
            }
            Ok(_) => None,
            Err(e @ SqlError::OutOfRange { .. }) => Some(build::raise("22003", &e.to_string())),
            Err(e) => Some(build::raise("22P02", &e.to_string())),
        }),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod decimal_text_tests {
    use crate::sql::test_support::*;

    #[test]
    fn numeric_columns_keep_their_declared_scale_as_text() {
        let schema = schema_from(&["CREATE TABLE m (a numeric(10,2), b numeric, c int)"]);
        assert_eq!(
            tr_with("SELECT a::text, b::text FROM m", &schema)
                .sqlite
                .as_deref(),
            Some(
                "SELECT CASE WHEN a IS NULL THEN NULL ELSE printf('%.2f', a) END AS \"a\", \
                 CAST(b AS TEXT) AS \"b\" FROM m"
            )
        );
    }

    #[test]
    fn decimal_literals_keep_their_scale_as_text() {
        assert_eq!(
            sqlite("SELECT 1.50::text, 007.250::text, 3.::text"),
            "SELECT '1.50' AS \"text\", '7.250' AS \"text\", '3' AS \"text\""
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::PgType;
    use crate::sql::test_support::*;

    #[test]
    fn casts_map_to_sqlite_types() {
        assert_eq!(
            sqlite("SELECT 1::int, 2::bigint, 3::float8, 4::real, 5::numeric(10,2)"),
            "SELECT 1 AS \"int4\", 2 AS \"int8\", \
             CAST(3 AS REAL) AS \"float8\", CAST(4 AS REAL) AS \"float4\", '5.00' AS \"numeric\""
        );
        assert_eq!(
            sqlite("SELECT CAST(a AS varchar(10)), b::uuid, c::varchar, e::bytea"),
            "SELECT SUBSTR(CAST(a AS TEXT), 1, 10) AS \"a\", lower(b) AS \"b\", \
             CAST(c AS TEXT) AS \"c\", CAST(e AS BLOB) AS \"e\""
        );
    }

    #[test]
    fn floats_round_half_to_even_into_integers() {
        let out = sqlite("SELECT 2.5::float8::int");
        assert!(
            out.contains(
                "CASE WHEN abs(CAST(2.5 AS REAL) - CAST(CAST(2.5 AS REAL) AS INTEGER)) = 0.5"
            ),
            "{out}"
        );
        assert!(!sqlite("SELECT 2.5::numeric::int").contains("= 0.5"));
    }

    #[test]
    fn floats_print_as_text_like_postgres() {
        assert_eq!(
            sqlite("SELECT 1e20::float8::text"),
            "SELECT replace(rtrim(replace(replace(CAST(CAST(1e20 AS REAL) AS TEXT) || '~', '.0~', \
             ''), '.0e', 'e'), '~'), 'Inf', 'Infinity') AS \"text\""
        );
    }

    #[test]
    fn boolean_literal_casts_fold_to_integers() {
        assert_eq!(
            sqlite("SELECT 't'::bool, 'TRUE'::boolean, 'yes'::bool, 'on'::bool, '1'::bool"),
            "SELECT 1 AS \"bool\", 1 AS \"bool\", 1 AS \"bool\", 1 AS \"bool\", 1 AS \"bool\""
        );
        assert_eq!(
            sqlite("SELECT 'f'::bool, 'False'::boolean, 'no'::bool, 'OFF'::bool, '0'::bool"),
            "SELECT 0 AS \"bool\", 0 AS \"bool\", 0 AS \"bool\", 0 AS \"bool\", 0 AS \"bool\""
        );
        assert!(sqlite("SELECT flag::boolean").contains("WHEN lower(TRIM(flag)) IN ('t', "));
    }

    #[test]
    fn bad_boolean_literal_raises_22p02() {
        assert_eq!(
            sqlite("SELECT 'maybe'::bool"),
            "SELECT json_extract('null', 'pgrq:22P02:invalid input syntax for type boolean: \"maybe\"') \
             AS \"bool\""
        );
    }

    #[test]
    fn typed_literals_become_casts() {
        assert_eq!(
            sqlite("SELECT DATE '2026-01-02', TIMESTAMP '2026-01-02 03:04:05'"),
            "SELECT '2026-01-02' AS \"date\", '2026-01-02 03:04:05' AS \"timestamp\""
        );
        assert_eq!(sqlite("SELECT BOOLEAN 'true'"), "SELECT 1 AS \"bool\"");
    }

    #[test]
    fn now_literals_are_the_transaction_time() {
        assert_eq!(
            sqlite("SELECT 'now'::timestamptz, 'today'::date"),
            "SELECT '2026-11-22 03:17:34.426123+00' AS \"timestamptz\", \
             '2026-11-22' AS \"date\""
        );
        assert_eq!(
            sqlite("SELECT 'NOW'::timestamp, CAST(' now ' AS date), DATE 'today'"),
            "SELECT '2026-11-22 03:17:34.426123' AS \"timestamp\", \
             '2026-11-22' AS \"date\", '2026-11-22' AS \"date\""
        );
        assert_eq!(
            tr("SELECT 'now'::timestamptz, 'today'::date").column_types,
            vec![Some(PgType::Timestamptz), Some(PgType::Date)]
        );
        // Other strings are cast as usual.
        assert!(sqlite("SELECT 'nowhere'::timestamp").contains("pgrq:22007"));
    }

    #[test]
    fn now_literals_in_stored_defaults_read_the_clock() {
        assert_eq!(
            sqlite("CREATE TABLE t (d date DEFAULT 'today'::date)"),
            "CREATE TABLE t (d DATE_TEXT DEFAULT (date('n' || 'ow')))"
        );
    }

    #[test]
    fn object_identifier_casts_are_refused() {
        // (`'t'::regclass` alone is a catalog query: see sql::catalog.)
        assert_unsupported("SELECT 1::oid", "cast to oid");
        assert_unsupported("SELECT x::inet", "cast to inet");
    }

    #[test]
    fn nested_casts() {
        assert_eq!(
            sqlite("SELECT (a::text)::varchar"),
            "SELECT CAST((CAST(a AS TEXT)) AS TEXT) AS \"a\""
        );
    }
}
