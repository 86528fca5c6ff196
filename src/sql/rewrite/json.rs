//! JSON and jsonb on SQLite's JSON functions: `#>`/`#>>` with a constant
//! path, `?`/`?|`/`?&` key tests, `@>`/`<@` (in `json_compare`), the
//! build/agg/typeof/set functions, and casts that check the text is JSON.
//! (`->`/`->>` are SQLite's own, with PostgreSQL's meaning.) jsonb's
//! normalised output is printed by the wire encoder, not here.

use sqlparser::ast::{BinaryOperator as B, Expr};

use super::arrays::parse_literal;
use super::build::{literal_str, raise};
use super::template::fill;
use super::{call, string};
use crate::sql::SqlError;

/// Rewrite a JSON operator (`operators` routes only those here).
pub(super) fn operator(op: &B, left: Expr, right: Expr) -> Result<Expr, SqlError> {
    let out = match op {
        B::HashArrow => arrow(left, string(&path_of(&right)?)),
        B::HashLongArrow => long_arrow(left, string(&path_of(&right)?))?,
        B::LongArrow => long_arrow(left, right)?,
        B::Question => has_key(left, right)?,
        B::QuestionPipe | B::QuestionAnd => {
            let keys = string_list(&right, op)?;
            let joiner = if matches!(op, B::QuestionPipe) {
                B::Or
            } else {
                B::And
            };
            let tests = keys
                .into_iter()
                .map(|k| has_key(left.clone(), string(&k)))
                .collect::<Result<Vec<_>, _>>()?;
            match tests.into_iter().reduce(|a, b| Expr::BinaryOp {
                left: Box::new(a),
                op: joiner.clone(),
                right: Box::new(b),
            }) {
                Some(e) => Expr::Nested(Box::new(e)),
                None => super::number(if matches!(op, B::QuestionPipe) {
                    "0"
                } else {
                    "1"
                }),
            }
        }
        B::AtArrow => super::json_compare::contains(left, &right, "@>")?,
        B::ArrowAt => super::json_compare::contains(right, &left, "<@")?,
        other => return Err(SqlError::unsupported(format!("operator {other}"))),
    };
    Ok(out)
}

/// Before the children are visited: an `ARRAY['a', 'b']` key list or path
/// becomes the array literal `'{a,b}'`, so that it is not refused as an
/// array value.
pub(super) fn pre_expr(expr: &mut Expr) -> Result<(), SqlError> {
    if let Expr::BinaryOp { op, right, .. } = expr
        && matches!(
            op,
            B::HashArrow | B::HashLongArrow | B::QuestionPipe | B::QuestionAnd
        )
        && matches!(right.as_ref(), Expr::Array(_))
    {
        let items = string_list(right, op)?;
        let quoted: Vec<String> = items
            .iter()
            .map(|i| format!("\"{}\"", i.replace('\\', "\\\\").replace('"', "\\\"")))
            .collect();
        **right = string(&format!("{{{}}}", quoted.join(",")));
    }
    Ok(())
}

/// `(j -> k)`.
fn arrow(j: Expr, k: Expr) -> Expr {
    Expr::Nested(Box::new(Expr::BinaryOp {
        left: Box::new(j),
        op: B::Arrow,
        right: Box::new(k),
    }))
}

/// `j ->> k` as text: SQLite's `->>` gives booleans as 1/0 and numbers as
/// SQL numbers (1.0 prints as 1); PostgreSQL gives their JSON text.
fn long_arrow(j: Expr, k: Expr) -> Result<Expr, SqlError> {
    fill(
        "CASE WHEN json_type(pgrq_arg1 -> pgrq_arg2) IN ('true', 'false', 'integer', 'real') \
         THEN pgrq_arg1 -> pgrq_arg2 ELSE pgrq_arg1 ->> pgrq_arg2 END",
        &[j, k],
    )
}

/// `j ? k`: k is a key of the object j, or a string element of the array j.
fn has_key(j: Expr, k: Expr) -> Result<Expr, SqlError> {
    fill(
        "EXISTS (SELECT 1 FROM json_each(pgrq_arg1) WHERE CASE json_type(pgrq_arg1) \
         WHEN 'object' THEN key = pgrq_arg2 \
         WHEN 'array' THEN type = 'text' AND value = pgrq_arg2 ELSE 0 END)",
        &[j, k],
    )
}

fn string_list(e: &Expr, op: &B) -> Result<Vec<String>, SqlError> {
    let items = match e {
        Expr::Array(a) => a
            .elem
            .iter()
            .map(|x| literal_str(x).map(str::to_string))
            .collect::<Option<Vec<_>>>(),
        Expr::Cast { expr, .. } | Expr::Nested(expr) => return string_list(expr, op),
        other => literal_str(other).and_then(|t| {
            parse_literal(t)
                .ok()?
                .into_iter()
                .collect::<Option<Vec<_>>>()
        }),
    };
    items.ok_or_else(|| {
        SqlError::unsupported(format!("operator {op} with keys that are not constants"))
    })
}

/// A PostgreSQL path (`'{a,b,0}'` or `ARRAY['a','b']`) as an SQLite JSON path.
fn path_of(e: &Expr) -> Result<String, SqlError> {
    let parts = string_list(e, &B::HashArrow)
        .map_err(|_| SqlError::unsupported("#> / #>> with a path that is not a constant"))?;
    Ok(sqlite_path(&parts))
}

fn sqlite_path(parts: &[String]) -> String {
    let mut path = String::from("$");
    for p in parts {
        if let Ok(i) = p.parse::<i64>() {
            if i < 0 {
                path.push_str(&format!("[#{i}]"));
            } else {
                path.push_str(&format!("[{i}]"));
            }
        } else {
            path.push_str(&format!(".\"{}\"", p.replace('"', "\\\"")));
        }
    }
    path
}

/// JSON functions; `Ok(None)` for other names.
pub(super) fn function(name: &str, args: &mut Vec<Expr>) -> Result<Option<Expr>, SqlError> {
    if let Some(out) = super::json_text::function(name, args)? {
        return Ok(Some(out));
    }
    let out = match (name, args.len()) {
        ("jsonb_build_object", _) => call("json_object", std::mem::take(args)),
        ("jsonb_build_array", _) => call("json_array", std::mem::take(args)),
        ("jsonb_array_length" | "json_array_length", 1) => {
            args.push(raise("22023", "cannot get array length of a non-array"));
            fill(
                "CASE WHEN pgrq_arg1 IS NULL THEN NULL WHEN json_type(pgrq_arg1) = 'array' \
                 THEN json_array_length(pgrq_arg1) ELSE pgrq_arg2 END",
                args,
            )?
        }
        ("to_json" | "to_jsonb", 1) => call("json_quote", std::mem::take(args)),
        ("json_typeof" | "jsonb_typeof", 1) => fill(
            "CASE json_type(pgrq_arg1) WHEN 'text' THEN 'string' WHEN 'integer' THEN 'number' \
             WHEN 'real' THEN 'number' WHEN 'true' THEN 'boolean' WHEN 'false' THEN 'boolean' \
             ELSE json_type(pgrq_arg1) END",
            args,
        )?,
        ("jsonb_set", 3 | 4) => {
            if args.len() == 4 && literal_bool(&args[3]) != Some(true) {
                return Err(SqlError::unsupported(
                    "jsonb_set(…, create_missing => false)",
                ));
            }
            let path = path_of(&args[1])?;
            let value = call("json", vec![args[2].clone()]);
            call("json_set", vec![args[0].clone(), string(&path), value])
        }
        (
            "json_extract_path"
            | "jsonb_extract_path"
            | "json_extract_path_text"
            | "jsonb_extract_path_text",
            n,
        ) if n >= 2 => {
            let parts = args[1..]
                .iter()
                .map(|a| literal_str(a).map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| {
                    SqlError::unsupported(format!("{name}() with keys that are not constants"))
                })?;
            let path = string(&sqlite_path(&parts));
            if name.ends_with("_text") {
                long_arrow(args[0].clone(), path)?
            } else {
                arrow(args[0].clone(), path)
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(out))
}

/// Arguments of JSON-building functions that are json/jsonb columns are
/// JSON, not strings: SQLite sees only their text, so they are wrapped in
/// `json(…)` (PostgreSQL's `json_agg(doc)` embeds `doc`, it does not quote it).
pub(super) fn mark_json_columns(
    types: &super::column_types::ColumnTypes,
    name: &str,
    f: &mut sqlparser::ast::Function,
) {
    use sqlparser::ast::{FunctionArg, FunctionArgExpr, FunctionArguments};
    let builds_json = matches!(
        name,
        "json_agg"
            | "jsonb_agg"
            | "json_build_object"
            | "jsonb_build_object"
            | "json_build_array"
            | "jsonb_build_array"
            | "to_json"
            | "to_jsonb"
            | "json_object_agg"
            | "jsonb_object_agg"
    );
    let FunctionArguments::List(list) = &mut f.args else {
        return;
    };
    if !builds_json {
        return;
    }
    for arg in &mut list.args {
        if let FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) = arg
            && matches!(
                types.of(e),
                Some(crate::sql::PgType::Json | crate::sql::PgType::Jsonb)
            )
        {
            *e = call("json", vec![e.clone()]);
        }
    }
}

/// Aggregates: json_agg/jsonb_agg keep their ORDER BY/FILTER/OVER.
pub(super) fn aggregate_name(name: &str) -> Option<&'static str> {
    match name {
        "json_agg" | "jsonb_agg" => Some("json_group_array"),
        "json_object_agg" | "jsonb_object_agg" => Some("json_group_object"),
        _ => None,
    }
}

fn literal_bool(e: &Expr) -> Option<bool> {
    match e {
        Expr::Value(v) => match &v.value {
            sqlparser::ast::Value::Boolean(b) => Some(*b),
            sqlparser::ast::Value::Number(n, _) => Some(n != "0"),
            _ => None,
        },
        _ => None,
    }
}

/// `x::json` / `x::jsonb`: the text must be JSON (22P02 otherwise); json
/// keeps the text as given.
pub(super) fn checked_cast(inner: &Expr, jsonb: bool) -> Result<Expr, SqlError> {
    let name = if jsonb { "jsonb" } else { "json" };
    if let Some(text) = literal_str(inner) {
        return Ok(if serde_json::from_str::<serde_json::Value>(text).is_ok() {
            inner.clone()
        } else {
            raise("22P02", &format!("invalid input syntax for type {name}"))
        });
    }
    fill(
        "CASE WHEN pgrq_arg1 IS NULL OR json_valid(pgrq_arg1) THEN pgrq_arg1 ELSE pgrq_arg2 END",
        &[
            inner.clone(),
            raise("22P02", &format!("invalid input syntax for type {name}")),
        ],
    )
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn path_operators() {
        assert_eq!(
            sqlite("SELECT j #> '{a,0}', j #>> ARRAY['b', 'c'] FROM t"),
            "SELECT (j -> '$.\"a\"[0]') AS \"?column?\", CASE WHEN json_type(j -> '$.\"b\".\"c\"') \
             IN ('true', 'false', 'integer', 'real') THEN j -> '$.\"b\".\"c\"' \
             ELSE j ->> '$.\"b\".\"c\"' END AS \"?column?\" FROM t"
        );
    }

    #[test]
    fn key_tests_and_containment() {
        let out = sqlite("SELECT * FROM t WHERE j ? 'a' AND j ?| ARRAY['b', 'c']");
        assert!(
            out.contains("EXISTS (SELECT 1 FROM json_each(j) WHERE CASE json_type(j)"),
            "{out}"
        );
    }

    #[test]
    fn functions_and_casts() {
        assert_eq!(
            sqlite(
                "SELECT jsonb_build_object('a', 1), json_agg(x ORDER BY y), jsonb_array_length(j) FROM t"
            ),
            "SELECT json_object('a', 1) AS \"jsonb_build_object\", \
             ('[' || group_concat(SUBSTR(json_array(x), 2, length(json_array(x)) - 2), ', ' \
             ORDER BY y NULLS LAST) || ']') AS \"json_agg\", \
             CASE WHEN j IS NULL THEN NULL WHEN json_type(j) = 'array' THEN json_array_length(j) \
             ELSE json_extract('null', 'pgrq:22023:cannot get array length of a non-array') END \
             AS \"jsonb_array_length\" FROM t"
        );
        assert_eq!(
            sqlite("SELECT jsonb_set(j, '{a,b}', '2') FROM t"),
            "SELECT json_set(j, '$.\"a\".\"b\"', json('2')) AS \"jsonb_set\" FROM t"
        );
        assert!(sqlite("SELECT 'x'::jsonb").contains("pgrq:22P02"));
        assert_eq!(
            sqlite("SELECT '{\"a\":1}'::json"),
            "SELECT '{\"a\":1}' AS \"json\""
        );
    }
}
