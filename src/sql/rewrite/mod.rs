//! Rewriting a parsed PostgreSQL statement, in place, into one SQLite runs
//! with the same meaning.
//!
//! One [`VisitorMut`] ([`Rewriter`]) walks the tree once; each hook hands the
//! node to the file that owns that construct family. Statement-level
//! changes (TRUNCATE, EXPLAIN, DDL shapes) happen before and after the walk
//! in [`statement`] and [`ddl`].

mod advisory;
mod age;
mod alter_table;
mod arith;
mod array_functions;
mod array_params;
mod array_values;
mod arrays;
mod at_time_zone;
mod bool_text;
mod bpchar_output;
mod bucket;
mod build;
mod case_fold;
mod casts;
mod checked_casts;
mod clock;
mod coerce;
mod column_types;
mod columns;
mod comments;
mod constraint_names;
mod datetime;
mod ddl;
mod ddl_plan;
mod defaults;
mod distinct_on;
mod dml;
mod drops;
mod enum_order;
mod enums;
mod exact_avg;
mod expr;
mod float_output;
mod format;
mod function_names;
mod functions;
mod identity;
mod int_overflow;
mod interval;
mod interval_fields;
mod interval_math;
mod json;
mod json_compare;
mod json_pretty;
mod json_srf;
mod json_text;
mod jsonb_ops;
mod like;
mod literals;
mod lone_call;
mod make_interval;
mod make_time;
mod math;
mod math_fold;
mod md5;
mod numeric_fold;
mod operators;
mod overlaps;
mod params;
mod query;
mod rebuild;
mod regex;
mod relations;
mod scalar_subquery;
mod sequences;
mod series;
mod sqlite_keywords;
mod statement;
mod statistics;
mod strings;
mod template;
mod time_defaults;
mod time_literals;
mod time_math;
mod to_char;
mod truncate;
mod type_change;
mod type_checks;
mod types;
mod unnest;
mod uuid_defaults;

pub use array_params::array_param_json;
pub(crate) use ddl_plan::plan_ddl;
pub(crate) use exact_avg::split as split_avgs;
pub(crate) use float_output::wrap_outputs as wrap_float_outputs;
pub(crate) use json_srf::expand as expand_set_returning;
pub(crate) use query::flatten_set_operation;
pub(crate) use unnest::expand as expand_unnest;

use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentList, FunctionArguments, Ident,
    ObjectName, OrderByExpr, Query, Select, Statement, TableFactor, Value, ValueWithSpan, VisitMut,
    VisitorMut,
};

pub(crate) use time_literals::normalize as normalize_time_text;

use super::schema::Schema;
use super::{Context, PgType, SqlError};

/// What the walk learned about the statement besides the rewritten text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Outcome {
    pub param_count: usize,
    pub param_types: Vec<Option<PgType>>,
    /// Parameters sent as JSON arrays (see `array_params`).
    pub json_array_params: Vec<usize>,
    pub needs_database: bool,
    /// The output embeds the transaction time.
    pub uses_clock: bool,
}

/// Rewrite `stmt` in place for SQLite; `schema` supplies the column
/// defaults INSERTs are completed with.
pub(crate) fn rewrite_statement(
    stmt: &mut Statement,
    ctx: &Context,
    schema: &dyn Schema,
) -> Result<Outcome, SqlError> {
    statement::prepare(stmt)?;
    let mut rw = Rewriter::new(ctx);
    rw.column_types = column_types::ColumnTypes::of_statement(stmt, schema);
    rw.live_clock = is_stored_definition(stmt);
    bpchar_output::pad_outputs(stmt, &rw.column_types)?;
    numeric_fold::fold_outputs(stmt);
    if let ControlFlow::Break(e) = stmt.visit(&mut rw) {
        return Err(e);
    }
    rw.params.check_json_arrays()?;
    ddl::finish(stmt)?;
    let filled = defaults::fill_insert(stmt, schema, ctx.now_micros)?
        | defaults::fill_update(stmt, schema, ctx.now_micros)?;
    coerce::coerce_literals(stmt, schema)?;
    Ok(Outcome {
        param_count: rw.params.count(),
        param_types: rw.params.types(),
        json_array_params: rw.params.json_arrays(),
        needs_database: rw.tables.touched,
        uses_clock: rw.clock_read.get() || filled,
    })
}

/// Whether `stmt` stores expressions that are evaluated later (column
/// defaults, views), so that the clock must be read when they are used.
fn is_stored_definition(stmt: &Statement) -> bool {
    match stmt {
        Statement::CreateTable(ct) => ct.query.is_none(),
        Statement::AlterTable(_) | Statement::CreateView(_) => true,
        _ => false,
    }
}

/// The walk's state: the session context, parameters seen, and tables
/// referenced.
pub(crate) struct Rewriter<'a> {
    ctx: &'a Context,
    params: params::Params,
    tables: relations::Tables,
    /// Clock functions keep SQLite's `'now'` forms (stored definitions)
    /// instead of becoming literals of the transaction time (see `clock`).
    live_clock: bool,
    /// A literal of the transaction time was written (see `clock::current`).
    clock_read: std::cell::Cell<bool>,
    /// Declared types of the columns the statement can name.
    column_types: column_types::ColumnTypes,
}

impl<'a> Rewriter<'a> {
    fn new(ctx: &'a Context) -> Self {
        Rewriter {
            ctx,
            params: params::Params::default(),
            tables: relations::Tables::default(),
            live_clock: false,
            clock_read: std::cell::Cell::new(false),
            column_types: column_types::ColumnTypes::default(),
        }
    }
}

fn flow(result: Result<(), SqlError>) -> ControlFlow<SqlError> {
    match result {
        Ok(()) => ControlFlow::Continue(()),
        Err(e) => ControlFlow::Break(e),
    }
}

impl VisitorMut for Rewriter<'_> {
    type Break = SqlError;

    fn pre_visit_statement(&mut self, stmt: &mut Statement) -> ControlFlow<SqlError> {
        // Anything but a query (including one under EXPLAIN or WITH) reads
        // or changes stored tables.
        if !matches!(stmt, Statement::Query(_) | Statement::Explain { .. }) {
            self.tables.touched = true;
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_query(&mut self, q: &mut Query) -> ControlFlow<SqlError> {
        flow(query::pre_query(self, q))
    }

    fn post_visit_query(&mut self, q: &mut Query) -> ControlFlow<SqlError> {
        flow(query::post_query(self, q))
    }

    fn pre_visit_select(&mut self, select: &mut Select) -> ControlFlow<SqlError> {
        flow(query::check_select(select))
    }

    fn pre_visit_table_factor(&mut self, tf: &mut TableFactor) -> ControlFlow<SqlError> {
        flow(relations::table_factor(self, tf))
    }

    fn post_visit_relation(&mut self, name: &mut ObjectName) -> ControlFlow<SqlError> {
        flow(relations::strip_schema(name))
    }

    fn post_visit_value(&mut self, value: &mut ValueWithSpan) -> ControlFlow<SqlError> {
        flow(literals::rewrite_value(self, &mut value.value))
    }

    fn pre_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<SqlError> {
        operators::pre_expr(e);
        int_overflow::pre_expr(e);
        numeric_fold::pre_expr(e);
        bool_text::pre_expr(e, &self.column_types);
        json_text::pre_expr(e, &self.column_types);
        flow(
            array_values::pre_expr(e, &self.column_types)
                .and_then(|()| arrays::pre_expr(e))
                .and_then(|()| overlaps::pre_expr(e, &self.column_types))
                .and_then(|()| datetime::pre_expr(e, &self.column_types))
                .and_then(|()| json::pre_expr(e))
                .and_then(|()| jsonb_ops::pre_expr(e, &self.column_types)),
        )
    }

    fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<SqlError> {
        match unnest::rewrite_marker(self, e) {
            Ok(true) => return ControlFlow::Continue(()),
            Ok(false) => {}
            Err(err) => return ControlFlow::Break(err),
        }
        match array_params::rewrite(self, e) {
            Ok(true) => return ControlFlow::Continue(()),
            Ok(false) => {}
            Err(err) => return ControlFlow::Break(err),
        }
        flow(expr::rewrite_expr(self, e))
    }

    fn post_visit_order_by_expr(&mut self, o: &mut OrderByExpr) -> ControlFlow<SqlError> {
        flow(
            enum_order::order_key(&self.column_types, &mut o.expr)
                .and_then(|()| query::default_nulls_order(o)),
        )
    }
}

/// `name(args…)` as an expression.
pub(in crate::sql) fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Function(Function {
        name: ObjectName::from(vec![Ident::new(name)]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: args
                .into_iter()
                .map(|e| FunctionArg::Unnamed(FunctionArgExpr::Expr(e)))
                .collect(),
            clauses: vec![],
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    })
}

/// A string literal expression.
fn string(s: &str) -> Expr {
    Expr::value(Value::SingleQuotedString(s.to_string()))
}

/// A numeric literal expression.
fn number(n: &str) -> Expr {
    Expr::value(Value::Number(n.to_string(), false))
}
