//! Operators: the ones SQLite shares with PostgreSQL pass, ILIKE becomes
//! LIKE, and the rest are refused by name.

use sqlparser::ast::{BinaryOperator, Expr, UnaryOperator, Value};

use super::string;
use crate::sql::SqlError;

/// Check a binary operator, rewriting `~~`/`~~*` to LIKE.
pub(super) fn rewrite_binary(expr: &mut Expr) -> Result<(), SqlError> {
    let Expr::BinaryOp { left, op, right } = expr else {
        return Ok(());
    };
    use BinaryOperator as B;
    let negated_like = match op {
        B::Plus
        | B::Minus
        | B::Multiply
        | B::Divide
        | B::Modulo
        | B::StringConcat
        | B::Gt
        | B::Lt
        | B::GtEq
        | B::LtEq
        | B::Eq
        | B::NotEq
        | B::And
        | B::Or
        | B::BitwiseOr
        | B::BitwiseAnd
        | B::PGBitwiseShiftLeft
        | B::PGBitwiseShiftRight
        // SQLite ≥ 3.38 has -> and ->> on JSON text with PostgreSQL's meaning.
        | B::Arrow
        | B::LongArrow => return Ok(()),
        B::PGLikeMatch | B::PGILikeMatch => false,
        B::PGNotLikeMatch | B::PGNotILikeMatch => true,
        B::PGRegexMatch => return Err(SqlError::unsupported("operator ~ (regex)")),
        B::PGRegexIMatch => return Err(SqlError::unsupported("operator ~* (regex)")),
        B::PGRegexNotMatch => return Err(SqlError::unsupported("operator !~ (regex)")),
        B::PGRegexNotIMatch => return Err(SqlError::unsupported("operator !~* (regex)")),
        other => return Err(SqlError::unsupported(format!("operator {other}"))),
    };
    let left = std::mem::replace(left.as_mut(), Expr::value(Value::Null));
    let right = std::mem::replace(right.as_mut(), Expr::value(Value::Null));
    *expr = Expr::Like {
        negated: negated_like,
        any: false,
        expr: Box::new(left),
        pattern: Box::new(right),
        escape_char: None,
    };
    rewrite_like(expr)
}

/// Check a unary operator.
pub(super) fn check_unary(op: &UnaryOperator) -> Result<(), SqlError> {
    match op {
        UnaryOperator::Plus
        | UnaryOperator::Minus
        | UnaryOperator::Not
        | UnaryOperator::BitwiseNot => Ok(()),
        other => Err(SqlError::unsupported(format!("prefix operator {other}"))),
    }
}

/// LIKE / ILIKE / SIMILAR TO. ILIKE becomes LIKE, which SQLite already
/// matches case-insensitively (for ASCII). PostgreSQL's default LIKE escape
/// character is backslash; SQLite has none, so a literal pattern that
/// contains a backslash gets an explicit `ESCAPE '\'`.
pub(super) fn rewrite_like(expr: &mut Expr) -> Result<(), SqlError> {
    match expr {
        Expr::SimilarTo { negated, .. } => {
            let op = if *negated {
                "NOT SIMILAR TO"
            } else {
                "SIMILAR TO"
            };
            Err(SqlError::unsupported(format!("operator {op}")))
        }
        Expr::ILike {
            negated,
            any,
            expr: subject,
            pattern,
            escape_char,
        } => {
            *expr = Expr::Like {
                negated: *negated,
                any: *any,
                expr: std::mem::replace(subject, Box::new(Expr::value(Value::Null))),
                pattern: std::mem::replace(pattern, Box::new(Expr::value(Value::Null))),
                escape_char: escape_char.take(),
            };
            rewrite_like(expr)
        }
        Expr::Like {
            any,
            pattern,
            escape_char,
            ..
        } => {
            if *any {
                return Err(SqlError::unsupported("LIKE ANY"));
            }
            if escape_char.is_none() && literal_has_backslash(pattern) {
                *escape_char = Some(Box::new(string("\\")));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn literal_has_backslash(pattern: &Expr) -> bool {
    match pattern {
        Expr::Value(v) => matches!(&v.value, Value::SingleQuotedString(s) if s.contains('\\')),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn ilike_becomes_like() {
        assert_eq!(
            sqlite("SELECT * FROM t WHERE a ILIKE 'x%' AND b NOT ILIKE $1"),
            "SELECT * FROM t WHERE a LIKE 'x%' AND b NOT LIKE ?1"
        );
    }

    #[test]
    fn plain_like_stays() {
        assert_eq!(
            sqlite("SELECT * FROM t WHERE a LIKE 'x%' ESCAPE '!'"),
            "SELECT * FROM t WHERE a LIKE 'x%' ESCAPE '!'"
        );
    }

    #[test]
    fn backslash_patterns_get_postgres_default_escape() {
        assert_eq!(
            sqlite(r"SELECT * FROM t WHERE a LIKE '50\%'"),
            r"SELECT * FROM t WHERE a LIKE '50\%' ESCAPE '\'"
        );
    }

    #[test]
    fn tilde_like_operators_become_like() {
        assert_eq!(
            sqlite("SELECT * FROM t WHERE a ~~ 'x%' AND a !~~* 'y%'"),
            "SELECT * FROM t WHERE a LIKE 'x%' AND a NOT LIKE 'y%'"
        );
    }

    #[test]
    fn regex_and_similar_to_are_refused_by_name() {
        assert_unsupported("SELECT * FROM t WHERE a ~ 'x'", "operator ~ (regex)");
        assert_unsupported("SELECT * FROM t WHERE a ~* 'x'", "operator ~* (regex)");
        assert_unsupported("SELECT * FROM t WHERE a !~ 'x'", "operator !~ (regex)");
        assert_unsupported("SELECT * FROM t WHERE a SIMILAR TO 'x'", "SIMILAR TO");
    }

    #[test]
    fn other_postgres_operators_are_refused() {
        assert_unsupported("SELECT a @> b FROM t", "operator @>");
        assert_unsupported("SELECT 2 ^ 3", "operator ^");
        assert_unsupported("SELECT |/ 4", "prefix operator");
    }

    #[test]
    fn shared_operators_and_json_arrows_pass() {
        assert_eq!(
            sqlite("SELECT a || 'x', b % 2, c & 1, d ->> 'k', e -> 'k', ~f, NOT g FROM t"),
            "SELECT a || 'x' AS \"?column?\", b % 2 AS \"?column?\", c & 1 AS \"?column?\", \
             d ->> 'k' AS \"?column?\", e -> 'k' AS \"?column?\", ~f AS \"?column?\", \
             NOT g AS \"?column?\" FROM t"
        );
    }

    #[test]
    fn bit_shifts_pass() {
        // SQLite has << and >>, but sqlparser's SQLite dialect cannot parse
        // them, so this output is not run through `check_sqlite`.
        let out = crate::sql::translate("SELECT c << 1, c >> 2 FROM t", &ctx()).unwrap();
        assert_eq!(
            out[0].sqlite.as_deref(),
            Some("SELECT c << 1 AS \"?column?\", c >> 2 AS \"?column?\" FROM t")
        );
    }
}
