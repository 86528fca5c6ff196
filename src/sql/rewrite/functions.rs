//! Function calls: session information answered from the [`Context`],
//! clock functions turned into literals of the transaction time (see
//! `clock`), `pg_catalog.` stripped, a few renames, and everything else
//! checked against what SQLite provides.
//!
//! [`Context`]: crate::sql::Context

use sqlparser::ast::{
    CeilFloorKind, DateTimeField, Expr, Function, FunctionArg, FunctionArgExpr,
    FunctionArgumentClause, FunctionArguments, Ident, ObjectName, TrimWhereField, Value,
};

use super::clock::{self, Clock};
use super::function_names::{SQLITE_FUNCTIONS, UNTRANSLATED_PG_FUNCTIONS};
use super::{
    Rewriter, arith, arrays, build, call, datetime, json, number, string, strings, template,
};
use crate::sql::SqlError;

/// `current_schema` written without parentheses parses as a column name;
/// in PostgreSQL it is always the function.
pub(super) fn rewrite_identifier(rw: &Rewriter<'_>, expr: &mut Expr) {
    if let Expr::Identifier(ident) = expr
        && ident.quote_style.is_none()
        && ident.value.eq_ignore_ascii_case("current_schema")
    {
        *expr = string(&rw.ctx.schema);
    }
}

/// Rewrite an `Expr::Function` in place.
pub(super) fn rewrite_function(rw: &mut Rewriter<'_>, expr: &mut Expr) -> Result<(), SqlError> {
    let Expr::Function(f) = expr else {
        return Ok(());
    };
    let name = plain_name(&mut f.name)?;
    let no_args = match &f.args {
        FunctionArguments::None => true,
        FunctionArguments::List(list) => list.args.is_empty(),
        FunctionArguments::Subquery(_) => false,
    };
    if let Some(replacement) = session_value(rw, &name, no_args, &f.args)? {
        *expr = replacement;
        return Ok(());
    }
    if let Some(out) = super::statistics::aggregate(f, &name)? {
        *expr = out;
        return Ok(());
    }
    check_call_shape(f, &name)?;
    json::mark_json_columns(&rw.column_types, &name, f);
    if let Some(out) = aggregate(f, &name)? {
        *expr = out;
        return Ok(());
    }
    if f.over.is_none()
        && f.filter.is_none()
        && let Some(mut args) = build::plain_args(f)
        && let Some(out) = math_function(rw, &name, &mut args)?
    {
        *expr = out;
        return Ok(());
    }
    if f.over.is_none()
        && f.filter.is_none()
        && let Some(mut args) = build::plain_args(f)
        && let Some(out) = family_function(&name, &mut args)?
    {
        *expr = out;
        return Ok(());
    }
    match name.as_str() {
        "char_length" | "character_length" => rename(f, "length"),
        "strpos" => rename(f, "instr"),
        "btrim" => rename(f, "trim"),
        // PostgreSQL's random() is a float in [0, 1); SQLite's a 64-bit int.
        "random" if no_args => {
            *expr = Expr::BinaryOp {
                left: Box::new(call("abs", vec![call("random", vec![])])),
                op: sqlparser::ast::BinaryOperator::Divide,
                right: Box::new(number("9223372036854775808.0")),
            };
        }
        n if SQLITE_FUNCTIONS.contains(&n) => {}
        n if UNTRANSLATED_PG_FUNCTIONS.contains(&n) => {
            return Err(SqlError::unsupported(format!("function {n}()")));
        }
        n => {
            return Err(SqlError::UndefinedFunction {
                name: n.to_string(),
            });
        }
    }
    Ok(())
}

/// Aggregates PostgreSQL has under other names or shapes: bool_and/every
/// and bool_or are min and max over 0/1; array_agg builds the array text
/// with group_concat (keeping ORDER BY, FILTER and OVER).
fn aggregate(f: &mut Function, name: &str) -> Result<Option<Expr>, SqlError> {
    if let Some(out) = super::json_text::aggregate(f, name)? {
        return Ok(Some(out));
    }
    match name {
        n if json::aggregate_name(n).is_some() => {
            rename(f, json::aggregate_name(n).unwrap_or(n));
            Ok(Some(Expr::Function(f.clone())))
        }
        // SQLite's DISTINCT aggregates take one argument; group_concat's separator
        // defaults to ','.
        "string_agg" if matches!(&f.args, FunctionArguments::List(l) if l.duplicate_treatment.is_some()) =>
        {
            let FunctionArguments::List(list) = &mut f.args else {
                return Ok(None);
            };
            let comma = matches!(
                list.args.get(1),
                Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(v))))
                    if v.value == Value::SingleQuotedString(",".into())
            );
            if list.args.len() != 2 || !comma {
                return Err(SqlError::unsupported(
                    "string_agg(DISTINCT …) with a separator other than ','",
                ));
            }
            list.args.truncate(1);
            rename(f, "group_concat");
            Ok(Some(Expr::Function(f.clone())))
        }
        "bool_and" | "every" | "bool_or" => {
            rename(f, if name == "bool_or" { "max" } else { "min" });
            Ok(Some(Expr::Function(f.clone())))
        }
        "array_agg" => {
            let FunctionArguments::List(list) = &mut f.args else {
                return Err(SqlError::unsupported("array_agg() of this shape"));
            };
            if list.duplicate_treatment.is_some() || list.args.len() != 1 {
                return Err(SqlError::unsupported("array_agg(DISTINCT …)"));
            }
            let Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(x))) = list.args.first() else {
                return Err(SqlError::unsupported("array_agg() of this shape"));
            };
            let element = template::fill(arrays::ARRAY_AGG_ELEMENT, std::slice::from_ref(x))?;
            list.args = vec![
                FunctionArg::Unnamed(FunctionArgExpr::Expr(element)),
                FunctionArg::Unnamed(FunctionArgExpr::Expr(string(","))),
            ];
            rename(f, "group_concat");
            let agg = Expr::Function(f.clone());
            Ok(Some(template::fill("'{' || pgrq_arg1 || '}'", &[agg])?))
        }
        _ => Ok(None),
    }
}

/// Math on floats, run by the engine (see `math`), which needs the argument types.
fn math_function(
    rw: &Rewriter<'_>,
    name: &str,
    args: &mut Vec<Expr>,
) -> Result<Option<Expr>, SqlError> {
    let numeric = args
        .iter()
        .any(|a| super::math::is_numeric(a, &rw.column_types));
    if matches!(name, "power" | "pow") && args.len() == 2 {
        let b = args.remove(1);
        return arith::power(args.remove(0), &b, numeric).map(Some);
    }
    super::math::function(name, args, numeric)
}

/// Functions translated by the file owning their family.
fn family_function(name: &str, args: &mut Vec<Expr>) -> Result<Option<Expr>, SqlError> {
    if let Some(out) = super::bucket::function(name, args)? {
        return Ok(Some(out));
    }
    if let Some(out) = arith::function(name, args)? {
        return Ok(Some(out));
    }
    if let Some(out) = strings::function(name, args)? {
        return Ok(Some(out));
    }
    if let Some(out) = super::case_fold::function(name, args)? {
        return Ok(Some(out));
    }
    if let Some(out) = super::make_time::function(name, args)? {
        return Ok(Some(out));
    }
    if let Some(out) = super::format::function(name, args)? {
        return Ok(Some(out));
    }
    if name == "md5"
        && let Some(out) = super::md5::fold(args)
    {
        return Ok(Some(out));
    }
    if let Some(out) = datetime::function(name, args)? {
        return Ok(Some(out));
    }
    json::function(name, args)
}

/// Session functions and clocks, which need no arguments (the SQL
/// standard clocks take an optional precision).
///
/// `clock_timestamp()` is the same instant as `now()`: a value read from
/// each replica's clock during a write would differ between replicas, so
/// pgrq's clock_timestamp is the transaction time too.
fn session_value(
    rw: &Rewriter<'_>,
    name: &str,
    no_args: bool,
    args: &FunctionArguments,
) -> Result<Option<Expr>, SqlError> {
    let ctx = rw.ctx;
    let precision_arg = match args {
        FunctionArguments::List(list) if list.args.len() == 1 && is_sql_clock(name) => {
            list.args.first()
        }
        _ => None,
    };
    if !no_args && precision_arg.is_none() {
        return Ok(None);
    }
    let precision = precision_arg
        .map(|arg| clock_precision(name, arg))
        .transpose()?;
    let now = |clock| Some(clock::current(rw, clock, precision));
    let value = match name {
        "version" => Some(string(&ctx.version)),
        "current_database" | "current_catalog" => Some(string(&ctx.database)),
        "current_schema" => Some(string(&ctx.schema)),
        "current_user" | "session_user" | "user" | "current_role" => Some(string(&ctx.user)),
        "pg_is_in_recovery" => Some(number("0")),
        "now"
        | "transaction_timestamp"
        | "statement_timestamp"
        | "clock_timestamp"
        | "current_timestamp" => now(Clock::Timestamptz),
        "localtimestamp" => now(Clock::Timestamp),
        "current_date" => now(Clock::Date),
        "current_time" => now(Clock::Timetz),
        "localtime" => now(Clock::Time),
        _ => None,
    };
    Ok(value)
}

/// The SQL-standard clocks, which take an optional precision.
fn is_sql_clock(name: &str) -> bool {
    matches!(
        name,
        "current_timestamp" | "localtimestamp" | "current_time" | "localtime"
    )
}

/// The `p` of `CURRENT_TIMESTAMP(p)`: an integer constant (PostgreSQL's
/// grammar accepts nothing else); above 6 it means 6, as PostgreSQL
/// (which warns) reduces it.
fn clock_precision(name: &str, arg: &FunctionArg) -> Result<u32, SqlError> {
    let digits = match arg {
        FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(v))) => match &v.value {
            Value::Number(n, _) => Some(n.as_str()),
            _ => None,
        },
        _ => None,
    };
    digits
        .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        .map(|d| d.parse::<u32>().map_or(6, |p| p.min(6)))
        .ok_or_else(|| {
            SqlError::syntax(format!(
                "{}({arg}): the precision must be an integer constant",
                name.to_uppercase()
            ))
        })
}

/// The lower-cased function name, with a `pg_catalog.` qualifier removed.
fn plain_name(name: &mut ObjectName) -> Result<String, SqlError> {
    if name.0.len() == 2 {
        let schema = name.0[0].as_ident().map(|i| i.value.to_ascii_lowercase());
        if schema.as_deref() == Some("pg_catalog") {
            name.0.remove(0);
        }
    }
    match name.0.as_slice() {
        [part] => match part.as_ident() {
            Some(ident) => Ok(ident.value.to_lowercase()),
            None => Err(SqlError::unsupported(format!("function name {name}"))),
        },
        _ => Err(SqlError::unsupported(format!(
            "schema-qualified function {name}"
        ))),
    }
}

/// Refuse call syntax SQLite lacks.
fn check_call_shape(f: &Function, name: &str) -> Result<(), SqlError> {
    if !f.within_group.is_empty() {
        return Err(SqlError::unsupported(format!("{name}() WITHIN GROUP")));
    }
    if let FunctionArguments::List(list) = &f.args {
        for arg in &list.args {
            if !matches!(arg, FunctionArg::Unnamed(_)) {
                return Err(SqlError::unsupported(format!("named argument in {name}()")));
            }
        }
        for clause in &list.clauses {
            if !matches!(clause, FunctionArgumentClause::OrderBy(_)) {
                return Err(SqlError::unsupported(format!("`{clause}` in {name}()")));
            }
        }
    }
    if matches!(f.args, FunctionArguments::Subquery(_)) {
        return Err(SqlError::unsupported(format!(
            "subquery as {name}() argument"
        )));
    }
    Ok(())
}

fn rename(f: &mut Function, to: &str) {
    f.name = ObjectName::from(vec![Ident::new(to)]);
}

/// SQL-standard call forms with their own syntax, rewritten to SQLite's
/// ordinary functions: SUBSTRING, TRIM, POSITION, CEIL, FLOOR.
pub(super) fn rewrite_special_form(expr: &mut Expr) -> Result<(), SqlError> {
    let taken = std::mem::replace(expr, Expr::value(Value::Null));
    *expr = match taken {
        Expr::Substring {
            expr: s,
            substring_from,
            substring_for,
            ..
        } => {
            let from = substring_from.map_or_else(|| number("1"), |b| *b);
            strings::substring(*s, from, substring_for.map(|b| *b))?
        }
        Expr::Trim {
            trim_where,
            trim_what,
            expr: s,
            trim_characters,
        } => {
            if trim_characters.is_some() {
                return Err(SqlError::unsupported("TRIM with a character list"));
            }
            let name = match trim_where {
                Some(TrimWhereField::Leading) => "ltrim",
                Some(TrimWhereField::Trailing) => "rtrim",
                Some(TrimWhereField::Both) | None => "trim",
            };
            let mut args = vec![*s];
            args.extend(trim_what.map(|b| *b));
            call(name, args)
        }
        Expr::Position { expr: needle, r#in } => call("instr", vec![*r#in, *needle]),
        Expr::Ceil { expr: x, field } | Expr::Floor { expr: x, field }
            if !matches!(
                field,
                CeilFloorKind::DateTimeField(DateTimeField::NoDateTime)
            ) =>
        {
            return Err(SqlError::unsupported(format!(
                "CEIL/FLOOR of {x} with a field"
            )));
        }
        Expr::Ceil { expr: x, .. } => {
            arith::function("ceil", &mut vec![*x])?.unwrap_or_else(build::null)
        }
        Expr::Floor { expr: x, .. } => {
            arith::function("floor", &mut vec![*x])?.unwrap_or_else(build::null)
        }
        other => other,
    };
    Ok(())
}

#[cfg(test)]
#[path = "functions_tests.rs"]
mod tests;
