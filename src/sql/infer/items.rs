//! The outermost output list of a statement item by item, with what each `*` stands for,
//! for rewrites of output expressions (`rewrite::float_output`).

use sqlparser::ast::{SelectItem, SelectItemQualifiedWildcardKind, SetExpr, Statement};

use super::expr::expr_type;
use super::scope::Scope;
use super::{with_ctes, with_returning};
use crate::sql::PgType;
use crate::sql::schema::Schema;

/// One item of an output list.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum OutputItem {
    /// An expression, with its type where known.
    Expr(Option<PgType>),
    /// `*` or `q.*`: the columns it stands for.
    Star(Vec<StarColumn>),
}

/// One column a `*` stands for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StarColumn {
    /// The FROM item it comes from (its alias, or the table's name).
    pub qualifier: String,
    pub name: String,
    pub ty: Option<PgType>,
}

/// The items of the SELECT list of a query whose body is one SELECT, or of a write's
/// RETURNING list; `None` for other statements, or when a `*` covers a FROM item whose
/// columns (or name) pgrq does not know.
pub(crate) fn output_items(stmt: &Statement, schema: &dyn Schema) -> Option<Vec<OutputItem>> {
    let root = Scope::root(schema);
    match stmt {
        Statement::Query(q) => {
            let scope = with_ctes(q, &root, |_, _| {});
            match q.body.as_ref() {
                SetExpr::Select(s) => {
                    let mut inner = scope.child();
                    for twj in &s.from {
                        inner.add_from(twj);
                    }
                    items(&s.projection, &inner)
                }
                SetExpr::Insert(w) | SetExpr::Update(w) | SetExpr::Delete(w) => {
                    with_returning(w, &scope, items)?
                }
                _ => None,
            }
        }
        _ => with_returning(stmt, &root, items)?,
    }
}

fn items(list: &[SelectItem], scope: &Scope) -> Option<Vec<OutputItem>> {
    let star = |cols: Vec<(String, super::OutCol)>| {
        OutputItem::Star(
            cols.into_iter()
                .map(|(qualifier, c)| StarColumn {
                    qualifier,
                    name: c.name,
                    ty: c.ty,
                })
                .collect(),
        )
    };
    list.iter()
        .map(|item| match item {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                Some(OutputItem::Expr(expr_type(e, scope)))
            }
            SelectItem::Wildcard(_) => scope.star_sources().map(star),
            SelectItem::QualifiedWildcard(SelectItemQualifiedWildcardKind::ObjectName(n), _) => {
                scope.qualified_star_sources(n).map(star)
            }
            _ => None,
        })
        .collect()
}
