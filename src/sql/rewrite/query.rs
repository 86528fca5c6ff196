//! Query-level clauses: ORDER BY null placement, LIMIT/OFFSET/FETCH,
//! row locks, set operations, and SELECT forms SQLite lacks.

use sqlparser::ast::{
    Distinct, GroupByExpr, LimitClause, OffsetRows, OrderByExpr, OrderBySort, Query, Select,
    SelectItem, SelectItemQualifiedWildcardKind, SetExpr, SetOperator, SetQuantifier,
};

use super::{Rewriter, distinct_on, number, relations};
use crate::sql::SqlError;

/// Before a query's children: bring its CTE names into scope and refuse
/// data-modifying CTEs.
pub(super) fn pre_query(rw: &mut Rewriter<'_>, q: &mut Query) -> Result<(), SqlError> {
    distinct_on::rewrite(q)?;
    let mut names = Vec::new();
    if let Some(with) = &q.with {
        for cte in &with.cte_tables {
            if matches!(
                *cte.query.body,
                SetExpr::Insert(_) | SetExpr::Update(_) | SetExpr::Delete(_) | SetExpr::Merge(_)
            ) {
                return Err(SqlError::unsupported("data-modifying statement in WITH"));
            }
            names.push(relations::fold(&cte.alias.name));
        }
    }
    rw.tables.enter_query(names);
    if q.for_clause.is_some() || q.settings.is_some() || q.format_clause.is_some() {
        return Err(SqlError::unsupported(
            "query clause outside PostgreSQL's grammar",
        ));
    }
    if !q.pipe_operators.is_empty() {
        return Err(SqlError::unsupported("pipe operators"));
    }
    Ok(())
}

/// After a query's children.
pub(super) fn post_query(rw: &mut Rewriter<'_>, q: &mut Query) -> Result<(), SqlError> {
    rw.tables.leave_query();
    // SQLite serializes all writes, so row locks (FOR UPDATE / FOR SHARE,
    // NOWAIT, SKIP LOCKED) add nothing there: they are dropped.
    q.locks.clear();
    fetch_to_limit(q)?;
    sqlite_limit_offset(q);
    flatten_set_operation(&mut q.body)
}

/// `FETCH FIRST n ROWS ONLY` → `LIMIT n`.
fn fetch_to_limit(q: &mut Query) -> Result<(), SqlError> {
    let Some(fetch) = q.fetch.take() else {
        return Ok(());
    };
    if fetch.with_ties || fetch.percent {
        return Err(SqlError::unsupported("FETCH … WITH TIES / PERCENT"));
    }
    let quantity = fetch.quantity.unwrap_or_else(|| number("1"));
    match &mut q.limit_clause {
        None => {
            q.limit_clause = Some(LimitClause::LimitOffset {
                limit: Some(quantity),
                offset: None,
                limit_by: vec![],
            });
            Ok(())
        }
        Some(LimitClause::LimitOffset {
            limit: limit @ None,
            ..
        }) => {
            *limit = Some(quantity);
            Ok(())
        }
        Some(_) => Err(SqlError::syntax("FETCH cannot be combined with LIMIT")),
    }
}

/// SQLite needs a LIMIT before OFFSET (`-1` means no limit) and rejects the
/// `ROWS` noise word.
fn sqlite_limit_offset(q: &mut Query) {
    if let Some(LimitClause::LimitOffset {
        limit,
        offset: Some(offset),
        ..
    }) = &mut q.limit_clause
    {
        offset.rows = OffsetRows::None;
        if limit.is_none() {
            *limit = Some(number("-1"));
        }
    }
}

/// SQLite rejects parenthesised members of UNION/INTERSECT/EXCEPT and the
/// explicit DISTINCT quantifier; INTERSECT ALL and EXCEPT ALL it lacks.
pub(crate) fn flatten_set_operation(body: &mut SetExpr) -> Result<(), SqlError> {
    let SetExpr::SetOperation {
        op,
        set_quantifier,
        left,
        right,
    } = body
    else {
        return Ok(());
    };
    match (op, &set_quantifier) {
        (SetOperator::Union, SetQuantifier::All | SetQuantifier::None) => {}
        (_, SetQuantifier::Distinct | SetQuantifier::None) => *set_quantifier = SetQuantifier::None,
        (op, q) => return Err(SqlError::unsupported(format!("{op} {q}"))),
    }
    for side in [left, right] {
        if let SetExpr::Query(inner) = side.as_mut() {
            let plain = inner.with.is_none()
                && inner.order_by.is_none()
                && inner.limit_clause.is_none()
                && inner.fetch.is_none();
            if !plain {
                return Err(SqlError::unsupported(
                    "ORDER BY or LIMIT inside a member of a set operation",
                ));
            }
            let body = std::mem::replace(inner.body.as_mut(), SetExpr::Values(empty_values()));
            **side = body;
        }
        // `a UNION b UNION c` nests set operations without a Query between.
        flatten_set_operation(side)?;
    }
    Ok(())
}

fn empty_values() -> sqlparser::ast::Values {
    sqlparser::ast::Values {
        explicit_row: false,
        value_keyword: false,
        rows: vec![],
    }
}

/// SELECT forms SQLite has no equivalent for; `public.t.*` → `t.*`.
pub(super) fn check_select(select: &mut Select) -> Result<(), SqlError> {
    for item in &mut select.projection {
        if let SelectItem::QualifiedWildcard(SelectItemQualifiedWildcardKind::ObjectName(name), _) =
            item
        {
            relations::strip_schema(name)?;
        }
    }
    if matches!(select.distinct, Some(Distinct::On(_))) {
        // Only reachable where a SELECT is not a query's body (a set
        // operation member): `distinct_on` rewrites the others.
        return Err(SqlError::unsupported(
            "SELECT DISTINCT ON in a set operation",
        ));
    }
    if select.into.is_some() {
        return Err(SqlError::unsupported("SELECT INTO (use CREATE TABLE … AS)"));
    }
    match &select.group_by {
        GroupByExpr::All(_) => return Err(SqlError::unsupported("GROUP BY ALL")),
        GroupByExpr::Expressions(_, modifiers) if !modifiers.is_empty() => {
            return Err(SqlError::unsupported("GROUP BY … WITH ROLLUP/CUBE"));
        }
        GroupByExpr::Expressions(..) => {}
    }
    Ok(())
}

/// PostgreSQL sorts NULLs last ascending and first descending; SQLite does
/// the opposite. Make PostgreSQL's default explicit where the SQL leaves it
/// out (SQLite ≥ 3.30 understands NULLS FIRST/LAST).
pub(super) fn default_nulls_order(o: &mut OrderByExpr) -> Result<(), SqlError> {
    if let Some(OrderBySort::Using(op)) = &o.options.sort {
        return Err(SqlError::unsupported(format!("ORDER BY … USING {op}")));
    }
    if o.options.nulls_first.is_none() {
        let descending = matches!(o.options.sort, Some(OrderBySort::Desc));
        o.options.nulls_first = Some(descending);
    }
    Ok(())
}

/// `WHERE 1` for an INSERT … SELECT with ON CONFLICT: SQLite's parser needs
/// a WHERE clause there to tell the upsert from a join constraint.
pub(super) fn ensure_where(select: &mut Select) {
    if select.selection.is_none() {
        select.selection = Some(number("1"));
    }
}

/// Used by `ensure_where` callers to reach the SELECT of an INSERT source.
pub(super) fn select_of(q: &mut Query) -> Option<&mut Select> {
    match q.body.as_mut() {
        SetExpr::Select(s) => Some(s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn order_by_gets_postgres_null_placement() {
        assert_eq!(
            sqlite("SELECT * FROM t ORDER BY a, b DESC, c ASC, d NULLS FIRST, e DESC NULLS LAST"),
            "SELECT * FROM t ORDER BY a NULLS LAST, b DESC NULLS FIRST, c ASC NULLS LAST, \
             d NULLS FIRST, e DESC NULLS LAST"
        );
    }

    #[test]
    fn window_and_aggregate_order_by_too() {
        assert_eq!(
            sqlite("SELECT rank() OVER (ORDER BY a DESC) FROM t"),
            "SELECT rank() OVER (ORDER BY a DESC NULLS FIRST) AS \"rank\" FROM t"
        );
        assert_eq!(
            sqlite("SELECT string_agg(a, ',' ORDER BY b) FROM t"),
            "SELECT string_agg(a, ',' ORDER BY b NULLS LAST) AS \"string_agg\" FROM t"
        );
        assert_eq!(
            sqlite("SELECT sum(a) OVER w FROM t WINDOW w AS (ORDER BY b)"),
            "SELECT sum(a) OVER w AS \"sum\" FROM t WINDOW w AS (ORDER BY b NULLS LAST)"
        );
    }

    #[test]
    fn row_locks_are_dropped() {
        assert_eq!(
            sqlite("SELECT * FROM t WHERE id = 1 FOR UPDATE"),
            "SELECT * FROM t WHERE id = 1"
        );
        assert_eq!(
            sqlite("SELECT * FROM t FOR SHARE SKIP LOCKED"),
            "SELECT * FROM t"
        );
    }

    #[test]
    fn offset_without_limit_and_fetch_first() {
        assert_eq!(
            sqlite("SELECT * FROM t OFFSET 5"),
            "SELECT * FROM t LIMIT -1 OFFSET 5"
        );
        assert_eq!(
            sqlite("SELECT * FROM t OFFSET 5 ROWS FETCH FIRST 3 ROWS ONLY"),
            "SELECT * FROM t LIMIT 3 OFFSET 5"
        );
        assert_eq!(
            sqlite("SELECT * FROM t FETCH FIRST ROW ONLY"),
            "SELECT * FROM t LIMIT 1"
        );
        assert_eq!(sqlite("SELECT * FROM t LIMIT ALL"), "SELECT * FROM t");
        assert_eq!(
            sqlite("SELECT * FROM t ORDER BY a LIMIT $1 OFFSET $2"),
            "SELECT * FROM t ORDER BY a NULLS LAST LIMIT ?1 OFFSET ?2"
        );
    }

    #[test]
    fn set_operations() {
        assert_eq!(
            sqlite("(SELECT a FROM t) UNION (SELECT a FROM u)"),
            "SELECT a FROM t UNION SELECT a FROM u"
        );
        assert_eq!(
            sqlite("SELECT a FROM t UNION ALL SELECT a FROM u ORDER BY 1"),
            "SELECT a FROM t UNION ALL SELECT a FROM u ORDER BY 1 NULLS LAST"
        );
        assert_eq!(
            sqlite("SELECT a FROM t EXCEPT DISTINCT SELECT a FROM u"),
            "SELECT a FROM t EXCEPT SELECT a FROM u"
        );
        assert_unsupported(
            "SELECT a FROM t INTERSECT ALL SELECT a FROM u",
            "INTERSECT ALL",
        );
    }

    #[test]
    fn select_forms_sqlite_lacks() {
        assert_unsupported("SELECT * INTO new_t FROM t", "SELECT INTO");
        assert_unsupported("SELECT a FROM t GROUP BY ROLLUP (a)", "ROLLUP");
        assert_unsupported(
            "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d",
            "data-modifying",
        );
    }

    #[test]
    fn ctes_and_recursive_ctes_pass() {
        assert_eq!(
            sqlite(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) \
                    SELECT i FROM n"
            ),
            "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) \
             SELECT i FROM n"
        );
    }
}
