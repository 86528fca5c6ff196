//! DataRow values in PostgreSQL's binary format: integers, floats, booleans, bytea,
//! dates/times, uuids, json and one-dimensional arrays of them. It must not decide the
//! text output (that is `text`) nor build whole responses (`encode`).

use pgwire::api::Type;
use pgwire::api::results::{DataRowEncoder, FieldFormat};

use super::super::datetime;
use super::pg_type;
use super::text::text_value;
use crate::error::{PgError, codes};
use crate::session::Value;
use crate::sql::PgType;

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

pub(super) fn encode_binary(
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
