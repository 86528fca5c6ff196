//! PostgreSQL's text output for each column type: booleans as `t`/`f`, floats in
//! PostgreSQL's shortest-exact spelling, numerics with their scale and without float
//! noise, bytea as hex, arrays of booleans. Values in, strings out; it must not build
//! pgwire messages (that is `encode`) nor binary encodings (`binary`).

use crate::session::Value;
use crate::sql::PgType;
use crate::sql::decimal::Decimal;

/// A number printed with exactly `scale` digits after the point, as PostgreSQL prints
/// a `numeric(p,s)` value (`1.5` → `1.50`); `None` when `v` is not a number. A REAL
/// stands for its shortest decimal (what SQLite was given), rounded half away from
/// zero on that decimal (`1.005` → `1.01`), as PostgreSQL rounds the decimal it holds.
pub(super) fn numeric_text(v: &Value, scale: u32) -> Option<String> {
    let d = match v {
        Value::Int(i) => Decimal::from_i64(*i),
        Value::Real(f) => Decimal::from_f64(*f)?,
        Value::Text(t) => Decimal::parse(t)?,
        _ => return None,
    };
    Some(d.round(i64::from(scale)).to_string())
}

/// PostgreSQL's text output for a value of column type `t`.
pub fn text_value(v: &Value, t: PgType) -> Option<String> {
    Some(match (v, t) {
        (Value::Null, _) => return None,
        (Value::Bool(b), _) => bool_text(*b),
        (Value::Int(i), PgType::Bool) => bool_text(*i != 0),
        (Value::Int(i), PgType::Float4) => float4_text(*i as f64),
        (Value::Int(i), PgType::Float8) => float_text(*i as f64),
        (Value::Real(f), PgType::Float4) => float4_text(*f),
        (Value::Int(i), _) => i.to_string(),
        (Value::Real(f), PgType::Numeric) => numeric_from_float(*f),
        (Value::Real(f), _) => float_text(*f),
        (Value::Text(s), PgType::Bool) => match s.as_str() {
            "1" | "t" | "true" => "t".into(),
            "0" | "f" | "false" => "f".into(),
            other => other.to_string(),
        },
        (Value::Text(s), PgType::Date | PgType::Timestamp | PgType::Timestamptz | PgType::Time) => {
            crate::sql::normalize_time_text(s, t).unwrap_or_else(|| s.clone())
        }
        // NaN is stored as text, and ±Infinity leaves SQLite as text (`sql::floats`).
        (Value::Text(s), PgType::Float4) => {
            crate::sql::floats::parse_input(s).map_or_else(|| s.clone(), float4_text)
        }
        (Value::Text(s), PgType::Float8) => {
            crate::sql::floats::parse_input(s).map_or_else(|| s.clone(), float_text)
        }
        (Value::Text(s), PgType::Jsonb) => {
            super::super::jsonb::normalize(s).unwrap_or_else(|| s.clone())
        }
        // SQLite has no booleans: elements of a bool[] arrive as 0/1.
        (Value::Text(s), PgType::BoolArray) => bool_array_text(s),
        // A bytea that SQLite returns as text is its bytes (as the binary format sends them).
        (Value::Text(s), PgType::Bytea) => bytea_hex(s.as_bytes()),
        (Value::Text(s), _) => s.clone(),
        (Value::Blob(b), PgType::Bytea) => bytea_hex(b),
        (Value::Blob(b), _) => match String::from_utf8(b.clone()) {
            Ok(s) => s,
            Err(_) => bytea_hex(b),
        },
    })
}

fn bool_array_text(s: &str) -> String {
    match crate::catalog::arrays::parse(s) {
        Some(items) => {
            let items: Vec<&str> = items
                .iter()
                .map(|e| match e.as_deref() {
                    None => "NULL",
                    Some("1" | "t" | "true") => "t",
                    Some(_) => "f",
                })
                .collect();
            format!("{{{}}}", items.join(","))
        }
        None => s.to_string(),
    }
}

/// A numeric that SQLite holds as a float, printed with the 15 significant digits a
/// float carries faithfully, so that PostgreSQL's exact `0.1 + 0.2` (0.3) is not shown
/// as the float's `0.30000000000000004`.
fn numeric_from_float(f: f64) -> String {
    if !f.is_finite() || f == 0.0 {
        return float_text(f);
    }
    let magnitude = f.abs().log10().floor() as i32;
    if !(-30..=30).contains(&magnitude) {
        return float_text(f);
    }
    let decimals = (14 - magnitude).max(0) as usize;
    let s = format!("{f:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" { "0".into() } else { s }
}

fn bool_text(b: bool) -> String {
    if b { "t".into() } else { "f".into() }
}

/// float8 output as PostgreSQL ≥ 12 prints it (shortest exact), with its spellings of the
/// special values.
pub fn float_text(f: f64) -> String {
    float_text_with(f, format!("{f}"), format!("{f:e}"), 1e15)
}

/// PostgreSQL's text output for a float4: the shortest digits that identify the
/// single-precision value, in exponent form from 1e6 on.
pub fn float4_text(f: f64) -> String {
    let g = f as f32;
    float_text_with(f, format!("{g}"), format!("{g:e}"), 1e6)
}

/// `plain` or `exp` (Rust's shortest forms of `f`) as PostgreSQL prints them:
/// exponent form below 1e-4 and from `limit` on.
fn float_text_with(f: f64, plain: String, exp: String, limit: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        }
    } else {
        let abs = f.abs();
        if abs != 0.0 && !(1e-4..limit).contains(&abs) {
            // PostgreSQL switches to exponent form outside this range.
            let e = exp;
            match e.split_once('e') {
                Some((m, x)) => {
                    let x: i32 = x.parse().unwrap_or(0);
                    format!("{m}e{}{:02}", if x < 0 { '-' } else { '+' }, x.abs())
                }
                None => e,
            }
        } else {
            plain
        }
    }
}

fn bytea_hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(2 + b.len() * 2);
    s.push_str("\\x");
    for byte in b {
        s.push_str(&format!("{byte:02x}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_text_never_uses_an_exponent() {
        let t = |f: f64| text_value(&Value::Real(f), PgType::Numeric);
        assert_eq!(t(-0.00000001).as_deref(), Some("-0.00000001"));
        assert_eq!(t(1e22).as_deref(), Some("10000000000000000000000"));
        assert_eq!(t(2.5).as_deref(), Some("2.5"));
        assert_eq!(
            text_value(&Value::Real(1e22), PgType::Float8).as_deref(),
            Some("1e+22")
        );
    }

    #[test]
    fn bool_arrays_print_t_and_f() {
        assert_eq!(
            text_value(&Value::Text("{0,1,NULL}".into()), PgType::BoolArray).as_deref(),
            Some("{f,t,NULL}")
        );
        assert_eq!(
            text_value(&Value::Text("{a,b}".into()), PgType::TextArray).as_deref(),
            Some("{a,b}")
        );
    }

    #[test]
    fn text_output_matches_postgres() {
        assert_eq!(
            text_value(&Value::Int(1), PgType::Bool).as_deref(),
            Some("t")
        );
        assert_eq!(
            text_value(&Value::Bool(false), PgType::Bool).as_deref(),
            Some("f")
        );
        assert_eq!(
            text_value(&Value::Blob(vec![0, 255, 16]), PgType::Bytea).as_deref(),
            Some("\\x00ff10")
        );
        assert_eq!(
            text_value(&Value::Text("AB".into()), PgType::Bytea).as_deref(),
            Some("\\x4142")
        );
        assert_eq!(text_value(&Value::Null, PgType::Text), None);
        for (f, text) in [
            (12345678.9, "1.2345679e+07"),
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
            (0.1, "0.1"),
            (2.0 / 3.0, "0.6666667"),
            (0.00001234, "1.234e-05"),
        ] {
            assert_eq!(
                text_value(&Value::Real(f), PgType::Float4).as_deref(),
                Some(text)
            );
        }
        assert_eq!(
            text_value(&Value::Int(i64::MAX), PgType::Int8).as_deref(),
            Some("9223372036854775807")
        );
        assert_eq!(float_text(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(float_text(f64::NAN), "NaN");
        assert_eq!(float_text(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(float_text(1e20), "1e+20");
        assert_eq!(float_text(1.5e-7), "1.5e-07");
        assert_eq!(float_text(2.0), "2");
        assert_eq!(
            text_value(&Value::Int(3), PgType::Float8).as_deref(),
            Some("3")
        );
        // Special floats arrive from SQLite as text (`sql::floats`).
        for (stored, shown) in [
            ("NaN", "NaN"),
            ("Infinity", "Infinity"),
            ("-Infinity", "-Infinity"),
            ("9e999", "Infinity"),
            ("-9e999", "-Infinity"),
        ] {
            let v = Value::Text(stored.into());
            assert_eq!(text_value(&v, PgType::Float4).as_deref(), Some(shown));
        }
        assert_eq!(float_text(-0.0), "-0");
    }

    #[test]
    fn numerics_held_as_floats_print_without_float_noise() {
        let t = |f: f64| text_value(&Value::Real(f), PgType::Numeric).unwrap();
        assert_eq!(t(0.1 + 0.2), "0.3");
        assert_eq!(t(1.10 + 2.205), "3.305");
        assert_eq!(t(-2.5), "-2.5");
        assert_eq!(t(1e20), "100000000000000000000");
        assert_eq!(t(1.0 / 3.0), "0.333333333333333");
        assert_eq!(
            text_value(&Value::Real(0.1 + 0.2), PgType::Float8).unwrap(),
            "0.30000000000000004"
        );
    }

    #[test]
    fn numerics_print_their_scale() {
        assert_eq!(numeric_text(&Value::Real(1.5), 2).as_deref(), Some("1.50"));
        assert_eq!(numeric_text(&Value::Int(3), 2).as_deref(), Some("3.00"));
        assert_eq!(numeric_text(&Value::Int(3), 0).as_deref(), Some("3"));
        assert_eq!(
            numeric_text(&Value::Text("2.125".into()), 1).as_deref(),
            Some("2.1")
        );
        assert_eq!(numeric_text(&Value::Null, 2), None);
        // The REAL's decimal is rounded, not its binary value (1.00499999…).
        assert_eq!(
            numeric_text(&Value::Real(1.005), 2).as_deref(),
            Some("1.01")
        );
        assert_eq!(
            numeric_text(&Value::Text("0.33333333333333333333".into()), 20).as_deref(),
            Some("0.33333333333333333333")
        );
    }
}
