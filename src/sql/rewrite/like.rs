//! Case-sensitive LIKE. SQLite's LIKE ignores ASCII case (and rqlite cannot
//! switch that per statement), PostgreSQL's does not; SQLite's GLOB is case
//! sensitive, so `s LIKE p` becomes `glob(<p as a GLOB pattern>, s)`: at
//! translation time for a literal pattern, otherwise with a chain of
//! `replace()` calls evaluated by SQLite. PostgreSQL's escape character
//! (backslash unless ESCAPE says otherwise, none for `ESCAPE ''`) is honoured
//! in both. ILIKE stays SQLite's LIKE (see `operators`).

use sqlparser::ast::Expr;

use super::build::{literal_str, not};
use super::{call, string};
use crate::sql::SqlError;

/// The escape character of a LIKE: backslash by default, none for `''`.
pub(super) fn escape_of(escape: Option<&Expr>) -> Result<Option<char>, SqlError> {
    let Some(e) = escape else {
        return Ok(Some('\\'));
    };
    let text = literal_str(e).ok_or_else(|| SqlError::unsupported("LIKE … ESCAPE <expression>"))?;
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (None, _) => Ok(None),
        (Some(c), None) => Ok(Some(c)),
        _ => Err(SqlError::syntax(
            "invalid escape string: must be empty or one character",
        )),
    }
}

/// `subject [NOT] LIKE pattern`, case-sensitively.
pub(super) fn case_sensitive(
    subject: Expr,
    pattern: Expr,
    escape: Option<char>,
    negated: bool,
) -> Result<Expr, SqlError> {
    let glob_pattern = match literal_str(&pattern) {
        Some(text) => string(&glob_literal(text, escape)?),
        None => glob_expr(pattern, escape),
    };
    let matched = call("glob", vec![glob_pattern, subject]);
    Ok(if negated { not(matched) } else { matched })
}

/// A character as a GLOB pattern matching exactly it.
fn glob_char(c: char) -> String {
    match c {
        '*' | '?' | '[' => format!("[{c}]"),
        other => other.to_string(),
    }
}

/// A literal LIKE pattern as a GLOB pattern.
fn glob_literal(pattern: &str, escape: Option<char>) -> Result<String, SqlError> {
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if Some(c) == escape {
            let Some(next) = chars.next() else {
                return Err(SqlError::syntax(
                    "LIKE pattern must not end with escape character",
                ));
            };
            out.push_str(&glob_char(next));
        } else if c == '%' {
            out.push('*');
        } else if c == '_' {
            out.push('?');
        } else {
            out.push_str(&glob_char(c));
        }
    }
    Ok(out)
}

/// A pattern computed at run time, turned into a GLOB pattern by SQLite:
/// escaped `%`, `_` and escape characters are parked on control characters,
/// lone escapes dropped, GLOB's own metacharacters bracketed, the LIKE
/// wildcards translated, and the parked characters put back literally.
fn glob_expr(pattern: Expr, escape: Option<char>) -> Expr {
    let replace = |e: Expr, from: Expr, to: Expr| call("replace", vec![e, from, to]);
    let ctl = |n: u32| call("char", vec![super::number(&n.to_string())]);
    let mut e = pattern;
    if let Some(esc) = escape {
        let esc_s = esc.to_string();
        e = replace(e, string(&format!("{esc}{esc}")), ctl(1));
        e = replace(e, string(&format!("{esc}%")), ctl(2));
        e = replace(e, string(&format!("{esc}_")), ctl(3));
        e = replace(e, string(&esc_s), string(""));
    }
    e = replace(e, string("["), string("[[]"));
    e = replace(e, string("*"), string("[*]"));
    e = replace(e, string("?"), string("[?]"));
    e = replace(e, string("%"), string("*"));
    e = replace(e, string("_"), string("?"));
    if let Some(esc) = escape {
        e = replace(e, ctl(2), string("%"));
        e = replace(e, ctl(3), string("_"));
        e = replace(e, ctl(1), string(&glob_char(esc)));
    }
    e
}

#[cfg(test)]
mod tests {
    use super::glob_literal;
    use crate::sql::test_support::*;

    #[test]
    fn literal_patterns_become_globs() {
        assert_eq!(glob_literal("a%b_c", Some('\\')).unwrap(), "a*b?c");
        assert_eq!(
            glob_literal(r"50\%*[x]?", Some('\\')).unwrap(),
            "50%[*][[]x][?]"
        );
        assert_eq!(glob_literal(r"a\\b\_", Some('\\')).unwrap(), r"a\b_");
        assert_eq!(glob_literal("a!%", Some('!')).unwrap(), "a%");
        assert_eq!(glob_literal(r"a\%", None).unwrap(), r"a\*");
        assert!(glob_literal(r"abc\", Some('\\')).is_err());
    }

    #[test]
    fn like_is_case_sensitive() {
        assert_eq!(
            sqlite("SELECT * FROM t WHERE a LIKE 'Ab%' AND b NOT LIKE '_x'"),
            "SELECT * FROM t WHERE glob('Ab*', a) AND NOT (glob('?x', b))"
        );
        assert_eq!(
            sqlite("SELECT * FROM t WHERE a LIKE 'x!%%' ESCAPE '!'"),
            "SELECT * FROM t WHERE glob('x%*', a)"
        );
    }

    #[test]
    fn dynamic_patterns_are_converted_by_sqlite() {
        let out = sqlite("SELECT * FROM t WHERE a LIKE $1");
        assert!(
            out.starts_with("SELECT * FROM t WHERE glob(replace(replace("),
            "{out}"
        );
        assert!(out.contains("'[*]'") && out.ends_with(", a)"), "{out}");
    }
}
