//! Operators: the ones SQLite shares with PostgreSQL pass, ILIKE becomes
//! LIKE, and the rest are refused by name.

use sqlparser::ast::{BinaryOperator, Expr, UnaryOperator};

use super::build::{self, take};
use super::{Rewriter, arith, json, like, regex, string};
use crate::sql::PgType;
use crate::sql::SqlError;

/// Check a binary operator, rewriting `~~`/`~~*` to LIKE.
pub(super) fn rewrite_binary(rw: &Rewriter<'_>, expr: &mut Expr) -> Result<(), SqlError> {
    let Expr::BinaryOp { left, op, right } = expr else {
        return Ok(());
    };
    use BinaryOperator as B;
    let (negated, insensitive) = match op {
        B::LongArrow
        | B::HashArrow
        | B::HashLongArrow
        | B::Question
        | B::QuestionPipe
        | B::QuestionAnd
        | B::AtArrow
        | B::ArrowAt => {
            *expr = json::operator(op, take(left), take(right))?;
            return Ok(());
        }
        B::Divide | B::Modulo | B::PGExp => {
            let inexact = |e: &Expr| {
                matches!(
                    rw.column_types.of(e),
                    Some(PgType::Numeric | PgType::Float4 | PgType::Float8)
                )
            };
            // A numeric or float column can hold an integer, which SQLite
            // would divide as one.
            let as_real = matches!(op, B::Divide) && (inexact(left) || inexact(right));
            let mut l = take(left);
            if as_real {
                l = build::to_real(l);
            }
            let r = take(right);
            *expr = match op {
                B::Divide => arith::divide(l, r),
                B::Modulo => arith::modulo(l, r),
                _ => {
                    let numeric = super::math::is_numeric(&l, &rw.column_types)
                        || super::math::is_numeric(&r, &rw.column_types);
                    arith::power(l, &r, numeric)?
                }
            };
            return Ok(());
        }
        // `#` (xor): SQLite has only | and &.
        B::PGBitwiseXor => {
            let (l, r) = (take(left), take(right));
            *expr = build::bin(
                build::bin(l.clone(), B::BitwiseOr, r.clone()),
                B::Minus,
                build::bin(l, B::BitwiseAnd, r),
            );
            return Ok(());
        }
        B::Gt | B::Lt | B::GtEq | B::LtEq => {
            return super::enum_order::comparison(&rw.column_types, expr);
        }
        B::Plus
        | B::Minus
        | B::Multiply
        | B::StringConcat
        | B::Eq
        | B::NotEq
        | B::And
        | B::Or
        | B::BitwiseOr
        | B::BitwiseAnd
        | B::PGBitwiseShiftLeft
        | B::PGBitwiseShiftRight
        // SQLite ≥ 3.38 has -> on JSON text with PostgreSQL's meaning.
        | B::Arrow => return Ok(()),
        B::PGLikeMatch | B::PGNotLikeMatch | B::PGILikeMatch | B::PGNotILikeMatch => {
            (matches!(op, B::PGNotLikeMatch | B::PGNotILikeMatch), matches!(op, B::PGILikeMatch | B::PGNotILikeMatch))
        }
        B::PGRegexMatch | B::PGRegexIMatch | B::PGRegexNotMatch | B::PGRegexNotIMatch => {
            let negated = matches!(op, B::PGRegexNotMatch | B::PGRegexNotIMatch);
            let insensitive = matches!(op, B::PGRegexIMatch | B::PGRegexNotIMatch);
            let name = op.to_string();
            let Some(pattern) = build::literal_str(right).map(str::to_string) else {
                return Err(SqlError::unsupported(format!(
                    "operator {name} (regex) with a pattern that is not a literal"
                )));
            };
            *expr = regex::regex_match(take(left), &pattern, negated, insensitive, &name)?;
            return Ok(());
        }
        other => return Err(SqlError::unsupported(format!("operator {other}"))),
    };
    let subject = Box::new(take(left));
    let pattern = Box::new(take(right));
    *expr = if insensitive {
        Expr::ILike {
            negated,
            any: false,
            expr: subject,
            pattern,
            escape_char: None,
        }
    } else {
        Expr::Like {
            negated,
            any: false,
            expr: subject,
            pattern,
            escape_char: None,
        }
    };
    rewrite_like(expr)
}

/// PostgreSQL binds a prefix minus tighter than `^` (`-2 ^ 2` is
/// `(-2) ^ 2` = 4); sqlparser binds `^` first. Called before the children
/// are rewritten: the minus moves onto the leftmost operand of the `^`
/// chain; a parenthesised `-(2 ^ 2)` stays as written.
pub(super) fn pre_expr(e: &mut Expr) {
    if let Expr::UnaryOp {
        op: UnaryOperator::Minus,
        expr: inner,
    } = e
        && matches!(
            inner.as_ref(),
            Expr::BinaryOp {
                op: BinaryOperator::PGExp,
                ..
            }
        )
    {
        let mut power = take(inner.as_mut());
        negate_leftmost(&mut power);
        *e = power;
    }
}

fn negate_leftmost(e: &mut Expr) {
    match e {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::PGExp,
            ..
        } => negate_leftmost(left),
        other => {
            let operand = take(other);
            *other = Expr::Nested(Box::new(Expr::UnaryOp {
                op: UnaryOperator::Minus,
                expr: Box::new(operand),
            }));
        }
    }
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

/// LIKE / ILIKE / SIMILAR TO. LIKE must be case-sensitive: it becomes a
/// GLOB (see `like`). ILIKE becomes SQLite's LIKE, which ignores case for
/// ASCII letters only. PostgreSQL's default escape character is backslash;
/// SQLite's LIKE has none, so it is made explicit where it matters.
pub(super) fn rewrite_like(expr: &mut Expr) -> Result<(), SqlError> {
    match expr {
        Expr::SimilarTo {
            negated,
            expr: subject,
            pattern,
            escape_char,
        } => {
            let op = if *negated {
                "NOT SIMILAR TO"
            } else {
                "SIMILAR TO"
            };
            let literal = build::literal_str(pattern).map(str::to_string);
            match (literal, escape_char) {
                (Some(p), None) => {
                    *expr = regex::similar_to(take(subject), &p, *negated)?;
                    Ok(())
                }
                _ => Err(SqlError::unsupported(format!(
                    "operator {op} with a non-literal pattern or an ESCAPE clause"
                ))),
            }
        }
        Expr::Like { any: true, .. } | Expr::ILike { any: true, .. } => {
            Err(SqlError::unsupported("LIKE ANY"))
        }
        Expr::Like {
            negated,
            expr: subject,
            pattern,
            escape_char,
            ..
        } => {
            let escape = like::escape_of(escape_char.as_deref())?;
            *expr = like::case_sensitive(take(subject), take(pattern), escape, *negated)?;
            Ok(())
        }
        Expr::ILike {
            negated,
            expr: subject,
            pattern,
            escape_char,
            ..
        } => {
            let escape = like::escape_of(escape_char.as_deref())?;
            let needs_escape = match escape {
                None => false,
                Some(c) => build::literal_str(pattern).is_none_or(|p| p.contains(c)),
            };
            *expr = Expr::Like {
                negated: *negated,
                any: false,
                expr: Box::new(take(subject)),
                pattern: Box::new(take(pattern)),
                escape_char: match escape {
                    Some(c) if needs_escape => Some(Box::new(string(&c.to_string()))),
                    _ => None,
                },
            };
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn ilike_becomes_like() {
        assert_eq!(
            sqlite("SELECT * FROM t WHERE a ILIKE 'x%' AND b NOT ILIKE $1"),
            r"SELECT * FROM t WHERE a LIKE 'x%' AND b NOT LIKE ?1 ESCAPE '\'"
        );
        assert_eq!(
            sqlite(r"SELECT * FROM t WHERE a ILIKE '50\%' AND b ILIKE $1 ESCAPE ''"),
            r"SELECT * FROM t WHERE a LIKE '50\%' ESCAPE '\' AND b LIKE ?1"
        );
    }

    #[test]
    fn like_becomes_glob() {
        assert_eq!(
            sqlite("SELECT * FROM t WHERE a LIKE 'x%' ESCAPE '!'"),
            "SELECT * FROM t WHERE glob('x*', a)"
        );
        assert_eq!(
            sqlite(r"SELECT * FROM t WHERE a LIKE '50\%'"),
            "SELECT * FROM t WHERE glob('50%', a)"
        );
    }

    #[test]
    fn tilde_like_operators() {
        assert_eq!(
            sqlite("SELECT * FROM t WHERE a ~~ 'x%' AND a !~~* 'y%'"),
            "SELECT * FROM t WHERE glob('x*', a) AND a NOT LIKE 'y%'"
        );
    }

    #[test]
    fn regex_and_similar_to_with_other_patterns_are_refused_by_name() {
        assert_unsupported("SELECT * FROM t WHERE a ~ b", "operator ~ (regex)");
        assert_unsupported("SELECT * FROM t WHERE a ~* b", "operator ~* (regex)");
        assert_unsupported("SELECT * FROM t WHERE a !~ '^x+y'", "operator !~");
        assert_unsupported("SELECT * FROM t WHERE a SIMILAR TO b", "SIMILAR TO");
    }

    #[test]
    fn other_postgres_operators_are_refused() {
        assert_unsupported("SELECT a @> b FROM t", "operator @>");
        assert_unsupported("SELECT a && b FROM t", "operator &&");
        assert_unsupported("SELECT a @@ b FROM t", "operator @@");
        assert_unsupported("SELECT |/ 4", "prefix operator");
    }

    #[test]
    fn shared_operators_and_json_arrows_pass() {
        assert_eq!(
            sqlite("SELECT a || 'x', b - 2, c & 1, e -> 'k', ~f, NOT g FROM t"),
            "SELECT a || 'x' AS \"?column?\", b - 2 AS \"?column?\", c & 1 AS \"?column?\", \
             e -> 'k' AS \"?column?\", ~f AS \"?column?\", \
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

    #[test]
    fn prefix_minus_binds_tighter_than_power() {
        assert_eq!(
            sqlite("SELECT -2 ^ 2, -(2 ^ 2)"),
            "SELECT (((-2) * 1.0) * (-2)) AS \"?column?\", \
             -(((2 * 1.0) * 2)) AS \"?column?\""
        );
    }
}
