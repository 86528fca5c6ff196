//! Static checks PostgreSQL makes at parse analysis and SQLite does not, run on the
//! PostgreSQL tree against the schema mirror's column types, and `pg_typeof`, which is
//! resolved the same way:
//!
//! * `pg_typeof(e)` becomes the name of `e`'s type where the tree makes it certain;
//! * CASE / COALESCE / GREATEST / LEAST branches of types with no common type (integer
//!   and text, boolean and integer …) are 42804;
//! * a comparison or arithmetic operator between such types is 42883;
//! * an untyped string literal meeting an integer or numeric operand must read as one
//!   (`'a' + 1` is 22P02), as PostgreSQL types the literal from the other side;
//! * a column used outside an aggregate in a grouped query is 42803 unless it is grouped,
//!   or its table's primary key is.
//!
//! Only certainties raise an error: an expression whose type is unknown here, or a
//! column that cannot be placed, passes. It changes nothing but `pg_typeof` calls and
//! `row_to_json`/`to_json`/`to_jsonb` of a whole FROM item (see `row_json`).

use std::ops::ControlFlow;

use sqlparser::ast::helpers::attached_token::AttachedToken;
use sqlparser::ast::{
    BinaryOperator as B, CaseWhen, Expr, GroupByExpr, Query, Select, SelectItem, SetExpr,
    Statement, TableFactor, UpdateTableFromKind, Value, VisitMut, Visitor, VisitorMut,
};

use super::expr::{expr_type, plain_args};
use super::scope::{Local, Scope};
use super::with_ctes;
use crate::sql::names::{fold, value_keyword};
use crate::sql::schema::Schema;
use crate::sql::{PgType as T, SqlError, input};

/// Run the checks on `stmt`, resolving its `pg_typeof` calls.
pub(crate) fn check_statement(stmt: &mut Statement, schema: &dyn Schema) -> Result<(), SqlError> {
    let root = Scope::root(schema);
    match stmt {
        Statement::Query(q) => check_query(q, &root),
        Statement::Insert(i) => match &mut i.source {
            Some(src) => check_query(src, &root),
            None => Ok(()),
        },
        Statement::Update(u) => {
            let mut scope = root.child();
            scope.add_from(&u.table);
            if let Some(UpdateTableFromKind::BeforeSet(f) | UpdateTableFromKind::AfterSet(f)) =
                &u.from
            {
                f.iter().for_each(|t| scope.add_from(t));
            }
            for a in &mut u.assignments {
                check_expr(&mut a.value, &scope)?;
            }
            match &mut u.selection {
                Some(e) => check_expr(e, &scope),
                None => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

fn check_query(q: &mut Query, outer: &Scope) -> Result<(), SqlError> {
    if let Some(with) = &mut q.with {
        for cte in &mut with.cte_tables {
            check_query(&mut cte.query, outer)?;
        }
    }
    let scope = with_ctes(q, outer, |_, _| {});
    check_body(&mut q.body, &scope)
}

fn check_body(body: &mut SetExpr, scope: &Scope) -> Result<(), SqlError> {
    match body {
        SetExpr::Select(s) => check_select(s, scope),
        SetExpr::Query(q) => check_query(q, scope),
        SetExpr::SetOperation { left, right, .. } => {
            check_body(left, scope)?;
            check_body(right, scope)
        }
        SetExpr::Values(v) => {
            for row in &mut v.rows {
                for e in &mut row.content {
                    check_expr(e, scope)?;
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn check_select(s: &mut Select, outer: &Scope) -> Result<(), SqlError> {
    for twj in &mut s.from {
        derived(&mut twj.relation, outer)?;
        for j in &mut twj.joins {
            derived(&mut j.relation, outer)?;
        }
    }
    let mut scope = outer.child();
    for twj in &s.from {
        scope.add_from(twj);
    }
    for item in &mut s.projection {
        if let SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } = item {
            check_expr(e, &scope)?;
        }
    }
    if let Some(e) = &mut s.selection {
        check_expr(e, &scope)?;
    }
    if let Some(e) = &mut s.having {
        check_expr(e, &scope)?;
    }
    grouping(s, &scope)
}

fn derived(tf: &mut TableFactor, outer: &Scope) -> Result<(), SqlError> {
    match tf {
        TableFactor::Derived {
            lateral: false,
            subquery,
            ..
        } => check_query(subquery, outer),
        _ => Ok(()),
    }
}

/// Walks one expression of a query level; nested queries are checked in a scope of
/// their own once the walk is back at this level.
struct Checker<'s, 'p> {
    scope: &'s Scope<'p>,
    depth: usize,
}

fn check_expr(e: &mut Expr, scope: &Scope) -> Result<(), SqlError> {
    let mut checker = Checker { scope, depth: 0 };
    match e.visit(&mut checker) {
        ControlFlow::Break(err) => Err(err),
        ControlFlow::Continue(()) => Ok(()),
    }
}

impl VisitorMut for Checker<'_, '_> {
    type Break = SqlError;

    fn pre_visit_query(&mut self, _q: &mut Query) -> ControlFlow<SqlError> {
        self.depth += 1;
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _q: &mut Query) -> ControlFlow<SqlError> {
        self.depth -= 1;
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<SqlError> {
        if self.depth > 0 {
            return ControlFlow::Continue(());
        }
        match node(e, self.scope) {
            Ok(()) => ControlFlow::Continue(()),
            Err(err) => ControlFlow::Break(err),
        }
    }
}

fn node(e: &mut Expr, scope: &Scope) -> Result<(), SqlError> {
    match e {
        Expr::Subquery(q)
        | Expr::Exists { subquery: q, .. }
        | Expr::InSubquery { subquery: q, .. } => check_query(q, scope),
        Expr::Function(f) => {
            let name = f
                .name
                .0
                .last()
                .and_then(|p| p.as_ident())
                .map(fold)
                .unwrap_or_default();
            let args = plain_args(f);
            if let [arg] = args.as_slice()
                && let Some(object) = super::row_json::expand(&name, arg, scope)
            {
                *e = object;
                return Ok(());
            }
            match (name.as_str(), args.as_slice()) {
                ("pg_typeof", [arg]) => {
                    if let Some(t) = expr_type(arg, scope) {
                        // The argument stays evaluated (an aggregate keeps the query
                        // grouped, an error is still raised); only its type is shown.
                        let name = Expr::value(Value::SingleQuotedString(t.display_name().into()));
                        *e = Expr::Case {
                            case_token: AttachedToken::empty(),
                            end_token: AttachedToken::empty(),
                            operand: None,
                            conditions: vec![CaseWhen {
                                condition: Expr::IsNull(Box::new((*arg).clone())),
                                result: name.clone(),
                            }],
                            else_result: Some(Box::new(name)),
                        };
                    }
                    Ok(())
                }
                ("coalesce" | "greatest" | "least", _) => {
                    let types: Vec<Option<T>> = args.iter().map(|a| expr_type(a, scope)).collect();
                    branches(&name.to_uppercase(), &types)
                }
                _ => Ok(()),
            }
        }
        Expr::Case {
            conditions,
            else_result,
            ..
        } => {
            let mut types: Vec<Option<T>> = conditions
                .iter()
                .map(|c| expr_type(&c.result, scope))
                .collect();
            types.extend(else_result.as_deref().map(|e| expr_type(e, scope)));
            branches("CASE", &types)
        }
        Expr::BinaryOp { left, op, right } => operator(op, left, right, scope),
        _ => Ok(()),
    }
}

/// Families of types with no implicit cast between them.
#[derive(PartialEq, Clone, Copy)]
enum Family {
    Number,
    String,
    Bool,
    DateTime,
    Uuid,
    Bytea,
}

fn family(t: T) -> Option<Family> {
    Some(match t {
        T::Int2 | T::Int4 | T::Int8 | T::Numeric | T::Float4 | T::Float8 => Family::Number,
        T::Text | T::Varchar | T::Bpchar | T::Name => Family::String,
        T::Bool => Family::Bool,
        T::Date | T::Timestamp | T::Timestamptz => Family::DateTime,
        T::Uuid => Family::Uuid,
        T::Bytea => Family::Bytea,
        _ => return None,
    })
}

/// CASE-like branches must share a type family (untyped literals adapt).
fn branches(what: &str, types: &[Option<T>]) -> Result<(), SqlError> {
    let known: Vec<(T, Family)> = types
        .iter()
        .flatten()
        .filter_map(|t| family(*t).map(|f| (*t, f)))
        .collect();
    let Some(&(first, fam)) = known.first() else {
        return Ok(());
    };
    match known.iter().find(|(_, f)| *f != fam) {
        Some((other, _)) => Err(SqlError::DatatypeMismatch {
            message: format!(
                "{what} types {} and {} cannot be matched",
                first.display_name(),
                other.display_name()
            ),
        }),
        None => Ok(()),
    }
}

fn operator(op: &B, left: &Expr, right: &Expr, scope: &Scope) -> Result<(), SqlError> {
    let comparison = matches!(op, B::Eq | B::NotEq | B::Lt | B::Gt | B::LtEq | B::GtEq);
    let arithmetic = matches!(op, B::Plus | B::Minus | B::Multiply | B::Divide | B::Modulo);
    if !comparison && !arithmetic {
        return Ok(());
    }
    let (Some(l), Some(r)) = (expr_type(left, scope), expr_type(right, scope)) else {
        return Ok(());
    };
    // An untyped literal takes the other side's type, and must read as it.
    for (lit, other) in [(left, r), (right, l)] {
        if let Some(text) = string_literal(lit)
            && matches!(other, T::Int2 | T::Int4 | T::Int8 | T::Numeric)
            && !input::is_special_number(text)
        {
            input::number_input(text, other)?;
        }
    }
    let (Some(lf), Some(rf)) = (family(l), family(r)) else {
        return Ok(());
    };
    let clash = if arithmetic {
        // Dates and times have their own arithmetic; only numbers against others here.
        (lf == Family::Number) != (rf == Family::Number)
            && matches!(lf, Family::Number | Family::String | Family::Bool)
            && matches!(rf, Family::Number | Family::String | Family::Bool)
    } else {
        lf != rf
    };
    if clash {
        return Err(SqlError::UndefinedOperator {
            message: format!(
                "operator does not exist: {} {op} {}",
                l.display_name(),
                r.display_name()
            ),
        });
    }
    Ok(())
}

fn string_literal(e: &Expr) -> Option<&str> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => Some(s),
            _ => None,
        },
        Expr::Nested(inner) => string_literal(inner),
        _ => None,
    }
}

/// Aggregate functions (outside a window) whose arguments may use ungrouped columns.
const AGGREGATES: &[&str] = &[
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "string_agg",
    "array_agg",
    "json_agg",
    "jsonb_agg",
    "json_object_agg",
    "jsonb_object_agg",
    "bool_and",
    "bool_or",
    "every",
    "bit_and",
    "bit_or",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "variance",
    "var_pop",
    "var_samp",
    "group_concat",
    "total",
    "percentile_cont",
    "percentile_disc",
    "mode",
];

fn is_aggregate(e: &Expr) -> bool {
    match e {
        Expr::Function(f) if f.over.is_none() => f
            .name
            .0
            .last()
            .and_then(|p| p.as_ident())
            .is_some_and(|i| AGGREGATES.contains(&fold(i).as_str())),
        _ => false,
    }
}

/// 42803: in a query with GROUP BY or aggregates, every column of this level used in
/// the select list or HAVING outside an aggregate must be grouped.
fn grouping(s: &Select, scope: &Scope) -> Result<(), SqlError> {
    let GroupByExpr::Expressions(group_exprs, modifiers) = &s.group_by else {
        return Ok(());
    };
    let grouping_sets = group_exprs
        .iter()
        .any(|g| matches!(g, Expr::Rollup(_) | Expr::Cube(_) | Expr::GroupingSets(_)));
    if !modifiers.is_empty() || grouping_sets {
        return Ok(());
    }
    let outputs: Vec<&Expr> = s
        .projection
        .iter()
        .filter_map(|item| match item {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => Some(e),
            _ => None,
        })
        .collect();
    let aggregated = outputs
        .iter()
        .copied()
        .chain(s.having.as_ref())
        .any(contains_aggregate);
    if group_exprs.is_empty() && !aggregated {
        return Ok(());
    }
    let mut grouped: Vec<&Expr> = Vec::new();
    for g in group_exprs {
        grouped.push(g);
        // GROUP BY 2, GROUP BY output_alias.
        if let Expr::Value(v) = g
            && let Value::Number(n, _) = &v.value
            && let Some(e) = n
                .parse::<usize>()
                .ok()
                .and_then(|i| outputs.get(i.checked_sub(1)?))
        {
            grouped.push(e);
        }
        if let Expr::Identifier(id) = g {
            for item in &s.projection {
                if let SelectItem::ExprWithAlias { expr, alias } = item
                    && fold(alias) == fold(id)
                {
                    grouped.push(expr);
                }
            }
        }
    }
    let keys: Vec<String> = grouped.iter().map(|g| key(g)).collect();
    for e in outputs.into_iter().chain(s.having.as_ref()) {
        if let Some(col) = ungrouped(e, &keys, scope) {
            return Err(SqlError::Grouping {
                message: format!(
                    "column \"{col}\" must appear in the GROUP BY clause or be used in an aggregate function"
                ),
            });
        }
    }
    Ok(())
}

fn key(e: &Expr) -> String {
    e.to_string().to_lowercase()
}

/// Whether `e` calls an aggregate of this query level (not one inside a subquery).
fn contains_aggregate(e: &Expr) -> bool {
    struct Finder {
        depth: usize,
    }
    impl Visitor for Finder {
        type Break = ();
        fn pre_visit_query(&mut self, _q: &Query) -> ControlFlow<()> {
            self.depth += 1;
            ControlFlow::Continue(())
        }
        fn post_visit_query(&mut self, _q: &Query) -> ControlFlow<()> {
            self.depth -= 1;
            ControlFlow::Continue(())
        }
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            if self.depth == 0 && is_aggregate(e) {
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        }
    }
    sqlparser::ast::Visit::visit(e, &mut Finder { depth: 0 }).is_break()
}

/// The first column of this level in `e` that is neither grouped nor inside an
/// aggregate, as `binding.column`.
fn ungrouped(e: &Expr, keys: &[String], scope: &Scope) -> Option<String> {
    let mut finder = Ungrouped {
        keys,
        scope,
        skipping: Vec::new(),
        found: None,
    };
    let _ = sqlparser::ast::Visit::visit(e, &mut finder);
    finder.found
}

/// Looks for an ungrouped column, not descending into grouped expressions, aggregates
/// and subqueries.
struct Ungrouped<'k, 's, 'p> {
    keys: &'k [String],
    scope: &'s Scope<'p>,
    /// The subtrees being skipped, outermost first.
    skipping: Vec<*const Expr>,
    found: Option<String>,
}

impl Visitor for Ungrouped<'_, '_, '_> {
    type Break = ();

    fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
        if !self.skipping.is_empty() {
            return ControlFlow::Continue(());
        }
        let skip = self.keys.contains(&key(e))
            || is_aggregate(e)
            || matches!(
                e,
                Expr::Subquery(_) | Expr::Exists { .. } | Expr::InSubquery { .. }
            );
        if skip {
            self.skipping.push(e as *const Expr);
            return ControlFlow::Continue(());
        }
        let (qualifier, name) = match e {
            Expr::Identifier(id) if value_keyword(id).is_none() => (None, fold(id)),
            Expr::CompoundIdentifier(parts) if parts.len() == 2 => {
                (Some(fold(&parts[0])), fold(&parts[1]))
            }
            _ => return ControlFlow::Continue(()),
        };
        let Local::Column {
            binding,
            primary_key,
        } = self.scope.local_column(qualifier.as_deref(), &name)
        else {
            return ControlFlow::Continue(());
        };
        let keys = self.keys;
        let is_grouped = |column: &str| {
            keys.iter()
                .any(|k| k == column || *k == format!("{binding}.{column}"))
        };
        if is_grouped(&name)
            || (!primary_key.is_empty() && primary_key.iter().all(|c| is_grouped(c)))
        {
            return ControlFlow::Continue(());
        }
        self.found = Some(format!("{binding}.{name}"));
        ControlFlow::Break(())
    }

    fn post_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
        if self.skipping.last() == Some(&(e as *const Expr)) {
            self.skipping.pop();
        }
        ControlFlow::Continue(())
    }
}
