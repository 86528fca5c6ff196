//! PostgreSQL's JSON set-returning functions (`json[b]_each[_text]`,
//! `json[b]_array_elements[_text]`, `json[b]_object_keys`) and
//! `generate_series` in a select list, expanded into PostgreSQL the rest of the
//! pipeline already understands, before the output types are inferred:
//!
//! - In FROM, with arguments that name no column: a derived table over
//!   SQLite's `json_each`, whose columns carry PostgreSQL's names (or the
//!   alias's column list) and types (casts to text/json/jsonb).
//! - In a select list (one such call, no GROUP BY): the call becomes a
//!   column of `json_each(arg)` (or of a `generate_series` of constants)
//!   joined to the FROM list, which is what PostgreSQL does — one output row
//!   per element, none for a NULL or empty argument.
//!
//! The wrong JSON kind raises PostgreSQL's 22023. Anything else (WITH
//! ORDINALITY, several calls in one select list, a FROM call over another
//! FROM item's column) is refused as 0A000. Pure: rewrites the tree only.

use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, FunctionArguments, GroupByExpr, Ident, ObjectNamePart,
    Query, Select, SelectItem, Statement, TableAlias, TableFactor, TableWithJoins, VisitMut,
    VisitorMut, visit_expressions,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use crate::sql::SqlError;
use crate::sql::names::fold;

/// Alias prefix of what this module writes (never expanded again).
const OWN: &str = "pgrq_srf";

/// What a JSON set-returning function requires and returns.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// `(key text, value)` of an object.
    Each,
    /// `(value)` of an array.
    Elements,
    /// `(<function name> text)`: an object's keys.
    Keys,
}

struct Srf {
    name: String,
    kind: Kind,
    /// The value column is text (`_text`), else json/jsonb.
    text: bool,
    /// jsonb (else json).
    binary: bool,
}

fn srf(name: &str) -> Option<Srf> {
    let (binary, rest) = match name.strip_prefix("jsonb_") {
        Some(rest) => (true, rest),
        None => (false, name.strip_prefix("json_")?),
    };
    let (kind, text) = match rest {
        "each" => (Kind::Each, false),
        "each_text" => (Kind::Each, true),
        "array_elements" => (Kind::Elements, false),
        "array_elements_text" => (Kind::Elements, true),
        "object_keys" => (Kind::Keys, true),
        _ => return None,
    };
    Some(Srf {
        name: name.to_string(),
        kind,
        text,
        binary,
    })
}

impl Srf {
    /// The argument, raising 22023 when it is not the JSON kind the function needs.
    fn checked_arg(&self, arg: &str) -> String {
        let (wanted, message) = match self.kind {
            Kind::Each | Kind::Keys => (
                "object",
                format!("cannot call {} on a non-object", self.name),
            ),
            Kind::Elements => (
                "array",
                "cannot extract elements from a scalar or object".into(),
            ),
        };
        format!(
            "CASE WHEN ({arg}) IS NULL OR json_type({arg}) = '{wanted}' THEN ({arg}) \
             ELSE json_extract('null', 'pgrq:22023:{message}') END"
        )
    }

    /// The value column over `json_each`'s columns qualified by `q`.
    fn value(&self, q: &str) -> String {
        if self.kind == Kind::Keys {
            return format!("CAST({q}.\"key\" AS text)");
        }
        let json = if self.binary { "jsonb" } else { "json" };
        if self.text {
            format!(
                "CAST(CASE {q}.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' \
                 ELSE {q}.value END AS text)"
            )
        } else {
            format!(
                "CAST(CASE {q}.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' \
                 ELSE json_quote({q}.value) END AS {json})"
            )
        }
    }

    /// PostgreSQL's output column names.
    fn columns(&self) -> Vec<String> {
        match self.kind {
            Kind::Each => vec!["key".into(), "value".into()],
            Kind::Elements => vec!["value".into()],
            Kind::Keys => vec![self.name.clone()],
        }
    }
}

/// Expand the set-returning calls of `stmt` in place.
pub(crate) fn expand(stmt: &mut Statement) -> Result<(), SqlError> {
    match stmt.visit(&mut Expander) {
        ControlFlow::Break(e) => Err(e),
        ControlFlow::Continue(()) => Ok(()),
    }
}

struct Expander;

impl VisitorMut for Expander {
    type Break = SqlError;

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<SqlError> {
        let sqlparser::ast::SetExpr::Select(select) = query.body.as_mut() else {
            return ControlFlow::Continue(());
        };
        match in_select_list(select, query.order_by.as_mut()) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => ControlFlow::Break(e),
        }
    }

    fn pre_visit_select(&mut self, select: &mut Select) -> ControlFlow<SqlError> {
        match in_select_list(select, None) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => ControlFlow::Break(e),
        }
    }

    fn pre_visit_table_factor(&mut self, tf: &mut TableFactor) -> ControlFlow<SqlError> {
        match in_from(tf) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => ControlFlow::Break(e),
        }
    }
}

fn plain_name(name: &sqlparser::ast::ObjectName) -> Option<String> {
    match name.0.as_slice() {
        [ObjectNamePart::Identifier(i)] => Some(fold(i)),
        [ObjectNamePart::Identifier(s), ObjectNamePart::Identifier(i)]
            if fold(s) == "pg_catalog" =>
        {
            Some(fold(i))
        }
        _ => None,
    }
}

fn names_a_column(e: &Expr) -> bool {
    visit_expressions(e, |e| match e {
        Expr::Identifier(_) | Expr::CompoundIdentifier(_) => ControlFlow::Break(()),
        _ => ControlFlow::Continue(()),
    })
    .is_break()
}

fn one_arg(name: &str, args: &[FunctionArg]) -> Result<String, SqlError> {
    match args {
        [FunctionArg::Unnamed(FunctionArgExpr::Expr(e))] => Ok(e.to_string()),
        _ => Err(SqlError::UndefinedFunction {
            name: format!("{name} with {} argument(s)", args.len()),
        }),
    }
}

fn parse_query(sql: &str, what: &str) -> Result<Box<Query>, SqlError> {
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_query())
        .map_err(|e| SqlError::unsupported(format!("{what} of this shape ({e})")))
}

/// `jsonb_each(…) [AS t[(k, v)]]` in FROM → a derived table.
fn in_from(tf: &mut TableFactor) -> Result<(), SqlError> {
    let TableFactor::Table {
        name,
        args: Some(args),
        alias,
        with_ordinality,
        ..
    } = tf
    else {
        return Ok(());
    };
    if alias
        .as_ref()
        .is_some_and(|a| a.name.value.starts_with(OWN))
    {
        return Ok(());
    }
    let Some(f) = plain_name(name).and_then(|n| srf(&n)) else {
        return Ok(());
    };
    if *with_ordinality {
        return Err(SqlError::unsupported(format!(
            "{}() WITH ORDINALITY",
            f.name
        )));
    }
    let arg = one_arg(&f.name, &args.args)?;
    if let [FunctionArg::Unnamed(FunctionArgExpr::Expr(e))] = args.args.as_slice()
        && names_a_column(e)
    {
        return Err(SqlError::unsupported(format!(
            "set-returning function {}() in FROM over a column (write it in the select list)",
            f.name
        )));
    }
    let mut names = f.columns();
    if let Some(a) = alias.as_ref() {
        if a.columns.len() > names.len() {
            return Err(SqlError::TooManyColumnAliases {
                message: format!("too many column aliases specified for function {}", f.name),
            });
        }
        for (slot, given) in names.iter_mut().zip(&a.columns) {
            *slot = given.name.to_string();
        }
        if f.kind == Kind::Keys && a.columns.is_empty() {
            names[0] = a.name.to_string();
        }
    }
    let q = format!("{OWN}_je");
    let value = f.value(&q);
    let select = match f.kind {
        Kind::Each => format!(
            "CAST({q}.\"key\" AS text) AS {}, {value} AS {}",
            names[0], names[1]
        ),
        Kind::Elements | Kind::Keys => format!("{value} AS {}", names[0]),
    };
    let sql = format!(
        "SELECT {select} FROM json_each({}) AS {q}",
        f.checked_arg(&arg)
    );
    let subquery = parse_query(&sql, &format!("{}()", f.name))?;
    let alias = Some(match alias.take() {
        Some(mut a) => {
            a.columns.clear();
            a
        }
        None => TableAlias {
            explicit: true,
            name: Ident::new(&f.name),
            columns: vec![],
            at: None,
        },
    });
    *tf = TableFactor::Derived {
        lateral: false,
        subquery,
        alias,
        sample: None,
    };
    Ok(())
}

/// The FROM item a select-list call becomes, and the column standing for it.
struct Joined {
    factor: TableFactor,
}

/// Find the set-returning calls of `e` (outside subqueries) and replace each by
/// the column of the FROM item it becomes.
fn take_calls(e: &mut Expr, found: &mut Vec<Joined>) -> Result<(), SqlError> {
    match e {
        Expr::Nested(inner)
        | Expr::Cast { expr: inner, .. }
        | Expr::UnaryOp { expr: inner, .. } => take_calls(inner, found),
        Expr::BinaryOp { left, right, .. } => {
            take_calls(left, found)?;
            take_calls(right, found)
        }
        Expr::Function(func) if func.over.is_none() => {
            let Some(name) = plain_name(&func.name) else {
                return Ok(());
            };
            let FunctionArguments::List(list) = &func.args else {
                return Ok(());
            };
            let q = format!("{OWN}_{}", found.len());
            let (from, column) = if let Some(f) = srf(&name) {
                let arg = one_arg(&name, &list.args)?;
                (
                    format!("json_each({}) AS {q}", f.checked_arg(&arg)),
                    f.value(&q),
                )
            } else if name == super::unnest::UNNEST_VALUE {
                let arg = one_arg(&name, &list.args)?;
                (format!("json_each({arg}) AS {q}"), format!("{q}.value"))
            } else if name == "generate_series" {
                if list.args.iter().any(|a| match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) => names_a_column(x),
                    _ => true,
                }) {
                    return Err(SqlError::unsupported(
                        "generate_series() in a select list over a column",
                    ));
                }
                let args: Vec<String> = list.args.iter().map(|a| a.to_string()).collect();
                (
                    format!("generate_series({}) AS {q}(pgrq_v)", args.join(", ")),
                    format!("{q}.pgrq_v"),
                )
            } else {
                return Ok(());
            };
            let what = format!("{name}() in a select list");
            let query = parse_query(&format!("SELECT {column} FROM {from}"), &what)?;
            let sqlparser::ast::SetExpr::Select(inner) = *query.body else {
                return Err(SqlError::unsupported(what));
            };
            let inner = *inner;
            let (Some(twj), Some(SelectItem::UnnamedExpr(column))) = (
                inner.from.into_iter().next(),
                inner.projection.into_iter().next(),
            ) else {
                return Err(SqlError::unsupported(what));
            };
            *e = column;
            found.push(Joined {
                factor: twj.relation,
            });
            Ok(())
        }
        _ => Ok(()),
    }
}

/// `SELECT f(x) … FROM …` → `SELECT <column of f> … FROM …, f-as-a-table`:
/// SQLite's `json_each` in FROM may read the columns of the items before it.
fn in_select_list(
    select: &mut Select,
    order_by: Option<&mut sqlparser::ast::OrderBy>,
) -> Result<(), SqlError> {
    let mut found = Vec::new();
    for item in &mut select.projection {
        let (e, named) = match item {
            SelectItem::UnnamedExpr(e) => (e, false),
            SelectItem::ExprWithAlias { expr, .. } => (expr, true),
            _ => continue,
        };
        let before = found.len();
        let original = e.clone();
        take_calls(e, &mut found)?;
        if found.len() > before && !named {
            // PostgreSQL names the column as it would the untouched expression.
            let name = crate::sql::names::output_name(&original)
                .unwrap_or_else(|| crate::sql::names::UNNAMED.to_string());
            *item = SelectItem::ExprWithAlias {
                expr: e.clone(),
                alias: Ident::with_quote('"', name),
            };
        }
    }
    if found.is_empty() {
        return Ok(());
    }
    if found.len() > 1 {
        return Err(SqlError::unsupported(
            "several set-returning functions in one select list",
        ));
    }
    if !matches!(&select.group_by, GroupByExpr::Expressions(g, _) if g.is_empty())
        || select.having.is_some()
    {
        return Err(SqlError::unsupported(
            "a set-returning function in the select list of a grouped query",
        ));
    }
    qualify_columns(select, order_by);
    for joined in found {
        select.from.push(TableWithJoins {
            relation: joined.factor,
            joins: vec![],
        });
    }
    Ok(())
}

/// SQLite's `json_each` has columns (`id`, `key`, `value`, `type` …) that would make the
/// query's own bare column names ambiguous once it joins the FROM list: with a single
/// FROM item, its bare names (outside subqueries, and in ORDER BY unless they name an
/// output column) are qualified by it.
fn qualify_columns(select: &mut Select, order_by: Option<&mut sqlparser::ast::OrderBy>) {
    let [twj] = select.from.as_slice() else {
        return;
    };
    if !twj.joins.is_empty() {
        return;
    }
    let qualifier = match &twj.relation {
        TableFactor::Table { alias: Some(a), .. } | TableFactor::Derived { alias: Some(a), .. } => {
            a.name.clone()
        }
        TableFactor::Table { name, .. } => match name.0.last().and_then(|p| p.as_ident()) {
            Some(i) => i.clone(),
            None => return,
        },
        _ => return,
    };
    let outputs: Vec<String> = select
        .projection
        .iter()
        .filter_map(|item| match item {
            SelectItem::ExprWithAlias { alias, .. } => Some(fold(alias)),
            _ => None,
        })
        .collect();
    let mut q = Qualifier {
        qualifier,
        depth: 0,
        skip: vec![],
    };
    for item in &mut select.projection {
        let _ = item.visit(&mut q);
    }
    if let Some(w) = select.selection.as_mut() {
        let _ = w.visit(&mut q);
    }
    q.skip = outputs;
    if let Some(o) = order_by {
        let _ = o.visit(&mut q);
    }
}

struct Qualifier {
    qualifier: Ident,
    depth: usize,
    /// Bare names left alone (output column names, in ORDER BY).
    skip: Vec<String>,
}

impl VisitorMut for Qualifier {
    type Break = ();

    fn pre_visit_query(&mut self, _: &mut Query) -> ControlFlow<()> {
        self.depth += 1;
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _: &mut Query) -> ControlFlow<()> {
        self.depth -= 1;
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
        if self.depth == 0
            && let Expr::Identifier(ident) = e
            && crate::sql::names::value_keyword(ident).is_none()
            && !self.skip.contains(&fold(ident))
        {
            *e = Expr::CompoundIdentifier(vec![self.qualifier.clone(), ident.clone()]);
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::SqlError;
    use crate::sql::test_support::*;

    #[test]
    fn json_functions_in_from_read_json_each() {
        let out = sqlite("SELECT key, value FROM jsonb_each('{\"a\": 1}') AS e(k, v)");
        assert!(out.contains("FROM json_each(CASE WHEN"), "{out}");
        assert!(out.contains("AS k"), "{out}");
        assert!(out.contains(") AS e"), "{out}");
        assert!(
            out.contains("pgrq:22023:cannot call jsonb_each on a non-object"),
            "{out}"
        );
        assert_unsupported("SELECT * FROM t, jsonb_each(t.j)", "in FROM over a column");
        assert!(matches!(
            err("SELECT * FROM jsonb_array_elements('[1]') AS t(a, b)"),
            SqlError::TooManyColumnAliases { .. }
        ));
    }

    #[test]
    fn select_list_calls_join_json_each() {
        let schema = schema_from(&["CREATE TABLE docs (id int, j jsonb)"]);
        let out = sqlite_with(
            "SELECT jsonb_array_elements_text(j -> 'tags') FROM docs WHERE id = 1 ORDER BY 1",
            &schema,
        );
        assert!(out.contains("FROM docs, json_each("), "{out}");
        assert!(out.contains("docs.id = 1"), "{out}");
        assert!(out.contains("AS \"jsonb_array_elements_text\""), "{out}");
        assert_unsupported(
            "SELECT jsonb_object_keys(a), jsonb_object_keys(b) FROM t",
            "several set-returning functions",
        );
    }

    #[test]
    fn constant_series_in_a_select_list() {
        let out = sqlite("SELECT generate_series(1, 3)");
        assert!(out.contains("WITH RECURSIVE"), "{out}");
        assert!(out.contains("AS \"generate_series\""), "{out}");
    }
}
