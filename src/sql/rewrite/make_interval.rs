//! `make_interval(years, months, weeks, days, hours, mins, secs)`, by position or by
//! name (`make_interval(days => 3)`), folded to PostgreSQL's interval text when every
//! argument is a constant; other arguments are refused (intervals are constants in
//! pgrq, see `interval`).

use sqlparser::ast::{Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments};
use sqlparser::ast::{UnaryOperator, Value};

use super::interval::Interval;
use super::string;
use crate::sql::SqlError;

const FIELDS: [&str; 7] = ["years", "months", "weeks", "days", "hours", "mins", "secs"];

/// The folded call when `expr` is `make_interval(…)`; `Ok(None)` for anything else.
pub(super) fn fold(expr: &Expr) -> Result<Option<Expr>, SqlError> {
    let Expr::Function(f) = expr else {
        return Ok(None);
    };
    let is_make_interval = f
        .name
        .0
        .last()
        .and_then(|p| p.as_ident())
        .is_some_and(|i| i.value.eq_ignore_ascii_case("make_interval"));
    if !is_make_interval {
        return Ok(None);
    }
    let values = arguments(f)?;
    let int = |i: usize| -> Result<i64, SqlError> {
        let v = values[i];
        if v.fract() != 0.0 || v.abs() > i32::MAX as f64 {
            return Err(SqlError::unsupported(format!(
                "make_interval() {} that is not an integer",
                FIELDS[i]
            )));
        }
        Ok(v as i64)
    };
    let iv = Interval {
        months: int(0)? * 12 + int(1)?,
        days: int(2)? * 7 + int(3)?,
        micros: (int(4)? * 3600 + int(5)? * 60) * 1_000_000 + (values[6] * 1e6).round() as i64,
    };
    Ok(Some(string(&iv.to_postgres())))
}

/// The seven fields' constant values (0 when not given).
fn arguments(f: &Function) -> Result<[f64; 7], SqlError> {
    let refuse = || SqlError::unsupported("make_interval() of non-constant arguments");
    let mut values = [0.0; 7];
    let FunctionArguments::List(list) = &f.args else {
        return match f.args {
            FunctionArguments::None => Ok(values),
            _ => Err(refuse()),
        };
    };
    if list.args.len() > FIELDS.len() || !list.clauses.is_empty() {
        return Err(SqlError::UndefinedFunction {
            name: "make_interval with these arguments".into(),
        });
    }
    for (pos, arg) in list.args.iter().enumerate() {
        let (slot, value) = match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => (pos, e),
            FunctionArg::Named {
                name,
                arg: FunctionArgExpr::Expr(e),
                ..
            }
            | FunctionArg::ExprNamed {
                name: Expr::Identifier(name),
                arg: FunctionArgExpr::Expr(e),
                ..
            } => {
                let key = name.value.to_ascii_lowercase();
                let slot = FIELDS.iter().position(|f| *f == key).ok_or_else(|| {
                    SqlError::UndefinedFunction {
                        name: format!("make_interval with argument {key}"),
                    }
                })?;
                (slot, e)
            }
            _ => return Err(refuse()),
        };
        values[slot] = constant(value).ok_or_else(refuse)?;
    }
    Ok(values)
}

fn constant(e: &Expr) -> Option<f64> {
    match e {
        Expr::Nested(inner) => constant(inner),
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => constant(expr).map(|v| -v),
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.parse().ok(),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn make_interval_folds_constants() {
        assert_eq!(
            sqlite("SELECT make_interval(days => 3)"),
            "SELECT '3 days' AS \"make_interval\""
        );
        assert_eq!(
            sqlite("SELECT make_interval(1, 2, 1, 1, 4, 5, 6.5)"),
            "SELECT '1 year 2 mons 8 days 04:05:06.5' AS \"make_interval\""
        );
        assert_unsupported("SELECT make_interval(days => x) FROM t", "make_interval()");
    }
}
