//! `generate_series(start, stop[, step])` in FROM, over integers or over
//! timestamps with a constant interval step, as a derived table computed by
//! a recursive CTE (SQLite's own generate_series extension is not in
//! rqlite's build). The column is named as PostgreSQL names it: the column
//! alias, else the table alias, else `generate_series`.

use sqlparser::ast::{FunctionArg, FunctionArgExpr, TableFactor};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use crate::sql::SqlError;

/// Replace a `generate_series(…)` FROM item in place; `Ok(false)` when
/// `tf` is something else.
pub(super) fn rewrite(tf: &mut TableFactor) -> Result<bool, SqlError> {
    let TableFactor::Table {
        name, args, alias, ..
    } = tf
    else {
        return Ok(false);
    };
    let is_series = name.0.len() == 1
        && name.0[0]
            .as_ident()
            .is_some_and(|i| i.value.eq_ignore_ascii_case("generate_series"));
    let Some(args) = args.as_ref().filter(|_| is_series) else {
        return Ok(false);
    };
    let exprs = args
        .args
        .iter()
        .map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Ok(e.to_string()),
            _ => Err(SqlError::unsupported(
                "generate_series() with named arguments",
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let column = match alias {
        Some(a) => match a.columns.as_slice() {
            [] => a.name.clone(),
            [one] => one.name.clone(),
            _ => {
                return Err(SqlError::unsupported(
                    "generate_series() with several column aliases",
                ));
            }
        },
        None => sqlparser::ast::Ident::new("generate_series"),
    };
    let (start, stop, step) = match exprs.as_slice() {
        [a, b] => (a, b, "1".to_string()),
        [a, b, c] => (a, b, c.clone()),
        _ => {
            return Err(SqlError::UndefinedFunction {
                name: format!("generate_series with {} argument(s)", exprs.len()),
            });
        }
    };
    let interval_step = args.args.get(2).is_some_and(|a| {
        let text = a.to_string().to_ascii_lowercase();
        text.starts_with("interval") || text.ends_with("::interval")
    });
    let sql = if interval_step {
        // `v + step` is a timestamp ± constant interval (see `datetime`);
        // the anchor goes through a zero shift to get the same text form.
        format!(
            "WITH RECURSIVE pgrq_s(v) AS (SELECT ({start}) + INTERVAL '0 seconds' \
             UNION ALL SELECT v + {step} FROM pgrq_s \
             WHERE v + {step} <= ({stop}) + INTERVAL '0 seconds') \
             SELECT v AS {column} FROM pgrq_s WHERE v <= ({stop}) + INTERVAL '0 seconds'"
        )
    } else {
        format!(
            "WITH RECURSIVE pgrq_s(v) AS (SELECT CASE WHEN ({step}) = 0 \
             THEN json_extract('null', 'pgrq:22023:step size cannot equal zero') ELSE ({start}) END \
             UNION ALL SELECT v + ({step}) FROM pgrq_s \
             WHERE CASE WHEN ({step}) > 0 THEN v + ({step}) <= ({stop}) \
             ELSE v + ({step}) >= ({stop}) END) \
             SELECT v AS {column} FROM pgrq_s \
             WHERE CASE WHEN ({step}) > 0 THEN v <= ({stop}) ELSE v >= ({stop}) END"
        )
    };
    let subquery = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(&sql)
        .and_then(|mut p| p.parse_query())
        .map_err(|e| SqlError::unsupported(format!("generate_series() of this shape ({e})")))?;
    let alias = alias.take().map(|mut a| {
        a.columns.clear();
        a
    });
    *tf = TableFactor::Derived {
        lateral: false,
        subquery,
        alias,
        sample: None,
    };
    Ok(true)
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn integer_series_is_a_recursive_cte() {
        let out = sqlite("SELECT * FROM generate_series(1, 3) AS g(n)");
        assert!(
            out.starts_with("SELECT * FROM (WITH RECURSIVE pgrq_s (v) AS ("),
            "{out}"
        );
        assert!(out.contains("SELECT v AS n FROM pgrq_s"), "{out}");
        assert!(out.ends_with(") AS g"), "{out}");
        assert!(!tr("SELECT * FROM generate_series(1, 3)").needs_database);
    }

    #[test]
    fn timestamp_series_steps_by_the_interval() {
        let out = sqlite(
            "SELECT * FROM generate_series('2026-01-01'::timestamp, '2026-01-03'::timestamp, \
             INTERVAL '1 day')",
        );
        assert!(out.contains("'+1 days'"), "{out}");
        assert!(out.contains("v AS generate_series"), "{out}");
    }
}
