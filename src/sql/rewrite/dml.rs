//! Write statements in shapes SQLite lacks: `DELETE … USING` becomes a
//! correlated `WHERE EXISTS (SELECT 1 FROM <using> WHERE …)`, and a
//! RETURNING list's `target.*` (which SQLite rejects) becomes `*`. Runs
//! before the walk, so the new subquery is rewritten like any other.

use sqlparser::ast::{
    Delete, Expr, ObjectName, SelectItem, SelectItemQualifiedWildcardKind, TableFactor,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use crate::sql::SqlError;

pub(super) fn prepare_delete(delete: &mut Delete) -> Result<(), SqlError> {
    let target = match &mut delete.from {
        sqlparser::ast::FromTable::WithFromKeyword(t)
        | sqlparser::ast::FromTable::WithoutKeyword(t) => t.first_mut().map(|t| {
            explicit_alias(&mut t.relation);
            t.relation.clone()
        }),
    };
    if let Some(using) = delete.using.take() {
        let from: Vec<String> = using.iter().map(ToString::to_string).collect();
        let filter = match delete.selection.take() {
            Some(cond) => format!(" WHERE {cond}"),
            None => String::new(),
        };
        let sql = format!("SELECT 1 FROM {}{filter}", from.join(", "));
        let subquery = Parser::new(&PostgreSqlDialect {})
            .try_with_sql(&sql)
            .and_then(|mut p| p.parse_query())
            .map_err(|e| SqlError::unsupported(format!("DELETE … USING of this shape ({e})")))?;
        delete.selection = Some(Expr::Exists {
            subquery,
            negated: false,
        });
    }
    if let (Some(returning), Some(target)) = (&mut delete.returning, target) {
        unqualify_target_wildcard(returning, &target);
    }
    Ok(())
}

/// The written table's alias with AS: SQLite accepts `UPDATE t AS a` and `DELETE FROM t
/// AS a` but not the bare `t a` PostgreSQL allows.
pub(super) fn explicit_alias(target: &mut TableFactor) {
    if let TableFactor::Table {
        alias: Some(alias), ..
    } = target
    {
        alias.explicit = true;
    }
}

/// `t.*` / `alias.*` of the written table → `*` in a RETURNING list.
pub(super) fn unqualify_target_wildcard(items: &mut [SelectItem], target: &TableFactor) {
    let TableFactor::Table { name, alias, .. } = target else {
        return;
    };
    let names: Vec<String> = [
        name.0
            .last()
            .and_then(|p| p.as_ident())
            .map(crate::sql::names::fold),
        alias.as_ref().map(|a| crate::sql::names::fold(&a.name)),
    ]
    .into_iter()
    .flatten()
    .collect();
    for item in items {
        if let SelectItem::QualifiedWildcard(SelectItemQualifiedWildcardKind::ObjectName(q), opts) =
            item
            && is_one_of(q, &names)
        {
            *item = SelectItem::Wildcard(opts.clone());
        }
    }
}

fn is_one_of(q: &ObjectName, names: &[String]) -> bool {
    q.0.last()
        .and_then(|p| p.as_ident())
        .is_some_and(|i| names.contains(&crate::sql::names::fold(i)))
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn delete_using_becomes_exists() {
        assert_eq!(
            sqlite("DELETE FROM t USING u WHERE u.id = t.id AND u.w = 'B' RETURNING t.*"),
            "DELETE FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.id = t.id AND u.w = 'B') RETURNING *"
        );
        assert_eq!(
            sqlite("DELETE FROM t USING u"),
            "DELETE FROM t WHERE EXISTS (SELECT 1 FROM u)"
        );
    }

    #[test]
    fn written_table_aliases_take_as() {
        assert_eq!(
            sqlite("UPDATE acct a SET n = 0 FROM d WHERE a.o = d.o"),
            "UPDATE acct AS a SET n = 0 FROM d WHERE a.o = d.o"
        );
        assert_eq!(
            sqlite("DELETE FROM acct a USING d WHERE a.o = d.o"),
            "DELETE FROM acct AS a WHERE EXISTS (SELECT 1 FROM d WHERE a.o = d.o)"
        );
    }

    #[test]
    fn update_returning_target_wildcard() {
        assert_eq!(
            sqlite("UPDATE t SET a = u.b FROM u WHERE u.id = t.id RETURNING t.*"),
            "UPDATE t SET a = u.b FROM u WHERE u.id = t.id RETURNING *"
        );
    }
}
