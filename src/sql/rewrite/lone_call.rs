//! A statement that is one function call and nothing else (`SELECT nextval('s')`,
//! `SELECT pg_advisory_lock(1) AS l`): the shape the session runs itself instead of
//! sending it to the engine (sequences, advisory locks).

use sqlparser::ast::{Expr, Function, Query, SelectItem, SetExpr};

use super::relations;
use crate::sql::SqlError;

pub(super) struct LoneCall<'a> {
    pub f: &'a Function,
    /// The function's name, lower case, without schema.
    pub name: String,
    /// The select item's alias, folded.
    pub alias: Option<String>,
    plain: bool,
}

impl LoneCall<'_> {
    /// Refuses the call when the SELECT around it has FROM, WHERE, WITH, ORDER BY, LIMIT,
    /// OVER or FILTER: the session runs the call once, on its own.
    pub fn require_plain(&self) -> Result<(), SqlError> {
        if self.plain {
            return Ok(());
        }
        let func = &self.name;
        Err(SqlError::unsupported(format!(
            "{func}() outside a plain SELECT {func}(…)"
        )))
    }
}

/// The one function call `q` selects, if that is all it selects.
pub(super) fn lone_call(q: &Query) -> Option<LoneCall<'_>> {
    let SetExpr::Select(select) = q.body.as_ref() else {
        return None;
    };
    let [item] = select.projection.as_slice() else {
        return None;
    };
    let (expr, alias) = match item {
        SelectItem::UnnamedExpr(e) => (e, None),
        SelectItem::ExprWithAlias { expr, alias } => (expr, Some(relations::fold(alias))),
        _ => return None,
    };
    let Expr::Function(f) = expr else {
        return None;
    };
    let name = f
        .name
        .0
        .last()
        .and_then(|p| p.as_ident())
        .map(|i| i.value.to_ascii_lowercase())?;
    let plain = select.from.is_empty()
        && select.selection.is_none()
        && q.with.is_none()
        && q.order_by.is_none()
        && q.limit_clause.is_none()
        && f.over.is_none()
        && f.filter.is_none();
    Some(LoneCall {
        f,
        name,
        alias,
        plain,
    })
}
