//! jsonb `||` and `-`, which SQLite would read as text concatenation and
//! arithmetic. With a constant right operand they become SQLite JSON calls
//! with PostgreSQL's meaning: object || object sets each key of the right
//! (a shallow merge, right wins), array || array appends its elements, and
//! `- 'key'` / `- n` remove an object key / an array element. Other operand
//! shapes, or values of another JSON type at run time, are refused (0A000)
//! rather than answered differently. `=`/`<>` with a jsonb side compare
//! documents, not their text (see `json_compare`). Runs on PostgreSQL's tree.

use sqlparser::ast::{BinaryOperator as B, DataType, Expr, Value};

use super::build::{case, literal_int, literal_str, raise, take};
use super::column_types::ColumnTypes;
use super::{call, string};
use crate::sql::{PgType, SqlError};

pub(super) fn pre_expr(e: &mut Expr, columns: &ColumnTypes) -> Result<(), SqlError> {
    let Expr::BinaryOp { left, op, right } = e else {
        return Ok(());
    };
    let out = match op {
        B::StringConcat if is_jsonb(left, columns) || is_jsonb(right, columns) => {
            concat(take(left), right)?
        }
        B::Minus if is_jsonb(left, columns) => remove(take(left), right)?,
        B::Eq | B::NotEq if is_jsonb(left, columns) || is_jsonb(right, columns) => {
            let eq = call(super::json_text::JSONB_EQ, vec![take(left), take(right)]);
            if matches!(op, B::NotEq) {
                super::build::not(eq)
            } else {
                eq
            }
        }
        _ => return Ok(()),
    };
    *e = out;
    Ok(())
}

fn is_jsonb(e: &Expr, columns: &ColumnTypes) -> bool {
    match e {
        Expr::Nested(inner) => is_jsonb(inner, columns),
        Expr::BinaryOp {
            left, op: B::Minus, ..
        } => is_jsonb(left, columns),
        Expr::BinaryOp {
            left,
            op: B::StringConcat,
            right,
        } => is_jsonb(left, columns) || is_jsonb(right, columns),
        Expr::Cast { data_type, .. } => jsonb_type(data_type),
        Expr::TypedString(ts) => jsonb_type(&ts.data_type),
        other => columns.of(other) == Some(PgType::Jsonb),
    }
}

fn jsonb_type(dt: &DataType) -> bool {
    matches!(dt, DataType::JSONB)
        || matches!(dt, DataType::Custom(n, _) if n.to_string().eq_ignore_ascii_case("jsonb"))
}

/// The JSON text of a constant operand (`'…'::jsonb` or a plain literal).
fn constant_json(e: &Expr) -> Option<serde_json::Value> {
    let text = match e {
        Expr::Nested(inner) => return constant_json(inner),
        Expr::Cast { expr, .. } => literal_str(expr)?,
        Expr::TypedString(ts) => match &ts.value.value {
            Value::SingleQuotedString(s) => s.as_str(),
            _ => return None,
        },
        other => literal_str(other)?,
    };
    serde_json::from_str(text).ok()
}

fn refuse(what: &str) -> Expr {
    raise("0A000", &format!("jsonb {what} is not supported"))
}

/// `'$."key"'`, or `None` for a key the path syntax cannot quote.
fn key_path(key: &str) -> Option<String> {
    (!key.contains('"') && !key.contains('\\')).then(|| format!("$.\"{key}\""))
}

fn concat(left: Expr, right: &mut Expr) -> Result<Expr, SqlError> {
    let Some(value) = constant_json(right) else {
        return Err(SqlError::unsupported(
            "jsonb || with a right operand that is not a constant",
        ));
    };
    let json_type = call("json_type", vec![left.clone()]);
    let (kind, args) = match &value {
        serde_json::Value::Object(map) => {
            let mut args = vec![left];
            for (k, v) in map {
                let path = key_path(k)
                    .ok_or_else(|| SqlError::unsupported("jsonb || with a key holding a quote"))?;
                args.push(string(&path));
                args.push(call("json", vec![string(&v.to_string())]));
            }
            ("object", args)
        }
        serde_json::Value::Array(items) => {
            let mut args = vec![left];
            for v in items {
                args.push(string("$[#]"));
                args.push(call("json", vec![string(&v.to_string())]));
            }
            ("array", args)
        }
        _ => {
            return Err(SqlError::unsupported(
                "jsonb || with a scalar right operand",
            ));
        }
    };
    let f = match (kind, args.len()) {
        (_, 1) => "json",
        ("object", _) => "json_set",
        _ => "json_insert",
    };
    Ok(case(
        vec![(super::build::eq(json_type, string(kind)), call(f, args))],
        Some(refuse(&format!("|| of a non-{kind} and an {kind}"))),
    ))
}

fn remove(left: Expr, right: &mut Expr) -> Result<Expr, SqlError> {
    let json_type = call("json_type", vec![left.clone()]);
    if let Some(key) = literal_str(right) {
        let path = key_path(key)
            .ok_or_else(|| SqlError::unsupported("jsonb - with a key holding a quote"))?;
        return Ok(case(
            vec![(
                super::build::eq(json_type, string("object")),
                call("json_remove", vec![left, string(&path)]),
            )],
            Some(refuse("- 'key' on a non-object")),
        ));
    }
    if let Some(n) = literal_int(right) {
        let path = if n < 0 {
            format!("$[#{n}]")
        } else {
            format!("$[{n}]")
        };
        return Ok(case(
            vec![(
                super::build::eq(json_type, string("array")),
                call("json_remove", vec![left, string(&path)]),
            )],
            Some(refuse("- index on a non-array")),
        ));
    }
    Err(SqlError::unsupported(
        "jsonb - with a right operand that is not a constant",
    ))
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    fn m() -> crate::mirror::Mirror {
        mirror_from(&["CREATE TABLE d (id int, j jsonb)"])
    }

    #[test]
    fn concatenation_merges_objects_and_appends_arrays() {
        let out = sqlite_with("SELECT j || '{\"age\": 31}'::jsonb FROM d", &m());
        assert!(
            out.contains(
                "WHEN (json_type(j) = 'object') THEN json_set(j, '$.\"age\"', json('31'))"
            ),
            "{out}"
        );
        let out = sqlite_with("SELECT j || '[1, \"a\"]' FROM d", &m());
        assert!(
            out.contains("json_insert(j, '$[#]', json('1'), '$[#]', json('\"a\"'))"),
            "{out}"
        );
        assert!(matches!(
            err_with("SELECT j || j FROM d", &m()),
            crate::sql::SqlError::Unsupported { .. }
        ));
    }

    #[test]
    fn minus_removes_keys_and_elements() {
        let out = sqlite_with("SELECT j - 'tags' - 'addr' FROM d", &m());
        assert!(out.contains("json_remove(j, '$.\"tags\"')"), "{out}");
        assert!(out.contains("'$.\"addr\"'"), "{out}");
        let out = sqlite_with("SELECT j - -1 FROM d", &m());
        assert!(out.contains("json_remove(j, '$[#-1]')"), "{out}");
    }
}
