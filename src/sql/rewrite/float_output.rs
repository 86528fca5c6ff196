//! Output columns of type float4/float8 leave SQLite wrapped so that ±Infinity travels as
//! the text `Infinity`/`-Infinity` (rqlite's JSON fails a whole result holding an
//! infinite REAL; see `sql::floats`). Runs on the SQLite tree after the rewrite, with the
//! output types worked out from the PostgreSQL tree.
//!
//! * a query with one SELECT: each float item is wrapped in place (`*` covering a float
//!   column is expanded to qualified columns first); ORDER BY keys that name a wrapped
//!   item (by position, or by its output name, which SQLite resolves to the item) are
//!   replaced by the unwrapped expression (`+(x)`, so it is not read as a name again), so
//!   rows sort by the float, not by its text;
//! * a set operation (UNION …): the whole query moves into a derived table
//!   (`SELECT wrap("a"), … FROM (<query>) AS pgrq_out`), so its ORDER BY still sorts
//!   floats; when its output names are not distinct, each arm is wrapped instead;
//! * VALUES: each float cell;
//! * RETURNING: each float item (`RETURNING *` expanded to the target's columns).
//!
//! Owns nothing else; it must not change a statement with no float output.

use sqlparser::ast::{
    Expr, Ident, OrderByKind, Query, SelectItem, SetExpr, Statement, TableFactor, TableWithJoins,
    UnaryOperator, Value,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use super::template;
use crate::sql::infer::{OutputItem, StarColumn};
use crate::sql::names::{fold, output_name};
use crate::sql::{PgType, SqlError, floats};

fn is_float(t: &Option<PgType>) -> bool {
    matches!(t, Some(PgType::Float4 | PgType::Float8))
}

/// Wrap the float output columns of `stmt`. `types` has one entry per output column (as
/// `infer::output_types` lists them); `items` is `infer::output_items` of the statement.
pub(crate) fn wrap_outputs(
    stmt: &mut Statement,
    types: &[Option<PgType>],
    items: Option<&[OutputItem]>,
) -> Result<(), SqlError> {
    if !types.iter().any(is_float) {
        return Ok(());
    }
    match stmt {
        Statement::Query(q) => wrap_query(q, types, items),
        Statement::Insert(i) => returning(i.returning.as_mut(), items),
        Statement::Update(u) => returning(u.returning.as_mut(), items),
        Statement::Delete(d) => returning(d.returning.as_mut(), items),
        _ => Ok(()),
    }
}

fn wrap(e: Expr) -> Result<Expr, SqlError> {
    if is_finite_constant(&e) {
        return Ok(e);
    }
    template::fill(&floats::output_wrapper(), &[e])
}

/// A finite number literal, possibly negated or parenthesised.
fn finite_number(e: &Expr) -> bool {
    match e {
        Expr::Value(v) => {
            matches!(&v.value, Value::Number(n, _) if n.parse::<f64>().is_ok_and(f64::is_finite))
        }
        Expr::Nested(inner) => finite_number(inner),
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => finite_number(expr),
        _ => false,
    }
}

/// A literal that cannot be infinite (a finite number, a string such as `'NaN'`, NULL).
fn is_finite_constant(e: &Expr) -> bool {
    match e {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.parse::<f64>().is_ok_and(f64::is_finite),
            Value::SingleQuotedString(_) | Value::Null => true,
            _ => false,
        },
        Expr::Nested(inner) => is_finite_constant(inner),
        // A cast of a finite number (a cast of text may overflow).
        Expr::Cast { expr: inner, .. } => finite_number(inner),
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => is_finite_constant(expr),
        _ => false,
    }
}

fn quoted(name: &str) -> Ident {
    Ident::with_quote('"', name)
}

fn wrap_query(
    q: &mut Query,
    types: &[Option<PgType>],
    items: Option<&[OutputItem]>,
) -> Result<(), SqlError> {
    match q.body.as_mut() {
        SetExpr::Select(select) => {
            let Some(items) = items else {
                return Ok(());
            };
            let Some(wrapped) = projection(&mut select.projection, items, true)? else {
                return Ok(());
            };
            if let Some(OrderByKind::Expressions(keys)) = q.order_by.as_mut().map(|o| &mut o.kind) {
                for key in keys {
                    if let Some(w) = wrapped.iter().find(|w| w.names(&key.expr)) {
                        key.expr = Expr::UnaryOp {
                            op: UnaryOperator::Plus,
                            expr: Box::new(Expr::Nested(Box::new(w.inner.clone()))),
                        };
                    }
                }
            }
            Ok(())
        }
        SetExpr::Insert(w) | SetExpr::Update(w) | SetExpr::Delete(w) => {
            wrap_outputs(w, types, items)
        }
        SetExpr::SetOperation { .. } => set_operation(q, types),
        SetExpr::Values(values) => {
            for row in &mut values.rows {
                for (cell, t) in row.iter_mut().zip(types) {
                    if is_float(t) {
                        *cell = wrap(std::mem::replace(cell, Expr::value(Value::Null)))?;
                    }
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// A wrapped item of a SELECT list.
struct Wrapped {
    /// 1-based position in the list.
    position: usize,
    /// Its output name (folded).
    name: String,
    /// The expression before wrapping.
    inner: Expr,
}

impl Wrapped {
    /// Whether ORDER BY key `e` names this item (SQLite reads an integer as a position
    /// and a bare name as an output column first).
    fn names(&self, e: &Expr) -> bool {
        match e {
            Expr::Value(v) => match &v.value {
                Value::Number(n, _) => n.parse::<usize>().ok() == Some(self.position),
                _ => false,
            },
            Expr::Identifier(id) => fold(id).eq_ignore_ascii_case(&self.name),
            _ => false,
        }
    }
}

/// Wrap the float items of `list` (described by `items`, one per item), expanding every
/// `*` when one item is wrapped (so positions stay those PostgreSQL counts). `qualify`
/// writes expanded columns as `q.c`. `None` when `list` does not match `items` (the
/// rewrite changed its shape) or a `*` cannot be expanded.
fn projection(
    list: &mut Vec<SelectItem>,
    items: &[OutputItem],
    qualify: bool,
) -> Result<Option<Vec<Wrapped>>, SqlError> {
    if list.len() != items.len() {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(list.len());
    let mut wrapped = Vec::new();
    for (item, info) in std::mem::take(list).into_iter().zip(items) {
        match (item, info) {
            (SelectItem::UnnamedExpr(e), OutputItem::Expr(t)) if is_float(t) => {
                let name = output_name(&e).unwrap_or_else(|| "?column?".into());
                out.push(wrapped_item(e, name, out.len(), &mut wrapped)?);
            }
            (SelectItem::ExprWithAlias { expr, alias }, OutputItem::Expr(t)) if is_float(t) => {
                out.push(wrapped_item(expr, fold(&alias), out.len(), &mut wrapped)?);
            }
            (
                item @ (SelectItem::UnnamedExpr(_) | SelectItem::ExprWithAlias { .. }),
                OutputItem::Expr(_),
            ) => out.push(item),
            (
                SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..),
                OutputItem::Star(cols),
            ) => {
                if !qualify && cols.iter().any(|c| c.qualifier != cols[0].qualifier) {
                    // RETURNING reaches only the target table's columns.
                    return Ok(None);
                }
                for c in cols {
                    let e = column(c, qualify);
                    if is_float(&c.ty) {
                        out.push(wrapped_item(e, c.name.clone(), out.len(), &mut wrapped)?);
                    } else {
                        out.push(SelectItem::UnnamedExpr(e));
                    }
                }
            }
            _ => return Ok(None),
        }
    }
    *list = out;
    Ok(Some(wrapped))
}

fn column(c: &StarColumn, qualify: bool) -> Expr {
    if qualify {
        Expr::CompoundIdentifier(vec![quoted(&c.qualifier), quoted(&c.name)])
    } else {
        Expr::Identifier(quoted(&c.name))
    }
}

fn wrapped_item(
    e: Expr,
    name: String,
    index: usize,
    wrapped: &mut Vec<Wrapped>,
) -> Result<SelectItem, SqlError> {
    wrapped.push(Wrapped {
        position: index + 1,
        name: name.clone(),
        inner: e.clone(),
    });
    Ok(SelectItem::ExprWithAlias {
        expr: wrap(e)?,
        alias: quoted(&name),
    })
}

fn returning(
    list: Option<&mut Vec<SelectItem>>,
    items: Option<&[OutputItem]>,
) -> Result<(), SqlError> {
    if let (Some(list), Some(items)) = (list, items) {
        let mut copy = list.clone();
        if projection(&mut copy, items, false)?.is_some() {
            *list = copy;
        }
    }
    Ok(())
}

/// `SELECT wrap("a") AS "a", "b" FROM (<q>) AS pgrq_out`, or each arm wrapped when the
/// output names (those of the first arm) are not distinct.
fn set_operation(q: &mut Query, types: &[Option<PgType>]) -> Result<(), SqlError> {
    let Some(names) = first_arm_names(&q.body) else {
        return Ok(());
    };
    let mut seen = std::collections::HashSet::new();
    let distinct =
        names.len() == types.len() && names.iter().all(|n| seen.insert(n.to_ascii_lowercase()));
    if !distinct {
        return wrap_arms(&mut q.body, types);
    }
    let mut cols = Vec::with_capacity(names.len());
    for (name, t) in names.iter().zip(types) {
        let e = Expr::CompoundIdentifier(vec![Ident::new("pgrq_out"), quoted(name)]);
        cols.push(if is_float(t) {
            format!("{} AS {}", wrap(e)?, quoted(name))
        } else {
            e.to_string()
        });
    }
    let outer = format!("SELECT {} FROM (SELECT 1) AS pgrq_out", cols.join(", "));
    let parsed = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(&outer)
        .and_then(|mut p| p.parse_query())
        .map_err(|e| SqlError::unsupported(format!("internal query `{outer}`: {e}")))?;
    let inner = std::mem::replace(q, *parsed);
    let SetExpr::Select(outer_select) = q.body.as_mut() else {
        return Ok(());
    };
    if let Some(TableWithJoins {
        relation: TableFactor::Derived { subquery, .. },
        ..
    }) = outer_select.from.first_mut()
    {
        **subquery = inner;
    }
    Ok(())
}

/// The output names of a set operation: its first SELECT's items (`None` for a `*` or a
/// nameless expression).
fn first_arm_names(body: &SetExpr) -> Option<Vec<String>> {
    match body {
        SetExpr::SetOperation { left, .. } => first_arm_names(left),
        SetExpr::Query(q) => first_arm_names(&q.body),
        SetExpr::Select(s) => s
            .projection
            .iter()
            .map(|item| match item {
                SelectItem::UnnamedExpr(e) => match output_name(e) {
                    Some(n) if n != "?column?" => Some(n),
                    _ => None,
                },
                SelectItem::ExprWithAlias { alias, .. } => Some(fold(alias)),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

fn wrap_arms(body: &mut SetExpr, types: &[Option<PgType>]) -> Result<(), SqlError> {
    match body {
        SetExpr::SetOperation { left, right, .. } => {
            wrap_arms(left, types)?;
            wrap_arms(right, types)
        }
        SetExpr::Select(s) => {
            let items: Vec<OutputItem> = types.iter().map(|t| OutputItem::Expr(*t)).collect();
            let mut copy = s.projection.clone();
            if projection(&mut copy, &items, true)?.is_some() {
                s.projection = copy;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    const W: &str = "CASE {} WHEN 9e999 THEN 'Infinity' WHEN -9e999 THEN '-Infinity' ELSE {} END";

    fn w(e: &str) -> String {
        W.replace("{}", e)
    }

    fn schema() -> TestSchema {
        schema_from(&["CREATE TABLE f (id int PRIMARY KEY, x float8, y real, s text)"])
    }

    #[test]
    fn float_items_are_wrapped_and_order_by_sorts_the_float() {
        let out = sqlite_with("SELECT id, x FROM f ORDER BY x DESC, 1", &schema());
        assert_eq!(
            out,
            format!(
                "SELECT id, {} AS \"x\" FROM f ORDER BY +(x) DESC NULLS FIRST, 1 NULLS LAST",
                w("x")
            )
        );
        let out = sqlite_with(
            "SELECT y AS v, sum(x) FROM f GROUP BY y ORDER BY 1",
            &schema(),
        );
        assert!(
            out.starts_with(&format!("SELECT {} AS \"v\"", w("y"))),
            "{out}"
        );
        assert!(out.contains(&w("sum(x)")), "{out}");
        assert!(out.ends_with("ORDER BY +(y) NULLS LAST"), "{out}");
    }

    #[test]
    fn star_is_expanded_when_it_covers_a_float() {
        assert_eq!(
            sqlite_with("SELECT * FROM f AS a", &schema()),
            format!(
                "SELECT \"a\".\"id\", {} AS \"x\", {} AS \"y\", \"a\".\"s\" FROM f AS a",
                w("\"a\".\"x\""),
                w("\"a\".\"y\"")
            )
        );
        // No float output: untouched.
        assert_eq!(
            sqlite_with("SELECT id, s FROM f", &schema()),
            "SELECT id, s FROM f"
        );
    }

    #[test]
    fn returning_and_set_operations() {
        let out = sqlite_with("INSERT INTO f (id, x) VALUES (1, 2) RETURNING *", &schema());
        assert!(
            out.ends_with(&format!(
                "RETURNING \"id\", {} AS \"x\", {} AS \"y\", \"s\"",
                w("\"x\""),
                w("\"y\"")
            )),
            "{out}"
        );
        let out = sqlite_with(
            "SELECT x FROM f UNION SELECT y FROM f ORDER BY 1 LIMIT 3",
            &schema(),
        );
        assert_eq!(
            out,
            format!(
                "SELECT {} AS \"x\" FROM (SELECT x FROM f UNION SELECT y FROM f \
                 ORDER BY 1 NULLS LAST LIMIT 3) AS pgrq_out",
                w("pgrq_out.\"x\"")
            )
        );
    }

    #[test]
    fn negative_float_zero_keeps_its_sign() {
        // SQLite's `-x` is `0 - x`, which makes -0.0 a plain 0.
        assert_eq!(
            sqlite("SELECT -0.0::float8, -1.5::float4, '-0'::float8"),
            "SELECT CAST(-0.0 AS REAL) AS \"?column?\", CAST(-1.5 AS REAL) AS \"?column?\", \
             CAST(-0.0 AS REAL) AS \"float8\""
        );
    }

    #[test]
    fn special_literals_and_parameters() {
        let s = schema();
        assert_eq!(
            sqlite_with("SELECT id FROM f WHERE x = 'nan' OR y < '-Infinity'", &s),
            "SELECT id FROM f WHERE x = 'NaN' OR y < -9e999"
        );
        assert_eq!(
            sqlite_with(
                "INSERT INTO f (id, x, y) VALUES (1, ' Infinity', '1.5')",
                &s
            ),
            "INSERT INTO f (id, x, y) VALUES (1, 9e999, 1.5)"
        );
        assert_eq!(
            sqlite("SELECT 'nan'::float8, float8 '-inf'"),
            format!("SELECT 'NaN' AS \"float8\", {} AS \"float8\"", w("-9e999"))
        );
        assert!(sqlite("SELECT $1::float8").contains("CASE ?1 WHEN 'NaN' THEN 'NaN'"));
        assert!(sqlite("SELECT '1e400'::float8").contains("pgrq:22003"));
        assert!(
            err_with("INSERT INTO f (id, x) VALUES (1, 'abc')", &s)
                .to_string()
                .contains("invalid input syntax for type double precision")
        );
    }
}
