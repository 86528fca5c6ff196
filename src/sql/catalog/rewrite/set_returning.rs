//! The set-returning functions in FROM (`unnest`, `generate_series`, …) of a catalog
//! query: a first pass learns their aliases and columns, a second replaces each table
//! factor by its `json_each` form. It must not rewrite expressions (that is `exprs`).

use super::*;

pub(super) struct SetReturning<'a> {
    pub(super) columns: &'a mut SrfColumns,
    pub(super) order: &'a mut SrfOrder,
    /// First pass: only learn the aliases; second pass: replace the table factors.
    pub(super) replace: bool,
}

impl VisitorMut for SetReturning<'_> {
    type Break = SqlError;

    fn pre_visit_table_factor(&mut self, tf: &mut TableFactor) -> ControlFlow<SqlError> {
        let (name, args, alias) = match tf {
            TableFactor::Table {
                name,
                args: Some(args),
                alias,
                ..
            } => (
                last_name(name),
                args.args.iter().filter_map(arg_expr).cloned().collect(),
                alias.clone(),
            ),
            TableFactor::Function {
                name, args, alias, ..
            } => (
                last_name(name),
                args.iter().filter_map(arg_expr).cloned().collect(),
                alias.clone(),
            ),
            TableFactor::UNNEST {
                alias, array_exprs, ..
            } => ("unnest".to_string(), array_exprs.clone(), alias.clone()),
            _ => return ControlFlow::Continue(()),
        };
        let args: Vec<Expr> = args;
        // (json_each argument, PostgreSQL's column names in json_each order)
        let (source, pg_columns): (String, &[&str]) = match (name.as_str(), args.as_slice()) {
            ("unnest", [a]) => (format!("pgrq_array_json({a})"), &["unnest", "ordinality"]),
            // Several arrays side by side (Django's `unnest(indkey, indoption)`).
            ("unnest", [a, b]) => (
                format!("pgrq_zip_json({a}, {b})"),
                &["unnest", "unnest", "ordinality"],
            ),
            ("generate_series", [a, b]) => (
                format!("pgrq_series_json({a}, {b})"),
                &["generate_series", "ordinality"],
            ),
            ("pg_get_keywords", []) => ("pgrq_keywords_json()".to_string(), &["word"]),
            ("_pg_expandarray", [a]) => (format!("pgrq_array_json({a})"), &["x", "n"]),
            ("pg_partition_ancestors", [a]) => {
                (format!("json_array({a})"), &["relid", "ordinality"])
            }
            _ => return ControlFlow::Continue(()),
        };
        let alias_name = alias
            .as_ref()
            .map(|a| a.name.value.to_lowercase())
            .unwrap_or_else(|| name.clone());
        let given: Vec<String> = alias
            .as_ref()
            .map(|a| {
                a.columns
                    .iter()
                    .map(|c| c.name.value.to_lowercase())
                    .collect()
            })
            .unwrap_or_default();
        // json_each's key counts from 0; PostgreSQL's ordinality and `_pg_expandarray`'s
        // `n` from 1 (`ordinal` reads as `key + 1`).
        let json_columns: &[&str] = if pg_columns.len() == 3 {
            &["value0", "value1", "ordinal"]
        } else {
            &["value", "ordinal"]
        };
        let mut ordered = Vec::new();
        for (i, pg) in pg_columns.iter().enumerate() {
            let col = given.get(i).cloned().unwrap_or_else(|| pg.to_string());
            ordered.push((col.clone(), json_columns[i]));
            self.columns
                .insert(col, (alias_name.clone(), json_columns[i]));
        }
        self.order.insert(alias_name.clone(), ordered);
        // A bare alias names the (single) value column, as in PostgreSQL.
        self.columns
            .insert(alias_name.clone(), (alias_name.clone(), "value"));
        if self.replace {
            let text = format!("SELECT 1 FROM json_each({source}) AS \"{alias_name}\"");
            match parse_one(&text).and_then(|q| first_table_factor(&q)) {
                Some(new) => *tf = new,
                None => {
                    return ControlFlow::Break(SqlError::unsupported(format!(
                        "set-returning function {name} in FROM"
                    )));
                }
            }
        }
        ControlFlow::Continue(())
    }
}
