//! Decoding rqlite's JSON responses (`command/encoding/json.go` shapes).
//!
//! serde_json keeps JSON integers as exact `i64`/`u64` (never via `f64`), which
//! is what rqlite's int64 values need.

use serde::Deserialize;
use serde_json::Value as Json;

use super::types::{Rows, StmtOk, StmtResult, Value};

/// A parsed HTTP-200 body.
#[derive(Debug, PartialEq)]
pub(crate) enum Body {
    /// Per-statement results (fewer than the statements sent when a
    /// `transaction` batch stopped at an error).
    Results(Vec<StmtResult>),
    /// Request-level failure: top-level `"error"` (e.g. "leader not found").
    RequestError(String),
}

#[derive(Deserialize)]
struct RawResponse {
    #[serde(default)]
    results: Option<Vec<RawResult>>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct RawResult {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    last_insert_id: Option<i64>,
    #[serde(default)]
    rows_affected: Option<u64>,
    #[serde(default)]
    columns: Option<Vec<String>>,
    #[serde(default)]
    types: Option<Vec<String>>,
    #[serde(default)]
    values: Option<Vec<Vec<Json>>>,
}

/// Decodes a response body. `expect_rows` (for `/db/query`) makes every
/// successful result carry `Some(rows)`, even `{}`.
pub(crate) fn decode_body(body: &[u8], expect_rows: bool) -> Result<Body, String> {
    let raw: RawResponse = serde_json::from_slice(body)
        .map_err(|e| format!("invalid JSON ({e}): {}", snippet(body)))?;
    if let Some(err) = raw.error.filter(|e| !e.is_empty()) {
        return Ok(Body::RequestError(err));
    }
    let results = raw.results.unwrap_or_default();
    let mut out = Vec::with_capacity(results.len());
    for (i, r) in results.into_iter().enumerate() {
        out.push(decode_result(r, expect_rows).map_err(|e| format!("result {i}: {e}"))?);
    }
    Ok(Body::Results(out))
}

fn decode_result(r: RawResult, expect_rows: bool) -> Result<StmtResult, String> {
    if let Some(err) = r.error.filter(|e| !e.is_empty()) {
        return Ok(Err(err));
    }
    let rows = if r.columns.is_some() || r.values.is_some() || expect_rows {
        let columns = r.columns.unwrap_or_default();
        let types = match r.types {
            Some(t) if t.len() == columns.len() => {
                t.into_iter().map(|s| s.to_ascii_lowercase()).collect()
            }
            Some(t) => {
                return Err(format!("{} types for {} columns", t.len(), columns.len()));
            }
            None => vec![String::new(); columns.len()],
        };
        let mut values = Vec::new();
        for (ri, row) in r.values.unwrap_or_default().into_iter().enumerate() {
            if row.len() != columns.len() {
                return Err(format!(
                    "row {ri} has {} values for {} columns",
                    row.len(),
                    columns.len()
                ));
            }
            let decoded = row
                .into_iter()
                .zip(&types)
                .enumerate()
                .map(|(ci, (v, t))| {
                    decode_value(v, t).map_err(|e| format!("row {ri} column {ci}: {e}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            values.push(decoded);
        }
        Some(Rows {
            columns,
            types,
            values,
        })
    } else {
        None
    };
    Ok(Ok(StmtOk {
        rows_affected: r.rows_affected.unwrap_or(0),
        last_insert_id: r.last_insert_id,
        rows,
    }))
}

/// True when SQLite would give a column of this declared type REAL affinity
/// (rules of sqlite.org/datatype3.html §3.1, applied in order).
pub(crate) fn is_real_affinity(declared: &str) -> bool {
    let t = declared.to_ascii_lowercase();
    if t.contains("int") || t.contains("char") || t.contains("clob") || t.contains("text") {
        return false;
    }
    if t.contains("blob") || t.is_empty() {
        return false;
    }
    t.contains("real") || t.contains("floa") || t.contains("doub")
}

/// Decodes one JSON cell given the column's declared type.
pub(crate) fn decode_value(v: Json, declared: &str) -> Result<Value, String> {
    Ok(match v {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(b),
        Json::String(s) => Value::Text(s),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                // Go prints REAL 1.0 as `1`: a real column turns it back.
                if is_real_affinity(declared) {
                    Value::Real(i as f64)
                } else {
                    Value::Integer(i)
                }
            } else if let Some(f) = n.as_f64() {
                // Fractional, exponent, or beyond i64 (SQLite integers are
                // i64, so such a number was a float printed without `.`).
                Value::Real(f)
            } else {
                return Err(format!("unrepresentable number {n}"));
            }
        }
        Json::Array(items) => {
            let mut bytes = Vec::with_capacity(items.len());
            for item in items {
                match item.as_u64() {
                    Some(b) if b <= 255 => bytes.push(b as u8),
                    _ => return Err(format!("blob array element {item} is not 0-255")),
                }
            }
            Value::Blob(bytes)
        }
        Json::Object(_) => return Err("unexpected JSON object as a value".to_string()),
    })
}

fn snippet(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(body);
    let s = s.trim();
    match s.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn results(body: &str, expect_rows: bool) -> Vec<StmtResult> {
        match decode_body(body.as_bytes(), expect_rows).unwrap() {
            Body::Results(r) => r,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn documented_mixed_response() {
        // The example from rqlite's API docs.
        let r = results(
            r#"{"results":[
              {"last_insert_id":1,"rows_affected":1,"time":0.0008},
              {"columns":["id","name"],"types":["integer","text"],"values":[[1,"fiona"]]},
              {"error":"no such table: bar"}
            ],"time":0.01}"#,
            false,
        );
        assert_eq!(r.len(), 3);
        let first = r[0].as_ref().unwrap();
        assert_eq!((first.rows_affected, first.last_insert_id), (1, Some(1)));
        assert!(first.rows.is_none());
        let rows = r[1].as_ref().unwrap().rows.as_ref().unwrap();
        assert_eq!(rows.columns, ["id", "name"]);
        assert_eq!(rows.types, ["integer", "text"]);
        assert_eq!(
            rows.values,
            vec![vec![Value::Integer(1), Value::Text("fiona".into())]]
        );
        assert_eq!(r[2], Err("no such table: bar".to_string()));
    }

    #[test]
    fn omitted_zero_fields_and_ddl() {
        let r = results(r#"{"results":[{},{"rows_affected":3}]}"#, false);
        assert_eq!(r[0], Ok(StmtOk::default()));
        assert_eq!(r[1].as_ref().unwrap().rows_affected, 3);
        assert_eq!(r[1].as_ref().unwrap().last_insert_id, None);
    }

    #[test]
    fn query_without_rows_has_columns_but_no_values() {
        let r = results(
            r#"{"results":[{"columns":["a"],"types":["integer"]}]}"#,
            true,
        );
        let rows = r[0].as_ref().unwrap().rows.as_ref().unwrap();
        assert_eq!(rows.columns, ["a"]);
        assert!(rows.values.is_empty());
        // A query result with nothing at all still counts as a row set.
        let r = results(r#"{"results":[{}]}"#, true);
        assert_eq!(r[0].as_ref().unwrap().rows, Some(Rows::default()));
    }

    #[test]
    fn returning_in_execute_carries_rows() {
        // Shape from rqlite's Test_SingleNode_RETURNING.
        let r = results(
            r#"{"results":[{"columns":["id","name"],"types":["integer","text"],"values":[[4,"alice"]]},{"last_insert_id":5,"rows_affected":1}]}"#,
            false,
        );
        let rows = r[0].as_ref().unwrap().rows.as_ref().unwrap();
        assert_eq!(rows.values[0][1], Value::Text("alice".into()));
        assert!(r[1].as_ref().unwrap().rows.is_none());
    }

    #[test]
    fn transaction_rollback_shape_is_kept_as_is() {
        let r = results(
            r#"{"results":[{"last_insert_id":1,"rows_affected":1},{"error":"UNIQUE constraint failed: t.id"}]}"#,
            false,
        );
        assert_eq!(r.len(), 2);
        assert!(r[0].is_ok());
        assert_eq!(r[1], Err("UNIQUE constraint failed: t.id".into()));
    }

    #[test]
    fn integers_are_exact_int64() {
        let r = results(
            r#"{"results":[{"columns":["a","b","c"],"types":["integer","integer","bigint"],"values":[[9223372036854775807,-9223372036854775808,9007199254740993]]}]}"#,
            true,
        );
        let row = &r[0].as_ref().unwrap().rows.as_ref().unwrap().values[0];
        assert_eq!(
            row,
            &vec![
                Value::Integer(i64::MAX),
                Value::Integer(i64::MIN),
                Value::Integer(9_007_199_254_740_993)
            ]
        );
    }

    #[test]
    fn reals_printed_as_integers_become_real_by_declared_type() {
        let r = results(
            r#"{"results":[{"columns":["r","f","d","n","p","x","big"],"types":["real","float","double precision","numeric","floating point","","real"],"values":[[1,2,3,4,5,1.5,1e300]]}]}"#,
            true,
        );
        let row = &r[0].as_ref().unwrap().rows.as_ref().unwrap().values[0];
        assert_eq!(row[0], Value::Real(1.0));
        assert_eq!(row[1], Value::Real(2.0));
        assert_eq!(row[2], Value::Real(3.0));
        assert_eq!(row[3], Value::Integer(4)); // NUMERIC affinity
        assert_eq!(row[4], Value::Integer(5)); // "floating point" has INT -> INTEGER affinity
        assert_eq!(row[5], Value::Real(1.5));
        assert_eq!(row[6], Value::Real(1e300));
    }

    #[test]
    fn number_beyond_i64_is_a_real() {
        let v = decode_value(serde_json::from_str("18446744073709551615").unwrap(), "").unwrap();
        assert_eq!(v, Value::Real(18446744073709551615.0));
    }

    #[test]
    fn bools_blobs_nulls_and_datetimes() {
        let r = results(
            r#"{"results":[{"columns":["b","y","n","ts"],"types":["boolean","blob","text","datetime"],"values":[[true,[83,81,0,255],null,"2024-01-01T00:00:00Z"],[false,[],null,"x"]]}]}"#,
            true,
        );
        let v = &r[0].as_ref().unwrap().rows.as_ref().unwrap().values;
        assert_eq!(v[0][0], Value::Bool(true));
        assert_eq!(v[0][1], Value::Blob(vec![83, 81, 0, 255]));
        assert_eq!(v[0][2], Value::Null);
        assert_eq!(v[0][3], Value::Text("2024-01-01T00:00:00Z".into()));
        assert_eq!(v[1][0], Value::Bool(false));
        assert_eq!(v[1][1], Value::Blob(vec![]));
    }

    #[test]
    fn types_are_lower_cased() {
        let r = results(
            r#"{"results":[{"columns":["a"],"types":["VARCHAR(10)"],"values":[["x"]]}]}"#,
            true,
        );
        assert_eq!(
            r[0].as_ref().unwrap().rows.as_ref().unwrap().types,
            ["varchar(10)"]
        );
    }

    #[test]
    fn top_level_error() {
        assert_eq!(
            decode_body(br#"{"results":[],"error":"leader not found"}"#, false).unwrap(),
            Body::RequestError("leader not found".into())
        );
        assert_eq!(
            decode_body(br#"{"error":"store not ready"}"#, true).unwrap(),
            Body::RequestError("store not ready".into())
        );
    }

    #[test]
    fn malformed_bodies_are_errors() {
        assert!(decode_body(b"<html>", false).is_err());
        assert!(
            decode_body(
                br#"{"results":[{"columns":["a"],"types":["x","y"]}]}"#,
                true
            )
            .is_err()
        );
        assert!(decode_body(br#"{"results":[{"columns":["a"],"values":[[1,2]]}]}"#, true).is_err());
        assert!(
            decode_body(
                br#"{"results":[{"columns":["a"],"values":[[[256]]]}]}"#,
                true
            )
            .is_err()
        );
        assert!(
            decode_body(
                br#"{"results":[{"columns":["a"],"values":[[{"k":1}]]}]}"#,
                true
            )
            .is_err()
        );
        let e = decode_body(br#"{"results":[{"rows_affected":"x"}]}"#, false).unwrap_err();
        assert!(e.contains("invalid JSON"), "{e}");
    }
}
