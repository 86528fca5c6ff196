//! Sequences. SQLite has none, so sequence `s` is a one-row table `pgrq_seq_s` (layout in
//! `sql::markers`), created with its options by CREATE SEQUENCE and dropped by DROP
//! SEQUENCE; the options are also the table's column defaults, so that the catalog (built
//! from the schema alone) shows them. Its bounds are CHECK constraints named `pgrq_seqmax_s` / `pgrq_seqmin_s`, so
//! running past them fails with PostgreSQL's 2200H.
//!
//! The functions work as whole statements, `SELECT nextval('s')` (optionally aliased,
//! `'s'::regclass` accepted), which the session runs itself (`sql::SequenceOp`):
//! `nextval` is `UPDATE … RETURNING` (honouring INCREMENT, MINVALUE/MAXVALUE, CYCLE),
//! `setval(s, v [, is_called])` likewise, `currval`/`lastval` are the session's own
//! values. Elsewhere (inside INSERT, as a column DEFAULT, several in one SELECT) they are
//! refused.

use sqlparser::ast::{
    DataType, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, ObjectName, Query,
    SequenceOptions, Statement, UnaryOperator, Value,
};

use super::ddl_plan::ddl;
use super::lone_call::lone_call;
use super::relations;
use super::type_checks::quoted;
use crate::sql::markers::{SEQUENCE_MAX_CHECK, SEQUENCE_MIN_CHECK, SEQUENCE_TABLE};
use crate::sql::schema::Schema;
use crate::sql::{PgType, SequenceOp, SqlError, StatementKind, Translated};

/// The table holding sequence `name`, quoted.
pub(super) fn table(name: &str) -> String {
    quoted(&format!("{SEQUENCE_TABLE}{name}"))
}

/// The sequence's name as PostgreSQL resolves it (`public.` removed, unquoted folded).
pub(super) fn name_of(name: &ObjectName) -> Result<String, SqlError> {
    let mut name = name.clone();
    relations::strip_schema(&mut name)?;
    name.0
        .last()
        .and_then(|p| p.as_ident())
        .map(relations::fold)
        .ok_or_else(|| SqlError::syntax(format!("bad sequence name {name}")))
}

/// CREATE SEQUENCE.
pub(super) fn create(stmt: &Statement, schema: &dyn Schema) -> Result<Translated, SqlError> {
    let Statement::CreateSequence {
        temporary,
        if_not_exists,
        name,
        data_type,
        sequence_options,
        owned_by,
    } = stmt
    else {
        return Err(SqlError::syntax("not CREATE SEQUENCE"));
    };
    if *temporary {
        return Err(SqlError::unsupported("CREATE TEMPORARY SEQUENCE"));
    }
    if owned_by.is_some() {
        return Err(SqlError::unsupported("CREATE SEQUENCE … OWNED BY"));
    }
    let name = name_of(name)?;
    if schema.columns(&name).is_some() {
        return Err(SqlError::DuplicateObject {
            message: format!("relation \"{name}\" already exists"),
            relation: true,
        });
    }
    let (type_name, type_min, type_max) = match data_type.as_ref().map(PgType::from_sqlparser) {
        None | Some(PgType::Int8) => ("bigint", i64::MIN, i64::MAX),
        Some(PgType::Int4) => ("integer", i64::from(i32::MIN), i64::from(i32::MAX)),
        Some(PgType::Int2) => ("smallint", i64::from(i16::MIN), i64::from(i16::MAX)),
        Some(_) => {
            return Err(SqlError::InvalidParameter {
                message: "sequence type must be smallint, integer, or bigint".into(),
            });
        }
    };
    let mut increment = 1i64;
    let (mut min, mut max, mut start, mut cycle) = (None, None, None, false);
    for opt in sequence_options {
        match opt {
            SequenceOptions::IncrementBy(e, _) => increment = int(e)?,
            SequenceOptions::MinValue(v) => min = v.as_ref().map(int).transpose()?,
            SequenceOptions::MaxValue(v) => max = v.as_ref().map(int).transpose()?,
            SequenceOptions::StartWith(e, _) => start = Some(int(e)?),
            // Values are handed out one by one; a cache changes nothing visible.
            SequenceOptions::Cache(e) => {
                int(e)?;
            }
            SequenceOptions::Cycle(no_cycle) => cycle = !*no_cycle,
        }
    }
    if increment == 0 {
        return Err(invalid("INCREMENT must not be zero"));
    }
    let min = min.unwrap_or(if increment > 0 { 1 } else { type_min });
    let max = max.unwrap_or(if increment > 0 { type_max } else { -1 });
    if min < type_min || max > type_max {
        return Err(invalid(format!(
            "MINVALUE/MAXVALUE out of range for sequence data type {type_name}"
        )));
    }
    if min >= max {
        return Err(invalid(format!(
            "MINVALUE ({min}) must be less than MAXVALUE ({max})"
        )));
    }
    let start = start.unwrap_or(if increment > 0 { min } else { max });
    if start < min {
        return Err(invalid(format!(
            "START value ({start}) cannot be less than MINVALUE ({min})"
        )));
    }
    if start > max {
        return Err(invalid(format!(
            "START value ({start}) cannot be greater than MAXVALUE ({max})"
        )));
    }
    let table = table(&name);
    let exists = if *if_not_exists { "IF NOT EXISTS " } else { "" };
    let create = format!(
        "CREATE TABLE {exists}{table} (last_value INTEGER NOT NULL, \
         start_value INTEGER NOT NULL DEFAULT {start}, \
         increment_by INTEGER NOT NULL DEFAULT {increment}, \
         min_value INTEGER NOT NULL DEFAULT {min}, max_value INTEGER NOT NULL DEFAULT {max}, \
         cycle INTEGER NOT NULL DEFAULT {}, is_called INTEGER NOT NULL, \
         data_type TEXT NOT NULL DEFAULT '{type_name}', \
         CONSTRAINT {} CHECK (last_value <= max_value), \
         CONSTRAINT {} CHECK (last_value >= min_value))",
        i32::from(cycle),
        quoted(&format!("{SEQUENCE_MAX_CHECK}{name}")),
        quoted(&format!("{SEQUENCE_MIN_CHECK}{name}")),
    );
    let insert = format!(
        "INSERT INTO {table} SELECT {start}, {start}, {increment}, {min}, {max}, {}, 0, \
         '{type_name}' WHERE NOT EXISTS (SELECT 1 FROM {table})",
        i32::from(cycle)
    );
    Ok(ddl("CREATE SEQUENCE", vec![create, insert]))
}

fn invalid(message: impl Into<String>) -> SqlError {
    SqlError::InvalidParameter {
        message: message.into(),
    }
}

/// An integer literal, possibly signed.
fn int(e: &Expr) -> Result<i64, SqlError> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n
                .parse()
                .map_err(|_| invalid(format!("{n} is out of range for a sequence"))),
            _ => Err(SqlError::syntax(format!("expected an integer, not {e}"))),
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => int(expr)?
            .checked_neg()
            .ok_or_else(|| invalid(format!("{e} is out of range"))),
        Expr::UnaryOp {
            op: UnaryOperator::Plus,
            expr,
        } => int(expr),
        Expr::Nested(inner) => int(inner),
        _ => Err(SqlError::syntax(format!("expected an integer, not {e}"))),
    }
}

/// DROP SEQUENCE: each sequence's table.
pub(super) fn drop(names: &[ObjectName], if_exists: bool) -> Result<Translated, SqlError> {
    let exists = if if_exists { "IF EXISTS " } else { "" };
    let stmts = names
        .iter()
        .map(|n| Ok(format!("DROP TABLE {exists}{}", table(&name_of(n)?))))
        .collect::<Result<Vec<_>, SqlError>>()?;
    Ok(ddl("DROP SEQUENCE", stmts))
}

/// `SELECT nextval('s')` and the other sequence functions, as whole statements.
pub(super) fn call(q: &Query) -> Result<Option<Translated>, SqlError> {
    let Some(call) = lone_call(q) else {
        return Ok(None);
    };
    let (f, func, alias) = (call.f, call.name.clone(), call.alias.clone());
    if !matches!(func.as_str(), "nextval" | "currval" | "setval" | "lastval") {
        return Ok(None);
    }
    call.require_plain()?;
    let args = args(&f.args)?;
    let column = alias.unwrap_or_else(|| func.clone());
    let out = quoted(&column);
    let (op, sql) = match (func.as_str(), args.as_slice()) {
        ("nextval", [seq]) => {
            let name = sequence_arg(seq)?;
            let sql = format!(
                "UPDATE {} SET is_called = 1, last_value = CASE \
                 WHEN is_called = 0 THEN last_value \
                 WHEN increment_by > 0 AND last_value > max_value - increment_by \
                 THEN CASE WHEN cycle THEN min_value ELSE last_value + increment_by END \
                 WHEN increment_by < 0 AND last_value < min_value - increment_by \
                 THEN CASE WHEN cycle THEN max_value ELSE last_value + increment_by END \
                 ELSE last_value + increment_by END RETURNING last_value AS {out}",
                table(&name)
            );
            (SequenceOp::Next(name), sql)
        }
        ("setval", [seq, value, rest @ ..]) if rest.len() <= 1 => {
            let name = sequence_arg(seq)?;
            let v = int(value)?;
            let called = match rest {
                [] => true,
                [Expr::Value(b)] => match b.value {
                    Value::Boolean(b) => b,
                    _ => return Err(SqlError::unsupported("setval() with a non-boolean flag")),
                },
                _ => return Err(SqlError::unsupported("setval() with a computed flag")),
            };
            let sql = format!(
                "UPDATE {} SET last_value = {v}, is_called = {} \
                 WHERE {v} BETWEEN min_value AND max_value RETURNING {v} AS {out}",
                table(&name),
                i32::from(called)
            );
            (SequenceOp::Set(name), sql)
        }
        ("currval", [seq]) => {
            let name = sequence_arg(seq)?;
            let sql = format!("SELECT last_value AS {out} FROM {}", table(&name));
            (SequenceOp::Current(name), sql)
        }
        ("lastval", []) => (SequenceOp::Last, format!("SELECT 0 AS {out}")),
        _ => {
            return Err(SqlError::UndefinedFunction {
                name: format!("{func} with {} arguments", args.len()),
            });
        }
    };
    let write = matches!(op, SequenceOp::Next(_) | SequenceOp::Set(_));
    Ok(Some(Translated {
        kind: if write {
            StatementKind::Write
        } else {
            StatementKind::Query
        },
        sqlite: Some(sql),
        param_count: 0,
        param_types: Vec::new(),
        returning: write,
        tag: "SELECT".into(),
        needs_database: true,
        column_types: vec![Some(PgType::Int8)],
        column_scales: Vec::new(),
        column_avgs: Vec::new(),
        array_params: Vec::new(),
        uses_clock: false,
        sequence: Some(op),
    }))
}

fn args(args: &FunctionArguments) -> Result<Vec<Expr>, SqlError> {
    match args {
        FunctionArguments::None => Ok(Vec::new()),
        FunctionArguments::List(list) if list.duplicate_treatment.is_none() => list
            .args
            .iter()
            .map(|a| match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Ok(e.clone()),
                _ => Err(SqlError::unsupported(
                    "named arguments to sequence functions",
                )),
            })
            .collect(),
        _ => Err(SqlError::unsupported("this form of sequence function call")),
    }
}

/// `'s'`, `'public.s'`, `'"S"'`, `'s'::regclass` → the sequence name.
fn sequence_arg(e: &Expr) -> Result<String, SqlError> {
    let text = match e {
        Expr::Cast {
            expr, data_type, ..
        } if matches!(data_type, DataType::Regclass | DataType::Text)
            || data_type.to_string().eq_ignore_ascii_case("regclass") =>
        {
            return sequence_arg(expr);
        }
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => s.clone(),
            _ => return Err(SqlError::unsupported(format!("sequence argument {e}"))),
        },
        _ => {
            return Err(SqlError::unsupported(format!(
                "sequence argument {e} (name the sequence with a string literal)"
            )));
        }
    };
    let parts = crate::sql::parse::parse_object_name(&text)
        .ok_or_else(|| SqlError::syntax(format!("invalid name syntax: {text}")))?;
    name_of(&parts)
}

#[cfg(test)]
#[path = "sequences_tests.rs"]
mod tests;
