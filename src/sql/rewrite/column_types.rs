//! The declared PostgreSQL types of the columns a statement can name,
//! looked up by column name across the tables the statement references
//! (a name found in several tables with different types has none). Some
//! rewrites need them where SQLite's storage hides the type: a numeric
//! column holding 7 divides as an integer in SQLite, and a jsonb column is
//! plain text to SQLite's JSON functions.

use std::collections::HashMap;
use std::ops::ControlFlow;

use sqlparser::ast::{Expr, Statement};

use crate::sql::PgType;
use crate::sql::names::fold;
use crate::sql::schema::Schema;

#[derive(Debug, Default)]
pub(super) struct ColumnTypes(HashMap<String, Option<PgType>>);

impl ColumnTypes {
    pub(super) fn of_statement(stmt: &Statement, schema: &dyn Schema) -> Self {
        let mut tables = Vec::new();
        let _ = sqlparser::ast::visit_relations(stmt, |name| {
            if let Some(last) = name.0.last().and_then(|p| p.as_ident()) {
                tables.push(fold(last));
            }
            ControlFlow::<()>::Continue(())
        });
        tables.sort();
        tables.dedup();
        let mut map: HashMap<String, Option<PgType>> = HashMap::new();
        for table in tables {
            for col in schema.columns(&table).unwrap_or_default() {
                let t = PgType::from_decl(&col.decl_type);
                map.entry(col.name.to_lowercase())
                    .and_modify(|seen| {
                        if *seen != Some(t) {
                            *seen = None;
                        }
                    })
                    .or_insert(Some(t));
            }
        }
        ColumnTypes(map)
    }

    /// The type of a plain column reference (`c`, `t.c`).
    pub(super) fn of(&self, e: &Expr) -> Option<PgType> {
        let ident = match e {
            Expr::Identifier(i) => i,
            Expr::CompoundIdentifier(parts) => parts.last()?,
            Expr::Nested(inner) => return self.of(inner),
            _ => return None,
        };
        self.0.get(&fold(ident)).copied().flatten()
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn numeric_columns_divide_as_numbers() {
        let schema = schema_from(&["CREATE TABLE p (id int, price numeric, n int)"]);
        let out = sqlite_with("SELECT price / 2, n / 2 FROM p", &schema);
        assert!(out.starts_with("SELECT (CAST(price AS REAL) / 2)"), "{out}");
        assert!(out.contains("(n / 2)"), "{out}");
    }

    #[test]
    fn json_columns_are_json_to_the_json_functions() {
        let schema = schema_from(&["CREATE TABLE d (id int, doc jsonb, name text)"]);
        let out = sqlite_with(
            "SELECT jsonb_build_object('d', doc, 'n', name), to_jsonb(doc), \
             (SELECT json_agg(doc) FROM d) FROM d",
            &schema,
        );
        assert!(out.contains("json_group_array(json(doc))"), "{out}");
        assert!(
            out.contains("json_object('d', json(doc), 'n', name)"),
            "{out}"
        );
        assert!(out.contains("json_quote(json(doc))"), "{out}");
    }
}
