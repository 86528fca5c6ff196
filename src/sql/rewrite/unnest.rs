//! `unnest(…)` over arrays pgrq can read element by element, expanded
//! before the output types are inferred (like `json_srf`): each array
//! argument gets a JSON form SQLite's `json_each` reads ([`json_form`]) —
//! an array literal (`'{1,2}'::int[]`) or a constant `ARRAY[…]` becomes a
//! JSON literal, an array parameter (`$1::int[]`) is sent by the session as
//! a JSON array (see `array_params`), an `int[]`/`text[]` column is turned
//! into JSON by SQLite text functions or a recursive CTE ([`column_json`]).
//!
//! - In FROM (`unnest(a [, b …]) [WITH ORDINALITY] [AS t(x, y …)]`): a
//!   derived table, the arrays zipped by position and NULL-padded to the
//!   longest, each column cast to its element type.
//! - In a select list: the call becomes a `pgrq_unnest_value(json)` that
//!   `json_srf` joins as a `json_each` FROM item.
//!
//! Arrays whose element type pgrq does not model, untyped parameters and a
//! FROM call over another FROM item's column are refused as 0A000. Pure.

use std::ops::ControlFlow;

use sqlparser::ast::{
    DataType, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, Query, SelectItem,
    Statement, TableAlias, TableFactor, Value, VisitMut, VisitorMut,
};

use super::array_values::element_type;
use super::build::literal_str;
use super::column_types::ColumnTypes;
use super::template;
use super::{Rewriter, array_param_json, call, params::param_index, string};
use crate::sql::names::fold;
use crate::sql::schema::Schema;
use crate::sql::{PgType, SqlError};

/// Marker calls this module writes, replaced by [`rewrite_marker`] once their
/// argument is rewritten: the JSON form of an array of integers / of text.
pub(super) const JSON_INT: &str = "pgrq_array_json_int";
pub(super) const JSON_TEXT: &str = "pgrq_array_json_text";
/// A select-list `unnest`: `json_srf` joins `json_each` of its argument.
pub(crate) const UNNEST_VALUE: &str = "pgrq_unnest_value";

/// An array as SQLite's JSON functions can read it.
pub(super) struct ArrayJson {
    /// A PostgreSQL expression that, rewritten, is the JSON array text.
    pub(super) expr: Expr,
    /// The element type.
    pub(super) elem: PgType,
}

/// Element types whose values survive the trip through JSON unchanged.
fn modeled(elem: PgType) -> bool {
    matches!(
        elem,
        PgType::Int2 | PgType::Int4 | PgType::Int8 | PgType::Text | PgType::Varchar | PgType::Bool
    )
}

fn is_int(elem: PgType) -> bool {
    matches!(elem, PgType::Int2 | PgType::Int4 | PgType::Int8)
}

/// The SQL type an element is cast to (what PostgreSQL's unnest returns).
pub(super) fn sql_type(elem: PgType) -> &'static str {
    match elem {
        PgType::Int2 => "smallint",
        PgType::Int4 => "integer",
        PgType::Int8 => "bigint",
        PgType::Varchar => "varchar",
        PgType::Bool => "boolean",
        _ => "text",
    }
}

fn refused(e: &Expr, why: &str) -> SqlError {
    let text: String = e.to_string().chars().take(40).collect();
    SqlError::unsupported(format!("array function over `{text}` ({why})"))
}

/// The JSON form of an array operand, or 0A000 naming what pgrq cannot read.
pub(super) fn json_form(e: &Expr, columns: &ColumnTypes) -> Result<ArrayJson, SqlError> {
    match e {
        Expr::Nested(inner) => json_form(inner, columns),
        Expr::Cast {
            expr: inner,
            data_type: dt @ DataType::Array(def),
            ..
        } => {
            let elem = element_type(def)
                .filter(|t| modeled(*t))
                .ok_or_else(|| refused(e, &format!("elements of type {dt} are not supported")))?;
            let array = PgType::array_of(elem).ok_or_else(|| refused(e, "element type"))?;
            if let Some(text) = literal_str(inner) {
                if text
                    .trim()
                    .strip_prefix('{')
                    .is_some_and(|t| t.contains('{'))
                {
                    return Err(refused(e, "multidimensional array"));
                }
                let json = array_param_json(text, Some(array))?;
                return Ok(ArrayJson {
                    expr: string(&json),
                    elem,
                });
            }
            if param_of(inner) {
                return Ok(ArrayJson {
                    expr: marker(elem, e.clone()),
                    elem,
                });
            }
            let mut form = json_form(inner, columns)?;
            let compatible = (is_int(form.elem) && is_int(elem))
                || (text_like(form.elem) && text_like(elem))
                || form.elem == elem;
            if !compatible {
                return Err(refused(e, "cast between element types"));
            }
            form.elem = elem;
            Ok(form)
        }
        Expr::Array(arr) if arr.named => constructor(e, &arr.elem),
        Expr::Value(v) if matches!(v.value, Value::Placeholder(_)) => Err(refused(
            e,
            "an array parameter needs its type written, as in $1::int[]",
        )),
        other => match columns.of(other).and_then(PgType::element) {
            Some(elem) if modeled(elem) => Ok(ArrayJson {
                expr: marker(elem, other.clone()),
                elem,
            }),
            _ => Err(refused(
                e,
                "only array literals, ARRAY[…] of constants, typed parameters and int[]/text[] columns",
            )),
        },
    }
}

fn text_like(t: PgType) -> bool {
    matches!(t, PgType::Text | PgType::Varchar)
}

fn param_of(e: &Expr) -> bool {
    match e {
        Expr::Nested(inner) => param_of(inner),
        Expr::Value(v) => matches!(v.value, Value::Placeholder(_)),
        _ => false,
    }
}

fn marker(elem: PgType, arg: Expr) -> Expr {
    call(if is_int(elem) { JSON_INT } else { JSON_TEXT }, vec![arg])
}

/// `ARRAY[c1, c2 …]` of constants as a JSON literal: integers, strings or
/// booleans (NULLs anywhere).
fn constructor(whole: &Expr, elements: &[Expr]) -> Result<ArrayJson, SqlError> {
    let mut items = Vec::new();
    let mut elem: Option<PgType> = None;
    let mut agree = |t: PgType| match elem {
        None => {
            elem = Some(t);
            true
        }
        Some(seen) => seen == t || (is_int(seen) && is_int(t)),
    };
    for el in elements {
        let Expr::Value(v) = el else {
            return Err(refused(whole, "ARRAY[…] elements must be constants here"));
        };
        let (item, t) = match &v.value {
            Value::Null => {
                items.push(serde_json::Value::Null);
                continue;
            }
            Value::Number(n, _) => match n.parse::<i64>() {
                Ok(i) if i32::try_from(i).is_ok() => (serde_json::Value::from(i), PgType::Int4),
                Ok(i) => (serde_json::Value::from(i), PgType::Int8),
                Err(_) => return Err(refused(whole, "non-integer numbers")),
            },
            Value::SingleQuotedString(s) => (serde_json::Value::from(s.as_str()), PgType::Text),
            Value::Boolean(b) => (serde_json::Value::from(i64::from(*b)), PgType::Bool),
            _ => return Err(refused(whole, "ARRAY[…] elements must be constants here")),
        };
        if !agree(t) {
            return Err(refused(whole, "ARRAY[…] elements of different types"));
        }
        items.push(item);
    }
    // An int8 anywhere makes the whole array int8.
    let elem = match elem {
        Some(PgType::Int4)
            if items
                .iter()
                .any(|i| i.as_i64().is_some_and(|n| i32::try_from(n).is_err())) =>
        {
            PgType::Int8
        }
        Some(t) => t,
        None => PgType::Text,
    };
    Ok(ArrayJson {
        expr: string(&serde_json::Value::Array(items).to_string()),
        elem,
    })
}

/// Expand every `unnest` of `stmt` in place.
pub(crate) fn expand(stmt: &mut Statement, schema: &dyn Schema) -> Result<(), SqlError> {
    let columns = ColumnTypes::of_statement(stmt, schema);
    match stmt.visit(&mut Expander { columns: &columns }) {
        ControlFlow::Break(e) => Err(e),
        ControlFlow::Continue(()) => Ok(()),
    }
}

struct Expander<'a> {
    columns: &'a ColumnTypes,
}

impl VisitorMut for Expander<'_> {
    type Break = SqlError;

    fn pre_visit_table_factor(&mut self, tf: &mut TableFactor) -> ControlFlow<SqlError> {
        match in_from(tf, self.columns) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => ControlFlow::Break(e),
        }
    }

    fn pre_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<SqlError> {
        match super::array_functions::rewrite_expr(e, self.columns) {
            Ok(()) => ControlFlow::Continue(()),
            Err(err) => ControlFlow::Break(err),
        }
    }

    fn pre_visit_query(&mut self, q: &mut Query) -> ControlFlow<SqlError> {
        let sqlparser::ast::SetExpr::Select(select) = q.body.as_mut() else {
            return ControlFlow::Continue(());
        };
        for item in &mut select.projection {
            // PostgreSQL's name for what `array_functions` rewrites.
            if let SelectItem::UnnamedExpr(e) = item
                && is_array_call(e)
                && let Some(name) = super::array_functions::output_name(e)
                    .or_else(|| crate::sql::names::output_name(e))
            {
                *item = SelectItem::ExprWithAlias {
                    expr: e.clone(),
                    alias: Ident::with_quote('"', name),
                };
            }
        }
        for item in &mut select.projection {
            let (e, named) = match item {
                SelectItem::UnnamedExpr(e) => (e, false),
                SelectItem::ExprWithAlias { expr, .. } => (expr, true),
                _ => continue,
            };
            match in_select_item(e, self.columns) {
                Ok(false) => {}
                Ok(true) if named => {}
                Ok(true) => {
                    *item = SelectItem::ExprWithAlias {
                        expr: e.clone(),
                        alias: Ident::with_quote('"', "unnest"),
                    };
                }
                Err(err) => return ControlFlow::Break(err),
            }
        }
        ControlFlow::Continue(())
    }
}

/// A call or subscript `array_functions` rewrites (named before it does).
fn is_array_call(e: &Expr) -> bool {
    match e {
        Expr::CompoundFieldAccess { .. } => true,
        Expr::Function(f) => {
            f.name.0.len() == 1
                && f.name.0[0].as_ident().is_some_and(|i| {
                    matches!(
                        fold(i).as_str(),
                        "array_length"
                            | "cardinality"
                            | "array_to_string"
                            | "array_position"
                            | "string_to_array"
                            | "array_append"
                            | "array_prepend"
                            | "array_cat"
                    )
                })
        }
        _ => false,
    }
}

fn is_unnest(name: &sqlparser::ast::ObjectName) -> bool {
    match name.0.as_slice() {
        [p] => p.as_ident().is_some_and(|i| fold(i) == "unnest"),
        [s, p] => {
            s.as_ident().is_some_and(|i| fold(i) == "pg_catalog")
                && p.as_ident().is_some_and(|i| fold(i) == "unnest")
        }
        _ => false,
    }
}

/// A select-list item `unnest(x)` (possibly inside casts or operators)
/// becomes `CAST(pgrq_unnest_value(<json of x>) AS <element type>)`.
fn in_select_item(e: &mut Expr, columns: &ColumnTypes) -> Result<bool, SqlError> {
    match e {
        Expr::Nested(inner)
        | Expr::Cast { expr: inner, .. }
        | Expr::UnaryOp { expr: inner, .. } => in_select_item(inner, columns),
        Expr::BinaryOp { left, right, .. } => {
            Ok(in_select_item(left, columns)? | in_select_item(right, columns)?)
        }
        Expr::Function(f) if f.over.is_none() && is_unnest(&f.name) => {
            let FunctionArguments::List(list) = &f.args else {
                return Ok(false);
            };
            let args = plain_args(&list.args)?;
            let [arg] = args.as_slice() else {
                return Err(SqlError::unsupported(
                    "unnest() with several arguments in a select list (write it in FROM)",
                ));
            };
            let form = json_form(arg, columns)?;
            *e = Expr::Cast {
                kind: sqlparser::ast::CastKind::DoubleColon,
                expr: Box::new(call(UNNEST_VALUE, vec![form.expr])),
                data_type: cast_type(form.elem)?,
                format: None,
            };
            Ok(true)
        }
        _ => Ok(false),
    }
}

fn cast_type(elem: PgType) -> Result<DataType, SqlError> {
    sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
        .try_with_sql(sql_type(elem))
        .and_then(|mut p| p.parse_data_type())
        .map_err(|e| SqlError::unsupported(format!("unnest() element type ({e})")))
}

fn plain_args(args: &[FunctionArg]) -> Result<Vec<&Expr>, SqlError> {
    args.iter()
        .map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Ok(e),
            _ => Err(SqlError::unsupported("unnest() with named arguments")),
        })
        .collect()
}

fn names_a_column(e: &Expr) -> bool {
    sqlparser::ast::visit_expressions(e, |e| match e {
        Expr::Identifier(_) | Expr::CompoundIdentifier(_) => ControlFlow::Break(()),
        _ => ControlFlow::Continue(()),
    })
    .is_break()
}

/// `unnest(a [, b …]) [WITH ORDINALITY] [AS t(…)]` in FROM → a derived table.
/// (`"key"` is quoted: rqlite's statement parser, which decides whether a write
/// returns rows, does not accept a bare `key` column.)
fn in_from(tf: &mut TableFactor, columns: &ColumnTypes) -> Result<(), SqlError> {
    let (arrays, alias, ordinality): (Vec<Expr>, _, bool) = match tf {
        TableFactor::UNNEST {
            alias,
            array_exprs,
            with_offset,
            with_ordinality,
            ..
        } => {
            if *with_offset {
                return Err(SqlError::unsupported("UNNEST … WITH OFFSET"));
            }
            (array_exprs.clone(), alias.take(), *with_ordinality)
        }
        TableFactor::Table {
            name,
            args: Some(args),
            alias,
            with_ordinality,
            ..
        } if is_unnest(name) => (
            plain_args(&args.args)?.into_iter().cloned().collect(),
            alias.take(),
            *with_ordinality,
        ),
        _ => return Ok(()),
    };
    if arrays.is_empty() {
        return Err(SqlError::UndefinedFunction {
            name: "unnest with 0 argument(s)".into(),
        });
    }
    if arrays.iter().any(names_a_column) {
        return Err(SqlError::unsupported(
            "unnest() in FROM over a column (write it in the select list)",
        ));
    }
    let forms = arrays
        .iter()
        .map(|a| json_form(a, columns))
        .collect::<Result<Vec<_>, _>>()?;
    // PostgreSQL's column names: the alias's list, else the table alias for a
    // single array, else `unnest`.
    let wanted = forms.len() + usize::from(ordinality);
    let mut names: Vec<String> = vec!["unnest".into(); forms.len()];
    if ordinality {
        names.push("ordinality".into());
    }
    if let Some(a) = &alias {
        if a.columns.len() > wanted {
            return Err(SqlError::TooManyColumnAliases {
                message: "too many column aliases specified for function unnest".into(),
            });
        }
        if a.columns.is_empty() && forms.len() == 1 {
            names[0] = a.name.to_string();
        }
        for (slot, given) in names.iter_mut().zip(&a.columns) {
            *slot = given.name.to_string();
        }
    }
    let k = "pgrq_srf_un_k";
    let mut select = Vec::new();
    let mut joins = String::new();
    for (i, (form, name)) in forms.iter().zip(&names).enumerate() {
        let ty = sql_type(form.elem);
        if forms.len() == 1 {
            select.push(format!("CAST({k}.value AS {ty}) AS {name}"));
        } else {
            let e = format!("pgrq_srf_un_{i}");
            select.push(format!("CAST({e}.value AS {ty}) AS {name}"));
            joins.push_str(&format!(
                " LEFT JOIN json_each({}) AS {e} ON {e}.\"key\" = {k}.\"key\"",
                form.expr
            ));
        }
    }
    if ordinality {
        select.push(format!(
            "CAST({k}.\"key\" AS bigint) + 1 AS {}",
            names[forms.len()]
        ));
    }
    let driver = if forms.len() == 1 {
        forms[0].expr.to_string()
    } else {
        longest(&forms)
    };
    let sql = format!(
        "SELECT {} FROM json_each({driver}) AS {k}{joins} ORDER BY {k}.\"key\"",
        select.join(", ")
    );
    let subquery = sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
        .try_with_sql(&sql)
        .and_then(|mut p| p.parse_query())
        .map_err(|e| SqlError::unsupported(format!("unnest() of this shape ({e})")))?;
    let alias = Some(match alias {
        Some(mut a) => {
            a.columns.clear();
            a
        }
        None => TableAlias {
            explicit: true,
            name: Ident::new("unnest"),
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

/// The longest of several JSON arrays (a NULL array counts as empty).
fn longest(forms: &[ArrayJson]) -> String {
    let len = |f: &ArrayJson| format!("coalesce(json_array_length({}), 0)", f.expr);
    let mut sql = String::from("CASE");
    for (i, f) in forms.iter().enumerate().take(forms.len() - 1) {
        let conds: Vec<String> = forms
            .iter()
            .enumerate()
            .filter(|(j, _)| *j > i)
            .map(|(_, g)| format!("{} >= {}", len(f), len(g)))
            .collect();
        sql.push_str(&format!(" WHEN {} THEN {}", conds.join(" AND "), f.expr));
    }
    if let Some(last) = forms.last() {
        sql.push_str(&format!(" ELSE {} END", last.expr));
    }
    sql
}

/// After its argument is rewritten: a JSON-form marker becomes the parameter
/// itself (sent as a JSON array) or SQLite text functions over a column's
/// array text. `Ok(false)` when `e` is something else.
pub(super) fn rewrite_marker(rw: &mut Rewriter<'_>, e: &mut Expr) -> Result<bool, SqlError> {
    let Expr::Function(f) = e else {
        return Ok(false);
    };
    let name = f.name.to_string();
    if name != JSON_INT && name != JSON_TEXT {
        return Ok(false);
    }
    let FunctionArguments::List(list) = &f.args else {
        return Ok(false);
    };
    let [FunctionArg::Unnamed(FunctionArgExpr::Expr(arg))] = list.args.as_slice() else {
        return Ok(false);
    };
    let arg = arg.clone();
    if let Some(index) = param_index(&arg) {
        rw.params.note_json_array(index);
        *e = arg;
        return Ok(true);
    }
    *e = column_json(arg, name == JSON_INT)?;
    Ok(true)
}

/// A column's array text as a JSON array: integers need only their braces
/// swapped; text is read character by character (a recursive CTE: quoted
/// elements with their `\\` escapes, unquoted `NULL` as null).
pub(super) fn column_json(arg: Expr, ints: bool) -> Result<Expr, SqlError> {
    if ints {
        return template::fill(
            "CASE WHEN pgrq_arg1 IS NULL THEN NULL \
             ELSE '[' || replace(substr(pgrq_arg1, 2, length(pgrq_arg1) - 2), 'NULL', 'null') || ']' END",
            &[arg],
        );
    }
    let c = "substr(pgrq_arg1, i, 1)";
    let token = "CASE WHEN qd = 0 AND upper(trim(tok)) = 'NULL' THEN 'null' \
                 WHEN qd = 0 THEN json_quote(trim(tok)) ELSE json_quote(tok) END";
    let sql = format!(
        "CASE WHEN pgrq_arg1 IS NULL THEN NULL WHEN pgrq_arg1 = '{{}}' THEN '[]' ELSE (\
         WITH RECURSIVE pgrq_p(i, q, qd, tok, o) AS (SELECT 2, 0, 0, '', '' UNION ALL \
         SELECT i + 1, \
         CASE WHEN q = 0 AND {c} = char(34) THEN 1 WHEN q = 1 AND {c} = char(92) THEN 2 \
         WHEN q = 1 AND {c} = char(34) THEN 0 WHEN q = 2 THEN 1 ELSE q END, \
         CASE WHEN q = 0 AND {c} = ',' THEN 0 WHEN q = 0 AND {c} = char(34) THEN 1 ELSE qd END, \
         CASE WHEN q = 0 AND {c} = ',' THEN '' WHEN q = 0 AND {c} = char(34) THEN tok \
         WHEN q = 1 AND {c} IN (char(92), char(34)) THEN tok ELSE tok || {c} END, \
         CASE WHEN q = 0 AND {c} = ',' THEN o || {token} || ',' ELSE o END \
         FROM pgrq_p WHERE i < length(pgrq_arg1)) \
         SELECT '[' || o || {token} || ']' FROM pgrq_p ORDER BY i DESC LIMIT 1) END"
    );
    template::fill(&sql, &[arg])
}

#[cfg(test)]
#[path = "unnest_tests.rs"]
mod tests;
