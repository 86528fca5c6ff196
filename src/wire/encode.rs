//! Session replies and errors as pgwire messages: RowDescription fields with PostgreSQL
//! type OIDs, DataRow values in text or binary format, CommandComplete tags, and
//! `PgError` → ErrorResponse.

mod binary;
mod text;

pub use text::{float_text, text_value};

use std::sync::Arc;

use futures::stream;
use pgwire::api::Type;
use pgwire::api::results::{DataRowEncoder, FieldFormat, FieldInfo, QueryResponse, Response, Tag};
use pgwire::error::{ErrorInfo, PgWireError};

use super::numeric;
use crate::error::{PgError, codes};
use crate::session::{Column, Reply, Value};
use crate::sql::PgType;
use binary::encode_binary;
use text::numeric_text;

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

#[cfg(test)]
mod tests {
    use super::*;

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
