//! Arrays where SQLite has none: `x op ANY (…)` / `x op ALL (…)` over an
//! `ARRAY[…]` constructor, an array literal (`'{1,2}'::int[]`) or a
//! subquery become IN / NOT IN lists or OR / AND chains (the same
//! three-valued logic), before the operands are rewritten; `array_agg`
//! builds PostgreSQL's array text (`{1,2,NULL,"a b"}`). Array values
//! elsewhere (columns, parameters, subscripts) are refused by name.

use sqlparser::ast::{BinaryOperator as B, DataType, Expr, Value};

use super::build::literal_str;
use super::{number, string};
use crate::sql::SqlError;

/// Rewrite an ANY/ALL comparison in place (called before its children are
/// visited, so that the elements are rewritten like any expression).
pub(super) fn pre_expr(expr: &mut Expr) -> Result<(), SqlError> {
    let (left, op, right, any) = match expr {
        Expr::AnyOp {
            left,
            compare_op,
            right,
            ..
        } => (left, compare_op.clone(), right, true),
        Expr::AllOp {
            left,
            compare_op,
            right,
        } => (left, compare_op.clone(), right, false),
        _ => return Ok(()),
    };
    let name = if any { "ANY" } else { "ALL" };
    if let Expr::Subquery(q) = right.as_ref() {
        let negated = match (&op, any) {
            (B::Eq, true) => false,
            (B::NotEq, false) => true,
            _ => {
                return Err(SqlError::unsupported(format!(
                    "operator {op} {name} (subquery) (only = ANY and <> ALL)"
                )));
            }
        };
        *expr = Expr::InSubquery {
            expr: left.clone(),
            subquery: q.clone(),
            negated,
        };
        return Ok(());
    }
    if super::array_params::is_param_operand(right) {
        // Rewritten after its operands (`array_params`).
        return Ok(());
    }
    let elements = elements(right)?;
    let left = left.as_ref().clone();
    *expr = match (&op, any) {
        (B::Eq, true) | (B::NotEq, false) => Expr::InList {
            expr: Box::new(left),
            list: elements,
            negated: !any,
        },
        _ => {
            let joiner = if any { B::Or } else { B::And };
            let chain = elements
                .into_iter()
                .map(|e| Expr::BinaryOp {
                    left: Box::new(left.clone()),
                    op: op.clone(),
                    right: Box::new(e),
                })
                .reduce(|a, b| Expr::BinaryOp {
                    left: Box::new(a),
                    op: joiner.clone(),
                    right: Box::new(b),
                });
            match chain {
                Some(c) => Expr::Nested(Box::new(c)),
                // ANY of nothing is false, ALL of nothing true.
                None => number(if any { "0" } else { "1" }),
            }
        }
    };
    Ok(())
}

/// The elements of an array operand pgrq can list at translation time.
fn elements(right: &Expr) -> Result<Vec<Expr>, SqlError> {
    match right {
        Expr::Nested(inner) => elements(inner),
        Expr::Array(a) => {
            if a.elem.iter().any(|e| matches!(e, Expr::Array(_))) {
                return Err(SqlError::unsupported("multidimensional ARRAY in ANY/ALL"));
            }
            Ok(a.elem.clone())
        }
        Expr::Cast { expr, .. } if matches!(expr.as_ref(), Expr::Array(_)) => elements(expr),
        Expr::Cast {
            expr, data_type, ..
        } => match (literal_str(expr), data_type) {
            (Some(text), DataType::Array(def)) => {
                let numeric = def_is_numeric(&format!("{def:?}"));
                parse_literal(text)?
                    .into_iter()
                    .map(|el| element(el, numeric))
                    .collect()
            }
            _ => Err(SqlError::unsupported("ANY/ALL over a cast value")),
        },
        Expr::Value(v) if matches!(v.value, Value::SingleQuotedString(_)) => match &v.value {
            Value::SingleQuotedString(text) => parse_literal(text)?
                .into_iter()
                .map(|el| element(el, false))
                .collect(),
            _ => Ok(vec![]),
        },
        Expr::Value(v) if matches!(v.value, Value::Placeholder(_)) => Err(SqlError::unsupported(
            "ANY/ALL over an array parameter (use IN (…) or one parameter per value)",
        )),
        other => Err(SqlError::unsupported(format!(
            "ANY/ALL over `{}` (only ARRAY[…], an array literal or a subquery)",
            other.to_string().chars().take(40).collect::<String>()
        ))),
    }
}

fn def_is_numeric(debug: &str) -> bool {
    [
        "Int", "BigInt", "SmallInt", "Integer", "Numeric", "Decimal", "Float", "Real", "Double",
    ]
    .iter()
    .any(|k| debug.contains(k))
}

fn element(el: Option<String>, numeric: bool) -> Result<Expr, SqlError> {
    Ok(match el {
        None => Expr::value(Value::Null),
        Some(s) if numeric => {
            let t = s.trim();
            if t.parse::<f64>().is_err() {
                return Err(SqlError::syntax(format!(
                    "invalid input syntax for a number in an array literal: \"{s}\""
                )));
            }
            number(t)
        }
        Some(s) => string(&s),
    })
}

/// PostgreSQL's one-dimensional array text `{a,"b c",NULL}`; `None` is NULL.
pub(crate) fn parse_literal(text: &str) -> Result<Vec<Option<String>>, SqlError> {
    let bad = || SqlError::syntax(format!("malformed array literal: \"{text}\""));
    let inner = text
        .trim()
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .ok_or_else(bad)?;
    let mut out = Vec::new();
    if inner.trim().is_empty() {
        return Ok(out);
    }
    let mut chars = inner.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut item = String::new();
        let mut quoted = false;
        if chars.peek() == Some(&'"') {
            quoted = true;
            chars.next();
            loop {
                match chars.next().ok_or_else(bad)? {
                    '"' => break,
                    '\\' => item.push(chars.next().ok_or_else(bad)?),
                    c => item.push(c),
                }
            }
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                if matches!(c, '{' | '}' | '"') {
                    return Err(bad());
                }
                if c == '\\' {
                    chars.next();
                    item.push(chars.next().ok_or_else(bad)?);
                    continue;
                }
                item.push(c);
                chars.next();
            }
            item = item.trim_end().to_string();
            if item.is_empty() {
                return Err(bad());
            }
        }
        out.push(if !quoted && item.eq_ignore_ascii_case("null") {
            None
        } else {
            Some(item)
        });
        match chars.next() {
            None => return Ok(out),
            Some(',') => {}
            Some(_) => return Err(bad()),
        }
    }
}

/// `array_agg(x [ORDER BY …])` as PostgreSQL's array text: each element
/// quoted where PostgreSQL quotes it, NULL for NULLs, `{…}` around; NULL
/// for no rows.
pub(super) const ARRAY_AGG_ELEMENT: &str = "CASE WHEN pgrq_arg1 IS NULL THEN 'NULL' \
     WHEN typeof(pgrq_arg1) <> 'text' THEN CAST(pgrq_arg1 AS TEXT) \
     WHEN pgrq_arg1 = '' OR upper(pgrq_arg1) = 'NULL' \
     OR glob('*[{},\"\\ ]*', pgrq_arg1) OR instr(pgrq_arg1, char(9)) OR instr(pgrq_arg1, char(10)) \
     THEN '\"' || replace(replace(pgrq_arg1, '\\', '\\\\'), '\"', '\\\"') || '\"' \
     ELSE pgrq_arg1 END";

#[cfg(test)]
mod tests {
    use super::parse_literal;
    use crate::sql::test_support::*;

    #[test]
    fn any_and_all_over_array_constructors() {
        assert_eq!(
            sqlite("SELECT * FROM t WHERE a = ANY(ARRAY[1, 2]) AND b <> ALL(ARRAY['x'])"),
            "SELECT * FROM t WHERE a IN (1, 2) AND b NOT IN ('x')"
        );
        assert_eq!(
            sqlite("SELECT * FROM t WHERE a > ANY(ARRAY[1, b]) OR a < ALL(ARRAY[]::int[])"),
            "SELECT * FROM t WHERE (a > 1 OR a > b) OR 1"
        );
    }

    #[test]
    fn any_over_array_literals_and_subqueries() {
        assert_eq!(
            sqlite(
                "SELECT * FROM t WHERE a = ANY('{1, 2,NULL}'::int[]) AND b = ANY('{\"x y\",z}')"
            ),
            "SELECT * FROM t WHERE a IN (1, 2, NULL) AND b IN ('x y', 'z')"
        );
        assert_eq!(
            sqlite("SELECT * FROM t WHERE a = ANY(SELECT b FROM u)"),
            "SELECT * FROM t WHERE a IN (SELECT b FROM u)"
        );
        assert_unsupported(
            "SELECT * FROM t WHERE a > ALL(SELECT b FROM u)",
            "only = ANY",
        );
    }

    #[test]
    fn array_literal_text() {
        assert_eq!(
            parse_literal(r#"{a, "b,c" ,NULL,"NULL","q\"x"}"#).unwrap(),
            vec![
                Some("a".into()),
                Some("b,c".into()),
                None,
                Some("NULL".into()),
                Some("q\"x".into())
            ]
        );
        assert!(parse_literal("{}").unwrap().is_empty());
        assert!(parse_literal("{a,{b}}").is_err());
        assert!(parse_literal("1,2").is_err());
    }
}
