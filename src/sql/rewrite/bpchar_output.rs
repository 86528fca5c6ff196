//! char(n) values print blank-padded to n characters in PostgreSQL; pgrq
//! stores them as written (so that comparisons ignore trailing blanks, as
//! PostgreSQL's do). A char(n) column named in the outermost SELECT list is
//! padded there. (`SELECT *` and expressions over char(n) are not.)

use sqlparser::ast::{Expr, Ident, SelectItem, SetExpr, Statement};

use super::column_types::ColumnTypes;
use super::template;
use crate::sql::SqlError;

pub(super) fn pad_outputs(stmt: &mut Statement, columns: &ColumnTypes) -> Result<(), SqlError> {
    let Statement::Query(q) = stmt else {
        return Ok(());
    };
    let SetExpr::Select(select) = q.body.as_mut() else {
        return Ok(());
    };
    for item in &mut select.projection {
        let (expr, alias) = match item {
            SelectItem::UnnamedExpr(e) => {
                let name = match e {
                    Expr::Identifier(i) => i.clone(),
                    Expr::CompoundIdentifier(parts) => match parts.last() {
                        Some(i) => i.clone(),
                        None => continue,
                    },
                    _ => continue,
                };
                (e.clone(), name)
            }
            SelectItem::ExprWithAlias { expr, alias } => (expr.clone(), alias.clone()),
            _ => continue,
        };
        let Some(n) = columns.bpchar_length(&expr) else {
            continue;
        };
        let padded = template::fill(
            &format!("pgrq_arg1 || substr(printf('%{n}s', ''), 1 + length(pgrq_arg1))"),
            &[expr],
        )?;
        *item = SelectItem::ExprWithAlias {
            expr: padded,
            alias: Ident::with_quote('"', crate::sql::names::fold(&alias)),
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn char_columns_are_padded_in_the_output() {
        let m = mirror_from(&["CREATE TABLE t (id int, c char(3), v varchar(3))"]);
        assert_eq!(
            sqlite_with("SELECT c, v, t.c AS x FROM t WHERE c = 'a'", &m),
            "SELECT c || SUBSTR(printf('%3s', ''), max((1 + length(c)), 1)) AS \"c\", v, \
             t.c || SUBSTR(printf('%3s', ''), max((1 + length(t.c)), 1)) AS \"x\" FROM t \
             WHERE c = 'a'"
        );
    }
}
