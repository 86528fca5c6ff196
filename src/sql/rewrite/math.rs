//! float8 math functions run by the engine's SQLite math functions (rqlited built
//! with `sqlite_math_functions`, see scripts/install-rqlited.sh): sqrt, exp, ln, log,
//! log10, trigonometry and power with a fractional or computed exponent. SQLite gives
//! NULL where PostgreSQL raises, so each call checks its domain first and raises
//! PostgreSQL's error (2201F, 2201E, 22003). Constant arguments are folded instead (see
//! `math_fold`). PostgreSQL's numeric variants (an argument that is a numeric literal
//! or column) have value-dependent result scales and exact digits a float cannot give:
//! they are refused, as are cbrt (SQLite has none, and the C library's last bit cannot
//! be reproduced) and the degree-based sind/cosd/… (PostgreSQL makes them exact at
//! special angles).

use sqlparser::ast::{BinaryOperator as B, Expr, Value};

use super::build::{bin, case, int, raise};
use super::column_types::ColumnTypes;
use super::{call, number};
use crate::sql::{PgType, SqlError};

/// Functions this file translates (when not folded).
pub(super) const ENGINE_MATH: &[&str] = &[
    "sqrt", "exp", "ln", "log", "log10", "sin", "cos", "tan", "cot", "asin", "acos", "atan",
    "atan2", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
];

/// Largest argument of exp() whose result is finite, and smallest whose result is not 0.
const EXP_MAX: &str = "709.782712893384";
const EXP_MIN: &str = "-745.1332191019411";

/// Whether `e` (already rewritten) is what PostgreSQL types as numeric: a decimal
/// literal, a numeric column, or arithmetic over them without a float.
pub(super) fn is_numeric(e: &Expr, types: &ColumnTypes) -> bool {
    match e {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.contains(['.', 'e', 'E']),
            _ => false,
        },
        Expr::Nested(inner) | Expr::UnaryOp { expr: inner, .. } => is_numeric(inner, types),
        Expr::BinaryOp { left, right, .. } => is_numeric(left, types) || is_numeric(right, types),
        Expr::Identifier(_) | Expr::CompoundIdentifier(_) => types.of(e) == Some(PgType::Numeric),
        _ => false,
    }
}

/// The translated call, or `None` when `name` is not one of [`ENGINE_MATH`].
pub(super) fn function(
    name: &str,
    args: &mut Vec<Expr>,
    numeric: bool,
) -> Result<Option<Expr>, SqlError> {
    if !ENGINE_MATH.contains(&name) {
        return Ok(None);
    }
    if let Some(folded) = super::math_fold::fold(name, args) {
        return Ok(Some(folded));
    }
    if numeric || (name == "log" && args.len() == 2) {
        return Err(SqlError::unsupported(format!(
            "function {name}() of numeric values (PostgreSQL computes them in exact decimal \
             with a value-dependent scale; cast the argument to float8)"
        )));
    }
    let unary = matches!(args.as_slice(), [_]);
    let wrong_arity = || SqlError::UndefinedFunction {
        name: format!("{name} with {} argument(s)", args.len()),
    };
    if name == "atan2" {
        if args.len() != 2 {
            return Err(wrong_arity());
        }
        return Ok(Some(call("atan2", std::mem::take(args))));
    }
    if !unary {
        return Err(wrong_arity());
    }
    let x = args.remove(0);
    let lt = |l: Expr, r: Expr| bin(l, B::Lt, r);
    let gt = |l: Expr, r: Expr| bin(l, B::Gt, r);
    let out_of_range = || raise("22003", "input is out of range");
    let out = match name {
        "sqrt" => case(
            vec![(
                lt(x.clone(), int(0)),
                raise("2201F", "cannot take square root of a negative number"),
            )],
            Some(call("sqrt", vec![x])),
        ),
        "exp" => case(
            vec![
                (
                    gt(x.clone(), number(EXP_MAX)),
                    raise("22003", "value out of range: overflow"),
                ),
                (
                    lt(x.clone(), number(EXP_MIN)),
                    raise("22003", "value out of range: underflow"),
                ),
            ],
            Some(call("exp", vec![x])),
        ),
        "ln" | "log" | "log10" => case(
            vec![
                (
                    bin(x.clone(), B::Eq, int(0)),
                    raise("2201E", "cannot take logarithm of zero"),
                ),
                (
                    lt(x.clone(), int(0)),
                    raise("2201E", "cannot take logarithm of a negative number"),
                ),
            ],
            Some(call(if name == "ln" { "ln" } else { "log10" }, vec![x])),
        ),
        "asin" | "acos" | "atanh" => case(
            vec![(
                bin(call("abs", vec![x.clone()]), B::Gt, int(1)),
                out_of_range(),
            )],
            Some(call(name, vec![x])),
        ),
        "acosh" => case(
            vec![(lt(x.clone(), int(1)), out_of_range())],
            Some(call("acosh", vec![x])),
        ),
        "cot" => bin(number("1.0"), B::Divide, call("tan", vec![x])),
        _ => call(name, vec![x]),
    };
    Ok(Some(out))
}

/// `a ^ b` / `power(a, b)` of floats with an exponent that is not a small integer
/// constant: the engine's pow(), after PostgreSQL's domain checks.
pub(super) fn float_power(a: Expr, b: Expr) -> Expr {
    let zero = |e: &Expr| bin(e.clone(), B::Eq, int(0));
    let fractional = bin(b.clone(), B::NotEq, super::build::to_integer(b.clone()));
    case(
        vec![
            (
                bin(zero(&a), B::And, bin(b.clone(), B::Lt, int(0))),
                raise("2201F", "zero raised to a negative power is undefined"),
            ),
            (
                bin(bin(a.clone(), B::Lt, int(0)), B::And, fractional),
                raise(
                    "2201F",
                    "a negative number raised to a non-integer power yields a complex result",
                ),
            ),
        ],
        Some(call("pow", vec![a, b])),
    )
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn engine_functions_check_their_domain() {
        let out = sqlite("SELECT sqrt(x), ln(x), log(x), acos(x) FROM t");
        assert!(out.contains("pgrq:2201F:cannot take square root"), "{out}");
        assert!(out.contains("ELSE sqrt(x) END"), "{out}");
        assert!(out.contains("ELSE ln(x) END"), "{out}");
        assert!(out.contains("ELSE log10(x) END"), "{out}");
        assert!(out.contains("pgrq:22003:input is out of range"), "{out}");
    }

    #[test]
    fn fractional_powers_use_pow() {
        let out = sqlite("SELECT power(x, 0.5::float8), 2 ^ y FROM t");
        assert!(out.contains("pow(x, CAST(0.5 AS REAL))"), "{out}");
        assert!(out.contains("pow(2, y)"), "{out}");
        assert!(
            out.contains("pgrq:2201F:zero raised to a negative power"),
            "{out}"
        );
    }

    #[test]
    fn numeric_variants_and_cbrt_stay_refused() {
        assert_unsupported("SELECT sqrt(2.0)", "of numeric values");
        assert_unsupported("SELECT log(2, 8)", "of numeric values");
        assert_unsupported("SELECT power(2.0, 0.5)", "of numeric values");
        assert_unsupported("SELECT cbrt(x) FROM t", "function cbrt()");
    }
}
