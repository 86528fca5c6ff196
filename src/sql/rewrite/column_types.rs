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
use crate::sql::markers::{BPCHAR_CHECK, ENUM_CHECK};
use crate::sql::names::fold;
use crate::sql::schema::Schema;

#[derive(Debug, Default)]
pub(super) struct ColumnTypes(
    HashMap<String, Option<PgType>>,
    /// The labels, in declaration order, of the enum-typed columns.
    HashMap<String, Option<Vec<String>>>,
    /// The `n` of the char(n) columns.
    HashMap<String, Option<u64>>,
    /// The scale `s` of the numeric(p, s) columns.
    HashMap<String, Option<u32>>,
);

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
        let mut enums: HashMap<String, Option<Vec<String>>> = HashMap::new();
        let mut bpchars: HashMap<String, Option<u64>> = HashMap::new();
        let mut scales: HashMap<String, Option<u32>> = HashMap::new();
        for table in tables {
            for (column, n) in bpchar_columns(schema, &table) {
                bpchars
                    .entry(column)
                    .and_modify(|seen| {
                        if *seen != Some(n) {
                            *seen = None;
                        }
                    })
                    .or_insert(Some(n));
            }
            for (column, labels) in enum_columns(schema, &table) {
                enums
                    .entry(column)
                    .and_modify(|seen| {
                        if *seen != Some(labels.clone()) {
                            *seen = None;
                        }
                    })
                    .or_insert(Some(labels));
            }
            for col in schema.columns(&table).unwrap_or_default() {
                let s = numeric_scale(&col.decl_type);
                scales
                    .entry(col.name.to_lowercase())
                    .and_modify(|seen| {
                        if *seen != s {
                            *seen = None;
                        }
                    })
                    .or_insert(s);
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
        ColumnTypes(map, enums, bpchars, scales)
    }

    /// The declared scale of a plain column reference of type numeric(p, s).
    pub(super) fn numeric_scale(&self, e: &Expr) -> Option<u32> {
        let ident = column_ident(e)?;
        self.3.get(&fold(ident)).copied().flatten()
    }

    /// The `n` of a plain column reference of type char(n).
    pub(super) fn bpchar_length(&self, e: &Expr) -> Option<u64> {
        let ident = column_ident(e)?;
        self.2.get(&fold(ident)).copied().flatten()
    }

    /// The enum labels of a plain column reference whose type is an enum.
    pub(super) fn enum_labels(&self, e: &Expr) -> Option<&[String]> {
        let ident = column_ident(e)?;
        self.1.get(&fold(ident))?.as_deref()
    }

    /// The type of a plain column reference (`c`, `t.c`).
    pub(super) fn of(&self, e: &Expr) -> Option<PgType> {
        let ident = column_ident(e)?;
        self.0.get(&fold(ident)).copied().flatten()
    }
}

/// The column a plain reference (`c`, `t.c`, `(c)`) names.
fn column_ident(e: &Expr) -> Option<&sqlparser::ast::Ident> {
    match e {
        Expr::Identifier(i) => Some(i),
        Expr::CompoundIdentifier(parts) => parts.last(),
        Expr::Nested(inner) => column_ident(inner),
        _ => None,
    }
}

/// The `s` of a declared `NUMERIC(p, s)` / `DECIMAL(p, s)` type.
pub(super) fn numeric_scale(decl: &str) -> Option<u32> {
    let d = decl.trim().to_ascii_uppercase();
    let args = d
        .strip_prefix("NUMERIC")
        .or_else(|| d.strip_prefix("DECIMAL"))?
        .trim()
        .strip_prefix('(')?
        .strip_suffix(')')?;
    let (_, s) = args.split_once(',')?;
    s.trim().parse().ok()
}

/// The char(n) columns of `table` (see `type_checks`: their CHECK is named
/// `pgrq_bpchar_<n>`).
fn bpchar_columns(schema: &dyn Schema, table: &str) -> Vec<(String, u64)> {
    let Some(sql) = schema.table_sql(table) else {
        return Vec::new();
    };
    if !sql.contains(BPCHAR_CHECK) {
        return Vec::new();
    }
    let Ok(ct) = super::rebuild::parse_create_table(&sql) else {
        return Vec::new();
    };
    ct.columns
        .iter()
        .filter_map(|col| {
            let n = col.options.iter().find_map(|o| {
                o.name
                    .as_ref()
                    .and_then(|n| n.value.strip_prefix(BPCHAR_CHECK))
                    .and_then(|n| n.parse().ok())
            })?;
            Some((col.name.value.to_lowercase(), n))
        })
        .collect()
}

/// The enum columns of `table` (see `enums`: their CHECK is named after the type).
fn enum_columns(schema: &dyn Schema, table: &str) -> Vec<(String, Vec<String>)> {
    let Some(sql) = schema.table_sql(table) else {
        return Vec::new();
    };
    if !sql.contains(ENUM_CHECK) {
        return Vec::new();
    }
    let Ok(ct) = super::rebuild::parse_create_table(&sql) else {
        return Vec::new();
    };
    ct.columns
        .iter()
        .filter_map(|col| {
            let type_name = col.options.iter().find_map(|o| {
                o.name
                    .as_ref()
                    .and_then(|n| n.value.strip_prefix(ENUM_CHECK))
                    .map(str::to_string)
            })?;
            let labels = super::enums::labels(schema, &type_name)?;
            Some((col.name.value.to_lowercase(), labels))
        })
        .collect()
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
        assert!(
            out.contains("group_concat(SUBSTR(json_array(json(doc))"),
            "{out}"
        );
        assert!(
            out.contains("json_object('d', json(doc), 'n', name)"),
            "{out}"
        );
        assert!(out.contains("json_quote(json(doc))"), "{out}");
    }
}
