//! Advisory lock functions as whole statements: `SELECT pg_advisory_lock(k)` (optionally
//! aliased) and the rest of the family become `StatementKind::Advisory`, which the session
//! runs itself (its locks are rows of a hidden table in the database, so that sessions on
//! every pgrq node exclude each other). Keys are constants or parameters, one bigint or
//! two ints. Elsewhere (in a FROM, a WHERE, beside other columns) the functions are
//! refused.

use sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Query, UnaryOperator, Value,
};

use super::lone_call::lone_call;
use crate::sql::{
    AdvisoryArg, AdvisoryCall, AdvisoryOp, PgType, SqlError, StatementKind, Translated,
};

/// The function's operation and flags (xact, shared), if `name` is one of the family.
fn family(name: &str) -> Option<(AdvisoryOp, bool, bool)> {
    let (op, rest) = if let Some(r) = name.strip_prefix("pg_try_advisory_") {
        (AdvisoryOp::TryLock, r)
    } else if name == "pg_advisory_unlock_all" {
        return Some((AdvisoryOp::UnlockAll, false, false));
    } else if let Some(r) = name.strip_prefix("pg_advisory_unlock") {
        (AdvisoryOp::Unlock, r)
    } else if let Some(r) = name.strip_prefix("pg_advisory_") {
        (AdvisoryOp::Lock, r)
    } else {
        return None;
    };
    let rest = match op {
        AdvisoryOp::Unlock => rest,
        _ => rest.strip_suffix("lock").or_else(|| {
            rest.strip_suffix("lock_shared").map(|r| {
                if r.is_empty() {
                    "_shared"
                } else {
                    "xact_shared"
                }
            })
        })?,
    };
    let (xact, shared) = match rest {
        "" => (false, false),
        "_shared" => (false, true),
        "xact_" => (true, false),
        "xact_shared" => (true, true),
        _ => return None,
    };
    if op == AdvisoryOp::Unlock && xact {
        return None;
    }
    Some((op, xact, shared))
}

/// `SELECT pg_advisory_lock(…)` and the other advisory functions, as whole statements.
pub(super) fn call(q: &Query) -> Result<Option<Translated>, SqlError> {
    let Some(call) = lone_call(q) else {
        return Ok(None);
    };
    let (f, func, alias) = (call.f, call.name.clone(), call.alias.clone());
    let Some((op, xact, shared)) = family(&func) else {
        return Ok(None);
    };
    call.require_plain()?;
    let key = args(&f.args, &func)?;
    let arity_ok = match op {
        AdvisoryOp::UnlockAll => key.is_empty(),
        _ => matches!(key.len(), 1 | 2),
    };
    if !arity_ok {
        return Err(SqlError::UndefinedFunction {
            name: format!("{func} with {} arguments", key.len()),
        });
    }
    let key_type = if key.len() == 2 {
        PgType::Int4
    } else {
        PgType::Int8
    };
    let params: Vec<usize> = key
        .iter()
        .filter_map(|a| match a {
            AdvisoryArg::Param(i) => Some(*i),
            AdvisoryArg::Const(_) => None,
        })
        .collect();
    let param_count = params.iter().max().map_or(0, |m| m + 1);
    let mut param_types = vec![None; param_count];
    for i in params {
        param_types[i] = Some(key_type);
    }
    let returns = match op {
        AdvisoryOp::TryLock | AdvisoryOp::Unlock => PgType::Bool,
        AdvisoryOp::Lock | AdvisoryOp::UnlockAll => PgType::Void,
    };
    let column = alias.unwrap_or_else(|| func.clone());
    Ok(Some(Translated {
        kind: StatementKind::Advisory(AdvisoryCall {
            op,
            xact,
            shared,
            key,
            column,
        }),
        sqlite: None,
        param_count,
        param_types,
        returning: false,
        tag: "SELECT".into(),
        needs_database: true,
        column_types: vec![Some(returns)],
        column_scales: Vec::new(),
        column_avgs: Vec::new(),
        array_params: Vec::new(),
        uses_clock: false,
        sequence: None,
    }))
}

fn args(args: &FunctionArguments, func: &str) -> Result<Vec<AdvisoryArg>, SqlError> {
    match args {
        FunctionArguments::None => Ok(Vec::new()),
        FunctionArguments::List(list) if list.duplicate_treatment.is_none() => list
            .args
            .iter()
            .map(|a| match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => key_arg(e, func),
                _ => Err(SqlError::unsupported(format!(
                    "named arguments to {func}()"
                ))),
            })
            .collect(),
        _ => Err(SqlError::unsupported(format!("this form of {func}() call"))),
    }
}

/// A key: an integer constant (possibly negative or cast) or a parameter.
fn key_arg(e: &Expr, func: &str) -> Result<AdvisoryArg, SqlError> {
    match e {
        Expr::Cast { expr, .. } | Expr::Nested(expr) => key_arg(expr, func),
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => match key_arg(expr, func)? {
            AdvisoryArg::Const(v) => Ok(AdvisoryArg::Const(v.wrapping_neg())),
            AdvisoryArg::Param(_) => {
                Err(SqlError::unsupported(format!("a computed key in {func}()")))
            }
        },
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.parse::<i64>().map(AdvisoryArg::Const).map_err(|_| {
                SqlError::unsupported(format!("key {n} of {func}() (an integer is needed)"))
            }),
            Value::Placeholder(p) => p
                .strip_prefix('$')
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|n| *n >= 1)
                .map(|n| AdvisoryArg::Param(n - 1))
                .ok_or_else(|| SqlError::unsupported(format!("parameter {p} in {func}()"))),
            _ => Err(SqlError::unsupported(format!("key {e} of {func}()"))),
        },
        _ => Err(SqlError::unsupported(format!(
            "a computed key in {func}() (pass a constant or a parameter)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::test_support::{err, tr};

    fn call_of(sql: &str) -> AdvisoryCall {
        match tr(sql).kind {
            StatementKind::Advisory(c) => c,
            other => panic!("{sql}: {other:?}"),
        }
    }

    #[test]
    fn the_family_is_recognised() {
        let c = call_of("SELECT pg_advisory_lock(42)");
        assert_eq!(
            (c.op, c.xact, c.shared, c.key.clone()),
            (AdvisoryOp::Lock, false, false, vec![AdvisoryArg::Const(42)])
        );
        assert_eq!(c.column, "pg_advisory_lock");
        let c = call_of("select pg_try_advisory_xact_lock_shared(1, -2) AS got");
        assert_eq!((c.op, c.xact, c.shared), (AdvisoryOp::TryLock, true, true));
        assert_eq!(c.key, vec![AdvisoryArg::Const(1), AdvisoryArg::Const(-2)]);
        assert_eq!(c.column, "got");
        let c = call_of("SELECT pg_advisory_unlock_shared($1::bigint)");
        assert_eq!((c.op, c.shared), (AdvisoryOp::Unlock, true));
        assert_eq!(c.key, vec![AdvisoryArg::Param(0)]);
        assert_eq!(
            call_of("SELECT pg_advisory_unlock_all()").op,
            AdvisoryOp::UnlockAll
        );
        assert!(call_of("SELECT pg_advisory_xact_lock(7)").xact);
        assert!(call_of("SELECT pg_advisory_lock_shared(7)").shared);
    }

    #[test]
    fn parameters_are_typed_by_the_key_form() {
        let t = tr("SELECT pg_advisory_lock($1)");
        assert_eq!(t.param_count, 1);
        assert_eq!(t.param_types, vec![Some(PgType::Int8)]);
        assert_eq!(t.column_types, vec![Some(PgType::Void)]);
        let t = tr("SELECT pg_try_advisory_lock($1, $2)");
        assert_eq!(t.param_types, vec![Some(PgType::Int4), Some(PgType::Int4)]);
        assert_eq!(t.column_types, vec![Some(PgType::Bool)]);
    }

    #[test]
    fn other_uses_are_refused() {
        assert!(matches!(
            err("SELECT pg_advisory_lock(id) FROM t"),
            SqlError::Unsupported { .. }
        ));
        for sql in [
            "SELECT pg_advisory_lock(1, 2, 3)",
            "SELECT pg_advisory_unlock_all(1)",
        ] {
            assert!(
                matches!(err(sql), SqlError::UndefinedFunction { .. }),
                "{sql}"
            );
        }
    }
}
