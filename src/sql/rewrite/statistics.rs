//! Statistical aggregates SQLite lacks: stddev/variance (sample and population) from
//! sums and counts, the ordered-set aggregates `percentile_cont`/`percentile_disc`
//! (f) WITHIN GROUP (ORDER BY x) on the engine's percentile functions (rqlited built
//! with `sqlite_percentile`), and `mode()` WITHIN GROUP as the most frequent non-NULL
//! value of the group (ties: the first in the ORDER BY's order), read from a JSON
//! array of the group's values. Pure: rewrites one function call.

use sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentList, FunctionArguments, Ident,
    ObjectName,
};

use super::template;
use crate::sql::SqlError;

/// The translated aggregate, or `None` when `name` is not one of these.
pub(super) fn aggregate(f: &Function, name: &str) -> Result<Option<Expr>, SqlError> {
    match name {
        "stddev" | "stddev_samp" | "stddev_pop" | "variance" | "var_samp" | "var_pop" => {
            spread(f, name).map(Some)
        }
        "percentile_cont" | "percentile_disc" | "mode" => ordered_set(f, name).map(Some),
        _ => Ok(None),
    }
}

/// The single plain argument of `f`.
fn only_arg(f: &Function, name: &str) -> Result<Expr, SqlError> {
    let FunctionArguments::List(list) = &f.args else {
        return Err(SqlError::unsupported(format!("{name}() of this shape")));
    };
    if list.duplicate_treatment.is_some() || !list.clauses.is_empty() {
        return Err(SqlError::unsupported(format!(
            "{name}(DISTINCT …) or {name}(… ORDER BY …)"
        )));
    }
    match list.args.as_slice() {
        [FunctionArg::Unnamed(FunctionArgExpr::Expr(x))] => Ok(x.clone()),
        args => Err(SqlError::UndefinedFunction {
            name: format!("{name} with {} argument(s)", args.len()),
        }),
    }
}

/// `f` renamed to `to` over `args`, keeping its FILTER and OVER.
fn like(f: &Function, to: &str, args: Vec<Expr>) -> Expr {
    let mut g = f.clone();
    g.name = ObjectName::from(vec![Ident::new(to)]);
    g.within_group.clear();
    g.args = FunctionArguments::List(FunctionArgumentList {
        duplicate_treatment: None,
        args: args
            .into_iter()
            .map(|e| FunctionArg::Unnamed(FunctionArgExpr::Expr(e)))
            .collect(),
        clauses: vec![],
    });
    Expr::Function(g)
}

/// Variance as `(Σx² − (Σx)²/n) / (n − 1)` (population: `/ n`), never below 0 from
/// rounding; NULL for fewer than two values (one, population). Standard deviations are
/// its square root.
fn spread(f: &Function, name: &str) -> Result<Expr, SqlError> {
    if !f.within_group.is_empty() {
        return Err(SqlError::unsupported(format!("{name}() WITHIN GROUP")));
    }
    let x = only_arg(f, name)?;
    let real = template::fill("CAST(pgrq_arg1 AS REAL)", std::slice::from_ref(&x))?;
    let square = template::fill("pgrq_arg1 * pgrq_arg1", std::slice::from_ref(&real))?;
    let sum_sq = like(f, "sum", vec![square]);
    let sum = like(f, "sum", vec![real]);
    let n = like(f, "count", vec![x]);
    let population = name.ends_with("_pop");
    let variance = template::fill(
        if population {
            "CASE WHEN pgrq_arg3 > 0 THEN max((pgrq_arg1 - pgrq_arg2 * pgrq_arg2 / pgrq_arg3) \
             / pgrq_arg3, 0.0) END"
        } else {
            "CASE WHEN pgrq_arg3 > 1 THEN max((pgrq_arg1 - pgrq_arg2 * pgrq_arg2 / pgrq_arg3) \
             / (pgrq_arg3 - 1), 0.0) END"
        },
        &[sum_sq, sum, n],
    )?;
    if name.starts_with("stddev") {
        template::fill("sqrt(pgrq_arg1)", &[variance])
    } else {
        Ok(variance)
    }
}

/// `percentile_cont(f) WITHIN GROUP (ORDER BY x)` → `percentile_cont(x, f)` (DESC:
/// `1 − f`; percentile_disc only ascending); `mode() WITHIN GROUP (ORDER BY x)` → the most frequent value.
fn ordered_set(f: &Function, name: &str) -> Result<Expr, SqlError> {
    let [order] = f.within_group.as_slice() else {
        return Err(SqlError::syntax(format!(
            "{name}() needs WITHIN GROUP (ORDER BY one expression)"
        )));
    };
    if f.over.is_some() {
        return Err(SqlError::syntax(format!(
            "OVER is not supported for ordered-set aggregate {name}"
        )));
    }
    let descending = matches!(order.options.sort, Some(sqlparser::ast::OrderBySort::Desc));
    let x = order.expr.clone();
    let FunctionArguments::List(list) = &f.args else {
        return Err(SqlError::unsupported(format!("{name}() of this shape")));
    };
    if name == "mode" {
        if !list.args.is_empty() {
            return Err(SqlError::UndefinedFunction {
                name: format!("mode with {} argument(s)", list.args.len()),
            });
        }
        let values = like(f, "json_group_array", vec![x]);
        let direction = if descending { "DESC" } else { "ASC" };
        return template::fill(
            &format!(
                "(SELECT value FROM json_each(pgrq_arg1) WHERE type <> 'null' GROUP BY value \
                 ORDER BY count(*) DESC, value {direction} LIMIT 1)"
            ),
            &[values],
        );
    }
    let fraction = match list.args.as_slice() {
        [FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Array(_)))] => {
            return Err(SqlError::unsupported(format!(
                "{name}() of an array of fractions"
            )));
        }
        [FunctionArg::Unnamed(FunctionArgExpr::Expr(p))] => p.clone(),
        args => {
            return Err(SqlError::UndefinedFunction {
                name: format!("{name} with {} argument(s)", args.len()),
            });
        }
    };
    let checked = template::fill(
        "CASE WHEN pgrq_arg1 < 0 OR pgrq_arg1 > 1 THEN \
         json_extract('null', 'pgrq:22003:percentile value is not between 0 and 1') \
         ELSE pgrq_arg1 END",
        &[fraction],
    )?;
    if descending && name == "percentile_disc" {
        return Err(SqlError::unsupported(
            "percentile_disc() WITHIN GROUP (ORDER BY … DESC)",
        ));
    }
    let fraction = if descending {
        template::fill("1.0 - pgrq_arg1", &[checked])?
    } else {
        checked
    };
    Ok(like(f, name, vec![x, fraction]))
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn variance_from_sums() {
        let out = sqlite("SELECT variance(x), stddev_pop(x) FROM t");
        assert!(
            out.contains("sum(CAST(x AS REAL) * CAST(x AS REAL))"),
            "{out}"
        );
        assert!(out.contains("(count(x) - 1)"), "{out}");
        assert!(out.contains("sqrt("), "{out}");
    }

    #[test]
    fn ordered_set_aggregates() {
        let out = sqlite(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x), \
             percentile_cont(0.25) WITHIN GROUP (ORDER BY x DESC) FROM t",
        );
        assert!(out.contains("percentile_cont(x, CASE WHEN"), "{out}");
        assert!(out.contains("percentile_cont(x, 1.0 - (CASE"), "{out}");
        let out = sqlite("SELECT mode() WITHIN GROUP (ORDER BY x) FROM t");
        assert!(out.contains("json_each(json_group_array(x))"), "{out}");
        assert_unsupported(
            "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY x DESC) FROM t",
            "percentile_disc()",
        );
    }
}
