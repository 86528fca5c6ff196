//! Reading a literal's text as a number the way PostgreSQL's input functions do, for the
//! places a string literal meets an integer or numeric type (a column it is stored into or
//! compared with, an operator's other operand). Pure text in, text or [`SqlError`] out.

use crate::sql::{PgType, SqlError};

/// `NaN`, `Infinity`, `-inf` …: valid numeric input that is not a plain number.
pub(crate) fn is_special_number(text: &str) -> bool {
    let t = text.trim().to_ascii_lowercase();
    let t = t.strip_prefix(['-', '+']).unwrap_or(&t);
    matches!(t, "nan" | "inf" | "infinity")
}

/// PostgreSQL's input for an integer or numeric column: the literal's number (surrounding
/// spaces dropped), 22P02 when it is not one and 22003 when it does not fit an integer
/// type. NaN and the infinities are left to the caller (refused as not a plain number).
pub(crate) fn number_input(text: &str, pg: PgType) -> Result<String, SqlError> {
    let t = text.trim();
    let (name, range) = match pg {
        PgType::Int2 => ("smallint", Some((i64::from(i16::MIN), i64::from(i16::MAX)))),
        PgType::Int4 => ("integer", Some((i64::from(i32::MIN), i64::from(i32::MAX)))),
        PgType::Int8 => ("bigint", Some((i64::MIN, i64::MAX))),
        _ => ("numeric", None),
    };
    let invalid = || SqlError::InvalidText {
        message: format!("invalid input syntax for type {name}: \"{text}\""),
    };
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    if let Some((lo, hi)) = range {
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        return match t.parse::<i128>() {
            Ok(v) if v >= i128::from(lo) && v <= i128::from(hi) => Ok(v.to_string()),
            _ => Err(SqlError::OutOfRange {
                message: format!("value \"{t}\" is out of range for type {name}"),
            }),
        };
    }
    let (mantissa, exponent) = match digits.find(['e', 'E']) {
        Some(i) => (&digits[..i], Some(&digits[i + 1..])),
        None => (digits, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    if int.len() + frac.len() == 0 || !all_digits(int) || !all_digits(frac) || !exponent_ok {
        return Err(invalid());
    }
    Ok(t.strip_prefix('+').unwrap_or(t).to_string())
}
