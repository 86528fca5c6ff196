//! Which output columns are an `avg()` pgrq finishes exactly: PostgreSQL's `avg` of an
//! integer or `numeric` is a numeric quotient of the exact sum by the count, with the
//! scale `select_div_scale` picks (`avg(1, 2)` is `1.5000000000000000`); SQLite's avg is
//! a REAL. For an output column of the outermost SELECT that is `avg(x)` (a window too)
//! of an integer, or of a numeric whose scale `s` the SQL fixes, the rewrite computes the
//! sum of `x · 10^s` as an integer and the count (`rewrite::exact_avg`) and the reply
//! divides them (`sql::decimal`). Pure: the PostgreSQL tree and the schema in.

use sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, FunctionArguments, OrderByKind, SelectItem, SetExpr,
    Statement, Value,
};

use super::expr::expr_type;
use super::scope::Scope;
use super::{scale, with_ctes};
use crate::sql::PgType as T;
use crate::sql::schema::Schema;

/// A REAL holds every decimal of up to 15 significant digits exactly, so `x · 10^s`
/// rounds back to the integer PostgreSQL holds while `s` stays within this.
const MAX_SCALE: u32 = 15;

/// Entry `i` is `Some(s)` when output column `i` is `avg(x)` of a value with scale `s`
/// (0 for integers); empty when there is none or the columns cannot be listed.
pub(crate) fn output_avgs(stmt: &Statement, schema: &dyn Schema) -> Vec<Option<u32>> {
    let Statement::Query(q) = stmt else {
        return Vec::new();
    };
    let SetExpr::Select(select) = q.body.as_ref() else {
        return Vec::new();
    };
    // DISTINCT would compare the sum/count pairs, not the quotients.
    if select.distinct.is_some() {
        return Vec::new();
    }
    let root = Scope::root(schema);
    let outer = with_ctes(q, &root, |_, _| {});
    let mut scope = outer.child();
    for twj in &select.from {
        scope.add_from(twj);
    }
    let mut out = Vec::new();
    for item in &select.projection {
        let e = match item {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e,
            // A `*` makes items and columns differ in number.
            _ => return Vec::new(),
        };
        out.push(avg_arg(e).and_then(|x| match expr_type(x, &scope)? {
            T::Int2 | T::Int4 | T::Int8 => Some(0),
            T::Numeric => scale::numeric_scale(x, &scope).filter(|s| *s <= MAX_SCALE),
            _ => None,
        }));
    }
    // An ORDER BY naming such a column would sort the pairs, not the quotients.
    if let Some(OrderByKind::Expressions(keys)) = q.order_by.as_ref().map(|o| &o.kind) {
        for key in keys {
            match &key.expr {
                Expr::Value(v) => {
                    if let Value::Number(n, _) = &v.value
                        && let Some(slot) = n
                            .parse::<usize>()
                            .ok()
                            .and_then(|n| n.checked_sub(1))
                            .and_then(|i| out.get_mut(i))
                    {
                        *slot = None;
                    }
                }
                Expr::Identifier(name) => {
                    for (slot, item) in out.iter_mut().zip(&select.projection) {
                        if let SelectItem::ExprWithAlias { alias, .. } = item
                            && alias.value.eq_ignore_ascii_case(&name.value)
                        {
                            *slot = None;
                        }
                    }
                }
                _ => {}
            }
        }
    }
    if out.iter().all(Option::is_none) {
        return Vec::new();
    }
    out
}

/// `x` of `avg(x)` (with or without OVER; not DISTINCT, not FILTER).
pub(crate) fn avg_arg(e: &Expr) -> Option<&Expr> {
    let Expr::Function(f) = e else {
        return None;
    };
    let [name] = f.name.0.as_slice() else {
        return None;
    };
    if !name.as_ident()?.value.eq_ignore_ascii_case("avg")
        || f.filter.is_some()
        || !f.within_group.is_empty()
    {
        return None;
    }
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    if list.duplicate_treatment.is_some() || !list.clauses.is_empty() {
        return None;
    }
    match list.args.as_slice() {
        [FunctionArg::Unnamed(FunctionArgExpr::Expr(x))] => Some(x),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    fn avgs(schema: &[&str], sql: &str) -> Vec<Option<u32>> {
        tr_with(sql, &schema_from(schema)).column_avgs
    }

    #[test]
    fn avg_of_integers_and_scaled_numerics() {
        let t = ["CREATE TABLE s (q int, p numeric(10,2), n numeric, f float8)"];
        assert_eq!(
            avgs(
                &t,
                "SELECT avg(q), avg(p), avg(n), avg(f), q FROM s GROUP BY q"
            ),
            vec![Some(0), Some(2), None, None, None]
        );
        assert_eq!(
            avgs(&t, "SELECT avg(q) OVER (PARTITION BY p) FROM s"),
            vec![Some(0)]
        );
        assert_eq!(
            avgs(&[], "SELECT avg(x) FROM (VALUES (1), (2)) t(x)"),
            vec![Some(0)]
        );
    }

    #[test]
    fn left_to_sqlite_where_the_pair_would_show() {
        let t = ["CREATE TABLE s (q int)"];
        assert!(avgs(&t, "SELECT DISTINCT avg(q) FROM s").is_empty());
        assert!(avgs(&t, "SELECT *, avg(q) FROM s GROUP BY q").is_empty());
        assert!(avgs(&t, "SELECT avg(DISTINCT q), round(avg(q)) FROM s").is_empty());
        assert_eq!(
            avgs(&t, "SELECT q, avg(q) AS a FROM s GROUP BY q ORDER BY a"),
            Vec::<Option<u32>>::new()
        );
        assert_eq!(
            avgs(&t, "SELECT avg(q), avg(q) FROM s GROUP BY q ORDER BY 2"),
            vec![Some(0), None]
        );
    }
}
