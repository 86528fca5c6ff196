//! Session replies and errors as pgwire messages: RowDescription fields with PostgreSQL
//! type OIDs, DataRow values in text or binary format, CommandComplete tags, and
//! `PgError` → ErrorResponse.

use std::sync::Arc;

use futures::stream;
use pgwire::api::Type;
use pgwire::api::results::{DataRowEncoder, FieldFormat, FieldInfo, QueryResponse, Response, Tag};
use pgwire::error::{ErrorInfo, PgWireError};

use super::{datetime, numeric};
use crate::error::{PgError, codes};
use crate::session::{Column, Reply, Value};
use crate::sql::PgType;
use crate::sql::decimal::Decimal;

pub fn pg_error(e: PgError) -> ErrorInfo {
    let mut info = ErrorInfo::new(
        e.severity.as_str().to_string(),
        e.code.to_string(),
        e.message,
    );
    let f = *e.fields;
    info.detail = f.detail;
    info.hint = f.hint;
    info.table = f.table;
    info.column = f.column;
    info.constraint = f.constraint;
    info
}

pub fn wire_error(e: PgError) -> PgWireError {
    PgWireError::UserError(Box::new(pg_error(e)))
}

pub fn pg_type(t: PgType) -> Type {
    Type::from_oid(t.oid()).unwrap_or(Type::TEXT)
}

pub fn fields(columns: &[Column], format: impl Fn(usize) -> FieldFormat) -> Vec<FieldInfo> {
    columns
        .iter()
        .enumerate()
        .map(|(i, c)| FieldInfo::new(c.name.clone(), None, None, pg_type(c.pg_type), format(i)))
        .collect()
}

/// `reply` as a pgwire response; `format(i)` gives column i's requested result format.
pub fn response(reply: Reply, format: impl Fn(usize) -> FieldFormat) -> Result<Response, PgError> {
    Ok(match reply {
        Reply::Empty => Response::EmptyQuery,
        Reply::Command { tag } => Response::Execution(Tag::new(&tag)),
        Reply::TxnStart(tag) => Response::TransactionStart(Tag::new(&tag)),
        Reply::TxnEnd(tag) => Response::TransactionEnd(Tag::new(&tag)),
        Reply::Rows { columns, rows, tag } => {
            let schema = Arc::new(fields(&columns, format));
            let mut encoder = DataRowEncoder::new(schema.clone());
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                for (i, col) in columns.iter().enumerate() {
                    let v = row.get(i).unwrap_or(&Value::Null);
                    encode_value(&mut encoder, v, col, schema[i].format())?;
                }
                out.push(Ok(encoder.take_row()));
            }
            let mut resp = QueryResponse::new(schema, stream::iter(out));
            // pgwire appends the row count it sends.
            resp.set_command_tag(tag_verb(&tag));
            Response::Query(resp)
        }
    })
}

/// `SELECT 3` → `SELECT`, `INSERT 0 3` → `INSERT 0`, `SHOW` → `SHOW`.
fn tag_verb(tag: &str) -> &str {
    match tag.rsplit_once(' ') {
        Some((verb, n)) if n.bytes().all(|b| b.is_ascii_digit()) => verb,
        _ => tag,
    }
}

fn encode_value(
    enc: &mut DataRowEncoder,
    v: &Value,
    col: &Column,
    format: FieldFormat,
) -> Result<(), PgError> {
    let t = col.pg_type;
    let ty = pg_type(t);
    let r = if format == FieldFormat::Text && t.element().is_some() && !matches!(v, Value::Null) {
        // pgwire quotes a whole string sent as an array type: send the elements instead.
        let text = text_value(v, t).unwrap_or_default();
        match crate::catalog::arrays::parse(&text) {
            Some(items) => {
                enc.encode_field_with_type_and_format(&items, &ty, format, &Default::default())
            }
            None => {
                return Err(PgError::new(
                    codes::DATATYPE_MISMATCH,
                    format!("value {text:?} is not an array of {}", ty.name()),
                ));
            }
        }
    } else if format == FieldFormat::Text {
        let text = match col.scale {
            Some(scale) => numeric_text(v, scale).or_else(|| text_value(v, t)),
            None => text_value(v, t),
        };
        enc.encode_field_with_type_and_format(&text, &ty, format, &Default::default())
    } else if t == PgType::Numeric {
        let text = match col.scale {
            Some(scale) => numeric_text(v, scale).or_else(|| text_value(v, t)),
            None => text_value(v, t),
        };
        match text {
            None => enc.encode_field_with_type_and_format(
                &None::<i64>,
                &ty,
                format,
                &Default::default(),
            ),
            Some(text) => {
                let bytes = numeric::encode(&text).ok_or_else(|| {
                    PgError::new(
                        codes::DATATYPE_MISMATCH,
                        format!("value {text:?} cannot be sent in binary as numeric"),
                    )
                })?;
                enc.encode_field_with_type_and_format(&bytes, &ty, format, &Default::default())
            }
        }
    } else {
        encode_binary(enc, v, t, &ty)?
    };
    r.map_err(|e| PgError::new(codes::INTERNAL_ERROR, format!("cannot encode value: {e}")))
}

/// A number printed with exactly `scale` digits after the point, as PostgreSQL prints
/// a `numeric(p,s)` value (`1.5` → `1.50`); `None` when `v` is not a number. A REAL
/// stands for its shortest decimal (what SQLite was given), rounded half away from
/// zero on that decimal (`1.005` → `1.01`), as PostgreSQL rounds the decimal it holds.
fn numeric_text(v: &Value, scale: u32) -> Option<String> {
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
        (Value::Text(s), PgType::Date | PgType::Timestamp | PgType::Timestamptz) => {
            crate::sql::normalize_time_text(s, t).unwrap_or_else(|| s.clone())
        }
        // NaN is stored as text, and ±Infinity leaves SQLite as text (`sql::floats`).
        (Value::Text(s), PgType::Float4) => {
            crate::sql::floats::parse_input(s).map_or_else(|| s.clone(), float4_text)
        }
        (Value::Text(s), PgType::Float8) => {
            crate::sql::floats::parse_input(s).map_or_else(|| s.clone(), float_text)
        }
        (Value::Text(s), PgType::Jsonb) => super::jsonb::normalize(s).unwrap_or_else(|| s.clone()),
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

/// A one-dimensional array (kept as PostgreSQL's array text) in binary.
fn encode_array(
    enc: &mut DataRowEncoder,
    v: &Value,
    t: PgType,
    ty: &Type,
) -> Result<pgwire::error::PgWireResult<()>, PgError> {
    let (f, o) = (FieldFormat::Binary, Default::default());
    let text = text_value(v, t).unwrap_or_default();
    let mismatch = || {
        PgError::new(
            codes::DATATYPE_MISMATCH,
            format!("value {text:?} cannot be sent in binary as {}", ty.name()),
        )
    };
    let items = crate::catalog::arrays::parse(&text).ok_or_else(mismatch)?;
    fn nums<N: std::str::FromStr>(items: &[Option<String>]) -> Option<Vec<Option<N>>> {
        items
            .iter()
            .map(|e| match e {
                None => Some(None),
                Some(s) => s.trim().parse().ok().map(Some),
            })
            .collect()
    }
    Ok(match t.element() {
        Some(PgType::Bool) => {
            let b: Vec<Option<bool>> = items
                .iter()
                .map(|e| e.as_deref().map(|s| matches!(s, "1" | "t" | "true")))
                .collect();
            enc.encode_field_with_type_and_format(&b, ty, f, &o)
        }
        Some(PgType::Char) => {
            let c: Vec<Option<i8>> = items
                .iter()
                .map(|e| {
                    e.as_deref()
                        .map(|s| s.bytes().next().map_or(0, |b| b as i8))
                })
                .collect();
            enc.encode_field_with_type_and_format(&c, ty, f, &o)
        }
        Some(PgType::Int2) => {
            let n: Vec<Option<i16>> = nums(&items).ok_or_else(mismatch)?;
            enc.encode_field_with_type_and_format(&n, ty, f, &o)
        }
        Some(PgType::Int4) => {
            let n: Vec<Option<i32>> = nums(&items).ok_or_else(mismatch)?;
            enc.encode_field_with_type_and_format(&n, ty, f, &o)
        }
        Some(PgType::Int8) => {
            let n: Vec<Option<i64>> = nums(&items).ok_or_else(mismatch)?;
            enc.encode_field_with_type_and_format(&n, ty, f, &o)
        }
        Some(PgType::Oid) => {
            let n: Vec<Option<u32>> = nums(&items).ok_or_else(mismatch)?;
            enc.encode_field_with_type_and_format(&n, ty, f, &o)
        }
        _ => enc.encode_field_with_type_and_format(&items, ty, f, &o),
    })
}

fn bytea_hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(2 + b.len() * 2);
    s.push_str("\\x");
    for byte in b {
        s.push_str(&format!("{byte:02x}"));
    }
    s
}

fn encode_binary(
    enc: &mut DataRowEncoder,
    v: &Value,
    t: PgType,
    ty: &Type,
) -> Result<pgwire::error::PgWireResult<()>, PgError> {
    let f = FieldFormat::Binary;
    let o = Default::default();
    let mismatch = || {
        PgError::new(
            codes::DATATYPE_MISMATCH,
            format!("value {v:?} cannot be sent in binary as {}", ty.name()),
        )
    };
    if matches!(v, Value::Null) {
        return Ok(enc.encode_field_with_type_and_format(&None::<i64>, ty, f, &o));
    }
    let as_int = || match v {
        Value::Int(i) => Some(*i),
        Value::Bool(b) => Some(i64::from(*b)),
        Value::Text(s) => s.parse().ok(),
        _ => None,
    };
    let as_float = || match v {
        Value::Real(x) => Some(*x),
        Value::Int(i) => Some(*i as f64),
        Value::Text(s) => crate::sql::floats::parse_input(s),
        _ => None,
    };
    Ok(match t {
        PgType::Bool => {
            let b = as_int().ok_or_else(mismatch)? != 0;
            enc.encode_field_with_type_and_format(&b, ty, f, &o)
        }
        PgType::Int2 => {
            let i = i16::try_from(as_int().ok_or_else(mismatch)?).map_err(|_| mismatch())?;
            enc.encode_field_with_type_and_format(&i, ty, f, &o)
        }
        PgType::Int4 | PgType::Oid => {
            let i = i32::try_from(as_int().ok_or_else(mismatch)?).map_err(|_| mismatch())?;
            enc.encode_field_with_type_and_format(&i, ty, f, &o)
        }
        PgType::Int8 => {
            let i = as_int().ok_or_else(mismatch)?;
            enc.encode_field_with_type_and_format(&i, ty, f, &o)
        }
        PgType::Float4 => {
            let x = as_float().ok_or_else(mismatch)? as f32;
            enc.encode_field_with_type_and_format(&x, ty, f, &o)
        }
        PgType::Float8 => {
            let x = as_float().ok_or_else(mismatch)?;
            enc.encode_field_with_type_and_format(&x, ty, f, &o)
        }
        PgType::Bytea => match v {
            Value::Blob(b) => enc.encode_field_with_type_and_format(b, ty, f, &o),
            Value::Text(s) => {
                enc.encode_field_with_type_and_format(&s.as_bytes().to_vec(), ty, f, &o)
            }
            _ => return Err(mismatch()),
        },
        PgType::Char => {
            // One byte: the first of the text (PostgreSQL's `"char"` wire format).
            let text = text_value(v, t).unwrap_or_default();
            let b = text.bytes().next().map_or(0, |b| b as i8);
            enc.encode_field_with_type_and_format(&b, ty, f, &o)
        }
        PgType::Text
        | PgType::Varchar
        | PgType::Bpchar
        | PgType::Name
        | PgType::Unknown
        | PgType::Void => {
            let s = text_value(v, t).unwrap_or_default();
            enc.encode_field_with_type_and_format(&s, ty, f, &o)
        }
        PgType::Date => {
            let text = text_value(v, t).unwrap_or_default();
            let d = match text.as_str() {
                "infinity" => i32::MAX,
                "-infinity" => i32::MIN,
                _ => {
                    let d = datetime::parse_date(&text).ok_or_else(mismatch)?;
                    i32::try_from(d).map_err(|_| mismatch())?
                }
            };
            enc.encode_field_with_type_and_format(&d, ty, f, &o)
        }
        PgType::Timestamp | PgType::Timestamptz => {
            let text = text_value(v, t).unwrap_or_default();
            // A date alone (a value stored before the column held timestamps) is midnight.
            let us = match text.as_str() {
                "infinity" => i64::MAX,
                "-infinity" => i64::MIN,
                _ => datetime::parse_timestamp(&text)
                    .or_else(|| datetime::parse_date(&text).map(|d| d * 86_400_000_000))
                    .ok_or_else(mismatch)?,
            };
            enc.encode_field_with_type_and_format(&us, ty, f, &o)
        }
        PgType::Time => {
            let text = text_value(v, t).unwrap_or_default();
            let us = datetime::parse_time(&text).ok_or_else(mismatch)?;
            enc.encode_field_with_type_and_format(&us, ty, f, &o)
        }
        PgType::Interval => {
            let text = text_value(v, t).unwrap_or_default();
            let (us, days, months) = datetime::parse_interval(&text).ok_or_else(mismatch)?;
            let mut b = us.to_be_bytes().to_vec();
            b.extend_from_slice(&days.to_be_bytes());
            b.extend_from_slice(&months.to_be_bytes());
            enc.encode_field_with_type_and_format(&b, ty, f, &o)
        }
        PgType::Uuid => {
            let text = text_value(v, t).unwrap_or_default();
            let hex: String = text.chars().filter(|c| *c != '-').collect();
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| {
                    hex.get(i..i + 2)
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                })
                .collect::<Option<Vec<u8>>>()
                .filter(|b| b.len() == 16)
                .ok_or_else(mismatch)?;
            enc.encode_field_with_type_and_format(&bytes, ty, f, &o)
        }
        PgType::Json => {
            let s = text_value(v, t).unwrap_or_default();
            enc.encode_field_with_type_and_format(&s.into_bytes(), ty, f, &o)
        }
        PgType::Jsonb => {
            let mut b = vec![1u8];
            b.extend_from_slice(text_value(v, t).unwrap_or_default().as_bytes());
            enc.encode_field_with_type_and_format(&b, ty, f, &o)
        }
        PgType::BoolArray
        | PgType::CharArray
        | PgType::NameArray
        | PgType::Int2Array
        | PgType::Int4Array
        | PgType::TextArray
        | PgType::Int8Array
        | PgType::OidArray => return encode_array(enc, v, t, ty),
        other => {
            return Err(PgError::new(
                codes::FEATURE_NOT_SUPPORTED,
                format!(
                    "binary result format for type {} is not supported yet; request text format",
                    pg_type(other).name()
                ),
            ));
        }
    })
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

    #[test]
    fn tag_verbs() {
        assert_eq!(tag_verb("SELECT 3"), "SELECT");
        assert_eq!(tag_verb("INSERT 0 3"), "INSERT 0");
        assert_eq!(tag_verb("SHOW"), "SHOW");
        assert_eq!(tag_verb("CREATE TABLE"), "CREATE TABLE");
    }

    #[test]
    fn rows_encode_in_both_formats() {
        let cols = vec![
            Column::new("id", PgType::Int4),
            Column::new("ok", PgType::Bool),
        ];
        let reply = Reply::Rows {
            columns: cols.clone(),
            rows: vec![
                vec![Value::Int(7), Value::Int(1)],
                vec![Value::Null, Value::Int(0)],
            ],
            tag: "SELECT 2".into(),
        };
        assert!(matches!(
            response(reply.clone(), |_| FieldFormat::Text),
            Ok(Response::Query(_))
        ));
        assert!(matches!(
            response(reply, |_| FieldFormat::Binary),
            Ok(Response::Query(_))
        ));
        let too_big = Reply::Rows {
            columns: vec![Column::new("n", PgType::Int2)],
            rows: vec![vec![Value::Int(70000)]],
            tag: "SELECT 1".into(),
        };
        let err = response(too_big, |_| FieldFormat::Binary)
            .err()
            .map(|e| e.code);
        assert_eq!(err, Some("42804"));
    }
}
