//! What an expression says about the parameters in it: an operand or
//! argument that is a bare `$n` takes the type PostgreSQL would resolve
//! there (the other side of a comparison or of arithmetic, a function's
//! declared argument type, the common type of COALESCE or CASE branches).
//! As in PostgreSQL, typing is bottom-up: only a parameter standing
//! directly in such a place is typed, parentheses aside.

use sqlparser::ast::{BinaryOperator as B, Expr, FunctionArguments, Query, UnaryOperator as U};

use super::expr::{common_type, expr_type, plain_args};
use super::params::{Found, param_index, query};
use super::query_columns;
use super::scope::Scope;
use crate::sql::PgType as T;
use crate::sql::names::fold;

const BOOL: Option<T> = Some(T::Bool);
const TEXT: Option<T> = Some(T::Text);
const INT4: Option<T> = Some(T::Int4);

/// Visit `e`, standing where PostgreSQL expects `want`: a bare parameter
/// takes that type, anything else is searched for parameters.
pub(super) fn typed(e: &Expr, want: Option<T>, scope: &Scope, out: &mut Found) {
    if !out.note(e, want) {
        walk(e, scope, out);
    }
}

/// Search `e` for parameters whose context types them.
pub(super) fn walk(e: &Expr, scope: &Scope, out: &mut Found) {
    let each = |exprs: &[Expr], out: &mut Found| exprs.iter().for_each(|e| walk(e, scope, out));
    match e {
        Expr::BinaryOp { left, op, right } => binary(left, op, right, scope, out),
        Expr::UnaryOp { op: U::Not, expr } => typed(expr, BOOL, scope, out),
        Expr::IsTrue(inner)
        | Expr::IsNotTrue(inner)
        | Expr::IsFalse(inner)
        | Expr::IsNotFalse(inner)
        | Expr::IsUnknown(inner)
        | Expr::IsNotUnknown(inner) => typed(inner, BOOL, scope, out),
        Expr::UnaryOp { expr: inner, .. }
        | Expr::Nested(inner)
        | Expr::IsNull(inner)
        | Expr::IsNotNull(inner)
        | Expr::Collate { expr: inner, .. }
        | Expr::Cast { expr: inner, .. }
        | Expr::Extract { expr: inner, .. }
        | Expr::Ceil { expr: inner, .. }
        | Expr::Floor { expr: inner, .. } => walk(inner, scope, out),
        Expr::IsDistinctFrom(l, r) | Expr::IsNotDistinctFrom(l, r) => compare(l, r, scope, out),
        Expr::Between {
            expr, low, high, ..
        } => {
            compare(expr, low, scope, out);
            compare(expr, high, scope, out);
        }
        Expr::InList { expr, list, .. } => list.iter().for_each(|i| compare(expr, i, scope, out)),
        Expr::InSubquery { expr, subquery, .. } => {
            typed(expr, single_column(subquery, scope), scope, out);
            query(subquery, scope, None, out);
        }
        Expr::AnyOp { left, right, .. } | Expr::AllOp { left, right, .. } => {
            let want = match strip(right) {
                Expr::Subquery(q) => single_column(q, scope),
                _ => None,
            };
            typed(left, want, scope, out);
            walk(right, scope, out);
        }
        Expr::Like {
            expr,
            pattern,
            escape_char,
            ..
        }
        | Expr::ILike {
            expr,
            pattern,
            escape_char,
            ..
        }
        | Expr::SimilarTo {
            expr,
            pattern,
            escape_char,
            ..
        } => {
            let escape = escape_char.as_deref();
            for part in [Some(expr.as_ref()), Some(pattern.as_ref()), escape] {
                part.iter().for_each(|p| typed(p, TEXT, scope, out));
            }
        }
        Expr::Case {
            operand,
            conditions,
            else_result,
            ..
        } => {
            for c in conditions {
                match operand {
                    Some(op) => compare(op, &c.condition, scope, out),
                    None => typed(&c.condition, BOOL, scope, out),
                }
            }
            let results: Vec<&Expr> = conditions
                .iter()
                .map(|c| &c.result)
                .chain(else_result.as_deref())
                .collect();
            let want = branch_type(&results, scope);
            results.iter().for_each(|r| typed(r, want, scope, out));
        }
        Expr::Function(f) => {
            let name = f.name.0.last().and_then(|p| p.as_ident()).map(fold);
            let args = plain_args(f);
            let wants = argument_types(name.as_deref().unwrap_or_default(), &args, scope);
            for (i, a) in args.iter().enumerate() {
                typed(a, wants.get(i).copied().flatten(), scope, out);
            }
            if let FunctionArguments::Subquery(q) = &f.args {
                query(q, scope, None, out);
            }
            if let Some(filter) = &f.filter {
                typed(filter, BOOL, scope, out);
            }
            f.within_group
                .iter()
                .for_each(|k| walk(&k.expr, scope, out));
        }
        Expr::Substring {
            expr,
            substring_from,
            substring_for,
            shorthand,
            ..
        } => {
            typed(expr, TEXT, scope, out);
            // substring() also takes text patterns, which PostgreSQL
            // prefers for untyped arguments; substr() takes only integers.
            let want = if *shorthand { INT4 } else { None };
            for arg in [substring_from, substring_for].into_iter().flatten() {
                typed(arg, want, scope, out);
            }
        }
        Expr::Trim {
            expr,
            trim_what,
            trim_characters,
            ..
        } => {
            typed(expr, TEXT, scope, out);
            trim_what.iter().for_each(|w| typed(w, TEXT, scope, out));
            for c in trim_characters.iter().flatten() {
                typed(c, TEXT, scope, out);
            }
        }
        Expr::Position { expr, r#in } => {
            typed(expr, TEXT, scope, out);
            typed(r#in, TEXT, scope, out);
        }
        Expr::Overlay {
            expr,
            overlay_what,
            overlay_from,
            overlay_for,
        } => {
            typed(expr, TEXT, scope, out);
            typed(overlay_what, TEXT, scope, out);
            typed(overlay_from, INT4, scope, out);
            overlay_for.iter().for_each(|f| typed(f, INT4, scope, out));
        }
        Expr::AtTimeZone {
            timestamp,
            time_zone,
        } => {
            walk(timestamp, scope, out);
            typed(time_zone, TEXT, scope, out);
        }
        Expr::Tuple(items) => each(items, out),
        Expr::Array(a) => each(&a.elem, out),
        Expr::Interval(i) => walk(&i.value, scope, out),
        Expr::Subquery(q) | Expr::Exists { subquery: q, .. } => query(q, scope, None, out),
        _ => {}
    }
}

fn strip(e: &Expr) -> &Expr {
    match e {
        Expr::Nested(inner) => strip(inner),
        other => other,
    }
}

fn binary(l: &Expr, op: &B, r: &Expr, scope: &Scope, out: &mut Found) {
    let sides = || (expr_type(l, scope), expr_type(r, scope));
    let (want_l, want_r) = match op {
        B::Eq | B::NotEq | B::Lt | B::Gt | B::LtEq | B::GtEq => {
            return compare(l, r, scope, out);
        }
        B::And | B::Or | B::Xor => (BOOL, BOOL),
        B::PGLikeMatch
        | B::PGILikeMatch
        | B::PGNotLikeMatch
        | B::PGNotILikeMatch
        | B::PGRegexMatch
        | B::PGRegexIMatch
        | B::PGRegexNotMatch
        | B::PGRegexNotIMatch
        | B::PGStartsWith => (TEXT, TEXT),
        B::Plus | B::Minus | B::Multiply | B::Divide | B::Modulo => {
            let (lt, rt) = sides();
            (arithmetic(op, rt), arithmetic(op, lt))
        }
        B::BitwiseAnd | B::BitwiseOr | B::PGBitwiseXor => {
            let int = |t: Option<T>| t.filter(|t| matches!(t, T::Int2 | T::Int4 | T::Int8));
            let (lt, rt) = sides();
            (int(rt), int(lt))
        }
        B::StringConcat => {
            let (lt, rt) = sides();
            (concat_operand(rt), concat_operand(lt))
        }
        _ => (None, None),
    };
    typed(l, want_l, scope, out);
    typed(r, want_r, scope, out);
}

/// A comparison (or IN, BETWEEN, IS DISTINCT FROM, CASE x WHEN): each
/// side takes the other's type, row by row for `(a, b) = ($1, $2)`.
fn compare(l: &Expr, r: &Expr, scope: &Scope, out: &mut Found) {
    if let (Expr::Tuple(ls), Expr::Tuple(rs)) = (strip(l), strip(r))
        && ls.len() == rs.len()
    {
        for (l, r) in ls.iter().zip(rs) {
            compare(l, r, scope, out);
        }
        return;
    }
    let (lt, rt) = (comparand(l, scope), comparand(r, scope));
    typed(l, rt, scope, out);
    typed(r, lt, scope, out);
}

/// The type a parameter compared with `e` takes: `e`'s, except that text
/// stands for varchar (which has no comparison operators of its own) and
/// for an untyped literal.
fn comparand(e: &Expr, scope: &Scope) -> Option<T> {
    if param_index(e).is_some() {
        return None;
    }
    match expr_type(e, scope)? {
        T::Varchar | T::Unknown => TEXT,
        t => Some(t),
    }
}

/// The parameter type `other <op> $n` resolves to: the same type where
/// such an operator exists.
fn arithmetic(op: &B, other: Option<T>) -> Option<T> {
    let t = other?;
    let same = match t {
        T::Int2 | T::Int4 | T::Int8 | T::Numeric | T::Float4 | T::Float8 => true,
        T::Interval => matches!(op, B::Plus | B::Minus),
        T::Date | T::Time | T::Timestamp | T::Timestamptz => matches!(op, B::Minus),
        _ => false,
    };
    same.then_some(t)
}

/// `x || $n`: jsonb and bytea concatenate with themselves; anything else
/// (or nothing known) concatenates as text.
fn concat_operand(other: Option<T>) -> Option<T> {
    match other {
        Some(t @ (T::Jsonb | T::Bytea)) => Some(t),
        Some(T::Json) => None,
        _ => TEXT,
    }
}

/// The type of the one output column of `q`.
fn single_column(q: &Query, scope: &Scope) -> Option<T> {
    match query_columns(q, scope)?.as_slice() {
        [only] => only.ty.map(|t| if t == T::Unknown { T::Text } else { t }),
        _ => None,
    }
}

/// The common type of the branches that are not bare parameters (text
/// for untyped literals), which the parameters among them take.
fn branch_type(branches: &[&Expr], scope: &Scope) -> Option<T> {
    let types: Vec<Option<T>> = branches
        .iter()
        .filter(|e| param_index(e).is_none())
        .map(|e| expr_type(e, scope))
        .collect();
    if types.is_empty() {
        return None;
    }
    match common_type(&types)? {
        T::Unknown => TEXT,
        t => Some(t),
    }
}

/// The types a call of `name` (lower case, no schema) gives its
/// arguments, where PostgreSQL's choice of signature is clear.
fn argument_types(name: &str, args: &[&Expr], scope: &Scope) -> Vec<Option<T>> {
    let fixed: &[Option<T>] = match name {
        "coalesce" | "nullif" | "greatest" | "least" => {
            return vec![branch_type(args, scope); args.len()];
        }
        "lower" | "upper" | "initcap" | "reverse" | "md5" | "ascii" | "length" | "char_length"
        | "character_length" | "octet_length" | "substring" | "date_trunc" | "date_part" => &[TEXT],
        "trim" | "btrim" | "ltrim" | "rtrim" | "strpos" | "starts_with" => &[TEXT, TEXT],
        "replace" | "translate" => &[TEXT, TEXT, TEXT],
        "substr" => &[TEXT, INT4, INT4],
        "left" | "right" | "repeat" => &[TEXT, INT4],
        "lpad" | "rpad" => &[TEXT, INT4, TEXT],
        "split_part" => &[TEXT, TEXT, INT4],
        _ => &[],
    };
    fixed.to_vec()
}
