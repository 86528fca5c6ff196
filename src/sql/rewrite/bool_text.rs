//! Booleans where PostgreSQL turns them into text: SQLite's booleans are
//! the integers 1 and 0, so `true::text` and `concat(true)` would print
//! `1`. A cast to text (and `||`, which casts its non-text operand) gives
//! `true`/`false`; concat()/concat_ws() use the type's output form `t`/`f`.
//! Likewise a char(n) operand of `||` loses its trailing blanks, and a
//! boolean given to a JSON builder (to_json, json_build_object, …) is JSON
//! `true`/`false`, not 1/0.
//! Runs before the children are rewritten, on PostgreSQL's tree.

use sqlparser::ast::{
    BinaryOperator as B, DataType, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Value,
};

use super::build::{case, not, take};
use super::column_types::ColumnTypes;
use super::string;
use crate::sql::PgType;

pub(super) fn pre_expr(e: &mut Expr, columns: &ColumnTypes) {
    match e {
        Expr::Cast {
            expr: inner,
            data_type,
            ..
        } if is_text_type(data_type) && is_boolean(inner, columns) => {
            spell(inner, "true", "false");
        }
        Expr::BinaryOp {
            left,
            op: B::StringConcat,
            right,
        } => {
            for side in [left, right] {
                if is_boolean(side, columns) {
                    spell(side, "true", "false");
                }
                unpad_char(side);
            }
        }
        Expr::Function(f) => {
            let name = f.name.to_string().to_ascii_lowercase();
            let json = matches!(
                name.as_str(),
                "json_build_object"
                    | "jsonb_build_object"
                    | "json_build_array"
                    | "jsonb_build_array"
                    | "to_json"
                    | "to_jsonb"
                    | "json_agg"
                    | "jsonb_agg"
            );
            if !json
                && !matches!(
                    name.as_str(),
                    "concat" | "concat_ws" | "format" | "pg_catalog.concat"
                )
            {
                return;
            }
            let FunctionArguments::List(list) = &mut f.args else {
                return;
            };
            for arg in &mut list.args {
                if let FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) = arg
                    && is_boolean(x, columns)
                {
                    if json {
                        // JSON true/false (json() marks the text as JSON).
                        spell(x, "true", "false");
                        let text = take(x);
                        *x = super::call("json", vec![text]);
                    } else {
                        spell(x, "t", "f");
                    }
                }
            }
        }
        _ => {}
    }
}

/// `'x'::char(3) || …`: char(n) becomes text without its trailing blanks
/// (the cast alone pads, see `casts`), so the cast is to varchar(n),
/// whose result is then trimmed.
fn unpad_char(slot: &mut Expr) {
    if let Expr::Cast { data_type, .. } = slot
        && let DataType::Char(n) | DataType::Character(n) = data_type
    {
        let n = *n;
        *data_type = DataType::Varchar(n);
        let cast = take(slot);
        *slot = super::call("rtrim", vec![cast, string(" ")]);
    }
}

/// Replace the boolean `slot` by the text PostgreSQL prints for it
/// (NULL stays NULL).
fn spell(slot: &mut Expr, yes: &str, no: &str) {
    let b = take(slot);
    *slot = Expr::Nested(Box::new(case(
        vec![(b.clone(), string(yes)), (not(b), string(no))],
        None,
    )));
}

fn is_text_type(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::Text | DataType::Varchar(_) | DataType::CharacterVarying(_) | DataType::String(_)
    )
}

/// Whether PostgreSQL types `e` as boolean.
fn is_boolean(e: &Expr, columns: &ColumnTypes) -> bool {
    match e {
        Expr::Value(v) => matches!(v.value, Value::Boolean(_)),
        Expr::Nested(inner) => is_boolean(inner, columns),
        Expr::BinaryOp { op, .. } => matches!(
            op,
            B::Eq | B::NotEq | B::Lt | B::LtEq | B::Gt | B::GtEq | B::And | B::Or
        ),
        e if crate::sql::types::is_predicate_form(e) => true,
        Expr::Cast { data_type, .. } => matches!(data_type, DataType::Bool | DataType::Boolean),
        Expr::Identifier(_) | Expr::CompoundIdentifier(_) => columns.of(e) == Some(PgType::Bool),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn booleans_cast_to_text_spell_true_and_false() {
        assert_eq!(
            sqlite("SELECT true::text, (1 < 2)::varchar"),
            "SELECT CAST((CASE WHEN 1 THEN 'true' WHEN NOT (1) THEN 'false' END) AS TEXT) AS \"text\", \
             CAST((CASE WHEN (1 < 2) THEN 'true' WHEN NOT ((1 < 2)) THEN 'false' END) AS TEXT) AS \"varchar\""
        );
        assert!(sqlite("SELECT 'x' || false").contains("'true'"));
    }

    #[test]
    fn concat_prints_t_and_f() {
        assert_eq!(
            sqlite("SELECT concat('a', true)"),
            "SELECT concat('a', (CASE WHEN 1 THEN 't' WHEN NOT (1) THEN 'f' END)) AS \"concat\""
        );
    }

    #[test]
    fn char_operands_of_concatenation_lose_their_padding() {
        assert_eq!(
            sqlite("SELECT 'x'::char(3) || '|'"),
            "SELECT rtrim(SUBSTR(CAST('x' AS TEXT), 1, 3), ' ') || '|' AS \"?column?\""
        );
    }

    #[test]
    fn json_builders_get_json_booleans() {
        let out = sqlite("SELECT jsonb_build_object('d', true), to_jsonb(false)");
        assert!(
            out.contains("json((CASE WHEN 1 THEN 'true' WHEN NOT (1) THEN 'false' END))"),
            "{out}"
        );
        assert!(
            out.contains("json((CASE WHEN 0 THEN 'true' WHEN NOT (0) THEN 'false' END))"),
            "{out}"
        );
    }

    #[test]
    fn other_casts_are_untouched() {
        assert_eq!(
            sqlite("SELECT 12::text"),
            "SELECT CAST(12 AS TEXT) AS \"text\""
        );
    }
}
