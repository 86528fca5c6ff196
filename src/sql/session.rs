//! Session, transaction and housekeeping statements: classified here, never
//! sent to SQLite.

use sqlparser::ast::{
    ContextModifier, DiscardObject, Expr, Ident, ObjectName, Reset, Set,
    SetSessionAuthorizationParamKind, Statement, TransactionAccessMode, TransactionIsolationLevel,
    TransactionMode, UnaryOperator, Value,
};

use super::{SqlError, StatementKind, Translated, TxnControl};

/// The classification of `stmt` if it is a session, transaction or
/// housekeeping command; `None` for anything else.
pub(crate) fn session_statement(stmt: &Statement) -> Result<Option<Translated>, SqlError> {
    let (kind, tag) = match stmt {
        Statement::StartTransaction { begin, modes, .. } => (
            StatementKind::Transaction(TxnControl::Begin {
                read_only: access_mode(modes),
            }),
            if *begin { "BEGIN" } else { "START TRANSACTION" }.to_string(),
        ),
        Statement::Commit { chain, .. } => {
            refuse_chain(*chain, "COMMIT")?;
            (
                StatementKind::Transaction(TxnControl::Commit),
                "COMMIT".into(),
            )
        }
        Statement::Rollback { chain, savepoint } => {
            refuse_chain(*chain, "ROLLBACK")?;
            let txn = match savepoint {
                Some(name) => TxnControl::RollbackTo(ident_name(name)),
                None => TxnControl::Rollback,
            };
            (StatementKind::Transaction(txn), "ROLLBACK".into())
        }
        Statement::Savepoint { name } => (
            StatementKind::Transaction(TxnControl::Savepoint(ident_name(name))),
            "SAVEPOINT".into(),
        ),
        Statement::ReleaseSavepoint { name } => (
            StatementKind::Transaction(TxnControl::Release(ident_name(name))),
            "RELEASE".into(),
        ),
        Statement::Set(set) => (set_kind(set)?, "SET".into()),
        Statement::ShowVariable { variable } => (
            StatementKind::Show {
                name: show_name(variable),
            },
            "SHOW".into(),
        ),
        Statement::Reset(reset) => {
            let name = match &reset.reset {
                Reset::ALL => None,
                Reset::SessionAuthorization => Some("session_authorization".to_string()),
                Reset::ConfigurationParameter(name) => Some(setting_name(name)),
            };
            (StatementKind::Reset { name }, "RESET".into())
        }
        Statement::Discard { object_type } => {
            let what = match object_type {
                DiscardObject::ALL => "ALL",
                DiscardObject::PLANS => "PLANS",
                DiscardObject::SEQUENCES => "SEQUENCES",
                DiscardObject::TEMP => "TEMP",
            };
            (StatementKind::Discard, format!("DISCARD {what}"))
        }
        Statement::Prepare {
            name,
            data_types,
            statement,
        } => (
            StatementKind::PrepareSql {
                name: ident_name(name),
                types: data_types.iter().map(ToString::to_string).collect(),
                body: statement.to_string(),
            },
            "PREPARE".into(),
        ),
        Statement::Execute {
            name: Some(name),
            parameters,
            immediate: false,
            into,
            using,
            ..
        } if into.is_empty() && using.is_empty() => (
            StatementKind::ExecuteSql {
                name: match name.0.as_slice() {
                    [part] => part
                        .as_ident()
                        .map(ident_name)
                        .unwrap_or_else(|| name.to_string()),
                    _ => name.to_string(),
                },
                args: parameters.iter().map(ToString::to_string).collect(),
            },
            "EXECUTE".into(),
        ),
        Statement::Deallocate { name, .. } => {
            let tag = if name.quote_style.is_none() && name.value.eq_ignore_ascii_case("all") {
                "DEALLOCATE ALL".to_string()
            } else {
                format!("DEALLOCATE {}", ident_name(name))
            };
            (StatementKind::Discard, tag)
        }
        _ => return Ok(None),
    };
    Ok(Some(Translated::local(kind, tag)))
}

fn refuse_chain(chain: bool, verb: &str) -> Result<(), SqlError> {
    if chain {
        return Err(SqlError::unsupported(format!("{verb} AND CHAIN")));
    }
    Ok(())
}

/// An identifier as PostgreSQL resolves it: unquoted names fold to lower case.
fn ident_name(ident: &Ident) -> String {
    match ident.quote_style {
        Some(_) => ident.value.clone(),
        None => ident.value.to_lowercase(),
    }
}

/// A configuration parameter name: lower-cased, dotted parts kept
/// (`pgrq.read_consistency`).
fn setting_name(name: &ObjectName) -> String {
    name.0
        .iter()
        .map(|part| match part.as_ident() {
            Some(ident) => ident.value.to_lowercase(),
            None => part.to_string().to_lowercase(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn show_name(variable: &[Ident]) -> String {
    let words: Vec<String> = variable.iter().map(|i| i.value.to_lowercase()).collect();
    match words.join(" ").as_str() {
        "time zone" => "timezone".into(),
        "transaction isolation level" => "transaction_isolation".into(),
        "session authorization" => "session_authorization".into(),
        // `SHOW a.b` arrives as two identifiers.
        _ => words.join("."),
    }
}

fn set_kind(set: &Set) -> Result<StatementKind, SqlError> {
    let (name, value, local) = match set {
        Set::SingleAssignment {
            scope,
            variable,
            values,
            ..
        } => (
            setting_name(variable),
            set_values(values)?,
            matches!(scope, Some(ContextModifier::Local)),
        ),
        Set::SetTimeZone { local, value } => (
            "timezone".into(),
            set_values(std::slice::from_ref(value))?,
            *local,
        ),
        Set::SetNames { charset_name, .. } => (
            "client_encoding".into(),
            Some(charset_name.value.clone()),
            false,
        ),
        Set::SetNamesDefault {} => ("client_encoding".into(), None, false),
        Set::SetTransaction {
            modes,
            snapshot,
            session,
        } => {
            if snapshot.is_some() {
                return Err(SqlError::unsupported("SET TRANSACTION SNAPSHOT"));
            }
            let (name, value) = transaction_setting(modes)?;
            let prefix = if *session { "default_" } else { "" };
            (format!("{prefix}{name}"), Some(value), false)
        }
        Set::SetRole {
            context_modifier,
            role_name,
        } => (
            "role".into(),
            Some(role_name.as_ref().map_or("none".into(), ident_name)),
            matches!(context_modifier, Some(ContextModifier::Local)),
        ),
        Set::SetSessionAuthorization(param) => {
            let value = match &param.kind {
                SetSessionAuthorizationParamKind::Default => None,
                SetSessionAuthorizationParamKind::User(user) => Some(ident_name(user)),
            };
            ("session_authorization".into(), value, false)
        }
        other => {
            return Err(SqlError::unsupported(format!("SET form `{other}`")));
        }
    };
    Ok(StatementKind::Set { name, value, local })
}

/// The access mode among transaction modes: `Some(true)` for READ ONLY.
fn access_mode(modes: &[TransactionMode]) -> Option<bool> {
    modes.iter().rev().find_map(|m| match m {
        TransactionMode::AccessMode(mode) => Some(matches!(mode, TransactionAccessMode::ReadOnly)),
        TransactionMode::IsolationLevel(_) => None,
    })
}

/// The access mode (preferred: isolation levels change nothing in pgrq, SQLite runs
/// every transaction serially) or isolation level a `SET TRANSACTION` sets.
fn transaction_setting(modes: &[TransactionMode]) -> Result<(&'static str, String), SqlError> {
    if let Some(read_only) = access_mode(modes) {
        let value = if read_only { "on" } else { "off" };
        return Ok(("transaction_read_only", value.into()));
    }
    let isolation = modes.iter().find_map(|m| match m {
        TransactionMode::IsolationLevel(level) => Some(level),
        TransactionMode::AccessMode(_) => None,
    });
    if let Some(level) = isolation {
        let value = match level {
            TransactionIsolationLevel::ReadUncommitted => "read uncommitted",
            TransactionIsolationLevel::ReadCommitted => "read committed",
            TransactionIsolationLevel::RepeatableRead => "repeatable read",
            TransactionIsolationLevel::Serializable => "serializable",
            TransactionIsolationLevel::Snapshot => {
                return Err(SqlError::unsupported("isolation level SNAPSHOT"));
            }
        };
        return Ok(("transaction_isolation", value.into()));
    }
    Err(SqlError::syntax("SET TRANSACTION needs a transaction mode"))
}

/// The value of a SET: `None` for DEFAULT, otherwise the values as text
/// (string literals unquoted), joined with ", ".
fn set_values(values: &[Expr]) -> Result<Option<String>, SqlError> {
    if let [Expr::Identifier(ident)] = values {
        let word = ident.value.to_ascii_uppercase();
        if ident.quote_style.is_none() && (word == "DEFAULT" || word == "LOCAL") {
            return Ok(None);
        }
    }
    let texts = values
        .iter()
        .map(set_value)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(texts.join(", ")))
}

fn set_value(expr: &Expr) -> Result<String, SqlError> {
    match expr {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s)
            | Value::EscapedStringLiteral(s)
            | Value::NationalStringLiteral(s)
            | Value::UnicodeStringLiteral(s) => Ok(s.clone()),
            Value::DollarQuotedString(d) => Ok(d.value.clone()),
            Value::Number(n, _) => Ok(n.clone()),
            Value::Boolean(b) => Ok(if *b { "on" } else { "off" }.into()),
            other => Err(SqlError::unsupported(format!("SET value {other}"))),
        },
        Expr::Identifier(ident) => Ok(ident.value.clone()),
        Expr::CompoundIdentifier(parts) => Ok(parts
            .iter()
            .map(|p| p.value.clone())
            .collect::<Vec<_>>()
            .join(".")),
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => Ok(format!("-{}", set_value(expr)?)),
        // `SET TIME ZONE INTERVAL '+00:00' HOUR TO MINUTE` (Sequelize's connect): the zone is
        // the interval's offset text.
        Expr::Interval(iv) => set_value(&iv.value),
        other => Err(SqlError::unsupported(format!("SET value {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::StatementKind as K;
    use crate::sql::TxnControl as T;
    use crate::sql::test_support::*;

    fn set(name: &str, value: Option<&str>, local: bool) -> K {
        K::Set {
            name: name.into(),
            value: value.map(str::to_string),
            local,
        }
    }

    #[test]
    fn transaction_statements() {
        let cases = [
            ("BEGIN", T::Begin { read_only: None }, "BEGIN"),
            (
                "BEGIN ISOLATION LEVEL SERIALIZABLE",
                T::Begin { read_only: None },
                "BEGIN",
            ),
            (
                "START TRANSACTION READ ONLY",
                T::Begin {
                    read_only: Some(true),
                },
                "START TRANSACTION",
            ),
            (
                "BEGIN ISOLATION LEVEL SERIALIZABLE, READ WRITE",
                T::Begin {
                    read_only: Some(false),
                },
                "BEGIN",
            ),
            ("COMMIT", T::Commit, "COMMIT"),
            ("END", T::Commit, "COMMIT"),
            ("ROLLBACK", T::Rollback, "ROLLBACK"),
            ("ABORT", T::Rollback, "ROLLBACK"),
            ("SAVEPOINT sp1", T::Savepoint("sp1".into()), "SAVEPOINT"),
            ("RELEASE SAVEPOINT SP1", T::Release("sp1".into()), "RELEASE"),
            ("RELEASE \"Sp\"", T::Release("Sp".into()), "RELEASE"),
            (
                "ROLLBACK TO SAVEPOINT sp1",
                T::RollbackTo("sp1".into()),
                "ROLLBACK",
            ),
        ];
        for (sql, txn, tag) in cases {
            let t = tr(sql);
            assert_eq!(t.kind, K::Transaction(txn), "{sql}");
            assert_eq!(t.tag, tag, "{sql}");
            assert_eq!(t.sqlite, None, "{sql}");
            assert!(!t.needs_database, "{sql}");
        }
    }

    #[test]
    fn commit_and_chain_is_refused() {
        assert_unsupported("COMMIT AND CHAIN", "COMMIT AND CHAIN");
    }

    #[test]
    fn set_forms() {
        let cases = [
            (
                "SET search_path TO 'public'",
                set("search_path", Some("public"), false),
            ),
            (
                "SET search_path = myschema",
                set("search_path", Some("myschema"), false),
            ),
            (
                "SET SESSION statement_timeout = 5000",
                set("statement_timeout", Some("5000"), false),
            ),
            (
                "SET LOCAL lock_timeout = '1s'",
                set("lock_timeout", Some("1s"), true),
            ),
            (
                "SET DateStyle = ISO, MDY",
                set("datestyle", Some("ISO, MDY"), false),
            ),
            (
                "SET extra_float_digits TO DEFAULT",
                set("extra_float_digits", None, false),
            ),
            ("SET TIME ZONE 'UTC'", set("timezone", Some("UTC"), false)),
            (
                "SET TIME ZONE INTERVAL '+00:00' HOUR TO MINUTE",
                set("timezone", Some("+00:00"), false),
            ),
            (
                "SET NAMES 'UTF8'",
                set("client_encoding", Some("UTF8"), false),
            ),
            (
                "SET pgrq.read_consistency = strong",
                set("pgrq.read_consistency", Some("strong"), false),
            ),
            ("SET x = -5", set("x", Some("-5"), false)),
            ("SET x = on", set("x", Some("on"), false)),
            (
                "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
                set("transaction_isolation", Some("repeatable read"), false),
            ),
            (
                "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE",
                set("default_transaction_isolation", Some("serializable"), false),
            ),
            (
                "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE READ ONLY",
                set("transaction_read_only", Some("on"), false),
            ),
            (
                "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
                set("default_transaction_read_only", Some("on"), false),
            ),
        ];
        for (sql, kind) in cases {
            let t = tr(sql);
            assert_eq!(t.kind, kind, "{sql}");
            assert_eq!(t.tag, "SET");
            assert_eq!(t.sqlite, None);
        }
    }

    #[test]
    fn show_and_reset() {
        let show = |sql: &str| match tr(sql).kind {
            K::Show { name } => name,
            other => panic!("{sql}: {other:?}"),
        };
        assert_eq!(show("SHOW server_version"), "server_version");
        assert_eq!(show("SHOW DateStyle"), "datestyle");
        assert_eq!(show("SHOW ALL"), "all");
        assert_eq!(
            show("SHOW TRANSACTION ISOLATION LEVEL"),
            "transaction_isolation"
        );
        assert_eq!(show("SHOW TIME ZONE"), "timezone");
        assert_eq!(show("SHOW pgrq.read_consistency"), "pgrq.read_consistency");
        assert_eq!(tr("SHOW x").tag, "SHOW");

        assert_eq!(tr("RESET ALL").kind, K::Reset { name: None });
        assert_eq!(
            tr("RESET Search_Path").kind,
            K::Reset {
                name: Some("search_path".into())
            }
        );
        assert_eq!(tr("RESET x").tag, "RESET");
    }

    #[test]
    fn discard_and_deallocate() {
        let t = tr("DISCARD ALL");
        assert_eq!((t.kind, t.tag.as_str()), (K::Discard, "DISCARD ALL"));
        assert_eq!(tr("DEALLOCATE ALL").tag, "DEALLOCATE ALL");
        assert_eq!(tr("DEALLOCATE Stmt_1").tag, "DEALLOCATE stmt_1");
        assert_eq!(tr("DEALLOCATE PREPARE \"S1\"").tag, "DEALLOCATE S1");
        assert_eq!(tr("DEALLOCATE x").sqlite, None);
    }

    #[test]
    fn sql_level_prepare_and_execute() {
        let t = &tr("PREPARE ins (int, text) AS INSERT INTO t VALUES ($1, $2)");
        assert_eq!(
            (t.kind.clone(), t.tag.as_str()),
            (
                K::PrepareSql {
                    name: "ins".into(),
                    types: vec!["INT".into(), "TEXT".into()],
                    body: "INSERT INTO t VALUES ($1, $2)".into(),
                },
                "PREPARE"
            )
        );
        let t = &tr("EXECUTE ins(1, 'a' || 'b')");
        assert_eq!(
            t.kind,
            K::ExecuteSql {
                name: "ins".into(),
                args: vec!["1".into(), "'a' || 'b'".into()],
            }
        );
    }
}
