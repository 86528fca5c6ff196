//! Function calls: session information answered from the [`Context`],
//! clock functions mapped to SQLite's, `pg_catalog.` stripped, a few
//! renames, and everything else checked against what SQLite provides.
//!
//! [`Context`]: crate::sql::Context

use sqlparser::ast::{
    CeilFloorKind, DateTimeField, Expr, Function, FunctionArg, FunctionArgumentClause,
    FunctionArguments, Ident, ObjectName, TrimWhereField, Value,
};

use super::function_names::{SQLITE_FUNCTIONS, UNTRANSLATED_PG_FUNCTIONS};
use super::{Rewriter, call, number, string};
use crate::sql::SqlError;

/// The SQLite expression for PostgreSQL's `now()`: text in PostgreSQL's
/// output format, UTC. `with_zone` appends `+00` (timestamptz).
pub(super) fn current_timestamp(with_zone: bool) -> Expr {
    let format = if with_zone {
        "%Y-%m-%d %H:%M:%f+00"
    } else {
        "%Y-%m-%d %H:%M:%f"
    };
    call("strftime", vec![string(format), string("now")])
}

/// The SQLite expression for `CURRENT_DATE`.
pub(super) fn current_date() -> Expr {
    call("date", vec![string("now")])
}

fn current_time(with_zone: bool) -> Expr {
    let format = if with_zone { "%H:%M:%f+00" } else { "%H:%M:%f" };
    call("strftime", vec![string(format), string("now")])
}

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
    if let Some(replacement) = session_value(rw, &name, no_args, &f.args) {
        *expr = replacement;
        return Ok(());
    }
    check_call_shape(f, &name)?;
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

/// Session functions and clocks, which need no arguments.
fn session_value(
    rw: &Rewriter<'_>,
    name: &str,
    no_args: bool,
    args: &FunctionArguments,
) -> Option<Expr> {
    let ctx = rw.ctx;
    // CURRENT_TIMESTAMP(p) and friends take an optional precision.
    let precision_only = match args {
        FunctionArguments::List(list) => list.args.len() == 1,
        _ => false,
    };
    let value = match name {
        _ if !(no_args || precision_only && is_clock(name)) => return None,
        "version" => string(&ctx.version),
        "current_database" | "current_catalog" => string(&ctx.database),
        "current_schema" => string(&ctx.schema),
        "current_user" | "session_user" | "user" | "current_role" => string(&ctx.user),
        "pg_is_in_recovery" => number("0"),
        "now" | "transaction_timestamp" | "statement_timestamp" | "current_timestamp" => {
            current_timestamp(true)
        }
        "localtimestamp" => current_timestamp(false),
        "current_date" => current_date(),
        "current_time" => current_time(true),
        "localtime" => current_time(false),
        _ => return None,
    };
    Some(value)
}

fn is_clock(name: &str) -> bool {
    matches!(
        name,
        "current_timestamp" | "localtimestamp" | "current_time" | "localtime"
    )
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
            let mut args = vec![*s, from];
            args.extend(substring_for.map(|b| *b));
            call("substr", args)
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
        Expr::Ceil { expr: x, .. } => call("ceil", vec![*x]),
        Expr::Floor { expr: x, .. } => call("floor", vec![*x]),
        other => other,
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::sql::SqlError;
    use crate::sql::test_support::*;

    #[test]
    fn session_functions_become_literals() {
        let t = tr("SELECT version(), pg_catalog.version(), current_database(), current_schema()");
        assert_eq!(
            t.sqlite.as_deref(),
            Some(
                "SELECT 'PostgreSQL 16.0 (pgrq 0.1.0 on SQLite)', \
                  'PostgreSQL 16.0 (pgrq 0.1.0 on SQLite)', 'appdb', 'public'"
            )
        );
        assert!(!t.needs_database);
        assert_eq!(
            sqlite("SELECT current_schema, current_user, session_user, user, current_catalog"),
            "SELECT 'public', 'alice', 'alice', 'alice', 'appdb'"
        );
        assert_eq!(sqlite("SELECT pg_is_in_recovery()"), "SELECT 0");
    }

    #[test]
    fn quoted_current_schema_is_a_column() {
        assert_eq!(
            sqlite("SELECT \"current_schema\" FROM t"),
            "SELECT \"current_schema\" FROM t"
        );
    }

    #[test]
    fn clocks_use_sqlite_now() {
        let ts = "strftime('%Y-%m-%d %H:%M:%f+00', 'now')";
        assert_eq!(
            sqlite(
                "SELECT now(), CURRENT_TIMESTAMP, transaction_timestamp(), statement_timestamp()"
            ),
            format!("SELECT {ts}, {ts}, {ts}, {ts}")
        );
        assert_eq!(sqlite("SELECT CURRENT_DATE"), "SELECT date('now')");
        assert_eq!(
            sqlite("SELECT current_timestamp(3)"),
            format!("SELECT {ts}")
        );
        assert_eq!(
            sqlite("SELECT LOCALTIMESTAMP"),
            "SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')"
        );
        assert!(!tr("SELECT now()").needs_database);
    }

    #[test]
    fn pg_catalog_prefix_is_stripped() {
        assert_eq!(
            sqlite("SELECT pg_catalog.lower(name) FROM t"),
            "SELECT lower(name) FROM t"
        );
    }

    #[test]
    fn renamed_functions() {
        assert_eq!(
            sqlite("SELECT char_length(a), strpos(a, 'x'), btrim(a) FROM t"),
            "SELECT length(a), instr(a, 'x'), trim(a) FROM t"
        );
        assert_eq!(
            sqlite("SELECT random()"),
            "SELECT abs(random()) / 9223372036854775808.0"
        );
    }

    #[test]
    fn sql_standard_forms_become_calls() {
        assert_eq!(
            sqlite("SELECT substring(a FROM 2 FOR 3), substring(a, 2), position('x' IN a) FROM t"),
            "SELECT substr(a, 2, 3), substr(a, 2), instr(a, 'x') FROM t"
        );
        assert_eq!(
            sqlite("SELECT trim(a), trim(leading 'x' FROM a), ceil(b), floor(b) FROM t"),
            "SELECT trim(a), ltrim(a, 'x'), ceil(b), floor(b) FROM t"
        );
    }

    #[test]
    fn sqlite_functions_and_aggregates_pass_through() {
        assert_eq!(
            sqlite(
                "SELECT count(*), sum(x) FILTER (WHERE x > 0), coalesce(a, b), \
                    row_number() OVER (PARTITION BY a) FROM t GROUP BY a, b"
            ),
            "SELECT count(*), sum(x) FILTER (WHERE x > 0), coalesce(a, b), \
             row_number() OVER (PARTITION BY a) FROM t GROUP BY a, b"
        );
    }

    #[test]
    fn postgres_functions_without_translation_are_unsupported() {
        assert_unsupported(
            "SELECT date_trunc('day', ts) FROM t",
            "function date_trunc()",
        );
        assert_unsupported("SELECT nextval('s')", "function nextval()");
        assert_unsupported("SELECT format('%s', 1)", "function format()");
    }

    #[test]
    fn unknown_functions_are_undefined() {
        assert_eq!(
            err("SELECT frobnicate(1)"),
            SqlError::UndefinedFunction {
                name: "frobnicate".into()
            }
        );
        assert_eq!(
            err("SELECT load_extension('x')"),
            SqlError::UndefinedFunction {
                name: "load_extension".into()
            }
        );
    }

    #[test]
    fn other_schemas_and_within_group_are_refused() {
        assert_unsupported("SELECT myschema.f(1)", "schema-qualified function");
        assert_unsupported(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM t",
            "WITHIN GROUP",
        );
    }
}
