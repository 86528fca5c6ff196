//! Where the columns of a set-returning function in FROM are visible, and what `*` means
//! over one. `unnest(a, b) WITH ORDINALITY koi(key, option, arridx)` becomes a
//! `json_each` whose own columns (`key`, `value`, …) are not PostgreSQL's: a bare
//! `option` is rewritten to read the `json_each` only inside the query whose FROM holds
//! it (and the queries nested there), and `SELECT *` / `koi.*` list PostgreSQL's column
//! names, so a derived table over it (Django's `(SELECT * FROM pg_index i, unnest(…) …)
//! idx`) exposes `idx.key` and `idx.option` to the outer query.

use std::collections::HashMap;
use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, Ident, ObjectName, Select, SelectItem, SelectItemQualifiedWildcardKind, SetExpr,
    Statement, TableFactor, VisitMut, VisitorMut,
};

/// Per `json_each` alias, PostgreSQL's column names in order with the `json_each`
/// column each reads (see `rewrite::compound`).
pub(super) type SrfOrder = HashMap<String, Vec<(String, &'static str)>>;

/// The relation names (aliases, else table names) in the FROM of every SELECT of `body`.
pub(super) fn from_names(body: &SetExpr) -> Vec<String> {
    let mut out = Vec::new();
    collect(body, &mut out);
    out
}

fn collect(body: &SetExpr, out: &mut Vec<String>) {
    match body {
        SetExpr::SetOperation { left, right, .. } => {
            collect(left, out);
            collect(right, out);
        }
        SetExpr::Select(s) => out.extend(factors(s).into_iter().flatten()),
        _ => {}
    }
}

/// The name each FROM factor of `s` is referred to by, in order (None: an unnamed one).
fn factors(s: &Select) -> Vec<Option<String>> {
    s.from
        .iter()
        .flat_map(|t| std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation)))
        .map(factor_name)
        .collect()
}

fn factor_name(f: &TableFactor) -> Option<String> {
    match f {
        TableFactor::Table { alias: Some(a), .. }
        | TableFactor::Derived { alias: Some(a), .. }
        | TableFactor::Function { alias: Some(a), .. } => Some(a.name.value.to_lowercase()),
        TableFactor::Table { name, .. } => name
            .0
            .last()
            .and_then(|p| p.as_ident())
            .map(|i| i.value.to_lowercase()),
        _ => None,
    }
}

/// [`expand_wildcards`] in every SELECT of `stmt`.
pub(super) fn expand(stmt: &mut Statement, srfs: &SrfOrder, read: fn(&str, &str) -> Expr) {
    struct V<'a>(&'a SrfOrder, fn(&str, &str) -> Expr);
    impl VisitorMut for V<'_> {
        type Break = ();
        fn pre_visit_select(&mut self, s: &mut Select) -> ControlFlow<()> {
            expand_wildcards(s, self.0, self.1);
            ControlFlow::Continue(())
        }
    }
    if !srfs.is_empty() {
        let _ = stmt.visit(&mut V(srfs, read));
    }
}

/// `*` and `alias.*` over a FROM that holds a set-returning function: the function's
/// PostgreSQL columns by name, every other relation as `name.*`. Left alone when a
/// relation has no name to qualify its star with.
fn expand_wildcards(s: &mut Select, srfs: &SrfOrder, read: fn(&str, &str) -> Expr) {
    let names = factors(s);
    if !names.iter().flatten().any(|n| srfs.contains_key(n)) {
        return;
    }
    let columns = |alias: &str| -> Vec<SelectItem> {
        srfs.get(alias)
            .map(|cols| {
                cols.iter()
                    .map(|(pg, json)| SelectItem::ExprWithAlias {
                        expr: read(alias, json),
                        alias: Ident::with_quote('"', pg),
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for item in std::mem::take(&mut s.projection) {
        match &item {
            SelectItem::Wildcard(_) if names.iter().all(Option::is_some) => {
                for n in names.iter().flatten() {
                    if srfs.contains_key(n) {
                        out.extend(columns(n));
                    } else {
                        out.push(SelectItem::QualifiedWildcard(
                            SelectItemQualifiedWildcardKind::ObjectName(ObjectName::from(vec![
                                Ident::with_quote('"', n),
                            ])),
                            Default::default(),
                        ));
                    }
                }
            }
            SelectItem::QualifiedWildcard(SelectItemQualifiedWildcardKind::ObjectName(o), _)
                if o.0.len() == 1
                    && o.0[0]
                        .as_ident()
                        .is_some_and(|i| srfs.contains_key(&i.value.to_lowercase())) =>
            {
                let alias = o.0[0]
                    .as_ident()
                    .map(|i| i.value.to_lowercase())
                    .unwrap_or_default();
                out.extend(columns(&alias));
            }
            _ => out.push(item),
        }
    }
    s.projection = out;
}
