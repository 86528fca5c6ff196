//! Catalog queries: deciding that a statement reads PostgreSQL's system catalogs
//! (`pg_catalog.*`, `information_schema.*`, an unqualified catalog relation name that is no
//! user table, or a catalog-only function such as `format_type` or a `::regclass` cast),
//! and turning it into SQLite text for the emulated catalog (`crate::catalog`), with the
//! PostgreSQL types of its result columns and parameters. Pure: the catalog's rows are
//! not known here, only the relations' shapes (`defs`).

mod casts;
pub mod defs;
mod rewrite;
mod srf;
mod srf_scope;
mod types;

use std::ops::ControlFlow;

use sqlparser::ast::{Expr, ObjectName, Statement, Visit, Visitor};

use super::{Context, Schema, SqlError, StatementKind, Translated};

/// Functions that only the catalog answers: a statement calling one of them (and reading
/// no user table) runs against the catalog.
const CATALOG_FUNCTIONS: &[&str] = &[
    "format_type",
    "pg_get_expr",
    "pg_get_indexdef",
    "pg_get_constraintdef",
    "pg_get_viewdef",
    "pg_get_userbyid",
    "pg_get_serial_sequence",
    "pg_table_is_visible",
    "pg_type_is_visible",
    "pg_function_is_visible",
    "pg_collation_is_visible",
    "pg_conversion_is_visible",
    "pg_opclass_is_visible",
    "pg_operator_is_visible",
    "pg_opfamily_is_visible",
    "pg_statistics_obj_is_visible",
    "pg_ts_config_is_visible",
    "pg_ts_dict_is_visible",
    "pg_ts_parser_is_visible",
    "pg_ts_template_is_visible",
    "obj_description",
    "col_description",
    "shobj_description",
    "to_regclass",
    "to_regtype",
    "to_regnamespace",
    "has_table_privilege",
    "has_schema_privilege",
    "has_database_privilege",
    "has_column_privilege",
    "has_sequence_privilege",
    "has_function_privilege",
    "pg_encoding_to_char",
    "pg_size_pretty",
    "pg_table_size",
    "pg_relation_size",
    "pg_total_relation_size",
    "current_setting",
    "set_config",
    "current_schemas",
    "quote_ident",
    "quote_literal",
    "quote_nullable",
    // (array_to_string of constants or user arrays: `rewrite::array_functions`.)
];

/// What the statement reads.
#[derive(Default)]
struct Reads {
    catalog: bool,
    user: Vec<String>,
    catalog_function: bool,
}

/// The catalog translation of `stmt`, or `None` when it is not a catalog query.
pub(crate) fn translate(
    stmt: &Statement,
    ctx: &Context,
    schema: &dyn Schema,
) -> Result<Option<Translated>, SqlError> {
    let Statement::Query(query) = stmt else {
        return Ok(None);
    };
    let reads = reads(stmt, schema);
    if !reads.catalog && !reads.catalog_function {
        return Ok(None);
    }
    if !reads.user.is_empty() {
        if !reads.catalog {
            // A catalog function over user tables: not a catalog query.
            return Ok(None);
        }
        return Err(SqlError::unsupported(format!(
            "a query that reads both the system catalogs and user tables ({})",
            reads.user.join(", ")
        )));
    }
    let mut column_types = types::output_types(query);
    // In the result, to_regclass(…) & co. print names (see rewrite).
    let mut body = query.body.as_ref();
    while let sqlparser::ast::SetExpr::SetOperation { left, .. } = body {
        body = left.as_ref();
    }
    if let sqlparser::ast::SetExpr::Select(select) = body {
        for (item, ty) in select.projection.iter().zip(column_types.iter_mut()) {
            if let sqlparser::ast::SelectItem::UnnamedExpr(e)
            | sqlparser::ast::SelectItem::ExprWithAlias { expr: e, .. } = item
                && rewrite::to_reg_function(e).is_some()
            {
                *ty = Some(super::PgType::Text);
            }
        }
    }
    let param_types = types::param_types(stmt);
    let mut out = stmt.clone();
    super::names::name_outputs(&mut out);
    rewrite::rewrite(&mut out, ctx)?;
    Ok(Some(Translated {
        kind: StatementKind::Catalog,
        sqlite: Some(out.to_string()),
        param_count: param_types.len(),
        param_types,
        returning: false,
        tag: "SELECT".into(),
        needs_database: false,
        column_types,
        column_scales: Vec::new(),
        column_avgs: Vec::new(),
        array_params: Vec::new(),
        uses_clock: false,
        sequence: None,
    }))
}

fn reads(stmt: &Statement, schema: &dyn Schema) -> Reads {
    struct V<'a> {
        schema: &'a dyn Schema,
        reads: Reads,
        ctes: Vec<String>,
    }
    impl Visitor for V<'_> {
        type Break = ();
        fn pre_visit_query(&mut self, q: &sqlparser::ast::Query) -> ControlFlow<()> {
            if let Some(with) = &q.with {
                for cte in &with.cte_tables {
                    self.ctes.push(cte.alias.name.value.to_lowercase());
                }
            }
            ControlFlow::Continue(())
        }
        fn pre_visit_relation(&mut self, name: &ObjectName) -> ControlFlow<()> {
            let parts: Vec<String> = name
                .0
                .iter()
                .filter_map(|p| p.as_ident().map(|i| i.value.to_lowercase()))
                .collect();
            match parts.as_slice() {
                [s, _] if s == "pg_catalog" || s == "information_schema" => {
                    self.reads.catalog = true;
                }
                [n] if self.ctes.contains(n) => {}
                [n] if self.schema.columns(n).is_some() => self.reads.user.push(n.clone()),
                [n] if n.starts_with("pg_") && defs::find(Some("pg_catalog"), n).is_some() => {
                    self.reads.catalog = true;
                }
                [n] => self.reads.user.push(n.clone()),
                [_, n] => self.reads.user.push(n.clone()),
                _ => {}
            }
            ControlFlow::Continue(())
        }
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            match e {
                Expr::Function(f) => {
                    let name = f
                        .name
                        .0
                        .last()
                        .and_then(|p| p.as_ident())
                        .map(|i| i.value.to_lowercase())
                        .unwrap_or_default();
                    if CATALOG_FUNCTIONS.contains(&name.as_str()) {
                        self.reads.catalog_function = true;
                    }
                }
                Expr::Cast { data_type, .. } => {
                    let t = data_type.to_string().to_lowercase();
                    if t.contains("regclass")
                        || t.contains("regtype")
                        || t.contains("regnamespace")
                        || t.contains("regproc")
                        || t.contains("regrole")
                    {
                        self.reads.catalog_function = true;
                    }
                }
                _ => {}
            }
            ControlFlow::Continue(())
        }
    }
    let mut v = V {
        schema,
        reads: Reads::default(),
        ctes: Vec::new(),
    };
    let _ = stmt.visit(&mut v);
    // A name that is neither a user table nor a catalog relation (a set-returning
    // function's alias, a misspelling) does not make the query a user query by itself.
    let user = v
        .reads
        .user
        .into_iter()
        .filter(|n| schema.columns(n).is_some())
        .collect();
    Reads { user, ..v.reads }
}

#[cfg(test)]
mod tests;
