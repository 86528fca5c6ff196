//! Scalar functions and operators over arrays, expanded with `unnest`
//! before the output types are inferred, on the JSON form of the array
//! (`unnest::json_form`): `array_length(a, 1)`, `cardinality(a)`,
//! `array_to_string(a, sep [, null])`, `array_position(a, x)`, subscripts
//! `a[i]` (1-based, NULL out of range) and `x = ANY(column)` /
//! `x <> ALL(column)` over an array column; `string_to_array`,
//! `array_append`, `array_prepend` and `array_cat` of constants fold to
//! their array text. What cannot be read stays 0A000 (by
//! `json_form`). Pure: rewrites the tree only.

use sqlparser::ast::{
    AccessExpr, BinaryOperator as B, Expr, FunctionArg, FunctionArgExpr, FunctionArguments,
    Subscript, Value,
};

use super::array_values::quote_element;
use super::build::literal_str;
use super::column_types::ColumnTypes;
use super::unnest::{json_form, sql_type};
use crate::sql::names::fold;
use crate::sql::{PgType, SqlError};

/// The name the select list gives an expression this module rewrites
/// (PostgreSQL's: the function, or the subscripted column).
pub(super) fn output_name(e: &Expr) -> Option<String> {
    match e {
        Expr::CompoundFieldAccess { root, .. } => crate::sql::names::output_name(root),
        _ => None,
    }
}

fn parse(sql: &str) -> Result<Expr, SqlError> {
    sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_expr())
        .map_err(|e| SqlError::unsupported(format!("array function of this shape ({e})")))
}

fn args(f: &sqlparser::ast::Function) -> Option<Vec<&Expr>> {
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    list.args
        .iter()
        .map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
            _ => None,
        })
        .collect()
}

fn wrong_args(name: &str, n: usize) -> SqlError {
    SqlError::UndefinedFunction {
        name: format!("{name} with {n} argument(s)"),
    }
}

/// Rewrite one node in place when it is an array function this module owns.
pub(super) fn rewrite_expr(e: &mut Expr, columns: &ColumnTypes) -> Result<(), SqlError> {
    let new = match e {
        Expr::Function(f) if f.over.is_none() => {
            let name = match f.name.0.as_slice() {
                [p] => p.as_ident().map(fold),
                _ => None,
            };
            let Some(name) = name else { return Ok(()) };
            let Some(a) = args(f) else { return Ok(()) };
            match name.as_str() {
                "array_length" => {
                    let [arr, dim] = a.as_slice() else {
                        return Err(wrong_args(&name, a.len()));
                    };
                    let j = json_form(arr, columns)?.expr;
                    let one = match dim {
                        Expr::Value(v) => matches!(&v.value, Value::Number(n, _) if n == "1"),
                        _ => false,
                    };
                    // PostgreSQL: an empty array has no dimension 1 (NULL).
                    if one {
                        parse(&format!("nullif(json_array_length({j}), 0)"))?
                    } else {
                        parse(&format!(
                            "CASE WHEN ({dim}) = 1 THEN nullif(json_array_length({j}), 0) END"
                        ))?
                    }
                }
                "cardinality" => {
                    let [arr] = a.as_slice() else {
                        return Err(wrong_args(&name, a.len()));
                    };
                    let j = json_form(arr, columns)?.expr;
                    parse(&format!("json_array_length({j})"))?
                }
                "array_to_string" => {
                    let (arr, sep, null) = match a.as_slice() {
                        [arr, sep] => (*arr, *sep, None),
                        [arr, sep, null] => (*arr, *sep, Some(*null)),
                        _ => return Err(wrong_args(&name, a.len())),
                    };
                    let form = json_form(arr, columns)?;
                    if form.elem == PgType::Bool {
                        return Err(SqlError::unsupported("array_to_string() of boolean[]"));
                    }
                    let j = form.expr;
                    let value = match null {
                        Some(n) => format!("coalesce(CAST(pgrq_srf_at.value AS text), {n})"),
                        None => "CAST(pgrq_srf_at.value AS text)".into(),
                    };
                    parse(&format!(
                        "CAST(CASE WHEN ({j}) IS NULL OR ({sep}) IS NULL THEN NULL ELSE coalesce((\
                         SELECT string_agg({value}, {sep} ORDER BY pgrq_srf_at.\"key\") \
                         FROM json_each({j}) AS pgrq_srf_at), '') END AS text)"
                    ))?
                }
                "array_position" => {
                    let [arr, x] = a.as_slice() else {
                        return Err(wrong_args(&name, a.len()));
                    };
                    let j = json_form(arr, columns)?.expr;
                    parse(&format!(
                        "(SELECT CAST(pgrq_srf_ap.\"key\" AS integer) + 1 FROM json_each({j}) AS pgrq_srf_ap \
                         WHERE pgrq_srf_ap.value IS NOT DISTINCT FROM ({x}) \
                         ORDER BY pgrq_srf_ap.\"key\" LIMIT 1)"
                    ))?
                }
                "string_to_array" => string_to_array(&a)?,
                "array_append" | "array_prepend" | "array_cat" => combine(&name, &a, columns)?,
                _ => return Ok(()),
            }
        }
        Expr::CompoundFieldAccess { root, access_chain } => {
            let [AccessExpr::Subscript(Subscript::Index { index })] = access_chain.as_slice()
            else {
                return Err(SqlError::unsupported(
                    "array slices and multidimensional subscripts",
                ));
            };
            let form = json_form(root, columns)?;
            let ty = sql_type(form.elem);
            let j = form.expr;
            let path = match index {
                Expr::Value(v) => match &v.value {
                    Value::Number(n, _) => match n.parse::<i64>() {
                        Ok(i) if i >= 1 => format!("'$[{}]'", i - 1),
                        Ok(_) => "NULL".into(),
                        Err(_) => return Err(SqlError::unsupported("non-integer array subscript")),
                    },
                    _ => {
                        format!("CASE WHEN ({index}) >= 1 THEN '$[' || (({index}) - 1) || ']' END")
                    }
                },
                _ => format!("CASE WHEN ({index}) >= 1 THEN '$[' || (({index}) - 1) || ']' END"),
            };
            parse(&format!("CAST(json_extract({j}, {path}) AS {ty})"))?
        }
        Expr::AnyOp {
            left,
            compare_op,
            right,
            ..
        } => match column_operand(right, columns)? {
            Some(j) if *compare_op == B::Eq => membership(left, &j, false)?,
            Some(_) => {
                return Err(SqlError::unsupported(format!(
                    "operator {compare_op} ANY over an array column (only = ANY and <> ALL)"
                )));
            }
            None => return Ok(()),
        },
        Expr::AllOp {
            left,
            compare_op,
            right,
        } => match column_operand(right, columns)? {
            Some(j) if *compare_op == B::NotEq => membership(left, &j, true)?,
            Some(_) => {
                return Err(SqlError::unsupported(format!(
                    "operator {compare_op} ALL over an array column (only = ANY and <> ALL)"
                )));
            }
            None => return Ok(()),
        },
        _ => return Ok(()),
    };
    *e = new;
    Ok(())
}

/// The JSON form of an ANY/ALL operand that is an array column.
fn column_operand(right: &Expr, columns: &ColumnTypes) -> Result<Option<String>, SqlError> {
    let plain = match right {
        Expr::Nested(inner) => inner.as_ref(),
        other => other,
    };
    if !matches!(plain, Expr::Identifier(_) | Expr::CompoundIdentifier(_))
        || columns.of(plain).and_then(PgType::element).is_none()
    {
        return Ok(None);
    }
    Ok(Some(json_form(plain, columns)?.expr.to_string()))
}

fn membership(left: &Expr, j: &str, negated: bool) -> Result<Expr, SqlError> {
    let test = if negated { "NOT IN" } else { "IN" };
    parse(&format!(
        "CASE WHEN ({j}) IS NULL THEN NULL ELSE ({left}) {test} \
         (SELECT pgrq_srf_in.value FROM json_each({j}) AS pgrq_srf_in) END"
    ))
}

/// The elements of a constant array (JSON values) and their type.
fn constant_elements(
    e: &Expr,
    columns: &ColumnTypes,
) -> Result<(Vec<serde_json::Value>, PgType), SqlError> {
    let form = json_form(e, columns)?;
    let not_constant =
        || SqlError::unsupported("array_append/array_prepend/array_cat of non-constant arrays");
    let text = literal_str(&form.expr).ok_or_else(not_constant)?;
    match serde_json::from_str(text) {
        Ok(serde_json::Value::Array(items)) => Ok((items, form.elem)),
        _ => Err(not_constant()),
    }
}

/// One constant element as a JSON value of the array's element type.
fn constant_element(e: &Expr) -> Result<serde_json::Value, SqlError> {
    let Expr::Value(v) = e else {
        return Err(SqlError::unsupported(
            "array_append/array_prepend of a non-constant element",
        ));
    };
    Ok(match &v.value {
        Value::Null => serde_json::Value::Null,
        Value::Number(n, _) => n.parse::<i64>().map(serde_json::Value::from).map_err(|_| {
            SqlError::unsupported("array_append/array_prepend of a non-integer number")
        })?,
        Value::SingleQuotedString(s) => serde_json::Value::from(s.as_str()),
        Value::Boolean(b) => serde_json::Value::from(i64::from(*b)),
        _ => {
            return Err(SqlError::unsupported(
                "array_append/array_prepend of this element",
            ));
        }
    })
}

/// `array_append`, `array_prepend`, `array_cat` of constants, folded to the
/// resulting array literal (cast to the element type's array).
fn combine(name: &str, a: &[&Expr], columns: &ColumnTypes) -> Result<Expr, SqlError> {
    let (items, elem) = match (name, a) {
        ("array_append", [arr, x]) => {
            let (mut items, elem) = constant_elements(arr, columns)?;
            items.push(constant_element(x)?);
            (items, elem)
        }
        ("array_prepend", [x, arr]) => {
            let (mut items, elem) = constant_elements(arr, columns)?;
            items.insert(0, constant_element(x)?);
            (items, elem)
        }
        ("array_cat", [l, r]) => {
            let (mut items, elem) = constant_elements(l, columns)?;
            let (more, other) = constant_elements(r, columns)?;
            if other != elem && !(is_int(other) && is_int(elem)) {
                return Err(SqlError::unsupported(
                    "array_cat of arrays of different types",
                ));
            }
            items.extend(more);
            (items, elem)
        }
        _ => return Err(wrong_args(name, a.len())),
    };
    let mut parts = Vec::new();
    for item in items {
        parts.push(match (&item, elem) {
            (serde_json::Value::Null, _) => "NULL".to_string(),
            (serde_json::Value::Number(n), PgType::Bool) => {
                if n.as_i64() == Some(0) {
                    "f".into()
                } else {
                    "t".into()
                }
            }
            (serde_json::Value::Number(n), _) if is_int(elem) => n.to_string(),
            (serde_json::Value::String(s), PgType::Text | PgType::Varchar) => quote_element(s),
            _ => {
                return Err(SqlError::unsupported(format!(
                    "{name}() of an element that is not of the array's type"
                )));
            }
        });
    }
    parse(&format!(
        "'{{{}}}'::{}[]",
        parts.join(",").replace('\'', "''"),
        sql_type(elem)
    ))
}

fn is_int(t: PgType) -> bool {
    matches!(t, PgType::Int2 | PgType::Int4 | PgType::Int8)
}

/// `string_to_array(s, sep [, null])` of constants, as PostgreSQL splits:
/// a NULL separator splits into characters, an empty one keeps the string
/// whole, an empty string is an empty array.
fn string_to_array(a: &[&Expr]) -> Result<Expr, SqlError> {
    let (s, sep, null) = match a {
        [s, sep] => (*s, *sep, None),
        [s, sep, null] => (*s, *sep, Some(*null)),
        _ => return Err(wrong_args("string_to_array", a.len())),
    };
    let constant = |e: &Expr| -> Result<Option<String>, SqlError> {
        if let Some(t) = literal_str(e) {
            return Ok(Some(t.to_string()));
        }
        match e {
            Expr::Value(v) if v.value == Value::Null => Ok(None),
            _ => Err(SqlError::unsupported(
                "string_to_array() of non-constant arguments",
            )),
        }
    };
    let Some(text) = constant(s)? else {
        return parse("CAST(NULL AS text[])");
    };
    let sep = constant(sep)?;
    let null = match null {
        Some(n) => constant(n)?,
        None => None,
    };
    let parts: Vec<String> = if text.is_empty() {
        vec![]
    } else {
        match sep.as_deref() {
            None => text.chars().map(String::from).collect(),
            Some("") => vec![text.clone()],
            Some(sep) => text.split(sep).map(String::from).collect(),
        }
    };
    let items: Vec<String> = parts
        .into_iter()
        .map(|p| match &null {
            Some(n) if *n == p => "NULL".to_string(),
            _ => quote_element(&p),
        })
        .collect();
    let literal = format!("{{{}}}", items.join(","));
    Ok(Expr::Cast {
        kind: sqlparser::ast::CastKind::DoubleColon,
        expr: Box::new(super::string(&literal)),
        data_type: sqlparser::ast::DataType::Array(
            sqlparser::ast::ArrayElemTypeDef::SquareBracket(
                Box::new(sqlparser::ast::DataType::Text),
                None,
            ),
        ),
        format: None,
    })
}

#[cfg(test)]
#[path = "array_functions_tests.rs"]
mod tests;
