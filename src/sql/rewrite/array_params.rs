//! `x = ANY($n)` and `x <> ALL($n)` with an array parameter: the comparison becomes
//! `x [NOT] IN (SELECT value FROM json_each(?n))` (NULL when the array is NULL, as
//! in PostgreSQL), and `?n` is recorded so that the session sends that parameter's
//! value, PostgreSQL's array text (text or binary Bind), as a JSON array
//! ([`array_param_json`]). Other operators over an array parameter are refused by
//! name. Owns only this comparison and the value conversion; it does no I/O.

use sqlparser::ast::{BinaryOperator as B, Expr};

use super::Rewriter;
use super::arrays::parse_literal;
use super::params::param_index;
use super::template;
use crate::sql::{PgType, SqlError};

/// Whether `right` of an ANY/ALL is a parameter (`$n`, `$n::T[]`), before the
/// operands are rewritten: such comparisons are left for [`rewrite`].
pub(super) fn is_param_operand(right: &Expr) -> bool {
    match right {
        Expr::Nested(inner) => is_param_operand(inner),
        Expr::Cast { expr, .. } => is_param_operand(expr),
        Expr::Value(v) => matches!(v.value, sqlparser::ast::Value::Placeholder(_)),
        _ => false,
    }
}

/// After the operands are rewritten: an ANY/ALL over a parameter becomes a
/// membership test on the JSON array the session will bind. `Ok(false)` when
/// `e` is something else.
pub(super) fn rewrite(rw: &mut Rewriter<'_>, e: &mut Expr) -> Result<bool, SqlError> {
    let (left, op, right, any) = match e {
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
        _ => return Ok(false),
    };
    let Some(index) = param_index(right) else {
        return Ok(false);
    };
    let negated = match (&op, any) {
        (B::Eq, true) => false,
        (B::NotEq, false) => true,
        _ => {
            let name = if any { "ANY" } else { "ALL" };
            return Err(SqlError::unsupported(format!(
                "operator {op} {name} over an array parameter (only = ANY and <> ALL)"
            )));
        }
    };
    if let Some(array) = rw.column_types.of(left).and_then(PgType::array_of) {
        rw.params.note_type(index, array);
    }
    rw.params.note_json_array(index);
    let test = if negated { "NOT IN" } else { "IN" };
    let sql = format!(
        "CASE WHEN pgrq_arg2 IS NULL THEN NULL \
         ELSE pgrq_arg1 {test} (SELECT value FROM json_each(pgrq_arg2)) END"
    );
    *e = template::fill(&sql, &[left.as_ref().clone(), right.as_ref().clone()])?;
    Ok(true)
}

/// The value of an array parameter compared by `= ANY`: PostgreSQL's array text
/// (`{1,2,NULL}`, `{a,"b c"}`) as a JSON array, its elements numbers where the
/// parameter's element type is numeric (22P02 when one is not), 1/0 for booleans
/// (pgrq stores booleans so), strings otherwise.
pub fn array_param_json(text: &str, array_type: Option<PgType>) -> Result<String, SqlError> {
    let element = array_type.and_then(PgType::element);
    let mut out = Vec::new();
    for el in parse_literal(text)? {
        let Some(s) = el else {
            out.push(serde_json::Value::Null);
            continue;
        };
        let value = match element {
            Some(PgType::Int2 | PgType::Int4 | PgType::Int8) => {
                let n: i64 = s.trim().parse().map_err(|_| invalid(&s, "integer"))?;
                serde_json::Value::from(n)
            }
            Some(PgType::Float4 | PgType::Float8 | PgType::Numeric) => {
                let f: f64 = s.trim().parse().map_err(|_| invalid(&s, "numeric"))?;
                serde_json::Number::from_f64(f)
                    .map(serde_json::Value::Number)
                    .ok_or_else(|| invalid(&s, "numeric"))?
            }
            Some(PgType::Bool) => match s.trim().to_ascii_lowercase().as_str() {
                "t" | "true" | "y" | "yes" | "on" | "1" => serde_json::Value::from(1),
                "f" | "false" | "n" | "no" | "off" | "0" => serde_json::Value::from(0),
                _ => return Err(invalid(&s, "boolean")),
            },
            _ => serde_json::Value::String(s),
        };
        out.push(value);
    }
    Ok(serde_json::Value::Array(out).to_string())
}

fn invalid(s: &str, ty: &str) -> SqlError {
    SqlError::InvalidText {
        message: format!("invalid input syntax for type {ty}: \"{s}\""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::test_support::*;

    #[test]
    fn any_over_a_parameter_is_a_membership_test_on_its_json() {
        assert_eq!(
            sqlite("SELECT * FROM t WHERE a = ANY($1)"),
            "SELECT * FROM t WHERE CASE WHEN ?1 IS NULL THEN NULL \
             ELSE a IN (SELECT value FROM json_each(?1)) END"
        );
        assert_eq!(
            sqlite("SELECT * FROM t WHERE a <> ALL($2::int[]) AND b = $1"),
            "SELECT * FROM t WHERE CASE WHEN ?2 IS NULL THEN NULL \
             ELSE a NOT IN (SELECT value FROM json_each(?2)) END AND b = ?1"
        );
        assert_unsupported(
            "SELECT * FROM t WHERE a > ANY($1)",
            "over an array parameter",
        );
    }

    #[test]
    fn array_text_becomes_json() {
        assert_eq!(
            array_param_json("{1,2,NULL}", Some(PgType::Int4Array)).unwrap(),
            "[1,2,null]"
        );
        assert_eq!(
            array_param_json(r#"{a,"b c",NULL,"NULL"}"#, Some(PgType::TextArray)).unwrap(),
            r#"["a","b c",null,"NULL"]"#
        );
        assert_eq!(array_param_json("{}", None).unwrap(), "[]");
        assert_eq!(
            array_param_json("{t,f}", Some(PgType::BoolArray)).unwrap(),
            "[1,0]"
        );
        assert!(matches!(
            array_param_json("{1,x}", Some(PgType::Int8Array)),
            Err(SqlError::InvalidText { .. })
        ));
        assert!(array_param_json("not an array", None).is_err());
    }
}
