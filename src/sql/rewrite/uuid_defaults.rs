//! `DEFAULT gen_random_uuid()` (and `uuid_generate_v4()`). Each replica runs a statement
//! on its own, and rqlite replaces `random()`/`randomblob()` in every statement it
//! receives, DDL included, by values drawn once: a default drawing random numbers inside
//! SQLite would either give every row the same key or each replica a different one. So
//! the default is stored as written, `gen_random_uuid()`, which SQLite does not have (a
//! writer bypassing pgrq gets "unknown function" rather than a wrong key), and every
//! INSERT pgrq translates carries the value, a random version-4 UUID drawn by pgrq, as a
//! literal (one per row), so every replica stores the same one.
//!
//! Not supported: INSERT … SELECT leaving such a column out (one literal cannot serve
//! several rows), and ADD COLUMN with such a default on a table with rows.

use sqlparser::ast::{ColumnDef, ColumnOption, Expr, Function, Value};

use super::string;
use super::time_defaults::parse_sqlite_expr;

/// The stored form of the default, as SQLite keeps it (without outer parentheses).
pub(super) const STORED: &str = "gen_random_uuid()";

/// Marks the default for [`finish_column`] (the expression walk leaves a string alone).
const PLACEHOLDER: &str = "pgrq:gen_random_uuid()";

/// Before the walk: `DEFAULT gen_random_uuid()` → a placeholder.
pub(super) fn mark_column(col: &mut ColumnDef) {
    for def in &mut col.options {
        if let ColumnOption::Default(e) = &mut def.option
            && is_uuid_call(e)
        {
            *e = string(PLACEHOLDER);
        }
    }
}

/// After the walk: the placeholder → [`STORED`].
pub(super) fn finish_column(col: &mut ColumnDef) {
    for def in &mut col.options {
        if let ColumnOption::Default(Expr::Value(v)) = &mut def.option
            && matches!(&v.value, Value::SingleQuotedString(s) if s == PLACEHOLDER)
            && let Some(stored) = parse_sqlite_expr(STORED)
        {
            def.option = ColumnOption::Default(Expr::Nested(Box::new(stored)));
        }
    }
}

fn is_uuid_call(e: &Expr) -> bool {
    let Expr::Function(Function { name, args, .. }) = e else {
        return false;
    };
    let empty = match args {
        sqlparser::ast::FunctionArguments::None => true,
        sqlparser::ast::FunctionArguments::List(l) => l.args.is_empty(),
        _ => false,
    };
    let last = name
        .0
        .last()
        .and_then(|p| p.as_ident())
        .map(|i| i.value.to_ascii_lowercase());
    empty
        && matches!(
            last.as_deref(),
            Some("gen_random_uuid" | "uuid_generate_v4")
        )
}

/// Whether a stored default (`pragma_table_info.dflt_value`) is [`STORED`].
pub(super) fn is_uuid_default(text: &str) -> bool {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase()
    };
    let stored = norm(STORED);
    let t = norm(text);
    t == stored || t.strip_prefix('(').and_then(|t| t.strip_suffix(')')) == Some(&stored)
}

/// A fresh random version-4 UUID, as a literal.
pub(super) fn literal() -> Expr {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    string(&format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::test_support::*;

    #[test]
    fn uuid_default_is_stored_and_filled_per_row() {
        let ddl = sqlite("CREATE TABLE t (id uuid DEFAULT gen_random_uuid() PRIMARY KEY, n int)");
        assert_eq!(
            ddl,
            format!("CREATE TABLE t (id UUID_TEXT DEFAULT ({STORED}) PRIMARY KEY NOT NULL, n INT)")
        );
        let m =
            mirror_from(&["CREATE TABLE t (id uuid DEFAULT gen_random_uuid() PRIMARY KEY, n int)"]);
        let t = tr_with("INSERT INTO t (n) VALUES (1), (2)", &m);
        assert!(t.uses_clock, "translated again for each execution");
        let sql = t.sqlite.unwrap();
        let uuids: Vec<&str> = sql
            .split('\'')
            .filter(|s| s.len() == 36 && s.chars().nth(14) == Some('4'))
            .collect();
        assert_eq!(uuids.len(), 2, "{sql}");
        assert_ne!(uuids[0], uuids[1]);
        assert!(
            sql.starts_with("INSERT INTO t (n, id) VALUES (1, '"),
            "{sql}"
        );
        let sql = sqlite_with("INSERT INTO t (id, n) VALUES (DEFAULT, 1), ('x', 2)", &m);
        assert!(!sql.contains("gen_random_uuid"), "{sql}");
        assert_unsupported_with("INSERT INTO t (n) SELECT 1", &m);
    }

    fn assert_unsupported_with(sql: &str, schema: &dyn crate::sql::Schema) {
        assert!(matches!(
            err_with(sql, schema),
            crate::sql::SqlError::Unsupported { .. }
        ));
    }
}
