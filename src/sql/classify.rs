//! Deciding what each parsed statement is (from the AST), then handing the
//! ones SQLite should run to the rewriter.

use sqlparser::ast::{ObjectType, SchemaName, SetExpr, Statement};

use super::rewrite::rewrite_statement;
use super::schema::Schema;
use super::{Context, SqlError, StatementKind, Translated, infer, names, session};

/// How a statement that goes to SQLite is described to the caller.
struct Shape {
    kind: StatementKind,
    tag: String,
    returning: bool,
}

impl Shape {
    fn new(kind: StatementKind, tag: &str) -> Self {
        Shape {
            kind,
            tag: tag.to_string(),
            returning: false,
        }
    }

    fn write(tag: &str, returning: bool) -> Self {
        Shape {
            kind: StatementKind::Write,
            tag: tag.to_string(),
            returning,
        }
    }
}

/// Classify and translate one statement.
pub(crate) fn translate_statement(
    mut stmt: Statement,
    ctx: &Context,
    schema: &dyn Schema,
) -> Result<Translated, SqlError> {
    if let Some(local) = session::session_statement(&stmt)? {
        return Ok(local);
    }
    if is_public_schema_noop(&stmt)? {
        return Ok(Translated::local(StatementKind::Ddl, "CREATE SCHEMA"));
    }
    // Before the catalog: `SELECT nextval('s'::regclass)` is a sequence operation, not a
    // catalog read, although it casts to regclass.
    if let Some(planned) = super::rewrite::plan_ddl(&mut stmt, ctx, schema)? {
        return Ok(planned);
    }
    if let Some(t) = super::cluster_views::translate(&stmt)? {
        return Ok(t);
    }
    if let Some(t) = super::catalog::translate(&stmt, ctx, schema)? {
        return Ok(t);
    }
    super::rewrite::expand_unnest(&mut stmt, schema)?;
    super::rewrite::expand_set_returning(&mut stmt)?;
    let shape = shape(&stmt)?;
    // Names and types come from the PostgreSQL tree, before the rewrite
    // replaces e.g. `version()` with a literal.
    let column_types = infer::output_types(&stmt, schema);
    let column_scales = infer::output_scales(&stmt, schema);
    let mut column_avgs = infer::output_avgs(&stmt, schema);
    let inferred = infer::param_types(&stmt, schema);
    let output_items = infer::output_items(&stmt, schema);
    names::name_outputs(&mut stmt);
    infer::check_statement(&mut stmt, schema)?;
    let outcome = rewrite_statement(&mut stmt, ctx, schema)?;
    super::rewrite::split_avgs(&mut stmt, &mut column_avgs);
    super::rewrite::wrap_float_outputs(&mut stmt, &column_types, output_items.as_deref())?;
    // A cast the rewrite found wins over what the context says.
    let param_types = outcome
        .param_types
        .into_iter()
        .enumerate()
        .map(|(i, stated)| stated.or(inferred.get(i).copied().flatten()))
        .collect();
    let touches_storage = matches!(shape.kind, StatementKind::Write | StatementKind::Ddl);
    Ok(Translated {
        sqlite: Some(stmt.to_string()),
        param_count: outcome.param_count,
        param_types,
        array_params: outcome.json_array_params,
        returning: shape.returning,
        tag: shape.tag,
        needs_database: touches_storage || outcome.needs_database,
        kind: shape.kind,
        column_types,
        column_scales,
        column_avgs,
        uses_clock: outcome.uses_clock,
        sequence: None,
    })
}

fn shape(stmt: &Statement) -> Result<Shape, SqlError> {
    let shape = match stmt {
        Statement::Query(q) => match q.body.as_ref() {
            SetExpr::Insert(inner) | SetExpr::Update(inner) | SetExpr::Delete(inner) => {
                shape(inner)?
            }
            _ => Shape::new(StatementKind::Query, "SELECT"),
        },
        Statement::Insert(i) => Shape::write("INSERT", i.returning.is_some()),
        Statement::Update(u) => Shape::write("UPDATE", u.returning.is_some()),
        Statement::Delete(d) => Shape::write("DELETE", d.returning.is_some()),
        Statement::Truncate(_) => Shape::write("TRUNCATE TABLE", false),
        Statement::Explain { .. } => Shape::new(StatementKind::Query, "EXPLAIN"),
        // PostgreSQL tags CREATE TABLE … AS with SELECT.
        Statement::CreateTable(ct) if ct.query.is_some() => {
            Shape::new(StatementKind::Ddl, "SELECT")
        }
        Statement::CreateTable(_) => Shape::new(StatementKind::Ddl, "CREATE TABLE"),
        Statement::CreateIndex(_) => Shape::new(StatementKind::Ddl, "CREATE INDEX"),
        Statement::CreateView(_) => Shape::new(StatementKind::Ddl, "CREATE VIEW"),
        Statement::AlterTable(_) => Shape::new(StatementKind::Ddl, "ALTER TABLE"),
        Statement::Drop { object_type, .. } => {
            let tag = match object_type {
                ObjectType::Table => "DROP TABLE",
                ObjectType::View => "DROP VIEW",
                ObjectType::Index => "DROP INDEX",
                other => return Err(SqlError::unsupported(format!("DROP {other}"))),
            };
            Shape::new(StatementKind::Ddl, tag)
        }
        other => return Err(SqlError::unsupported(statement_name(other))),
    };
    Ok(shape)
}

/// `CREATE SCHEMA IF NOT EXISTS public` changes nothing; other schemas do
/// not exist in pgrq.
fn is_public_schema_noop(stmt: &Statement) -> Result<bool, SqlError> {
    let Statement::CreateSchema {
        schema_name,
        if_not_exists,
        ..
    } = stmt
    else {
        return Ok(false);
    };
    let is_public = match schema_name {
        SchemaName::Simple(name) => name.to_string().eq_ignore_ascii_case("public"),
        _ => false,
    };
    match (is_public, if_not_exists) {
        (true, true) => Ok(true),
        (true, false) => Err(SqlError::unsupported(
            "CREATE SCHEMA public (it always exists; add IF NOT EXISTS)",
        )),
        (false, _) => Err(SqlError::unsupported(format!(
            "CREATE SCHEMA {schema_name} (pgrq has only the public schema)"
        ))),
    }
}

/// A readable name for a statement pgrq does not run.
fn statement_name(stmt: &Statement) -> String {
    let name = match stmt {
        Statement::Copy { .. } => "COPY",
        Statement::LISTEN { .. } => "LISTEN",
        Statement::UNLISTEN { .. } => "UNLISTEN",
        Statement::NOTIFY { .. } => "NOTIFY",
        Statement::CreateFunction(_) => "CREATE FUNCTION",
        Statement::CreateProcedure { .. } => "CREATE PROCEDURE",
        Statement::CreateTrigger(_) => "CREATE TRIGGER",
        Statement::CreateSequence { .. } => "CREATE SEQUENCE",
        Statement::CreateType { .. } => "CREATE TYPE",
        Statement::CreateExtension(_) => "CREATE EXTENSION",
        Statement::CreateRole(_) => "CREATE ROLE",
        Statement::CreateDatabase { .. } => "CREATE DATABASE",
        Statement::CreateDomain(_) => "CREATE DOMAIN",
        Statement::CreatePolicy(_) => "CREATE POLICY",
        Statement::Lock(_) | Statement::LockTables { .. } => "LOCK TABLE",
        Statement::Grant(_) => "GRANT",
        Statement::Revoke(_) => "REVOKE",
        Statement::Prepare { .. } => "PREPARE (SQL-level prepared statements)",
        Statement::Execute { .. } => "EXECUTE (SQL-level prepared statements)",
        Statement::Comment { .. } => "COMMENT ON",
        Statement::Call(_) => "CALL",
        Statement::Merge(_) => "MERGE",
        Statement::Declare { .. } | Statement::Fetch { .. } | Statement::Close { .. } => {
            "cursors (DECLARE/FETCH/CLOSE)"
        }
        Statement::AlterSchema(_) => "ALTER SCHEMA",
        Statement::AlterIndex { .. } => "ALTER INDEX",
        Statement::AlterView { .. } => "ALTER VIEW",
        Statement::AlterRole { .. } => "ALTER ROLE",
        Statement::Analyze(_) => "ANALYZE",
        Statement::Vacuum(_) => "VACUUM",
        _ => return leading_keywords(stmt),
    };
    name.to_string()
}

/// The first keywords of the statement as printed, e.g. `CREATE SERVER`.
fn leading_keywords(stmt: &Statement) -> String {
    let text = stmt.to_string();
    let words: Vec<&str> = text
        .split_whitespace()
        .take_while(|w| w.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .take(3)
        .collect();
    if words.is_empty() {
        "this statement".to_string()
    } else {
        format!("{} statement", words.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::StatementKind;
    use crate::sql::test_support::*;

    #[test]
    fn queries_are_read_only() {
        for sql in [
            "SELECT * FROM t",
            "VALUES (1)",
            "WITH x AS (SELECT 1) SELECT * FROM x",
            "SELECT 1 UNION SELECT 2",
        ] {
            let t = tr(sql);
            assert_eq!(t.kind, StatementKind::Query, "{sql}");
            assert_eq!(t.tag, "SELECT", "{sql}");
            assert!(!t.returning);
        }
    }

    #[test]
    fn unsupported_statements_are_named() {
        assert_unsupported("LISTEN channel", "LISTEN");
        assert_unsupported("NOTIFY channel, 'x'", "NOTIFY");
        assert_unsupported("COPY t FROM STDIN", "COPY");
        assert_unsupported("LOCK TABLE t IN EXCLUSIVE MODE", "LOCK TABLE");
        assert_unsupported(
            "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql",
            "CREATE FUNCTION",
        );
        assert_unsupported("DO $$ BEGIN END $$", "DO statement");
        assert_unsupported(
            "CREATE SEQUENCE s OWNED BY t.a",
            "CREATE SEQUENCE … OWNED BY",
        );
        assert_unsupported("GRANT SELECT ON t TO bob", "GRANT");
        assert_unsupported("VACUUM FULL t", "VACUUM");
    }

    #[test]
    fn create_schema() {
        let t = tr("CREATE SCHEMA IF NOT EXISTS public");
        assert_eq!(
            (t.kind, t.sqlite, t.tag.as_str()),
            (StatementKind::Ddl, None, "CREATE SCHEMA")
        );
        assert_unsupported(
            "CREATE SCHEMA sales",
            "CREATE SCHEMA sales (pgrq has only the public schema)",
        );
    }
}
