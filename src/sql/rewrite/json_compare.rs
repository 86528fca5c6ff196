//! jsonb comparison: containment (`@>`, `<@`) and equality (`=`, `<>`).
//!
//! Containment follows PostgreSQL's rules recursively: an object contains an
//! object whose every key it has with a contained value, an array contains an
//! array each of whose elements matches some element (scalars by equality,
//! containers by containment, never a scalar against a container), scalars are
//! equal, and at the top level only an array also contains a lone scalar. The
//! contained side must be a constant, which is unfolded into SQL tests on the
//! other side's JSON paths (SQLite's `json_type`/`json_each`); `a <@ b` is
//! `b @> a`. Equality compares the two documents' trees (`json_tree`: every
//! node's path, kind and value) as sets, so key order, spacing and number
//! spelling (`1` and `1.0`) do not matter, as in jsonb.

use serde_json::Value as V;
use sqlparser::ast::Expr;

use super::build::literal_str;
use super::template::fill;
use crate::sql::SqlError;

/// `left @> right`.
pub(super) fn contains(left: Expr, right: &Expr, op: &str) -> Result<Expr, SqlError> {
    let doc = constant(right).ok_or_else(|| {
        SqlError::unsupported(format!(
            "operator {op} with a contained document that is not a constant"
        ))
    })??;
    let mut aliases = 0;
    let test = match &doc {
        V::Object(_) | V::Array(_) => {
            let mut conds = Vec::new();
            node("'$'", &doc, &mut aliases, &mut conds);
            conds.join(" AND ")
        }
        scalar => {
            let at_root = scalar_test(
                "json_type(pgrq_arg1, '$')",
                "json_extract(pgrq_arg1, '$')",
                scalar,
            );
            let element = scalar_test("e0.type", "e0.value", scalar);
            format!(
                "({at_root}) OR (json_type(pgrq_arg1, '$') = 'array' AND \
                 EXISTS (SELECT 1 FROM json_each(pgrq_arg1) AS e0 WHERE {element}))"
            )
        }
    };
    fill(
        &format!("(CASE WHEN pgrq_arg1 IS NULL THEN NULL ELSE coalesce(({test}), 0) END)"),
        &[left],
    )
}

/// The JSON value of a constant operand (after rewriting, a string literal):
/// `None` when it is not a constant, `Some(Err)` when it is not JSON.
fn constant(e: &Expr) -> Option<Result<V, SqlError>> {
    let text = match e {
        Expr::Nested(inner) => return constant(inner),
        other => literal_str(other)?,
    };
    Some(
        serde_json::from_str(text).map_err(|_| {
            SqlError::syntax(format!("invalid input syntax for type json: \"{text}\""))
        }),
    )
}

/// SQL text for a value of a SQL string.
fn sql_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Conditions for "the container at `path` (an SQL expression of a JSON path
/// into `pgrq_arg1`) contains `v`", where `v` is an object or array.
fn node(path: &str, v: &V, aliases: &mut usize, out: &mut Vec<String>) {
    match v {
        V::Object(map) => {
            out.push(format!("json_type(pgrq_arg1, {path}) = 'object'"));
            for (k, item) in map {
                let member = format!(
                    "{path} || {}",
                    sql_str(&format!(
                        ".\"{}\"",
                        k.replace('\\', "\\\\").replace('"', "\\\"")
                    ))
                );
                match item {
                    V::Object(_) | V::Array(_) => node(&member, item, aliases, out),
                    scalar => out.push(format!(
                        "({})",
                        scalar_test(
                            &format!("json_type(pgrq_arg1, {member})"),
                            &format!("json_extract(pgrq_arg1, {member})"),
                            scalar
                        )
                    )),
                }
            }
        }
        V::Array(items) => {
            out.push(format!("json_type(pgrq_arg1, {path}) = 'array'"));
            for item in items {
                *aliases += 1;
                let e = format!("e{aliases}");
                let test = match item {
                    V::Object(_) | V::Array(_) => {
                        let mut inner = Vec::new();
                        node(&format!("{e}.fullkey"), item, aliases, &mut inner);
                        inner.join(" AND ")
                    }
                    scalar => scalar_test(&format!("{e}.type"), &format!("{e}.value"), scalar),
                };
                out.push(format!(
                    "EXISTS (SELECT 1 FROM json_each(pgrq_arg1, {path}) AS {e} WHERE {test})"
                ));
            }
        }
        scalar => out.push(format!(
            "({})",
            scalar_test(
                &format!("json_type(pgrq_arg1, {path})"),
                &format!("json_extract(pgrq_arg1, {path})"),
                scalar
            )
        )),
    }
}

/// A scalar's test, given SQL for the candidate's `json_type` and value.
fn scalar_test(type_sql: &str, value_sql: &str, v: &V) -> String {
    match v {
        V::Null => format!("{type_sql} = 'null'"),
        V::Bool(true) => format!("{type_sql} = 'true'"),
        V::Bool(false) => format!("{type_sql} = 'false'"),
        V::Number(n) => format!("{type_sql} IN ('integer', 'real') AND {value_sql} = {n}"),
        V::String(s) => format!("{type_sql} = 'text' AND {value_sql} = {}", sql_str(s)),
        V::Object(_) | V::Array(_) => format!("{type_sql} IS NULL AND 0"),
    }
}

/// The nodes of a document: path, kind (numbers as one kind) and value.
const TREE: &str = "SELECT fullkey, CASE WHEN type IN ('integer', 'real') THEN 'number' \
                    ELSE type END, atom FROM json_tree";

/// `a = b` for jsonb (NULL when either is NULL).
pub(super) fn equal(a: Expr, b: Expr) -> Result<Expr, SqlError> {
    fill(
        &format!(
            "(CASE WHEN pgrq_arg1 IS NULL OR pgrq_arg2 IS NULL THEN NULL ELSE NOT EXISTS \
             (SELECT 1 FROM ({TREE}(pgrq_arg1) EXCEPT {TREE}(pgrq_arg2)) \
             UNION ALL SELECT 1 FROM ({TREE}(pgrq_arg2) EXCEPT {TREE}(pgrq_arg1))) END)"
        ),
        &[a, b],
    )
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn containment_unfolds_the_constant_recursively() {
        let out = sqlite(r#"SELECT j @> '{"a": [1, {"b": "x"}]}' FROM t"#);
        assert!(out.contains("json_type(j, '$') = 'object'"), "{out}");
        assert!(
            out.contains("json_type(j, '$' || '.\"a\"') = 'array'"),
            "{out}"
        );
        assert!(
            out.contains("json_each(j, '$' || '.\"a\"') AS e1 WHERE e1.type IN ('integer', 'real') AND e1.value = 1"),
            "{out}"
        );
        assert!(
            out.contains("AS e2 WHERE json_type(j, e2.fullkey) = 'object' AND (json_type(j, e2.fullkey || '.\"b\"') = 'text'"),
            "{out}"
        );
    }

    #[test]
    fn contained_by_swaps_and_scalars_match_array_elements() {
        let out = sqlite(r#"SELECT '{"a":1}'::jsonb <@ j FROM t"#);
        assert!(out.contains("CASE WHEN j IS NULL THEN NULL"), "{out}");
        let out = sqlite("SELECT j @> '1' FROM t");
        assert!(
            out.contains("json_each(j) AS e0 WHERE e0.type IN ('integer', 'real')"),
            "{out}"
        );
        assert_unsupported("SELECT * FROM t WHERE j @> k", "not a constant");
        assert_unsupported("SELECT * FROM t WHERE j <@ k", "not a constant");
    }

    #[test]
    fn jsonb_equality_compares_trees() {
        let schema = schema_from(&["CREATE TABLE t (j jsonb, b jsonb)"]);
        let out = sqlite_with(
            r#"SELECT '{"a":1}'::jsonb = '{"a": 1}'::jsonb, j <> '[1]' FROM t WHERE b = j"#,
            &schema,
        );
        assert!(out.contains("EXCEPT SELECT fullkey"), "{out}");
        assert!(
            out.contains("NOT ((CASE WHEN j IS NULL OR '[1]' IS NULL"),
            "{out}"
        );
    }
}
