//! `SELECT DISTINCT ON (…)`, which SQLite lacks, as a window function: the
//! SELECT moves into a derived table that also numbers the rows of each
//! DISTINCT ON group in the query's ORDER BY order, and the outer query keeps
//! the first of each group, in that order:
//!
//! ```sql
//! SELECT pgrq_c1 AS "a", … FROM (SELECT a AS pgrq_c1, …, <key> AS pgrq_o1, …,
//!   row_number() OVER (PARTITION BY <on…> ORDER BY <keys…>) AS pgrq_rn
//!   FROM …) AS pgrq_d WHERE pgrq_rn = 1 ORDER BY pgrq_o1, …
//! ```
//!
//! Without ORDER BY, the groups come out sorted by the DISTINCT ON
//! expressions, as PostgreSQL's sort-based DISTINCT ON gives them. The new
//! query is PostgreSQL text, parsed and then rewritten like any other.

use sqlparser::ast::{
    Distinct, Expr, Ident, OrderByExpr, OrderByKind, OrderByOptions, Query, SelectItem, SetExpr,
    Value,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use crate::sql::SqlError;

/// Rewrite `q` in place when its SELECT has DISTINCT ON.
pub(super) fn rewrite(q: &mut Query) -> Result<(), SqlError> {
    let SetExpr::Select(select) = q.body.as_mut() else {
        return Ok(());
    };
    if !matches!(select.distinct, Some(Distinct::On(_))) {
        return Ok(());
    }
    let Some(Distinct::On(on)) = select.distinct.take() else {
        return Ok(());
    };
    let mut names = Vec::new();
    let mut exprs = Vec::new();
    for item in &select.projection {
        match item {
            SelectItem::UnnamedExpr(e) => {
                names.push(plain_name(e));
                exprs.push(e.clone());
            }
            SelectItem::ExprWithAlias { expr, alias } => {
                names.push(Some(alias.clone()));
                exprs.push(expr.clone());
            }
            _ => {
                return Err(SqlError::unsupported(
                    "SELECT DISTINCT ON with * (list the columns)",
                ));
            }
        }
    }
    let resolve = |e: &Expr| -> Expr {
        if let Some(k) = position(e).and_then(|k| k.checked_sub(1))
            && let Some(item) = exprs.get(k)
        {
            return item.clone();
        }
        if let Expr::Identifier(ident) = e
            && let Some(i) = names.iter().position(|n| {
                n.as_ref()
                    .is_some_and(|n| crate::sql::names::fold(n) == crate::sql::names::fold(ident))
            })
        {
            return exprs[i].clone();
        }
        e.clone()
    };
    let keys: Vec<OrderByExpr> = match q.order_by.take().map(|o| o.kind) {
        Some(OrderByKind::Expressions(list)) => list,
        Some(OrderByKind::All(_)) => return Err(SqlError::unsupported("ORDER BY ALL")),
        None => on
            .iter()
            .map(|e| OrderByExpr {
                expr: e.clone(),
                options: OrderByOptions {
                    sort: None,
                    nulls_first: None,
                },
                with_fill: None,
            })
            .collect(),
    };
    let mut inner_items: Vec<String> = exprs
        .iter()
        .enumerate()
        .map(|(i, e)| format!("{e} AS pgrq_c{}", i + 1))
        .collect();
    let mut window_order = Vec::new();
    let mut outer_order = Vec::new();
    for (k, key) in keys.iter().enumerate() {
        let e = resolve(&key.expr);
        inner_items.push(format!("{e} AS pgrq_o{}", k + 1));
        window_order.push(format!("{e}{}", key.options));
        outer_order.push(format!("pgrq_o{}{}", k + 1, key.options));
    }
    let partition: Vec<String> = on.iter().map(|e| resolve(e).to_string()).collect();
    inner_items.push(format!(
        "row_number() OVER (PARTITION BY {}{}) AS pgrq_rn",
        partition.join(", "),
        if window_order.is_empty() {
            String::new()
        } else {
            format!(" ORDER BY {}", window_order.join(", "))
        }
    ));
    select.projection = vec![SelectItem::UnnamedExpr(Expr::value(Value::Null))];
    let inner = select.to_string();
    let inner = inner.replacen(
        "SELECT NULL",
        &format!("SELECT {}", inner_items.join(", ")),
        1,
    );
    let outer_items: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, n)| match n {
            Some(n) => format!(
                "pgrq_c{} AS {}",
                i + 1,
                Ident::with_quote('"', crate::sql::names::fold(n))
            ),
            None => format!("pgrq_c{}", i + 1),
        })
        .collect();
    let sql = format!(
        "SELECT {} FROM ({inner}) AS pgrq_d WHERE pgrq_rn = 1 ORDER BY {}",
        outer_items.join(", "),
        outer_order.join(", ")
    );
    let parsed = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(&sql)
        .and_then(|mut p| p.parse_query())
        .map_err(|e| SqlError::unsupported(format!("SELECT DISTINCT ON of this shape ({e})")))?;
    let parsed = *parsed;
    q.body = parsed.body;
    q.order_by = parsed.order_by;
    Ok(())
}

/// `ORDER BY 2` refers to the second output column.
fn position(e: &Expr) -> Option<usize> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.parse().ok(),
            _ => None,
        },
        _ => None,
    }
}

/// The output name PostgreSQL gives a plain column reference.
fn plain_name(e: &Expr) -> Option<Ident> {
    match e {
        Expr::Identifier(ident) => Some(ident.clone()),
        Expr::CompoundIdentifier(parts) => parts.last().cloned(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn distinct_on_becomes_row_number() {
        assert_eq!(
            sqlite(
                "SELECT DISTINCT ON (a) a, b AS x FROM t WHERE c > 1 ORDER BY a, x DESC LIMIT 5"
            ),
            "SELECT pgrq_c1 AS \"a\", pgrq_c2 AS \"x\" FROM (SELECT a AS pgrq_c1, b AS pgrq_c2, \
             a AS pgrq_o1, b AS pgrq_o2, row_number() OVER (PARTITION BY a \
             ORDER BY a NULLS LAST, b DESC NULLS FIRST) AS pgrq_rn FROM t WHERE c > 1) AS pgrq_d \
             WHERE pgrq_rn = 1 ORDER BY pgrq_o1 NULLS LAST, pgrq_o2 DESC NULLS FIRST LIMIT 5"
        );
    }

    #[test]
    fn without_order_by_groups_are_sorted() {
        let out =
            sqlite("SELECT * FROM (SELECT DISTINCT ON (t.a) t.a, count(*) FROM t GROUP BY t.a) s");
        assert!(
            out.contains(
                "pgrq_c1 AS \"a\", pgrq_c2 AS \"count\" FROM (SELECT t.a AS pgrq_c1, \
                 count(*) AS pgrq_c2, t.a AS pgrq_o1"
            ),
            "{out}"
        );
        assert!(out.contains("ORDER BY pgrq_o1 NULLS LAST) s"), "{out}");
    }

    #[test]
    fn plain_distinct_stays() {
        assert_eq!(
            sqlite("SELECT DISTINCT a FROM t ORDER BY a"),
            "SELECT DISTINCT a FROM t ORDER BY a NULLS LAST"
        );
    }

    #[test]
    fn wildcards_are_refused() {
        assert_unsupported("SELECT DISTINCT ON (a) * FROM t", "DISTINCT ON with *");
    }
}
