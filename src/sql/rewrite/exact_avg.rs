//! `avg(x)` output columns that pgrq finishes exactly (`infer::avg` picks them): the
//! column becomes `sum(<x · 10^s as an integer>) || '/' || count(x)`, with the window
//! of the `avg` (if any) on both, and the reply divides the exact sum by the count with
//! PostgreSQL's numeric division (`sql::decimal::avg_text`). A REAL holds a numeric of up
//! to 15 significant digits exactly, so `round(x · 10^s)` is the integer PostgreSQL
//! holds; SQLite's integer `sum` is exact (it fails on 64-bit overflow, not silently).

use sqlparser::ast::{
    BinaryOperator as B, CastKind, DataType, Expr, Function, FunctionArg, FunctionArgExpr,
    FunctionArguments, Ident, ObjectName, ObjectNamePart, SelectItem, SetExpr, Statement,
};

use super::build::bin;
use super::{call, number, string};
use crate::sql::infer::avg_arg;

/// Rewrite the `avg` output columns `avgs` marks (`Some(scale)`); entries whose column is
/// not (or no longer) a plain `avg(x)` are cleared, so the reply leaves them alone.
pub(crate) fn split(stmt: &mut Statement, avgs: &mut [Option<u32>]) {
    let Statement::Query(q) = stmt else {
        avgs.iter_mut().for_each(|a| *a = None);
        return;
    };
    let SetExpr::Select(select) = q.body.as_mut() else {
        avgs.iter_mut().for_each(|a| *a = None);
        return;
    };
    for (i, slot) in avgs.iter_mut().enumerate() {
        let Some(scale) = *slot else { continue };
        let e = match select.projection.get_mut(i) {
            Some(SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. }) => e,
            _ => {
                *slot = None;
                continue;
            }
        };
        let (Some(x), Expr::Function(f)) = (avg_arg(e).cloned(), &*e) else {
            *slot = None;
            continue;
        };
        let f = f.clone();
        let scaled = if scale == 0 {
            x.clone()
        } else {
            call(
                "round",
                vec![bin(x.clone(), B::Multiply, number(&format!("1e{scale}")))],
            )
        };
        let as_integer = Expr::Cast {
            kind: CastKind::Cast,
            expr: Box::new(scaled),
            data_type: DataType::Integer(None),
            format: None,
        };
        let sum = with_name_and_arg(&f, "sum", as_integer);
        let count = with_name_and_arg(&f, "count", x);
        *e = bin(
            bin(sum, B::StringConcat, string("/")),
            B::StringConcat,
            count,
        );
    }
}

/// `f` (its window kept) calling `name(arg)` instead.
fn with_name_and_arg(f: &Function, name: &str, arg: Expr) -> Expr {
    let mut g = f.clone();
    g.name = ObjectName(vec![ObjectNamePart::Identifier(Ident::new(name))]);
    if let FunctionArguments::List(list) = &mut g.args {
        list.args = vec![FunctionArg::Unnamed(FunctionArgExpr::Expr(arg))];
    }
    Expr::Function(g)
}
