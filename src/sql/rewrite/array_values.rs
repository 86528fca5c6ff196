//! Array values as PostgreSQL prints them: an `ARRAY[…]` constructor
//! (nested ones too) becomes a SQLite text expression building PostgreSQL's
//! array text (`{1,2}`, `{a,"b c",NULL,""}`, `{{1,2},{3,4}}`), and an array
//! literal cast (`'{…}'::int[]`) becomes its canonical text, checked against
//! the element type. Arrays are stored and passed around as that text; what
//! reads them (unnest, subscripts, ANY) lives elsewhere.

use sqlparser::ast::{BinaryOperator, DataType, Expr, Value};

use super::arrays::{ARRAY_AGG_ELEMENT, parse_literal};
use super::build::literal_str;
use super::column_types::ColumnTypes;
use super::{string, template};
use crate::sql::{PgType, SqlError};

/// Before the elements are rewritten: boolean literals inside a
/// constructor print as PostgreSQL's `t` / `f` (the literal rewrite would
/// make them 1 / 0). An array value handed to a function or to an operator
/// other than `=` / `<>` is refused: as text it would give a different
/// answer (`ARRAY[1] || ARRAY[2]`, `json_build_object('k', ARRAY[1])`).
pub(super) fn pre_expr(e: &mut Expr, columns: &ColumnTypes) -> Result<(), SqlError> {
    let is_array_value = |x: &Expr| is_array_value(x, columns);
    match e {
        Expr::Function(f) if !is_text_safe(&f.name) => {
            if let sqlparser::ast::FunctionArguments::List(list) = &f.args {
                let array_arg = list.args.iter().any(|a| match a {
                    sqlparser::ast::FunctionArg::Unnamed(
                        sqlparser::ast::FunctionArgExpr::Expr(x),
                    ) => is_array_value(x),
                    _ => false,
                });
                if array_arg {
                    return Err(SqlError::unsupported(format!(
                        "array value as an argument of {}()",
                        f.name
                    )));
                }
            }
        }
        // (JSON path and key operators take a text[] operand: `json` handles those.)
        Expr::BinaryOp { left, op, right }
            if matches!(
                op,
                BinaryOperator::StringConcat
                    | BinaryOperator::Lt
                    | BinaryOperator::LtEq
                    | BinaryOperator::Gt
                    | BinaryOperator::GtEq
                    | BinaryOperator::AtArrow
                    | BinaryOperator::ArrowAt
                    | BinaryOperator::PGOverlap
            ) && (is_array_value(left) || is_array_value(right)) =>
        {
            return Err(SqlError::unsupported(format!("operator {op} on arrays")));
        }
        _ => {}
    }
    if let Expr::Array(arr) = e {
        for el in &mut arr.elem {
            if let Expr::Value(v) = el
                && let Value::Boolean(b) = v.value
            {
                *el = string(if b { "t" } else { "f" });
            }
        }
    }
    Ok(())
}

/// An `ARRAY[…]` constructor, a cast to an array type or an array column.
fn is_array_value(e: &Expr, columns: &ColumnTypes) -> bool {
    match e {
        Expr::Nested(inner) => is_array_value(inner, columns),
        Expr::Array(arr) => arr.named,
        Expr::Cast { data_type, .. } => matches!(data_type, DataType::Array(_)),
        other => columns.of(other).is_some_and(|t| t.element().is_some()),
    }
}

/// Functions whose answer over an array's text is PostgreSQL's answer.
fn is_text_safe(name: &sqlparser::ast::ObjectName) -> bool {
    let name = name.to_string().to_ascii_lowercase();
    matches!(name.as_str(), "count" | "coalesce" | "nullif")
        || [
            super::unnest::JSON_INT,
            super::unnest::JSON_TEXT,
            super::unnest::UNNEST_VALUE,
        ]
        .contains(&name.as_str())
}

/// After the elements are rewritten: a top-level `ARRAY[…]` becomes its
/// text. A bare `[…]` is a sub-array, which its parent constructor prints.
pub(super) fn constructor(e: &mut Expr, columns: &ColumnTypes) -> Result<(), SqlError> {
    let Expr::Array(arr) = e else {
        return Ok(());
    };
    if !arr.named {
        return Ok(());
    }
    let mut parts = Vec::new();
    push_array(&arr.elem, columns, &mut parts)?;
    *e = concat(parts);
    Ok(())
}

/// One piece of the array text: fixed text, or an element to print.
enum Part {
    Text(String),
    Element(Box<Expr>),
}

fn push_array(
    elements: &[Expr],
    columns: &ColumnTypes,
    parts: &mut Vec<Part>,
) -> Result<(), SqlError> {
    let nested = elements.iter().any(|e| matches!(e, Expr::Array(_)));
    if nested && !elements.iter().all(|e| matches!(e, Expr::Array(_))) {
        return Err(SqlError::syntax(
            "multidimensional arrays must have array expressions with matching dimensions",
        ));
    }
    parts.push(Part::Text("{".into()));
    for (i, el) in elements.iter().enumerate() {
        if i > 0 {
            parts.push(Part::Text(",".into()));
        }
        match el {
            Expr::Array(inner) => push_array(&inner.elem, columns, parts)?,
            Expr::Value(v) => match &v.value {
                Value::Null => parts.push(Part::Text("NULL".into())),
                Value::Number(n, _) => parts.push(Part::Text(number_text(n))),
                Value::SingleQuotedString(s) => parts.push(Part::Text(quote_element(s))),
                _ => return Err(element_refused(el)),
            },
            // SQLite's text of an integer or text column is PostgreSQL's; other values
            // (booleans stored as 1/0, floats, numerics, expressions) would print
            // differently inside the array.
            other
                if matches!(
                    columns.of(other),
                    Some(
                        PgType::Int2 | PgType::Int4 | PgType::Int8 | PgType::Text | PgType::Varchar
                    )
                ) =>
            {
                parts.push(Part::Element(Box::new(other.clone())))
            }
            other => return Err(element_refused(other)),
        }
    }
    parts.push(Part::Text("}".into()));
    Ok(())
}

fn element_refused(e: &Expr) -> SqlError {
    let text: String = e.to_string().chars().take(40).collect();
    SqlError::unsupported(format!(
        "ARRAY[…] element `{text}` (only constants and integer or text columns)"
    ))
}

/// The pieces joined with SQLite's `||` (fixed text merged).
fn concat(parts: Vec<Part>) -> Expr {
    let mut exprs: Vec<Expr> = Vec::new();
    let mut text = String::new();
    for p in parts {
        match p {
            Part::Text(t) => text.push_str(&t),
            Part::Element(e) => {
                if !text.is_empty() {
                    exprs.push(string(&std::mem::take(&mut text)));
                }
                let printed = template::fill(ARRAY_AGG_ELEMENT, std::slice::from_ref(e.as_ref()))
                    .unwrap_or_else(|_| string("NULL"));
                exprs.push(printed);
            }
        }
    }
    if !text.is_empty() || exprs.is_empty() {
        exprs.push(string(&text));
    }
    let joined = exprs
        .into_iter()
        .reduce(|a, b| Expr::BinaryOp {
            left: Box::new(a),
            op: BinaryOperator::StringConcat,
            right: Box::new(b),
        })
        .unwrap_or_else(|| string("{}"));
    Expr::Nested(Box::new(joined))
}

/// A numeric literal as PostgreSQL prints it inside an array (leading zeros
/// dropped, digits after the point kept).
fn number_text(n: &str) -> String {
    if let Ok(i) = n.parse::<i64>() {
        return i.to_string();
    }
    match n.split_once('.') {
        Some((int, frac)) if int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) => {
            let int = int.trim_start_matches('0');
            let int = if int.is_empty() { "0" } else { int };
            if frac.is_empty() {
                int.to_string()
            } else {
                format!("{int}.{frac}")
            }
        }
        _ => n.to_string(),
    }
}

/// One element as PostgreSQL's array output writes it: double-quoted (with
/// `"` and `\` escaped) when empty, `NULL`-like, or holding a delimiter,
/// brace, quote, backslash or white space.
pub(crate) fn quote_element(s: &str) -> String {
    let needs = s.is_empty()
        || s.eq_ignore_ascii_case("null")
        || s.chars().any(|c| {
            matches!(c, '{' | '}' | ',' | '"' | '\\' | ' ' | '\t' | '\n' | '\r')
                || c == '\u{b}'
                || c == '\u{c}'
        });
    if !needs {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The array type a cast names (`int[]`, `text[]`, …), if pgrq models it.
pub(crate) fn array_type(dt: &DataType) -> Option<PgType> {
    match dt {
        DataType::Array(def) => element_type(def).and_then(PgType::array_of),
        _ => None,
    }
}

pub(super) fn element_type(def: &sqlparser::ast::ArrayElemTypeDef) -> Option<PgType> {
    use sqlparser::ast::ArrayElemTypeDef as D;
    match def {
        D::AngleBracket(t) | D::SquareBracket(t, _) | D::Parenthesis(t) | D::Qualified(t, _) => {
            Some(PgType::from_sqlparser(t))
        }
        D::None => None,
    }
}

/// `x::T[]`: an array literal becomes its canonical text (elements checked
/// against T); a parameter or an array value passes through as its text.
/// `Ok(None)` when pgrq cannot cast this (the caller refuses it by name).
pub(super) fn cast(inner: Expr, dt: &DataType) -> Result<Option<Expr>, SqlError> {
    let DataType::Array(def) = dt else {
        return Ok(None);
    };
    let Some(text) = literal_str(&inner) else {
        return Ok(Some(inner));
    };
    let elem = element_type(def).unwrap_or(PgType::Unknown);
    Ok(Some(string(&canonical_text(text, elem)?)))
}

/// An array literal's text as PostgreSQL prints it back, its elements read
/// as `elem` (invalid ones are 22P02, as in PostgreSQL).
pub(super) fn canonical_text(text: &str, elem: PgType) -> Result<String, SqlError> {
    if text
        .trim()
        .strip_prefix('{')
        .is_some_and(|t| t.contains('{'))
    {
        return Err(SqlError::unsupported("multidimensional array literal"));
    }
    let items = parse_literal(text)?;
    let mut out = String::from("{");
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match item {
            None => out.push_str("NULL"),
            Some(s) => out.push_str(&canonical(&s, elem)?),
        }
    }
    out.push('}');
    Ok(out)
}

/// One literal element as the element type prints it.
fn canonical(s: &str, elem: PgType) -> Result<String, SqlError> {
    let invalid = |t: &str| SqlError::InvalidText {
        message: format!("invalid input syntax for type {t}: \"{s}\""),
    };
    Ok(match elem {
        PgType::Int2 | PgType::Int4 | PgType::Int8 | PgType::Oid => {
            let v: i64 = s.trim().parse().map_err(|_| invalid("integer"))?;
            v.to_string()
        }
        PgType::Bool => match s.trim().to_ascii_lowercase().as_str() {
            "t" | "true" | "yes" | "y" | "on" | "1" => "t".into(),
            "f" | "false" | "no" | "n" | "off" | "0" => "f".into(),
            _ => return Err(invalid("boolean")),
        },
        PgType::Numeric => {
            let t = s.trim();
            if t.parse::<f64>().is_err() {
                return Err(invalid("numeric"));
            }
            t.to_string()
        }
        PgType::Text | PgType::Varchar | PgType::Bpchar | PgType::Name => quote_element(s),
        other => {
            return Err(SqlError::unsupported(format!(
                "array literal of {} elements",
                other.name()
            )));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::quote_element;
    use crate::sql::SqlError;
    use crate::sql::test_support::*;

    #[test]
    fn constructors_print_postgresql_array_text() {
        assert_eq!(
            sqlite("SELECT ARRAY[1, 2.50, NULL, 'b c', '', true]"),
            "SELECT ('{1,2.50,NULL,\"b c\",\"\",t}') AS \"array\""
        );
        assert_eq!(
            sqlite("SELECT ARRAY[[1, 2], [3, 4]]"),
            "SELECT ('{{1,2},{3,4}}') AS \"array\""
        );
        let schema = schema_from(&["CREATE TABLE t (a int, f float8, b boolean)"]);
        for refused in ["ARRAY[f]", "ARRAY[b, true]", "ARRAY[a + 1]", "ARRAY[$1]"] {
            assert!(
                matches!(
                    err_with(&format!("SELECT {refused} FROM t"), &schema),
                    SqlError::Unsupported { .. }
                ),
                "{refused}"
            );
        }
        let built = sqlite_with("SELECT ARRAY[a, 1] FROM t", &schema);
        assert!(
            built.starts_with("SELECT ('{' || CASE WHEN a IS NULL"),
            "{built}"
        );
        assert!(built.ends_with("|| ',1}') AS \"array\" FROM t"), "{built}");
    }

    #[test]
    fn array_literal_casts_are_canonical() {
        assert_eq!(
            sqlite("SELECT '{ 1, 02 ,NULL}'::int[], '{}'::text[], '{a,\"x y\"}'::text[]"),
            "SELECT '{1,2,NULL}' AS \"int4\", '{}' AS \"text\", '{a,\"x y\"}' AS \"text\""
        );
        assert_eq!(
            sqlite("SELECT '{true,f}'::bool[]"),
            "SELECT '{t,f}' AS \"bool\""
        );
        assert_unsupported("SELECT '{{1},{2}}'::int[]", "multidimensional");
        assert!(matches!(
            err("SELECT '{x}'::int[]"),
            crate::sql::SqlError::InvalidText { .. }
        ));
    }

    #[test]
    fn array_values_where_text_would_differ_are_refused() {
        assert_unsupported(
            "SELECT json_build_object('y', ARRAY[1, 2])",
            "array value as an argument of json_build_object()",
        );
        assert_unsupported("SELECT ARRAY[1] || ARRAY[2]", "operator || on arrays");
        assert_unsupported("SELECT '{1}'::int[] < '{2}'::int[]", "operator < on arrays");
        assert_eq!(
            sqlite("SELECT ARRAY[1] = '{1}'::int[]"),
            "SELECT ('{1}') = '{1}' AS \"?column?\""
        );
    }

    #[test]
    fn array_columns_store_canonical_text() {
        let schema = schema_from(&["CREATE TABLE arr (id int, tags text[], nums int[])"]);
        assert_eq!(
            sqlite_with(
                "INSERT INTO arr VALUES (1, ARRAY['a', 'b c'], '{ 1, 2 }')",
                &schema
            ),
            "INSERT INTO arr VALUES (1, ('{a,\"b c\"}'), '{1,2}')"
        );
        assert!(matches!(
            err_with("INSERT INTO arr (nums) VALUES ('{x}')", &schema),
            crate::sql::SqlError::InvalidText { .. }
        ));
        assert_eq!(
            sqlite("CREATE TABLE arr (tags text[], nums integer[])"),
            "CREATE TABLE arr (tags TEXT_ARRAY, nums INT4_ARRAY)"
        );
    }

    #[test]
    fn array_columns_are_array_values() {
        let schema = schema_from(&["CREATE TABLE arr (id int, tags text[])"]);
        let refused = err_with("SELECT tags || 'x' FROM arr", &schema);
        assert!(refused.to_string().contains("on arrays"), "{refused}");
        assert!(
            sqlite_with("SELECT coalesce(tags, '{}') FROM arr", &schema)
                .starts_with("SELECT coalesce(tags")
        );
    }

    #[test]
    fn elements_are_quoted_as_postgresql_quotes_them() {
        assert_eq!(quote_element("a"), "a");
        assert_eq!(quote_element(""), "\"\"");
        assert_eq!(quote_element("NuLL"), "\"NuLL\"");
        assert_eq!(quote_element("x\"y"), "\"x\\\"y\"");
        assert_eq!(quote_element("back\\slash"), "\"back\\\\slash\"");
    }
}
