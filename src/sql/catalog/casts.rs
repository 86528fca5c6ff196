//! Operators and casts of catalog queries: `OPERATOR(pg_catalog.op)` to SQLite's
//! operators, and `expr::type` to SQLite casts or to the `reg*` lookup functions (a literal
//! names an object → its OID; an expression → its name, as the type's output).

use sqlparser::ast::{BinaryOperator, CastKind, Expr, Value};

use super::rewrite::{func, text};
use crate::sql::SqlError;

/// PostgreSQL's operator named by `OPERATOR(schema.op)`, when SQLite has it.
pub(super) fn custom_operator(parts: &[String]) -> Result<Option<BinaryOperator>, SqlError> {
    let op = match parts {
        [s, op] if s.eq_ignore_ascii_case("pg_catalog") => op.as_str(),
        [op] => op.as_str(),
        _ => {
            return Err(SqlError::unsupported(format!(
                "OPERATOR({})",
                parts.join(".")
            )));
        }
    };
    Ok(Some(match op {
        "~" => BinaryOperator::PGRegexMatch,
        "~*" => BinaryOperator::PGRegexIMatch,
        "!~" => BinaryOperator::PGRegexNotMatch,
        "!~*" => BinaryOperator::PGRegexNotIMatch,
        "=" => BinaryOperator::Eq,
        "<>" | "!=" => BinaryOperator::NotEq,
        "<" => BinaryOperator::Lt,
        ">" => BinaryOperator::Gt,
        "<=" => BinaryOperator::LtEq,
        ">=" => BinaryOperator::GtEq,
        "||" => BinaryOperator::StringConcat,
        other => return Err(SqlError::unsupported(format!("OPERATOR({other})"))),
    }))
}

/// The rewrite of `expr::<target>` (`target` as sqlparser prints it).
pub(super) fn cast(expr: &Expr, target: &str) -> Result<Expr, SqlError> {
    let t = target.to_lowercase().replace('"', "");
    let t = t
        .strip_prefix("pg_catalog.")
        .unwrap_or(&t)
        .trim()
        .to_string();
    if t.ends_with("[]") {
        // Arrays are kept as PostgreSQL's array text.
        return Ok(expr.clone());
    }
    let base = t.split('(').next().unwrap_or("").trim();
    let is_value = matches!(expr, Expr::Value(_));
    let lookup = |oid_fn: &str, name_fn: &str| -> Expr {
        match expr {
            _ if is_value => func(oid_fn, vec![expr.clone()]),
            _ => func(name_fn, vec![expr.clone()]),
        }
    };
    Ok(match base {
        "regclass" => lookup("pgrq_regclass_oid", "pgrq_regclass_name"),
        "regtype" => lookup("pgrq_regtype_oid", "pgrq_regtype_name"),
        "regnamespace" => lookup("pgrq_regnamespace_oid", "pgrq_regnamespace_name"),
        "regrole" => lookup("pgrq_regrole_oid", "pgrq_regrole_name"),
        // Stored as their output text: a function's name, unqualified in pg_catalog.
        "regproc" | "regprocedure" | "regoper" | "regoperator" | "regconfig" => match expr {
            Expr::Value(v) => match &v.value {
                Value::SingleQuotedString(s) => text(s.strip_prefix("pg_catalog.").unwrap_or(s)),
                _ => expr.clone(),
            },
            _ => expr.clone(),
        },
        "oid" | "int2" | "int4" | "int8" | "smallint" | "integer" | "int" | "bigint" | "xid" => {
            sqlite_cast(expr, "INTEGER")
        }
        "text" | "name" | "varchar" | "character varying" | "char" | "character" | "bpchar" => {
            // `'t'::regclass::text` is the object's name, as the reg* type's output.
            if let Expr::Function(f) = expr
                && let Some(kind) = f
                    .name
                    .to_string()
                    .strip_prefix("pgrq_")
                    .and_then(|n| n.strip_suffix("_oid"))
            {
                return Ok(func(&format!("pgrq_{kind}_name"), vec![expr.clone()]));
            }
            sqlite_cast(expr, "TEXT")
        }
        "bool" | "boolean" => func("pgrq_bool", vec![expr.clone()]),
        "float4" | "float8" | "real" | "double precision" => sqlite_cast(expr, "REAL"),
        "numeric" | "decimal" => sqlite_cast(expr, "NUMERIC"),
        // Everything else is stored in its text form already.
        _ => expr.clone(),
    })
}

fn sqlite_cast(expr: &Expr, to: &str) -> Expr {
    let dt = match to {
        "INTEGER" => sqlparser::ast::DataType::Integer(None),
        "REAL" => sqlparser::ast::DataType::Real,
        "NUMERIC" => sqlparser::ast::DataType::Numeric(sqlparser::ast::ExactNumberInfo::None),
        _ => sqlparser::ast::DataType::Text,
    };
    Expr::Cast {
        kind: CastKind::Cast,
        expr: Box::new(expr.clone()),
        data_type: dt,
        format: None,
    }
}
