//! Enum values order by their label's position in the type's declaration,
//! not as text. An enum column (its labels known from the schema, see
//! `column_types`) in ORDER BY or in `<`, `<=`, `>`, `>=` becomes its label
//! position (`CASE c WHEN 'sad' THEN 1 … END`); a string literal compared
//! with it becomes the literal's position (22P02 if it is not a label).

use sqlparser::ast::{BinaryOperator as B, Expr};

use super::build::{literal_str, raise, take};
use super::column_types::ColumnTypes;
use super::{number, template};
use crate::sql::SqlError;

/// `e`'s label position among `labels`.
fn position(labels: &[String], e: Expr) -> Result<Expr, SqlError> {
    if let Some(text) = literal_str(&e) {
        return Ok(match labels.iter().position(|l| l == text) {
            Some(i) => number(&(i + 1).to_string()),
            None => raise(
                "22P02",
                &format!("invalid input value for enum: \"{text}\""),
            ),
        });
    }
    let whens: String = labels
        .iter()
        .enumerate()
        .map(|(i, l)| format!(" WHEN '{}' THEN {}", l.replace('\'', "''"), i + 1))
        .collect();
    if whens.is_empty() {
        return Ok(e);
    }
    template::fill(&format!("CASE pgrq_arg1{whens} END"), &[e])
}

/// An ORDER BY key: an enum column sorts by label position.
pub(super) fn order_key(columns: &ColumnTypes, key: &mut Expr) -> Result<(), SqlError> {
    if let Some(labels) = columns.enum_labels(key) {
        let labels = labels.to_vec();
        *key = position(&labels, take(key))?;
    }
    Ok(())
}

/// An ordering comparison with an enum column on either side.
pub(super) fn comparison(columns: &ColumnTypes, expr: &mut Expr) -> Result<(), SqlError> {
    let Expr::BinaryOp { left, op, right } = expr else {
        return Ok(());
    };
    if !matches!(op, B::Lt | B::LtEq | B::Gt | B::GtEq) {
        return Ok(());
    }
    let Some(labels) = columns
        .enum_labels(left)
        .or_else(|| columns.enum_labels(right))
        .map(<[String]>::to_vec)
    else {
        return Ok(());
    };
    **left = position(&labels, take(left))?;
    **right = position(&labels, take(right))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    fn mirror() -> crate::mirror::Mirror {
        mirror_from(&[
            "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
            "CREATE TABLE d (id int, m mood)",
        ])
    }

    #[test]
    fn enum_columns_order_by_declaration() {
        assert_eq!(
            sqlite_with("SELECT id FROM d ORDER BY m DESC, id", &mirror()),
            "SELECT id FROM d ORDER BY CASE m WHEN 'sad' THEN 1 WHEN 'ok' THEN 2 \
             WHEN 'happy' THEN 3 END DESC NULLS FIRST, id NULLS LAST"
        );
    }

    #[test]
    fn enum_comparisons_use_label_positions() {
        assert_eq!(
            sqlite_with("SELECT id FROM d WHERE m > 'sad'", &mirror()),
            "SELECT id FROM d WHERE CASE m WHEN 'sad' THEN 1 WHEN 'ok' THEN 2 \
             WHEN 'happy' THEN 3 END > 1"
        );
        assert!(sqlite_with("SELECT id FROM d WHERE m < 'meh'", &mirror()).contains("pgrq:22P02"));
        assert_eq!(
            sqlite_with("SELECT id FROM d WHERE m = 'ok'", &mirror()),
            "SELECT id FROM d WHERE m = 'ok'"
        );
    }
}
