//! Identity columns. GENERATED ALWAYS: PostgreSQL refuses an explicit value for such a
//! column in INSERT (428C9, unless OVERRIDING SYSTEM VALUE, see `pg_syntax`) and
//! any value but DEFAULT in UPDATE. The column carries the `pgrq_identity_always` marker
//! (see `columns`); INSERT and UPDATE naming it are refused here, before they run.
//!
//! Identity options: the key is SQLite's AUTOINCREMENT rowid, which counts by one from
//! its stored high-water mark, so `START WITH n` seeds that mark (`sqlite_sequence`) in
//! the CREATE TABLE's transaction; options it cannot honour (INCREMENT other than 1,
//! MINVALUE/MAXVALUE, CYCLE) are refused.

use sqlparser::ast::{
    ColumnOption, Expr, SequenceOptions, Statement, TableFactor, TableObject, Value,
};

use super::rebuild;
use super::relations;
use crate::sql::SqlError;
use crate::sql::markers::IDENTITY_ALWAYS;
use crate::sql::schema::Schema;

/// Refuse `stmt` if it gives a GENERATED ALWAYS identity column a value.
pub(super) fn check(stmt: &Statement, schema: &dyn Schema) -> Result<(), SqlError> {
    match stmt {
        Statement::Insert(insert) => {
            let TableObject::TableName(name) = &insert.table else {
                return Ok(());
            };
            let overriding = insert
                .table_alias
                .as_ref()
                .is_some_and(|a| a.alias.value == crate::sql::pg_syntax::OVERRIDING_SYSTEM_VALUE);
            let always = always_columns(schema, name)?;
            if always.is_empty() || overriding {
                return Ok(());
            }
            let listed: Vec<String> = insert
                .columns
                .iter()
                .filter_map(|c| c.0.last().and_then(|p| p.as_ident()).map(relations::fold))
                .collect();
            let implicit = insert.columns.is_empty() && insert.source.is_some();
            for col in &always {
                let given = listed.iter().any(|l| l.eq_ignore_ascii_case(col))
                    || (implicit && always_first(schema, name, col));
                if given
                    && !all_default(
                        insert,
                        listed.iter().position(|l| l.eq_ignore_ascii_case(col)),
                    )
                {
                    return Err(SqlError::GeneratedAlways {
                        column: col.clone(),
                        update: false,
                    });
                }
            }
            Ok(())
        }
        Statement::Update(update) => {
            let TableFactor::Table { name, .. } = &update.table.relation else {
                return Ok(());
            };
            let always = always_columns(schema, name)?;
            for a in &update.assignments {
                let target = a.target.to_string();
                let column = target
                    .rsplit('.')
                    .next()
                    .unwrap_or(&target)
                    .trim_matches('"');
                let is_default = matches!(&a.value, Expr::Identifier(i) if i.quote_style.is_none()
                    && i.value.eq_ignore_ascii_case("default"));
                if !is_default && always.iter().any(|c| c.eq_ignore_ascii_case(column)) {
                    return Err(SqlError::GeneratedAlways {
                        column: column.to_string(),
                        update: true,
                    });
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The `START WITH` of an identity column's options, after checking that the others are
/// ones the rowid honours.
pub(super) fn start_value(col: &sqlparser::ast::ColumnDef) -> Result<Option<i64>, SqlError> {
    let mut start = None;
    for o in &col.options {
        let ColumnOption::Generated {
            sequence_options: Some(opts),
            generation_expr: None,
            ..
        } = &o.option
        else {
            continue;
        };
        for opt in opts {
            match opt {
                SequenceOptions::StartWith(e, _) => start = Some(integer(e)?),
                SequenceOptions::IncrementBy(e, _) if integer(e)? == 1 => {}
                SequenceOptions::Cache(_)
                | SequenceOptions::Cycle(true)
                | SequenceOptions::MinValue(None)
                | SequenceOptions::MaxValue(None) => {}
                other => {
                    return Err(SqlError::unsupported(format!(
                        "identity option {} (pgrq's identity keys count up by one)",
                        other.to_string().trim()
                    )));
                }
            }
        }
    }
    Ok(start)
}

fn integer(e: &Expr) -> Result<i64, SqlError> {
    let (neg, inner) = match e {
        Expr::UnaryOp {
            op: sqlparser::ast::UnaryOperator::Minus,
            expr,
        } => (true, expr.as_ref()),
        other => (false, other),
    };
    match inner {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n
                .parse::<i64>()
                .map(|n| if neg { -n } else { n })
                .map_err(|_| SqlError::syntax(format!("bad identity option value {e}"))),
            _ => Err(SqlError::syntax(format!("bad identity option value {e}"))),
        },
        _ => Err(SqlError::syntax(format!("bad identity option value {e}"))),
    }
}

/// CREATE TABLE with an identity `START WITH n`: the ordinary translation, the option
/// removed, then the key's high-water mark set to n - 1.
pub(super) fn seeded_create(
    stmt: &mut Statement,
    ctx: &crate::sql::Context,
    schema: &dyn Schema,
) -> Result<Option<crate::sql::Translated>, SqlError> {
    let Statement::CreateTable(ct) = stmt else {
        return Ok(None);
    };
    let mut seed = None;
    for col in &mut ct.columns {
        if let Some(start) = start_value(col)? {
            seed = Some(start);
            for o in &mut col.options {
                if let ColumnOption::Generated {
                    sequence_options: Some(opts),
                    ..
                } = &mut o.option
                {
                    opts.retain(|x| !matches!(x, SequenceOptions::StartWith(..)));
                }
            }
        }
    }
    let Some(start) = seed.filter(|s| *s != 1) else {
        return Ok(None);
    };
    let table = table_key(&ct.name);
    let mut t = crate::sql::classify::translate_statement(stmt.clone(), ctx, schema)?;
    let Some(sql) = t.sqlite.as_mut() else {
        return Ok(Some(t));
    };
    if !sql.to_ascii_uppercase().contains("AUTOINCREMENT") {
        return Err(SqlError::unsupported(
            "identity START WITH on a key declared apart from its column",
        ));
    }
    let name = table.replace('\'', "''");
    sql.push_str(&format!(
        ";\nINSERT INTO sqlite_sequence (name, seq) SELECT '{name}', {} \
         WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = '{name}')",
        start - 1
    ));
    Ok(Some(t))
}

/// Whether every row of a VALUES source has DEFAULT at `position` (then no value is given).
fn all_default(insert: &sqlparser::ast::Insert, position: Option<usize>) -> bool {
    let (Some(pos), Some(source)) = (position, insert.source.as_deref()) else {
        return false;
    };
    let sqlparser::ast::SetExpr::Values(v) = source.body.as_ref() else {
        return false;
    };
    v.rows.iter().all(|r| {
        matches!(r.get(pos), Some(Expr::Identifier(i)) if i.quote_style.is_none()
            && i.value.eq_ignore_ascii_case("default"))
    })
}

/// With no column list the values fill columns in order: the identity column is given a
/// value when it is among them (pgrq checks only the usual case, a leading key column).
fn always_first(schema: &dyn Schema, table: &sqlparser::ast::ObjectName, col: &str) -> bool {
    let key = table_key(table);
    schema
        .columns(&key)
        .and_then(|cols| cols.first().map(|c| c.name.eq_ignore_ascii_case(col)))
        .unwrap_or(false)
}

fn table_key(name: &sqlparser::ast::ObjectName) -> String {
    name.0
        .last()
        .and_then(|p| p.as_ident())
        .map(relations::fold)
        .unwrap_or_default()
}

/// The GENERATED ALWAYS identity columns of `table`.
fn always_columns(
    schema: &dyn Schema,
    table: &sqlparser::ast::ObjectName,
) -> Result<Vec<String>, SqlError> {
    let key = table_key(table);
    let Some(sql) = schema
        .table_sql(&key)
        .filter(|sql| sql.contains(IDENTITY_ALWAYS))
    else {
        return Ok(Vec::new());
    };
    let ct = rebuild::parse_create_table(&sql)?;
    Ok(ct
        .columns
        .iter()
        .filter(|c| {
            c.options
                .iter()
                .any(|o| o.name.as_ref().is_some_and(|n| n.value == IDENTITY_ALWAYS))
        })
        .map(|c| c.name.value.clone())
        .collect())
}

#[cfg(test)]
mod tests {
    use crate::sql::SqlError;
    use crate::sql::test_support::*;

    #[test]
    fn identity_start_seeds_the_key_and_other_options_are_refused() {
        let sql = sqlite(
            "CREATE TABLE t (id int GENERATED BY DEFAULT AS IDENTITY (START WITH 50) PRIMARY KEY)",
        );
        assert_eq!(
            sql,
            "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT \
             CONSTRAINT \"pgrq_identity_default\" CHECK (1));\nINSERT INTO sqlite_sequence \
             (name, seq) SELECT 't', 49 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 't')"
        );
        assert_unsupported(
            "CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY (INCREMENT BY 5) PRIMARY KEY)",
            "identity option INCREMENT BY 5",
        );
    }

    #[test]
    fn explicit_values_for_always_identity_are_refused() {
        let m = mirror_from(&[
            "CREATE TABLE a (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, n int)",
            "CREATE TABLE b (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, n int)",
        ]);
        for sql in [
            "INSERT INTO a (id, n) VALUES (5, 1)",
            "INSERT INTO a VALUES (5, 1)",
            "UPDATE a SET id = 3",
        ] {
            match err_with(sql, &m) {
                SqlError::GeneratedAlways { column, .. } => assert_eq!(column, "id"),
                other => panic!("{sql}: {other:?}"),
            }
        }
        assert_eq!(
            sqlite_with("INSERT INTO a (n) VALUES (1)", &m),
            "INSERT INTO a (n) VALUES (1)"
        );
        assert_eq!(
            sqlite_with(
                "INSERT INTO a (id, n) OVERRIDING SYSTEM VALUE VALUES (5, 1)",
                &m
            ),
            "INSERT INTO a (id, n) VALUES (5, 1)"
        );
        assert_eq!(
            sqlite_with("INSERT INTO a (id, n) VALUES (DEFAULT, 1)", &m),
            "INSERT INTO a (n) VALUES (1)"
        );
        assert_eq!(
            sqlite_with("INSERT INTO b (id, n) VALUES (5, 1)", &m),
            "INSERT INTO b (id, n) VALUES (5, 1)"
        );
    }
}
