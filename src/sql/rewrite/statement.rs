//! Statement-level changes made before the expression walk: EXPLAIN, the INSERT/UPDATE/DELETE forms SQLite lacks, and DDL shapes.

use sqlparser::ast::{
    ConflictTarget, DescribeAlias, Insert, OnInsert, SetExpr, Statement, TableObject,
};

use super::{ddl, dml, query};
use crate::sql::SqlError;

pub(super) fn prepare(stmt: &mut Statement) -> Result<(), SqlError> {
    match stmt {
        Statement::Explain {
            describe_alias,
            analyze,
            verbose,
            query_plan,
            estimate,
            statement,
            format,
            options,
        } => {
            if *analyze {
                return Err(SqlError::unsupported("EXPLAIN ANALYZE"));
            }
            if options.is_some() || format.is_some() || *estimate {
                return Err(SqlError::unsupported("EXPLAIN options"));
            }
            if !matches!(describe_alias, DescribeAlias::Explain) {
                return Err(SqlError::unsupported(format!("{describe_alias}")));
            }
            // SQLite's plain EXPLAIN prints bytecode; QUERY PLAN is the
            // counterpart of PostgreSQL's plan tree.
            *query_plan = true;
            *verbose = false;
            prepare(statement)
        }
        Statement::Insert(insert) => prepare_insert(insert),
        Statement::Delete(delete) => dml::prepare_delete(delete),
        Statement::Update(update) => {
            dml::explicit_alias(&mut update.table.relation);
            if let Some(returning) = &mut update.returning {
                dml::unqualify_target_wildcard(returning, &update.table.relation);
            }
            Ok(())
        }
        Statement::Query(q) => match q.body.as_mut() {
            SetExpr::Insert(inner) | SetExpr::Update(inner) | SetExpr::Delete(inner) => {
                prepare(inner)
            }
            _ => Ok(()),
        },
        _ => ddl::prepare(stmt),
    }
}

fn prepare_insert(insert: &mut Insert) -> Result<(), SqlError> {
    if let TableObject::TableFunction(_) = insert.table {
        return Err(SqlError::unsupported("INSERT INTO a table function"));
    }
    // The identity check has read it (see `pg_syntax`).
    if insert
        .table_alias
        .as_ref()
        .is_some_and(|a| a.alias.value == crate::sql::pg_syntax::OVERRIDING_SYSTEM_VALUE)
    {
        insert.table_alias = None;
    }
    let Some(OnInsert::OnConflict(on_conflict)) = &insert.on else {
        return Ok(());
    };
    if let Some(ConflictTarget::OnConstraint(name)) = &on_conflict.conflict_target {
        return Err(SqlError::unsupported(format!(
            "ON CONFLICT ON CONSTRAINT {name} (name the conflict columns instead)"
        )));
    }
    // SQLite parses `INSERT … SELECT … ON CONFLICT` only when the SELECT
    // has a WHERE clause.
    if let Some(select) = insert.source.as_deref_mut().and_then(query::select_of) {
        query::ensure_where(select);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::sql::StatementKind;
    use crate::sql::test_support::*;

    #[test]
    fn insert_with_returning() {
        let t = tr("INSERT INTO t (a, b) VALUES ($1, $2) RETURNING id");
        assert_eq!(t.kind, StatementKind::Write);
        assert_eq!(t.tag, "INSERT");
        assert!(t.returning);
        assert!(t.needs_database);
        assert_eq!(
            t.sqlite.as_deref(),
            Some("INSERT INTO t (a, b) VALUES (?1, ?2) RETURNING id")
        );
    }

    #[test]
    fn upsert_passes_and_select_source_gets_where() {
        assert_eq!(
            sqlite(
                "INSERT INTO t (k, v) VALUES ('a', 1) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v"
            ),
            "INSERT INTO t (k, v) VALUES ('a', 1) ON CONFLICT(k) DO UPDATE SET v = EXCLUDED.v"
        );
        assert_eq!(
            sqlite("INSERT INTO t (k) SELECT k FROM u ON CONFLICT DO NOTHING"),
            "INSERT INTO t (k) SELECT k FROM u WHERE 1 ON CONFLICT DO NOTHING"
        );
    }

    #[test]
    fn on_conflict_on_constraint_names_its_columns() {
        let m = mirror_from(&[
            "CREATE TABLE t (k int PRIMARY KEY, a int, b int, CONSTRAINT ab UNIQUE (a, b))",
        ]);
        assert_eq!(
            sqlite_with(
                "INSERT INTO t (k) VALUES (1) ON CONFLICT ON CONSTRAINT t_pkey DO NOTHING",
                &m
            ),
            "INSERT INTO t (k) VALUES (1) ON CONFLICT(\"k\") DO NOTHING"
        );
        assert_eq!(
            sqlite_with(
                "INSERT INTO t (k) VALUES (1) ON CONFLICT ON CONSTRAINT ab DO NOTHING",
                &m
            ),
            "INSERT INTO t (k) VALUES (1) ON CONFLICT(\"a\", \"b\") DO NOTHING"
        );
        assert!(matches!(
            err_with(
                "INSERT INTO t (k) VALUES (1) ON CONFLICT ON CONSTRAINT nope DO NOTHING",
                &m
            ),
            crate::sql::SqlError::UndefinedObject { .. }
        ));
    }

    #[test]
    fn update_and_delete() {
        let t = tr("UPDATE t SET a = u.a FROM u WHERE t.id = u.id");
        assert_eq!(
            (t.kind.clone(), t.tag.as_str(), t.returning),
            (StatementKind::Write, "UPDATE", false)
        );
        let t = tr("DELETE FROM t WHERE a = $1 RETURNING *");
        assert_eq!((t.tag.as_str(), t.returning), ("DELETE", true));
        assert_eq!(
            t.sqlite.as_deref(),
            Some("DELETE FROM t WHERE a = ?1 RETURNING *")
        );
    }

    #[test]
    fn truncate_becomes_delete() {
        // Planned with the schema's foreign keys (see truncate.rs).
        let t = tr("TRUNCATE TABLE public.t");
        assert_eq!(
            t.sqlite.as_deref(),
            Some("DELETE FROM \"t\";\nPRAGMA defer_foreign_keys = 1")
        );
        assert_eq!(
            (t.kind, t.tag.as_str()),
            (StatementKind::Ddl, "TRUNCATE TABLE")
        );
    }

    #[test]
    fn explain_becomes_query_plan() {
        let t = tr("EXPLAIN SELECT * FROM t WHERE a = $1");
        assert_eq!(
            t.sqlite.as_deref(),
            Some("EXPLAIN QUERY PLAN SELECT * FROM t WHERE a = ?1")
        );
        assert_eq!((t.kind, t.tag.as_str()), (StatementKind::Query, "EXPLAIN"));
        assert_eq!(t.param_count, 1);
        assert!(t.needs_database);
        assert!(!tr("EXPLAIN SELECT 1").needs_database);
        assert!(tr("EXPLAIN INSERT INTO t VALUES (1)").needs_database);
        assert_unsupported("EXPLAIN ANALYZE SELECT 1", "EXPLAIN ANALYZE");
        assert_unsupported("EXPLAIN (FORMAT JSON) SELECT 1", "EXPLAIN options");
    }

    #[test]
    fn writes_under_with() {
        let t = tr("WITH s AS (SELECT 1 AS a) INSERT INTO t (a) SELECT a FROM s");
        assert_eq!((t.kind, t.tag.as_str()), (StatementKind::Write, "INSERT"));
    }
}
