//! Arithmetic with PostgreSQL's meaning on an SQLite built without its math
//! functions (rqlite's has no ceil, floor, trunc, mod, power, sqrt, ln, exp
//! or trigonometry): division and modulo by zero raise 22012 instead of
//! giving NULL, `%`/mod keep the fraction, ceil/floor/trunc/power (integer
//! exponent)/pi/degrees/radians are emulated, GREATEST/LEAST ignore NULLs,
//! and the functions that cannot be emulated exactly are refused by name.

use sqlparser::ast::{BinaryOperator as B, Expr};

use super::build::{self, bin, case, eq, int, literal_int, null, raise, to_integer};
use super::{call, number};
use crate::sql::SqlError;

/// PostgreSQL math functions the engine's SQLite lacks even with its math functions
/// (see `math`), and which pgrq does not emulate.
pub(super) const MISSING_MATH: &[&str] = &[
    "cbrt", "sind", "cosd", "tand", "cotd", "asind", "acosd", "atand", "atan2d",
];

/// 180/π as PostgreSQL's `RADIANS_PER_DEGREE` gives it.
const RADIANS_PER_DEGREE: &str = "0.017453292519943295";

/// `b`, or an error (22012) when it is zero at run time.
fn nonzero(b: Expr) -> Expr {
    if literal_is_nonzero(&b) {
        return b;
    }
    case(
        vec![(eq(b.clone(), int(0)), raise("22012", "division by zero"))],
        Some(b),
    )
}

fn literal_is_nonzero(e: &Expr) -> bool {
    match e {
        Expr::Value(v) => match &v.value {
            sqlparser::ast::Value::Number(n, _) => n.parse::<f64>().is_ok_and(|f| f != 0.0),
            _ => false,
        },
        Expr::Nested(inner) => literal_is_nonzero(inner),
        _ => false,
    }
}

/// `a / b` with PostgreSQL's division-by-zero error.
pub(super) fn divide(a: Expr, b: Expr) -> Expr {
    bin(a, B::Divide, nonzero(b))
}

/// `a % b` / `mod(a, b)`: SQLite's `%` truncates both operands to integers
/// (7.5 % 2 = 1), PostgreSQL keeps the fraction (1.5); the sign follows `a`
/// in both. `a - b * trunc(a / b)` is exact for integers.
pub(super) fn modulo(a: Expr, b: Expr) -> Expr {
    let quotient = to_integer(bin(a.clone(), B::Divide, nonzero(b.clone())));
    bin(a, B::Minus, bin(b, B::Multiply, quotient))
}

/// A math function call, if `name` is one pgrq handles here: `Ok(None)`
/// when it is not a math function.
pub(super) fn function(name: &str, args: &mut Vec<Expr>) -> Result<Option<Expr>, SqlError> {
    if let Some(folded) = super::math_fold::fold(name, args) {
        return Ok(Some(folded));
    }
    if MISSING_MATH.contains(&name) {
        return Err(SqlError::unsupported(format!(
            "function {name}() (SQLite has no equivalent giving PostgreSQL's exact results)"
        )));
    }
    let arity = |n: usize| -> Result<(), SqlError> {
        if args.len() == n {
            Ok(())
        } else {
            Err(SqlError::UndefinedFunction {
                name: format!("{name} with {} argument(s)", args.len()),
            })
        }
    };
    let out = match name {
        "ceil" | "ceiling" => {
            arity(1)?;
            let x = args.remove(0);
            let t = to_integer(x.clone());
            bin(t.clone(), B::Plus, bin(x, B::Gt, t))
        }
        "floor" => {
            arity(1)?;
            let x = args.remove(0);
            let t = to_integer(x.clone());
            bin(t.clone(), B::Minus, bin(x, B::Lt, t))
        }
        "trunc" if args.len() == 1 => to_integer(args.remove(0)),
        "trunc" => {
            arity(2)?;
            let scale = literal_int(&args[1])
                .ok_or_else(|| SqlError::unsupported("trunc(x, n) with a non-constant n"))?;
            let x = args.remove(0);
            shifted(x, scale, to_integer)
        }
        // round(float8) rounds half to even (rint); SQLite's half away from zero.
        "round" if args.len() == 1 && is_real_cast(&args[0]) => super::template::fill(
            "CASE WHEN abs(pgrq_arg1 - CAST(pgrq_arg1 AS INTEGER)) = 0.5 \
                 THEN (CAST(pgrq_arg1 AS INTEGER) + CAST(pgrq_arg1 AS INTEGER) % 2) * 1.0 \
                 ELSE round(pgrq_arg1) END",
            &args[..1],
        )?,
        "round" if args.len() == 2 => {
            let Some(scale) = literal_int(&args[1]) else {
                let n = args.remove(1);
                let x = args.remove(0);
                return Ok(Some(case(
                    vec![(
                        bin(n.clone(), B::Lt, int(0)),
                        raise(
                            "0A000",
                            "round() with a negative scale computed at run time",
                        ),
                    )],
                    Some(call("round", vec![x, n])),
                )));
            };
            if scale >= 0 {
                return Ok(None);
            }
            let x = args.remove(0);
            shifted(x, scale, |e| call("round", vec![e]))
        }
        "mod" => {
            arity(2)?;
            let b = args.remove(1);
            modulo(args.remove(0), b)
        }
        "power" | "pow" => {
            arity(2)?;
            let b = args.remove(1);
            power(args.remove(0), &b, false)?
        }
        "pi" => {
            arity(0)?;
            number("3.141592653589793")
        }
        "degrees" => {
            arity(1)?;
            bin(args.remove(0), B::Divide, number(RADIANS_PER_DEGREE))
        }
        "radians" => {
            arity(1)?;
            bin(args.remove(0), B::Multiply, number(RADIANS_PER_DEGREE))
        }
        "greatest" | "least" => extreme(name, std::mem::take(args))?,
        // div(a, b): the integer quotient, truncated toward zero.
        "div" => {
            arity(2)?;
            let b = args.remove(1);
            to_integer(divide(build::to_real(args.remove(0)), b))
        }
        "factorial" | "gcd" | "lcm" => integer_function(name, args)?,
        _ => return Ok(None),
    };
    Ok(Some(out))
}

/// A cast to REAL (float8/float4), possibly negated or parenthesised.
fn is_real_cast(e: &Expr) -> bool {
    match e {
        Expr::Cast {
            data_type: sqlparser::ast::DataType::Real,
            ..
        } => true,
        Expr::Nested(inner)
        | Expr::UnaryOp {
            op: sqlparser::ast::UnaryOperator::Minus,
            expr: inner,
        } => is_real_cast(inner),
        _ => false,
    }
}

/// factorial/gcd/lcm of integer constants, computed here (22003 beyond 64 bits).
fn integer_function(name: &str, args: &[Expr]) -> Result<Expr, SqlError> {
    let values: Option<Vec<i64>> = args.iter().map(literal_int).collect();
    let Some(values) = values else {
        return Err(SqlError::unsupported(format!(
            "function {name}() of values that are not integer constants"
        )));
    };
    fn gcd(a: i128, b: i128) -> i128 {
        if b == 0 { a.abs() } else { gcd(b, a % b) }
    }
    let out: Option<i128> = match (name, values.as_slice()) {
        ("factorial", [n]) if *n < 0 => {
            return Ok(raise(
                "22003",
                "factorial of a negative number is undefined",
            ));
        }
        ("factorial", [n]) => (1..=i128::from(*n)).try_fold(1i128, |acc, k| {
            acc.checked_mul(k).filter(|v| i64::try_from(*v).is_ok())
        }),
        ("gcd", [a, b]) => Some(gcd(i128::from(*a), i128::from(*b))),
        ("lcm", [a, b]) if *a == 0 || *b == 0 => Some(0),
        ("lcm", [a, b]) => {
            let (a, b) = (i128::from(*a), i128::from(*b));
            Some((a / gcd(a, b) * b).abs())
        }
        _ => {
            return Err(SqlError::UndefinedFunction {
                name: format!("{name} with {} argument(s)", args.len()),
            });
        }
    };
    Ok(match out.filter(|v| i64::try_from(*v).is_ok()) {
        Some(v) => number(&v.to_string()),
        None => raise("22003", "value out of range"),
    })
}

/// `f(x · 10^scale) / 10^scale` for a constant scale (negative scales too).
fn shifted(x: Expr, scale: i64, f: impl Fn(Expr) -> Expr) -> Expr {
    let digits = scale.unsigned_abs().min(300) as usize;
    let factor = number(&format!("1{}.0", "0".repeat(digits)));
    if scale >= 0 {
        bin(f(bin(x, B::Multiply, factor.clone())), B::Divide, factor)
    } else {
        bin(f(bin(x, B::Divide, factor.clone())), B::Multiply, factor)
    }
}

/// `a ^ b` / `power(a, b)`: for a constant integer exponent, repeated
/// multiplication (PostgreSQL's result is float8 for integers and floats); else the
/// engine's pow() (see `math`), unless an operand is `numeric`, whose exact
/// decimal result a float cannot give.
pub(super) fn power(a: Expr, b: &Expr, numeric: bool) -> Result<Expr, SqlError> {
    let Some(exponent) = literal_int(b).filter(|n| n.unsigned_abs() <= 64) else {
        if let Some(folded) = super::math_fold::fold("power", &[a.clone(), b.clone()]) {
            return Ok(folded);
        }
        if numeric {
            return Err(SqlError::unsupported(
                "function power() or ^ of numeric values with a fractional or computed \
                 exponent (PostgreSQL computes it in exact decimal; cast to float8)",
            ));
        }
        return Ok(super::math::float_power(a, b.clone()));
    };
    let mut product = bin(a.clone(), B::Multiply, number("1.0"));
    for _ in 1..exponent.unsigned_abs() {
        product = bin(product, B::Multiply, a.clone());
    }
    Ok(match exponent {
        0 => case(
            vec![(Expr::IsNull(Box::new(a)), null())],
            Some(number("1.0")),
        ),
        n if n > 0 => product,
        _ => bin(
            number("1.0"),
            B::Divide,
            case(
                vec![(
                    eq(product.clone(), int(0)),
                    raise("2201F", "zero raised to a negative power is undefined"),
                )],
                Some(product),
            ),
        ),
    })
}

/// GREATEST/LEAST ignore NULLs (NULL only when all are); SQLite's
/// multi-argument max/min return NULL if any argument is. Each argument is
/// replaced by `coalesce(it, the others…)`, which is non-NULL whenever any is.
fn extreme(name: &str, args: Vec<Expr>) -> Result<Expr, SqlError> {
    let sqlite = if name == "greatest" { "max" } else { "min" };
    match args.len() {
        0 => Err(SqlError::syntax(format!(
            "{name}() needs at least one argument"
        ))),
        1 => Ok(args.into_iter().next().unwrap_or_else(null)),
        _ => {
            let coalesced = (0..args.len())
                .map(|i| {
                    let mut order = vec![args[i].clone()];
                    order.extend(
                        args.iter()
                            .enumerate()
                            .filter(|(j, _)| *j != i)
                            .map(|(_, e)| e.clone()),
                    );
                    call("coalesce", order)
                })
                .collect();
            Ok(call(sqlite, coalesced))
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    const DIV0: &str = "json_extract('null', 'pgrq:22012:division by zero')";

    #[test]
    fn division_raises_on_zero() {
        assert_eq!(
            sqlite("SELECT a / b FROM t"),
            format!("SELECT (a / CASE WHEN (b = 0) THEN {DIV0} ELSE b END) AS \"?column?\" FROM t")
        );
        assert_eq!(sqlite("SELECT a / 2"), "SELECT (a / 2) AS \"?column?\"");
    }

    #[test]
    fn modulo_keeps_the_fraction() {
        assert_eq!(
            sqlite("SELECT a % 2"),
            "SELECT (a - (2 * CAST((a / 2) AS INTEGER))) AS \"?column?\""
        );
        assert!(sqlite("SELECT mod(a, b) FROM t").contains(DIV0));
    }

    #[test]
    fn rounding_functions_are_emulated() {
        assert_eq!(
            sqlite("SELECT ceil(x), floor(x) FROM t"),
            "SELECT (CAST(x AS INTEGER) + (x > CAST(x AS INTEGER))) AS \"ceil\", \
             (CAST(x AS INTEGER) - (x < CAST(x AS INTEGER))) AS \"floor\" FROM t"
        );
        assert_eq!(
            sqlite("SELECT trunc(x, 2), round(x, -2) FROM t"),
            "SELECT (CAST((x * 100.0) AS INTEGER) / 100.0) AS \"trunc\", \
             (round((x / 100.0)) * 100.0) AS \"round\" FROM t"
        );
        assert_eq!(
            sqlite("SELECT round(x, 2) FROM t"),
            "SELECT round(x, 2) AS \"round\" FROM t"
        );
    }

    #[test]
    fn power_with_integer_exponents() {
        assert_eq!(
            sqlite("SELECT power(x, 3), 2 ^ 2 FROM t"),
            "SELECT CASE (((x * 1.0) * x) * x) WHEN 9e999 THEN 'Infinity' WHEN -9e999 THEN \
             '-Infinity' ELSE (((x * 1.0) * x) * x) END AS \"power\", ((2 * 1.0) * 2) AS \"?column?\" \
             FROM t"
        );
        assert_unsupported("SELECT power(2, 0.5)", "power()");
        assert_unsupported("SELECT cbrt(x) FROM t", "function cbrt()");
    }

    #[test]
    fn float_round_is_half_to_even() {
        assert!(sqlite("SELECT round(-0.5::float8)").contains("= 0.5"));
        let out = sqlite("SELECT round(2.5::float8), round(x) FROM t");
        assert!(
            out.contains("% 2) * 1.0 ELSE round(CAST(2.5 AS REAL)) END"),
            "{out}"
        );
        assert!(out.contains("round(x) AS"), "{out}");
    }

    #[test]
    fn integer_functions() {
        assert_eq!(
            sqlite("SELECT factorial(5), gcd(12, 18), lcm(4, 6)"),
            "SELECT 120 AS \"factorial\", 6 AS \"gcd\", 12 AS \"lcm\""
        );
        assert_eq!(
            sqlite("SELECT div(a, 2) FROM t"),
            "SELECT CAST((CAST(a AS REAL) / 2) AS INTEGER) AS \"div\" FROM t"
        );
        assert_unsupported("SELECT gcd(a, 2) FROM t", "gcd()");
    }

    #[test]
    fn greatest_and_least_ignore_nulls() {
        assert_eq!(
            sqlite("SELECT greatest(a, b, c), least(a, b) FROM t"),
            "SELECT max(coalesce(a, b, c), coalesce(b, a, c), coalesce(c, a, b)) AS \"greatest\", \
             min(coalesce(a, b), coalesce(b, a)) AS \"least\" FROM t"
        );
    }
}
