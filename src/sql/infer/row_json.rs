//! `row_to_json(r)`, `to_json(r)` and `to_jsonb(r)` of a whole FROM item `r`
//! (a derived table, CTE or table alias): SQLite has no row values, so the
//! call becomes a JSON object built from `r`'s columns, in order, when the
//! scope knows them. Booleans become JSON true/false and json/jsonb columns
//! are embedded as JSON, as PostgreSQL does; row_to_json/to_json print
//! compact (SQLite's `json_object`), to_jsonb is normalised on output.

use sqlparser::ast::{Expr, Ident, ObjectName};

use super::scope::{Local, Scope};
use crate::sql::PgType as T;
use crate::sql::names::fold;

use crate::sql::rewrite::call;

/// The object `name(arg)` stands for, when `arg` names a FROM item with known
/// columns (and no column of that name is in scope).
pub(super) fn expand(name: &str, arg: &Expr, scope: &Scope) -> Option<Expr> {
    if !matches!(name, "row_to_json" | "to_json" | "to_jsonb") {
        return None;
    }
    let Expr::Identifier(id) = arg else {
        return None;
    };
    if !matches!(scope.local_column(None, &fold(id)), Local::Elsewhere) {
        return None;
    }
    let columns = scope.qualified_star(&ObjectName::from(vec![id.clone()]))?;
    let mut args = Vec::new();
    for c in columns {
        let value = Expr::CompoundIdentifier(vec![id.clone(), Ident::with_quote('"', &c.name)]);
        let value = match c.ty {
            Some(T::Bool) => call(
                "json",
                vec![Expr::Case {
                    case_token: sqlparser::ast::helpers::attached_token::AttachedToken::empty(),
                    end_token: sqlparser::ast::helpers::attached_token::AttachedToken::empty(),
                    operand: None,
                    conditions: vec![
                        sqlparser::ast::CaseWhen {
                            condition: value.clone(),
                            result: Expr::value(sqlparser::ast::Value::SingleQuotedString(
                                "true".into(),
                            )),
                        },
                        sqlparser::ast::CaseWhen {
                            condition: Expr::UnaryOp {
                                op: sqlparser::ast::UnaryOperator::Not,
                                expr: Box::new(value),
                            },
                            result: Expr::value(sqlparser::ast::Value::SingleQuotedString(
                                "false".into(),
                            )),
                        },
                    ],
                    else_result: None,
                }],
            ),
            Some(T::Json | T::Jsonb) => call("json", vec![value]),
            _ => value,
        };
        args.push(Expr::value(sqlparser::ast::Value::SingleQuotedString(
            c.name,
        )));
        args.push(value);
    }
    Some(call(
        if name == "to_jsonb" {
            "jsonb_build_object"
        } else {
            "json_object"
        },
        args,
    ))
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn a_whole_from_item_becomes_an_object_of_its_columns() {
        let out = sqlite("SELECT row_to_json(r) FROM (SELECT 1 AS a, 1 < 2 AS b) r");
        assert!(
            out.starts_with(
                "SELECT json_object('a', r.\"a\", 'b', json(CASE WHEN r.\"b\" THEN 'true' \
                 WHEN NOT r.\"b\" THEN 'false' END))"
            ),
            "{out}"
        );
        let out = sqlite("SELECT to_jsonb(d) FROM (SELECT 1 AS a, 'x' AS b) d");
        assert!(
            out.starts_with("SELECT json_object('a', d.\"a\", 'b', d.\"b\")"),
            "{out}"
        );
        // A column of that name is the column, not the row.
        let schema = schema_from(&["CREATE TABLE t (t int)"]);
        assert!(sqlite_with("SELECT to_json(t) FROM t", &schema).contains("json_quote(t)"));
    }
}
