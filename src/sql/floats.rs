//! How pgrq carries PostgreSQL's special float values (`NaN`, `Infinity`, `-Infinity`)
//! through SQLite and rqlite, and how it reads float input text.
//!
//! SQLite stores ±Infinity as REAL (`9e999` is +Inf), orders and compares it correctly, but
//! has no NaN (a NaN REAL becomes NULL), and rqlite's JSON can carry neither in a
//! parameter nor in a result ("json: unsupported value: +Inf" fails the whole result). So:
//!
//! * storage and SQL: ±Infinity is the REAL ±Inf, written [`POS_INF_SQL`]/[`NEG_INF_SQL`];
//!   NaN is the TEXT [`NAN_TEXT`] in the float column (SQLite sorts TEXT after every
//!   number, as PostgreSQL sorts NaN above Infinity, and `'NaN' = 'NaN'` holds);
//! * parameters: a special value is bound as the text [`param_text`] gives, which a float
//!   column's REAL affinity (or a comparison with one, or a CAST to REAL) turns into ±Inf;
//! * results: every output column typed float4/float8 is wrapped so that ±Inf leaves
//!   SQLite as the text `Infinity`/`-Infinity` ([`output_wrapper`]), and the reply side
//!   reads such text back as the float ([`parse_input`] accepts every spelling used here).
//!
//! Pure: no I/O; the wire and session layers call these to encode and decode values.

use crate::sql::{PgType, SqlError};

/// The text a NaN is held as in SQLite.
pub const NAN_TEXT: &str = "NaN";
/// SQLite literal of +Infinity (overflows to +Inf as SQLite reads it).
pub const POS_INF_SQL: &str = "9e999";
/// SQLite literal of -Infinity.
pub const NEG_INF_SQL: &str = "-9e999";

/// PostgreSQL's float input (`float8in`): a decimal or exponent number, or `NaN`,
/// `Infinity`, `inf` with an optional sign, case-insensitive, surrounding spaces ignored.
/// `None` when the text is not a float. Out-of-range numbers read as ±Inf here; use
/// [`checked_input`] for PostgreSQL's range errors.
pub fn parse_input(text: &str) -> Option<f64> {
    let t = text.trim();
    let (neg, unsigned) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let sign = |f: f64| if neg { -f } else { f };
    match unsigned.to_ascii_lowercase().as_str() {
        "nan" => return Some(f64::NAN),
        "inf" | "infinity" => return Some(sign(f64::INFINITY)),
        _ => {}
    }
    // Rust also reads "inf"/"nan" spellings PostgreSQL refuses ("infinit" is not one of
    // them, but e.g. "+-1" must fail): accept digits, one point and an exponent only.
    let ok_chars = unsigned
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    let starts_ok = unsigned.starts_with(|c: char| c.is_ascii_digit() || c == '.');
    if !starts_ok || !ok_chars || !unsigned.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    unsigned.parse::<f64>().ok().map(sign)
}

/// [`parse_input`] with PostgreSQL's errors for a value of type `pg` (float4 or float8):
/// 22P02 for text that is no float, 22003 for a finite number beyond the type's range
/// (or a non-zero one that underflows to zero).
pub fn checked_input(text: &str, pg: PgType) -> Result<f64, SqlError> {
    let name = if pg == PgType::Float4 {
        "real"
    } else {
        "double precision"
    };
    let f = parse_input(text).ok_or_else(|| SqlError::InvalidText {
        message: format!("invalid input syntax for type {name}: \"{text}\""),
    })?;
    let special = {
        let t = text
            .trim()
            .trim_start_matches(['+', '-'])
            .to_ascii_lowercase();
        matches!(t.as_str(), "nan" | "inf" | "infinity")
    };
    let out_of_range = if special {
        false
    } else if pg == PgType::Float4 {
        let g = f as f32;
        g.is_infinite() || (g == 0.0 && has_nonzero_digit(text))
    } else {
        f.is_infinite() || (f == 0.0 && has_nonzero_digit(text))
    };
    if out_of_range {
        return Err(SqlError::OutOfRange {
            message: format!("\"{}\" is out of range for type {name}", text.trim()),
        });
    }
    Ok(f)
}

/// Whether the mantissa of a number's text has a non-zero digit (so that reading it as
/// zero means it underflowed).
fn has_nonzero_digit(text: &str) -> bool {
    let mantissa = text.trim().split(['e', 'E']).next().unwrap_or("");
    mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b))
}

/// The text a special float is bound as in a parameter (`None` for a finite one, which
/// travels as a JSON number): `NaN`, or an overflowing number that REAL affinity and
/// `CAST(… AS REAL)` read as ±Inf.
pub fn param_text(f: f64) -> Option<&'static str> {
    if f.is_nan() {
        Some(NAN_TEXT)
    } else if f == f64::INFINITY {
        Some(POS_INF_SQL)
    } else if f == f64::NEG_INFINITY {
        Some(NEG_INF_SQL)
    } else {
        None
    }
}

/// The SQLite text of float `f` as a value: a number literal, [`POS_INF_SQL`],
/// [`NEG_INF_SQL`], or the string literal `'NaN'`.
pub fn sql_literal(f: f64) -> String {
    if f.is_nan() {
        format!("'{NAN_TEXT}'")
    } else if f == f64::INFINITY {
        POS_INF_SQL.to_string()
    } else if f == f64::NEG_INFINITY {
        NEG_INF_SQL.to_string()
    } else {
        // `{:?}` keeps a `.0` or an exponent, so SQLite reads a REAL.
        format!("{f:?}")
    }
}

/// The SQLite expression an output column `expr` (SQLite text) of type float4/float8 is
/// wrapped in, so that ±Inf leaves SQLite as text rqlite's JSON can carry.
pub fn output_wrapper() -> String {
    format!(
        "CASE pgrq_arg1 WHEN {POS_INF_SQL} THEN 'Infinity' WHEN {NEG_INF_SQL} THEN '-Infinity' \
         ELSE pgrq_arg1 END"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_spellings_of_special_values() {
        for s in ["NaN", "nan", " -nan ", "+NaN"] {
            assert!(parse_input(s).is_some_and(f64::is_nan), "{s}");
        }
        for s in ["Infinity", "inf", "+INF", " infinity "] {
            assert_eq!(parse_input(s), Some(f64::INFINITY), "{s}");
        }
        for s in ["-Infinity", "-inf", "-INFINITY"] {
            assert_eq!(parse_input(s), Some(f64::NEG_INFINITY), "{s}");
        }
        for s in ["infinit", "inf1", "", "abc", "1.5x", "+-1", "-"] {
            assert_eq!(parse_input(s), None, "{s}");
        }
        assert_eq!(parse_input("  1.5e3 "), Some(1500.0));
        assert_eq!(parse_input("-0").map(f64::is_sign_negative), Some(true));
        assert_eq!(parse_input("9e999"), Some(f64::INFINITY));
    }

    #[test]
    fn range_errors_as_postgres() {
        assert!(matches!(
            checked_input("1e400", PgType::Float8),
            Err(SqlError::OutOfRange { .. })
        ));
        assert!(matches!(
            checked_input("1e-400", PgType::Float8),
            Err(SqlError::OutOfRange { .. })
        ));
        assert!(matches!(
            checked_input("1e39", PgType::Float4),
            Err(SqlError::OutOfRange { .. })
        ));
        assert!(matches!(
            checked_input("x", PgType::Float4),
            Err(SqlError::InvalidText { .. })
        ));
        assert_eq!(checked_input("0.0", PgType::Float8), Ok(0.0));
        assert_eq!(checked_input("-inf", PgType::Float8), Ok(f64::NEG_INFINITY));
    }

    #[test]
    fn engine_forms() {
        assert_eq!(param_text(f64::NAN), Some("NaN"));
        assert_eq!(param_text(f64::NEG_INFINITY), Some("-9e999"));
        assert_eq!(param_text(1.5), None);
        assert_eq!(sql_literal(f64::NAN), "'NaN'");
        assert_eq!(sql_literal(f64::INFINITY), "9e999");
        assert_eq!(sql_literal(2.0), "2.0");
        assert_eq!(sql_literal(-0.0), "-0.0");
        assert_eq!(sql_literal(1e300), "1e300");
    }
}
