//! The PostgreSQL type of one expression, where the tree makes it certain.

use sqlparser::ast::{
    BinaryOperator as B, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments,
    UnaryOperator, Value,
};

use super::query_columns;
use super::scope::Scope;
use crate::sql::PgType as T;
use crate::sql::names::{fold, value_keyword};

/// Functions returning text whatever their arguments.
const TEXT_FUNCTIONS: &[&str] = &[
    "btrim",
    "encode",
    "format",
    "md5",
    "chr",
    "initcap",
    "left",
    "lpad",
    "repeat",
    "reverse",
    "right",
    "rpad",
    "split_part",
    "to_hex",
    "to_char",
    "quote_ident",
    "quote_literal",
    "quote_nullable",
    "translate",
    "concat",
    "concat_ws",
    "datetime",
    "group_concat",
    "hex",
    "lower",
    "ltrim",
    "printf",
    "quote",
    "replace",
    "rtrim",
    "strftime",
    "string_agg",
    "substr",
    "substring",
    "trim",
    "typeof",
    "upper",
    "version",
];

/// Functions returning int4 whatever their arguments.
const INT4_FUNCTIONS: &[&str] = &[
    "ascii",
    "char_length",
    "character_length",
    "instr",
    "length",
    "ntile",
    "octet_length",
    "position",
    "strpos",
];

/// Session functions PostgreSQL types as `name`.
const NAME_FUNCTIONS: &[&str] = &[
    "current_catalog",
    "current_database",
    "current_role",
    "current_schema",
    "current_user",
    "session_user",
    "user",
];

pub(super) fn expr_type(e: &Expr, scope: &Scope) -> Option<T> {
    match e {
        Expr::Identifier(ident) => match value_keyword(ident) {
            Some(k) => function_type(k, &[], scope),
            None => scope.column_type(None, &fold(ident)),
        },
        Expr::CompoundIdentifier(parts) => match parts.as_slice() {
            [.., table, column] => scope.column_type(Some(&fold(table)), &fold(column)),
            [column] => scope.column_type(None, &fold(column)),
            [] => None,
        },
        Expr::Nested(inner) | Expr::Collate { expr: inner, .. } => expr_type(inner, scope),
        Expr::Value(v) => literal_type(&v.value),
        Expr::BinaryOp { left, op, right } => binary_type(op, left, right, scope),
        Expr::UnaryOp { op, expr } => {
            let t = expr_type(expr, scope);
            match op {
                UnaryOperator::Not => Some(T::Bool),
                UnaryOperator::Minus | UnaryOperator::Plus => {
                    t.filter(|t| rank(*t).is_some() || *t == T::Interval)
                }
                UnaryOperator::BitwiseNot => t.filter(|t| is_int(*t)),
                _ => None,
            }
        }
        Expr::IsNull(_)
        | Expr::IsNotNull(_)
        | Expr::IsTrue(_)
        | Expr::IsNotTrue(_)
        | Expr::IsFalse(_)
        | Expr::IsNotFalse(_)
        | Expr::IsUnknown(_)
        | Expr::IsNotUnknown(_)
        | Expr::IsDistinctFrom(..)
        | Expr::IsNotDistinctFrom(..)
        | Expr::InList { .. }
        | Expr::InSubquery { .. }
        | Expr::AnyOp { .. }
        | Expr::AllOp { .. }
        | Expr::Between { .. }
        | Expr::Like { .. }
        | Expr::ILike { .. }
        | Expr::SimilarTo { .. }
        | Expr::Exists { .. } => Some(T::Bool),
        Expr::Cast { data_type, .. } => known(T::from_sqlparser(data_type)),
        Expr::Array(arr) if arr.named => {
            let types: Vec<Option<T>> = arr.elem.iter().map(|e| expr_type(e, scope)).collect();
            // Sub-arrays are of the same type as the whole.
            if arr.elem.iter().any(|e| matches!(e, Expr::Array(_))) {
                return None;
            }
            let literal = |e: &Expr, bools: bool| match e {
                Expr::Value(v) => match v.value {
                    Value::Null => true,
                    Value::Boolean(_) => bools,
                    Value::SingleQuotedString(_) => !bools,
                    _ => false,
                },
                _ => false,
            };
            // Quoted literals alone make text[]; booleans print t/f only as literals.
            if !arr.elem.is_empty() && arr.elem.iter().all(|e| literal(e, false)) {
                return Some(T::TextArray);
            }
            match common_type(&types)? {
                T::Bool if !arr.elem.iter().all(|e| literal(e, true)) => None,
                t => t.array_of(),
            }
        }
        Expr::TypedString(ts) => known(T::from_sqlparser(&ts.data_type)),
        Expr::Case {
            conditions,
            else_result,
            ..
        } => {
            let mut types: Vec<Option<T>> = conditions
                .iter()
                .map(|c| expr_type(&c.result, scope))
                .collect();
            types.extend(else_result.as_deref().map(|e| expr_type(e, scope)));
            common_type(&types)
        }
        Expr::Subquery(q) => match query_columns(q, scope)?.as_slice() {
            [only] => only.ty,
            _ => None,
        },
        Expr::Function(f) => {
            let name = f.name.0.last()?.as_ident().map(fold)?;
            let args = plain_args(f);
            function_type(&name, &args, scope)
        }
        Expr::Substring { .. } | Expr::Trim { .. } | Expr::Overlay { .. } => Some(T::Text),
        Expr::Position { .. } => Some(T::Int4),
        Expr::Extract { .. } => Some(T::Numeric),
        Expr::AtTimeZone { timestamp, .. } => match expr_type(timestamp, scope)? {
            T::Timestamp => Some(T::Timestamptz),
            T::Timestamptz | T::Date => Some(T::Timestamp),
            _ => None,
        },
        Expr::Interval(_) => Some(T::Interval),
        Expr::Ceil { expr, .. } | Expr::Floor { expr, .. } => {
            expr_type(expr, scope).filter(|t| matches!(t, T::Numeric | T::Float8))
        }
        _ => None,
    }
}

fn known(t: T) -> Option<T> {
    (t != T::Unknown).then_some(t)
}

/// The unnamed argument expressions of a call (`*` is left out).
pub(super) fn plain_args(f: &Function) -> Vec<&Expr> {
    match &f.args {
        FunctionArguments::List(list) => list
            .args
            .iter()
            .filter_map(|a| match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn literal_type(v: &Value) -> Option<T> {
    match v {
        Value::Number(n, _) => Some(if n.contains(['.', 'e', 'E']) {
            T::Numeric
        } else if n.parse::<i32>().is_ok() {
            T::Int4
        } else if n.parse::<i64>().is_ok() {
            T::Int8
        } else {
            T::Numeric
        }),
        Value::SingleQuotedString(_)
        | Value::EscapedStringLiteral(_)
        | Value::UnicodeStringLiteral(_)
        | Value::NationalStringLiteral(_)
        | Value::DollarQuotedString(_)
        | Value::Null => Some(T::Unknown),
        Value::Boolean(_) => Some(T::Bool),
        _ => None,
    }
}

fn binary_type(op: &B, left: &Expr, right: &Expr, scope: &Scope) -> Option<T> {
    match op {
        B::Eq
        | B::NotEq
        | B::Overlaps
        | B::Lt
        | B::Gt
        | B::LtEq
        | B::GtEq
        | B::And
        | B::Or
        | B::PGLikeMatch
        | B::PGILikeMatch
        | B::PGNotLikeMatch
        | B::PGNotILikeMatch
        | B::PGRegexMatch
        | B::PGRegexIMatch
        | B::PGRegexNotMatch
        | B::PGRegexNotIMatch => Some(T::Bool),
        B::Minus if expr_type(left, scope) == Some(T::Jsonb) => Some(T::Jsonb),
        B::Plus | B::Minus | B::Multiply | B::Divide | B::Modulo => {
            let (l, r) = (expr_type(left, scope)?, expr_type(right, scope)?);
            super::datetime_ops::binary(op, l, r).or_else(|| arithmetic(l, r))
        }
        B::BitwiseAnd | B::BitwiseOr | B::PGBitwiseShiftLeft | B::PGBitwiseShiftRight => {
            arithmetic(expr_type(left, scope)?, expr_type(right, scope)?).filter(|t| is_int(*t))
        }
        B::StringConcat => concat_type(expr_type(left, scope), expr_type(right, scope)),
        B::LongArrow | B::HashLongArrow => Some(T::Text),
        B::Arrow | B::HashArrow => {
            expr_type(left, scope).filter(|t| matches!(t, T::Json | T::Jsonb))
        }
        B::Question | B::QuestionAnd | B::QuestionPipe | B::AtArrow | B::ArrowAt => Some(T::Bool),
        _ => None,
    }
}

/// Numeric types in PostgreSQL's order of widening.
fn rank(t: T) -> Option<u8> {
    Some(match t {
        T::Int2 => 1,
        T::Int4 => 2,
        T::Int8 => 3,
        T::Numeric => 4,
        T::Float4 => 5,
        T::Float8 => 6,
        _ => return None,
    })
}

fn is_int(t: T) -> bool {
    matches!(t, T::Int2 | T::Int4 | T::Int8)
}

/// The result of `+ - * / %` on two numeric types; an untyped literal
/// takes the other side's type.
fn arithmetic(l: T, r: T) -> Option<T> {
    let (l, r) = match (l, r) {
        (T::Unknown, T::Unknown) => return None,
        (T::Unknown, t) | (t, T::Unknown) => (t, t),
        pair => pair,
    };
    let (lr, rr) = (rank(l)?, rank(r)?);
    // There is no mixed float4 operator: the float8 one wins.
    if (l == T::Float4) != (r == T::Float4) {
        return Some(T::Float8);
    }
    Some(if lr >= rr { l } else { r })
}

fn concat_type(l: Option<T>, r: Option<T>) -> Option<T> {
    let special = |t: &Option<T>| matches!(t, Some(T::Json | T::Jsonb | T::Bytea));
    let texty = |t: Option<T>| {
        matches!(
            t,
            Some(T::Text | T::Varchar | T::Bpchar | T::Name | T::Unknown)
        )
    };
    match (l, r) {
        (Some(a), Some(b)) if a == b && special(&l) => Some(a),
        _ if special(&l) || special(&r) => None,
        (Some(_), Some(_)) => Some(T::Text),
        _ if texty(l) || texty(r) => Some(T::Text),
        _ => None,
    }
}

/// The type PostgreSQL resolves several branches to (UNION, CASE, VALUES,
/// COALESCE): untyped literals follow the others, numbers widen, strings
/// become text, times gain a zone if one has it.
pub(super) fn common_type(types: &[Option<T>]) -> Option<T> {
    let mut known = Vec::with_capacity(types.len());
    for t in types {
        match t {
            None => return None,
            Some(T::Unknown) => {}
            Some(t) => known.push(*t),
        }
    }
    let Some(&first) = known.first() else {
        return Some(T::Unknown);
    };
    if known.iter().all(|t| *t == first) {
        return Some(first);
    }
    if known.iter().all(|t| rank(*t).is_some()) {
        return known.into_iter().max_by_key(|t| rank(*t));
    }
    if known
        .iter()
        .all(|t| matches!(t, T::Text | T::Varchar | T::Bpchar | T::Name))
    {
        return Some(T::Text);
    }
    if known
        .iter()
        .all(|t| matches!(t, T::Date | T::Timestamp | T::Timestamptz))
    {
        let zoned = known.contains(&T::Timestamptz);
        return Some(if zoned { T::Timestamptz } else { T::Timestamp });
    }
    None
}

/// The result type of calling `name` (lower case, no schema).
fn function_type(name: &str, args: &[&Expr], scope: &Scope) -> Option<T> {
    let arg = |i: usize| args.get(i).and_then(|e| expr_type(e, scope));
    let t = match name {
        "count" => T::Int8,
        "sum" => match arg(0)? {
            T::Int2 | T::Int4 => T::Int8,
            T::Int8 | T::Numeric => T::Numeric,
            t @ (T::Float4 | T::Float8 | T::Interval) => t,
            _ => return None,
        },
        "avg" => match arg(0)? {
            T::Int2 | T::Int4 | T::Int8 | T::Numeric => T::Numeric,
            T::Float4 | T::Float8 => T::Float8,
            T::Interval => T::Interval,
            _ => return None,
        },
        "min" | "max" if args.len() == 1 => arg(0)?,
        // The array text `array_agg` builds prints these element types as PostgreSQL
        // does (booleans, say, would print 1/0: those stay text).
        "array_agg" => match arg(0)? {
            t @ (T::Int2 | T::Int4 | T::Int8 | T::Oid | T::Text | T::Varchar | T::Name) => {
                t.array_of()?
            }
            _ => return None,
        },
        "coalesce" | "ifnull" => {
            let types: Vec<Option<T>> = (0..args.len()).map(arg).collect();
            return common_type(&types).or(types.first().copied().flatten().and_then(known));
        }
        "greatest" | "least" => {
            let types: Vec<Option<T>> = (0..args.len()).map(arg).collect();
            return common_type(&types).or(types
                .iter()
                .flatten()
                .copied()
                .find(|t| *t != T::Unknown));
        }
        "power" | "pow" | "pi" | "degrees" | "radians" | "date_part" => T::Float8,
        "log" if args.len() == 2 => T::Numeric,
        "to_timestamp" => T::Timestamptz,
        "to_date" | "make_date" => T::Date,
        "make_timestamp" => T::Timestamp,
        "justify_hours" | "justify_days" | "justify_interval" | "make_interval" => T::Interval,
        "width_bucket" | "scale" => T::Int4,
        "decode" => T::Bytea,
        "div" | "factorial" => T::Numeric,
        "gcd" | "lcm" => arg(0)?,
        "sqrt" | "cbrt" | "exp" | "ln" | "log" | "log10" => match arg(0) {
            Some(T::Numeric) => T::Numeric,
            _ => T::Float8,
        },
        "sin" | "cos" | "tan" | "asin" | "acos" | "atan" | "atan2" | "sinh" | "cosh" | "tanh" => {
            T::Float8
        }
        "json_build_object" | "json_build_array" | "json_agg" | "to_json" | "json_object_agg"
        | "json_strip_nulls" | "row_to_json" => T::Json,
        "jsonb_build_object" | "jsonb_build_array" | "jsonb_agg" | "to_jsonb" | "jsonb_set"
        | "jsonb_object_agg" | "jsonb_strip_nulls" => T::Jsonb,
        "json_typeof" | "jsonb_typeof" | "jsonb_pretty" => T::Text,
        "json_array_length" | "jsonb_array_length" => T::Int4,
        "date_trunc" => match arg(1)? {
            T::Timestamp => T::Timestamp,
            T::Timestamptz | T::Date => T::Timestamptz,
            _ => return None,
        },
        "mod" => arithmetic(arg(0)?, arg(1)?)?,
        "nullif" | "lag" | "lead" | "first_value" | "last_value" | "nth_value" => arg(0)?,
        "abs" => arg(0).filter(|t| rank(*t).is_some())?,
        "round" | "trunc" | "ceil" | "ceiling" | "floor" => {
            arg(0).filter(|t| matches!(t, T::Numeric | T::Float8))?
        }
        "row_number" | "rank" | "dense_rank" => T::Int8,
        "percent_rank" | "cume_dist" | "random" | "total" => T::Float8,
        "now"
        | "transaction_timestamp"
        | "statement_timestamp"
        | "clock_timestamp"
        | "current_timestamp" => T::Timestamptz,
        "localtimestamp" => T::Timestamp,
        // SQLite's date() and time() give PostgreSQL's text forms.
        "current_date" | "date" => T::Date,
        "time" => T::Time,
        "localtime" => T::Time,
        "pg_is_in_recovery" | "starts_with" | "bool_and" | "bool_or" | "every" => T::Bool,
        n if NAME_FUNCTIONS.contains(&n) => T::Name,
        n if TEXT_FUNCTIONS.contains(&n) => T::Text,
        n if INT4_FUNCTIONS.contains(&n) => T::Int4,
        // current_time is timetz, which pgrq does not describe.
        _ => return None,
    };
    Some(t)
}
