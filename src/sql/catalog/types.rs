//! PostgreSQL types of a catalog query's result columns and parameters, from the SQL: what
//! SQLite cannot tell (expressions; a plain column's type comes from the catalog table's
//! declared type when the statement is prepared).

use std::collections::HashMap;
use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Query, Select,
    SelectItem, SetExpr, Statement, TableFactor, Value, Visit, Visitor,
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
    let scope = derived_scope(s);
    let mut out = Vec::with_capacity(s.projection.len());
    for item in &s.projection {
        match item {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                out.push(expr_type(e, &scope));
            }
            _ => return Vec::new(),
        }
    }
    out
}

/// Derived tables of a SELECT: alias → (column name, type), so that `d.col` has the type
/// of the expression the derived table computes.
type Scope = HashMap<String, Vec<(String, Option<PgType>)>>;

fn derived_scope(s: &Select) -> Scope {
    let mut scope = Scope::new();
    let factors = s
        .from
        .iter()
        .flat_map(|t| std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation)));
    for f in factors {
        let TableFactor::Derived {
            subquery,
            alias: Some(alias),
            ..
        } = f
        else {
            continue;
        };
        let mut body = subquery.body.as_ref();
        while let SetExpr::SetOperation { left, .. } = body {
            body = left.as_ref();
        }
        let SetExpr::Select(inner) = body else {
            continue;
        };
        let types = output_types(subquery);
        let names = inner.projection.iter().map(|item| match item {
            SelectItem::ExprWithAlias { alias, .. } => alias.value.to_lowercase(),
            SelectItem::UnnamedExpr(Expr::Identifier(i)) => i.value.to_lowercase(),
            SelectItem::UnnamedExpr(Expr::CompoundIdentifier(p)) => {
                p.last().map(|i| i.value.to_lowercase()).unwrap_or_default()
            }
            _ => String::new(),
        });
        let cols = names
            .zip(types.into_iter().chain(std::iter::repeat(None)))
            .collect();
        scope.insert(alias.name.value.to_lowercase(), cols);
    }
    scope
}

fn expr_type(e: &Expr, scope: &Scope) -> Option<PgType> {
    use BinaryOperator as B;
    let in_scope = |alias: Option<&str>, col: &str| {
        scope
            .iter()
            .filter(|(a, _)| alias.is_none_or(|x| x == a.as_str()))
            .flat_map(|(_, cols)| cols.iter())
            .find(|(c, _)| c == col)
            .map(|(_, t)| *t)
    };
    match e {
        Expr::Identifier(i) => {
            let c = i.value.to_lowercase();
            in_scope(None, &c).unwrap_or_else(|| defs::column_type(&c))
        }
        Expr::CompoundIdentifier(p) => {
            let c = p.last()?.value.to_lowercase();
            let alias = (p.len() == 2).then(|| p[0].value.to_lowercase());
            match alias.as_deref().and_then(|a| in_scope(Some(a), &c)) {
                Some(t) => t,
                None => defs::column_type(&c),
            }
        }
        Expr::Nested(inner) | Expr::Collate { expr: inner, .. } => expr_type(inner, scope),
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
            _ => expr_type(left, scope),
        },
        e if crate::sql::types::is_predicate_form(e) => Some(PgType::Bool),
        Expr::Cast { data_type, .. } => cast_type(&data_type.to_string()),
        Expr::Case {
            conditions,
            else_result,
            ..
        } => conditions
            .iter()
            .find_map(|c| expr_type(&c.result, scope))
            .or_else(|| else_result.as_deref().and_then(|e| expr_type(e, scope))),
        Expr::Subquery(q) => output_types(q).into_iter().next().flatten(),
        Expr::Array(a) => a
            .elem
            .first()
            .and_then(|e| expr_type(e, scope))
            .and_then(PgType::array_of)
            .or(Some(PgType::TextArray)),
        Expr::Function(f) => function_type(f, scope),
        _ => None,
    }
}

fn cast_type(target: &str) -> Option<PgType> {
    let t = target.to_lowercase().replace('"', "");
    let t = t.strip_prefix("pg_catalog.").unwrap_or(&t);
    if let Some(elem) = t.strip_suffix("[]") {
        return cast_type(elem)
            .and_then(PgType::array_of)
            .or(Some(PgType::TextArray));
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

fn function_type(f: &sqlparser::ast::Function, scope: &Scope) -> Option<PgType> {
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
        | "pg_collation_is_visible"
        | "pg_conversion_is_visible"
        | "pg_opclass_is_visible"
        | "pg_operator_is_visible"
        | "pg_opfamily_is_visible"
        | "pg_statistics_obj_is_visible"
        | "pg_ts_config_is_visible"
        | "pg_ts_dict_is_visible"
        | "pg_ts_parser_is_visible"
        | "pg_ts_template_is_visible"
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
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => return expr_type(e, scope),
                _ => return None,
            }
        }
        "array_agg" => {
            let FunctionArguments::List(l) = &f.args else {
                return None;
            };
            let elem = match l.args.first()? {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => expr_type(e, scope),
                _ => None,
            };
            elem.and_then(PgType::array_of).unwrap_or(PgType::TextArray)
        }
        // ARRAY(subquery)
        "array" => match &f.args {
            FunctionArguments::Subquery(q) => output_types(q)
                .into_iter()
                .next()
                .flatten()
                .and_then(PgType::array_of)
                .unwrap_or(PgType::TextArray),
            _ => PgType::TextArray,
        },
        "current_schemas" => PgType::NameArray,
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
                    self.note(left, expr_type(right, &Scope::new()));
                    self.note(right, expr_type(left, &Scope::new()));
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
                    let t = expr_type(expr, &Scope::new());
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
