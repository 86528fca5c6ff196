//! PostgreSQL types of a catalog query's result columns and parameters, from the SQL: what
//! SQLite cannot tell (expressions; a plain column's type comes from the catalog table's
//! declared type when the statement is prepared).

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Query, SelectItem,
    SetExpr, Statement, UnaryOperator, Value, Visit, Visitor,
};

use super::defs;
use crate::sql::PgType;

/// One entry per result column (`None`: use the declared type, else text), or empty when
/// the SELECT list has a wildcard.
pub(super) fn output_types(q: &Query) -> Vec<Option<PgType>> {
    let mut body = q.body.as_ref();
    while let SetExpr::SetOperation { left, .. } = body {
        body = left.as_ref();
    }
    let SetExpr::Select(s) = body else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(s.projection.len());
    for item in &s.projection {
        match item {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                out.push(expr_type(e));
            }
            _ => return Vec::new(),
        }
    }
    out
}

fn expr_type(e: &Expr) -> Option<PgType> {
    use BinaryOperator as B;
    match e {
        Expr::Identifier(i) => defs::column_type(&i.value.to_lowercase()),
        Expr::CompoundIdentifier(p) => p
            .last()
            .and_then(|i| defs::column_type(&i.value.to_lowercase())),
        Expr::Nested(inner) | Expr::Collate { expr: inner, .. } => expr_type(inner),
        Expr::Value(v) => match &v.value {
            Value::Boolean(_) => Some(PgType::Bool),
            Value::Number(n, _) if n.contains(['.', 'e', 'E']) => Some(PgType::Numeric),
            Value::Number(n, _) if n.parse::<i32>().is_ok() => Some(PgType::Int4),
            Value::Number(..) => Some(PgType::Int8),
            Value::SingleQuotedString(_) | Value::EscapedStringLiteral(_) => Some(PgType::Text),
            _ => None,
        },
        Expr::BinaryOp { op, left, .. } => match op {
            B::Eq
            | B::NotEq
            | B::Lt
            | B::LtEq
            | B::Gt
            | B::GtEq
            | B::And
            | B::Or
            | B::PGRegexMatch
            | B::PGRegexIMatch
            | B::PGRegexNotMatch
            | B::PGRegexNotIMatch
            | B::PGCustomBinaryOperator(_) => Some(PgType::Bool),
            B::StringConcat => Some(PgType::Text),
            _ => expr_type(left),
        },
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            ..
        }
        | Expr::IsNull(_)
        | Expr::IsNotNull(_)
        | Expr::IsTrue(_)
        | Expr::IsFalse(_)
        | Expr::IsNotTrue(_)
        | Expr::IsNotFalse(_)
        | Expr::IsDistinctFrom(..)
        | Expr::IsNotDistinctFrom(..)
        | Expr::InList { .. }
        | Expr::InSubquery { .. }
        | Expr::Between { .. }
        | Expr::Like { .. }
        | Expr::ILike { .. }
        | Expr::Exists { .. }
        | Expr::AnyOp { .. }
        | Expr::AllOp { .. } => Some(PgType::Bool),
        Expr::Cast { data_type, .. } => cast_type(&data_type.to_string()),
        Expr::Case {
            conditions,
            else_result,
            ..
        } => conditions
            .iter()
            .find_map(|c| expr_type(&c.result))
            .or_else(|| else_result.as_deref().and_then(expr_type)),
        Expr::Subquery(q) => output_types(q).into_iter().next().flatten(),
        Expr::Function(f) => function_type(f),
        _ => None,
    }
}

fn cast_type(target: &str) -> Option<PgType> {
    let t = target.to_lowercase().replace('"', "");
    let t = t.strip_prefix("pg_catalog.").unwrap_or(&t);
    if t.ends_with("[]") {
        return Some(PgType::Text);
    }
    Some(match t.split('(').next().unwrap_or("").trim() {
        "oid" => PgType::Oid,
        "regclass" | "regtype" | "regnamespace" | "regproc" | "regprocedure" | "regrole"
        | "text" => PgType::Text,
        "name" => PgType::Name,
        "char" => PgType::Char,
        "int2" | "smallint" => PgType::Int2,
        "int4" | "int" | "integer" => PgType::Int4,
        "int8" | "bigint" => PgType::Int8,
        "bool" | "boolean" => PgType::Bool,
        "varchar" | "character varying" => PgType::Varchar,
        "float4" | "real" => PgType::Float4,
        "float8" | "double precision" => PgType::Float8,
        "numeric" | "decimal" => PgType::Numeric,
        _ => return None,
    })
}

fn function_type(f: &sqlparser::ast::Function) -> Option<PgType> {
    let name = f
        .name
        .0
        .last()
        .and_then(|p| p.as_ident())
        .map(|i| i.value.to_lowercase())
        .unwrap_or_default();
    Some(match name.as_str() {
        "pg_get_userbyid"
        | "pg_encoding_to_char"
        | "current_database"
        | "current_schema"
        | "current_user"
        | "session_user" => PgType::Name,
        "pg_table_is_visible"
        | "pg_type_is_visible"
        | "pg_function_is_visible"
        | "pg_relation_is_publishable"
        | "has_table_privilege"
        | "has_schema_privilege"
        | "has_database_privilege"
        | "has_column_privilege"
        | "has_sequence_privilege"
        | "has_function_privilege"
        | "bool_and"
        | "bool_or" => PgType::Bool,
        "count" | "pg_table_size" | "pg_relation_size" | "pg_total_relation_size" => PgType::Int8,
        "to_regclass" | "to_regtype" | "to_regnamespace" => PgType::Oid,
        "min" | "max" | "coalesce" | "nullif" => {
            let FunctionArguments::List(l) = &f.args else {
                return None;
            };
            match l.args.first()? {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => return expr_type(e),
                _ => return None,
            }
        }
        "array_upper" | "array_lower" | "array_length" | "array_position" => PgType::Int4,
        _ => PgType::Text,
    })
}

/// One entry per `$n`: the type of the catalog column it is compared with, or of the cast
/// it stands in; `None` where nothing says.
pub(super) fn param_types(stmt: &Statement) -> Vec<Option<PgType>> {
    struct V {
        types: Vec<Option<PgType>>,
    }
    impl V {
        fn note(&mut self, e: &Expr, t: Option<PgType>) {
            let Some(n) = placeholder(e) else {
                return;
            };
            if self.types.len() < n {
                self.types.resize(n, None);
            }
            if self.types[n - 1].is_none() {
                self.types[n - 1] = t;
            }
        }
    }
    impl Visitor for V {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            match e {
                Expr::BinaryOp { left, right, .. } => {
                    self.note(left, expr_type(right));
                    self.note(right, expr_type(left));
                }
                Expr::Cast {
                    expr, data_type, ..
                } => {
                    let t = data_type.to_string().to_lowercase();
                    let oid_like = ["regclass", "regtype", "regnamespace", "regrole"]
                        .iter()
                        .any(|r| t.ends_with(r));
                    let ty = if oid_like {
                        // A parameter cast to regclass is a name or an OID: text carries both.
                        Some(PgType::Text)
                    } else {
                        cast_type(&t)
                    };
                    self.note(expr, ty);
                }
                Expr::InList { expr, list, .. } => {
                    let t = expr_type(expr);
                    for item in list {
                        self.note(item, t);
                    }
                }
                Expr::AnyOp { left, .. } => self.note(left, None),
                Expr::Value(_) => self.note(e, None),
                _ => {}
            }
            ControlFlow::Continue(())
        }
    }
    let mut v = V { types: Vec::new() };
    let _ = stmt.visit(&mut v);
    v.types
}

fn placeholder(e: &Expr) -> Option<usize> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::Placeholder(p) => p.strip_prefix('$')?.parse().ok().filter(|n| *n > 0),
            _ => None,
        },
        _ => None,
    }
}
