//! One-dimensional arrays as the catalog stores them: PostgreSQL's array text (`{a,b}`,
//! `{"x y",NULL}`), with the array functions catalog queries use.

use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, Result};

/// The elements of array text (`None` for NULL elements); `None` when `s` is no array.
pub fn parse(s: &str) -> Option<Vec<Option<String>>> {
    let s = s.trim();
    if let Some(v) = vector(s) {
        return Some(v);
    }
    // `[1:2]={…}` bounds prefixes are not produced by the catalog.
    let inner = s.strip_prefix('{')?.strip_suffix('}')?;
    let mut out = Vec::new();
    if inner.trim().is_empty() {
        return Some(out);
    }
    let mut chars = inner.chars().peekable();
    loop {
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        if chars.peek() == Some(&'"') {
            chars.next();
            let mut v = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => v.extend(chars.next()),
                    '"' => break,
                    c => v.push(c),
                }
            }
            out.push(Some(v));
            while chars.peek().is_some_and(|c| *c != ',') {
                chars.next();
            }
        } else {
            let mut v = String::new();
            while let Some(c) = chars.peek().copied() {
                if c == ',' {
                    break;
                }
                v.push(c);
                chars.next();
            }
            let v = v.trim().to_string();
            out.push((!v.eq_ignore_ascii_case("null")).then_some(v));
        }
        match chars.next() {
            Some(',') => continue,
            _ => break,
        }
    }
    Some(out)
}

/// An `int2vector`/`oidvector` (`1 2 3`, no braces), as the catalog stores `indkey`.
fn vector(s: &str) -> Option<Vec<Option<String>>> {
    if s.starts_with('{') || s.is_empty() {
        return None;
    }
    s.split_whitespace()
        .map(|n| n.parse::<i64>().ok().map(|_| Some(n.to_string())))
        .collect()
}

/// PostgreSQL's array text for `values`.
pub fn format(values: &[Value]) -> String {
    let items: Vec<String> = values
        .iter()
        .map(|v| match v {
            Value::Null => "NULL".to_string(),
            Value::Integer(i) => i.to_string(),
            Value::Real(f) => f.to_string(),
            Value::Text(s) => quote_element(s),
            Value::Blob(b) => quote_element(&String::from_utf8_lossy(b)),
        })
        .collect();
    format!("{{{}}}", items.join(","))
}

fn quote_element(s: &str) -> String {
    let needs = s.is_empty()
        || s.eq_ignore_ascii_case("null")
        || s.chars()
            .any(|c| matches!(c, ',' | '{' | '}' | '"' | '\\') || c.is_whitespace());
    if needs {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        s.to_string()
    }
}

fn array_arg(ctx: &Context<'_>, i: usize) -> Option<Vec<Option<String>>> {
    match ctx.get_raw(i) {
        ValueRef::Text(t) => parse(std::str::from_utf8(t).ok()?),
        // A one-element int2vector/oidvector, turned into a number by column affinity.
        ValueRef::Integer(n) => Some(vec![Some(n.to_string())]),
        _ => None,
    }
}

fn value_text(v: ValueRef<'_>) -> Option<String> {
    match v {
        ValueRef::Null => None,
        ValueRef::Integer(n) => Some(n.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
    }
}

/// PostgreSQL's reserved key words and those reserved except as a function or type name
/// (`pg_get_keywords()`; pgjdbc's `getSQLKeywords` reads them, so Hibernate's boot does).
const KEYWORDS: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "binary",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "natural",
    "not",
    "notnull",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "overlaps",
    "placing",
    "primary",
    "references",
    "returning",
    "right",
    "select",
    "session_user",
    "similar",
    "some",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
];

pub fn register(conn: &Connection) -> Result<()> {
    let det = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("pgrq_array", -1, det, |ctx| {
        let vals: Vec<Value> = (0..ctx.len())
            .map(|i| ctx.get::<Value>(i))
            .collect::<Result<_>>()?;
        Ok(format(&vals))
    })?;
    conn.create_scalar_function("pgrq_array_json", 1, det, |ctx| {
        Ok(array_arg(ctx, 0).map(|a| serde_json::Value::from(a).to_string()))
    })?;
    conn.create_scalar_function("pgrq_series_json", 2, det, |ctx| {
        let (Ok(a), Ok(b)) = (ctx.get::<i64>(0), ctx.get::<i64>(1)) else {
            return Ok(None);
        };
        if b.saturating_sub(a) > 1_000_000 {
            return Err(rusqlite::Error::UserFunctionError(
                "pgrq:program_limit_exceeded:generate_series over more than a million rows in a catalog query"
                    .into(),
            ));
        }
        Ok(Some(serde_json::Value::from((a..=b).collect::<Vec<_>>()).to_string()))
    })?;
    conn.create_scalar_function("pgrq_zip_json", 2, det, |ctx| {
        let (a, b) = (array_arg(ctx, 0), array_arg(ctx, 1));
        if a.is_none() && b.is_none() {
            return Ok(None);
        }
        let (a, b) = (a.unwrap_or_default(), b.unwrap_or_default());
        let rows: Vec<serde_json::Value> = (0..a.len().max(b.len()))
            .map(|i| serde_json::json!([a.get(i).cloned().flatten(), b.get(i).cloned().flatten()]))
            .collect();
        Ok(Some(serde_json::Value::from(rows).to_string()))
    })?;
    conn.create_scalar_function("pgrq_keywords_json", 0, det, |_| {
        Ok(serde_json::Value::from(KEYWORDS.to_vec()).to_string())
    })?;
    conn.create_scalar_function("pgrq_array_get", 2, det, |ctx| {
        let (Some(a), Ok(i)) = (array_arg(ctx, 0), ctx.get::<i64>(1)) else {
            return Ok(None);
        };
        // Arrays count from 1; int2vector/oidvector (stored without braces) from 0.
        let is_vector = match ctx.get_raw(0) {
            ValueRef::Text(t) => !t.starts_with(b"{"),
            _ => true,
        };
        let first = if is_vector { 0 } else { 1 };
        Ok(usize::try_from(i - first)
            .ok()
            .and_then(|i| a.get(i).cloned())
            .flatten())
    })?;
    conn.create_scalar_function("pgrq_any_eq", 2, det, |ctx| {
        let (Some(x), Some(a)) = (value_text(ctx.get_raw(0)), array_arg(ctx, 1)) else {
            return Ok(None);
        };
        Ok(Some(a.iter().any(|e| e.as_deref() == Some(x.as_str()))))
    })?;
    for n in [2, 3] {
        conn.create_scalar_function("array_to_string", n, det, move |ctx| {
            let Some(a) = array_arg(ctx, 0) else {
                return Ok(None);
            };
            let sep = value_text(ctx.get_raw(1)).unwrap_or_default();
            let null = if n == 3 {
                value_text(ctx.get_raw(2))
            } else {
                None
            };
            let parts: Vec<String> = a
                .into_iter()
                .filter_map(|e| e.or_else(|| null.clone()))
                .collect();
            Ok(Some(parts.join(&sep)))
        })?;
    }
    conn.create_scalar_function("array_upper", 2, det, |ctx| {
        Ok(array_arg(ctx, 0)
            .filter(|a| !a.is_empty())
            .map(|a| a.len() as i64))
    })?;
    conn.create_scalar_function("array_length", 2, det, |ctx| {
        Ok(array_arg(ctx, 0)
            .filter(|a| !a.is_empty())
            .map(|a| a.len() as i64))
    })?;
    conn.create_scalar_function("array_lower", 2, det, |ctx| {
        Ok(array_arg(ctx, 0).filter(|a| !a.is_empty()).map(|_| 1i64))
    })?;
    conn.create_scalar_function("array_remove", 2, det, |ctx| {
        let Some(a) = array_arg(ctx, 0) else {
            return Ok(None);
        };
        let x = value_text(ctx.get_raw(1));
        let kept: Vec<Value> = a
            .into_iter()
            .filter(|e| *e != x)
            .map(|e| e.map_or(Value::Null, Value::Text))
            .collect();
        Ok(Some(format(&kept)))
    })?;
    conn.create_scalar_function("pgrq_array_first", 1, det, |ctx| {
        Ok(match ctx.get_raw(0) {
            ValueRef::Null => None,
            ValueRef::Text(t) if t.starts_with(b"{") => Some(1i64),
            _ => Some(0i64),
        })
    })?;
    conn.create_scalar_function("cardinality", 1, det, |ctx| {
        Ok(array_arg(ctx, 0).map(|a| a.len() as i64))
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_text_round_trips() {
        assert_eq!(parse("{}"), Some(vec![]));
        assert_eq!(
            parse("{a,\"b c\",NULL}"),
            Some(vec![Some("a".into()), Some("b c".into()), None])
        );
        assert_eq!(parse("{0}"), Some(vec![Some("0".into())]));
        assert_eq!(parse("x"), None);
        let v = vec![
            Value::Text("a".into()),
            Value::Text("b c".into()),
            Value::Null,
            Value::Integer(3),
        ];
        assert_eq!(format(&v), "{a,\"b c\",NULL,3}");
        assert_eq!(parse("1 2"), Some(vec![Some("1".into()), Some("2".into())]));
    }
}
