//! float8 math functions (sqrt, cbrt, exp, ln, log,
//! trigonometry, power with a fractional exponent), folded at translation
//! time when every argument is a constant PostgreSQL reads as float8: an
//! integer literal or a literal cast to float8/float4. Rust's f64 methods
//! call the C library's functions, as PostgreSQL does (cbrt is the
//! exception: Rust links its own, which differs in the last bit, so cbrt
//! stays refused), and PostgreSQL's
//! domain errors (2201F, 2201E, 22003) become run-time raises. Numeric
//! arguments (`2.0`) select PostgreSQL's numeric variants, whose results
//! have value-dependent scales: those stay refused (see `arith`).

use sqlparser::ast::{DataType, Expr, UnaryOperator, Value};

use super::build::raise;
use super::number;

/// The folded call, or `None` when an argument is not a float8 constant
/// or `name` is not a foldable function.
pub(super) fn fold(name: &str, args: &[Expr]) -> Option<Expr> {
    let values: Vec<f64> = args.iter().map(float_constant).collect::<Option<_>>()?;
    let result = match (name, values.as_slice()) {
        ("sqrt", [x]) if *x < 0.0 => {
            return Some(raise(
                "2201F",
                "cannot take square root of a negative number",
            ));
        }
        ("sqrt", [x]) => x.sqrt(),
        ("exp", [x]) => x.exp(),
        ("ln" | "log" | "log10", [x]) if *x == 0.0 => {
            return Some(raise("2201E", "cannot take logarithm of zero"));
        }
        ("ln" | "log" | "log10", [x]) if *x < 0.0 => {
            return Some(raise("2201E", "cannot take logarithm of a negative number"));
        }
        ("ln", [x]) => x.ln(),
        ("log" | "log10", [x]) => x.log10(),
        ("sin", [x]) => x.sin(),
        ("cos", [x]) => x.cos(),
        ("tan", [x]) => x.tan(),
        ("asin", [x]) | ("acos", [x]) if !(-1.0..=1.0).contains(x) => {
            return Some(raise("22003", "input is out of range"));
        }
        ("asin", [x]) => x.asin(),
        ("acos", [x]) => x.acos(),
        ("atan", [x]) => x.atan(),
        ("atan2", [y, x]) => y.atan2(*x),
        ("sinh", [x]) => x.sinh(),
        ("cosh", [x]) => x.cosh(),
        ("tanh", [x]) => x.tanh(),
        ("power" | "pow", [x, y]) => {
            if *x == 0.0 && *y < 0.0 {
                return Some(raise(
                    "2201F",
                    "zero raised to a negative power is undefined",
                ));
            }
            if *x < 0.0 && y.fract() != 0.0 {
                return Some(raise(
                    "2201F",
                    "a negative number raised to a non-integer power yields a complex result",
                ));
            }
            x.powf(*y)
        }
        _ => return None,
    };
    Some(float_literal(result))
}

/// A float8 literal SQLite reads back as the same REAL, or PostgreSQL's
/// overflow error for a result outside float8.
fn float_literal(x: f64) -> Expr {
    if !x.is_finite() {
        return raise("22003", "value out of range: overflow");
    }
    // Debug keeps a `.0` or an exponent, so SQLite reads a REAL.
    let text = format!("{x:?}");
    if let Some(positive) = text.strip_prefix('-') {
        return Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr: Box::new(number(positive)),
        };
    }
    number(&text)
}

/// The value of an integer literal (PostgreSQL converts it to float8 for
/// these functions) or of a constant cast to REAL (`27::float8`).
fn float_constant(e: &Expr) -> Option<f64> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) if n.bytes().all(|b| b.is_ascii_digit()) => n.parse().ok(),
            _ => None,
        },
        Expr::Nested(inner) => float_constant(inner),
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => float_constant(expr).map(|x| -x),
        Expr::Cast {
            expr,
            data_type: DataType::Real,
            ..
        } => match expr.as_ref() {
            Expr::Value(v) => match &v.value {
                Value::Number(n, _) => n.parse().ok(),
                _ => None,
            },
            other => float_constant(other),
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn float_constants_are_folded() {
        assert_eq!(
            sqlite("SELECT sqrt(16), sqrt(2), sqrt(27::float8), exp(0), ln(1), log(100)"),
            "SELECT 4.0 AS \"sqrt\", 1.4142135623730951 AS \"sqrt\", \
             5.196152422706632 AS \"sqrt\", 1.0 AS \"exp\", 0.0 AS \"ln\", 2.0 AS \"log\""
        );
        assert_eq!(
            sqlite("SELECT power(2::float8, 0.5::float8), atan2(-1, 1)"),
            "SELECT 1.4142135623730951 AS \"power\", -0.7853981633974483 AS \"atan2\""
        );
    }

    #[test]
    fn domain_errors_are_raised() {
        assert!(sqlite("SELECT sqrt(-1)").contains("pgrq:2201F:cannot take square root"));
        assert!(sqlite("SELECT ln(0)").contains("pgrq:2201E:cannot take logarithm of zero"));
        assert!(sqlite("SELECT exp(1000)").contains("pgrq:22003:"));
    }

    #[test]
    fn numeric_and_column_arguments_stay_refused() {
        assert_unsupported("SELECT sqrt(2.0)", "function sqrt()");
        assert_unsupported("SELECT log(2, 8)", "function log()");
    }
}
