//! Time defaults versus rqlite's `'now'` rewriting.
//!
//! rqlite makes statements deterministic before they go through Raft by
//! replacing the literal `'now'` in *every* statement it receives, DDL
//! included, with a julian-day number. A column default written
//! `DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00', 'now'))` is therefore stored
//! with the table's creation time frozen into it, and every row gets that
//! time. So:
//!
//! * in DDL, [`hide_now`] spells each `'now'` as `'n' || 'ow'`, which SQLite
//!   evaluates to the current time but rqlite does not recognise. That is
//!   only the fallback for writers that bypass pgrq: evaluated separately on
//!   each replica, it would give each replica a slightly different time;
//! * every INSERT pgrq translates instead carries the value explicitly, as
//!   a literal of the transaction time (see `defaults` and `clock`), the
//!   same on every replica. [`time_default`] recognises such a default in
//!   the stored schema and gives its canonical `'now'` form, which
//!   [`frozen_time_default`] turns into that literal.

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Value, VisitMut,
    visit_expressions_mut,
};
use sqlparser::dialect::SQLiteDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;

use super::clock::{self, Clock};
use super::{call, string};

/// SQLite's date and time functions, which read `'now'` as the clock.
const TIME_FUNCTIONS: &[&str] = &[
    "date",
    "datetime",
    "julianday",
    "strftime",
    "time",
    "unixepoch",
];

/// Spell every `'now'` literal in `node` as `'n' || 'ow'`.
pub(super) fn hide_now<V: VisitMut>(node: &mut V) {
    let _ = visit_expressions_mut(node, |e| {
        if let Expr::Value(v) = e
            && let Value::SingleQuotedString(s) = &v.value
            && s.eq_ignore_ascii_case("now")
        {
            let (head, tail) = s.split_at(1);
            *e = Expr::BinaryOp {
                left: Box::new(string(head)),
                op: BinaryOperator::StringConcat,
                right: Box::new(string(tail)),
            };
        }
        ControlFlow::<()>::Continue(())
    });
}

/// Parse a SQLite expression as stored in the schema (a default's text).
pub(super) fn parse_sqlite_expr(text: &str) -> Option<Expr> {
    let dialect = SQLiteDialect {};
    let mut parser = Parser::new(&dialect).try_with_sql(text).ok()?;
    let expr = parser.parse_expr().ok()?;
    (parser.peek_token().token == Token::EOF).then_some(expr)
}

/// If the stored default `text` reads the clock, the same expression in its
/// canonical `'now'` form: `strftime('%Y-%m-%d %H:%M:%f+00', 'n' || 'ow')`
/// → `strftime('%Y-%m-%d %H:%M:%f+00', 'now')`; SQLite's own
/// `CURRENT_TIMESTAMP` / `CURRENT_DATE` / `CURRENT_TIME` → `datetime('now')`
/// / `date('now')` / `time('now')`.
pub(super) fn time_default(text: &str) -> Option<Expr> {
    let mut expr = parse_sqlite_expr(text)?;
    while let Expr::Nested(inner) = expr {
        expr = *inner;
    }
    match expr {
        Expr::Identifier(ident) if ident.quote_style.is_none() => sqlite_clock(&ident.value),
        Expr::Function(mut f) => {
            let [name] = f.name.0.as_slice() else {
                return None;
            };
            let name = name.as_ident()?.value.to_ascii_lowercase();
            if matches!(f.args, FunctionArguments::None) {
                return sqlite_clock(&name);
            }
            if !TIME_FUNCTIONS.contains(&name.as_str()) {
                return None;
            }
            let FunctionArguments::List(list) = &mut f.args else {
                return None;
            };
            let mut nows = 0;
            for arg in &mut list.args {
                let FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) = arg else {
                    return None;
                };
                let text = literal_text(e)?;
                if text.eq_ignore_ascii_case("now") {
                    nows += 1;
                    *e = string("now");
                }
            }
            (nows == 1 && f.over.is_none() && f.filter.is_none()).then_some(Expr::Function(f))
        }
        _ => None,
    }
}

/// If the stored default `text` reads the clock, its value at `micros`
/// (the transaction time) as a literal, or, for a default that does more
/// than format the time, that expression reading the literal instead of
/// `'now'`. The literal is the one of the default's kind (see `clock`):
///
/// * pgrq's forms `strftime('%Y-%m-%d %H:%M:%f+00', …)`, `strftime('%Y-%m-%d
///   %H:%M:%f', …)`, `date(…)`, `strftime('%H:%M:%f+00', …)`,
///   `strftime('%H:%M:%f', …)` → timestamptz, timestamp, date, timetz,
///   time in PostgreSQL's text format;
/// * SQLite's `datetime('now')` / `CURRENT_TIMESTAMP` and `time('now')` /
///   `CURRENT_TIME` → `'YYYY-MM-DD HH:MM:SS'` and `'HH:MM:SS'`, as SQLite
///   would store them;
/// * anything else, such as `datetime('now', 'localtime')`: `'now'` is
///   replaced by `'YYYY-MM-DD HH:MM:SS.ffffff'`, which SQLite reads as the
///   same instant (to the millisecond, SQLite's own resolution).
pub(super) fn frozen_time_default(text: &str, micros: i64) -> Option<Expr> {
    let mut expr = time_default(text)?;
    if let Some(value) = canonical_value(&expr, micros) {
        return Some(string(&value));
    }
    let stand_in = clock::sqlite_time_value(micros);
    let _ = visit_expressions_mut(&mut expr, |e| {
        if literal_text(e).is_some_and(|t| t == "now") {
            *e = string(&stand_in);
        }
        ControlFlow::<()>::Continue(())
    });
    Some(expr)
}

/// The value at `micros` of a canonical default that only formats the
/// current time (`strftime(<pgrq format>, 'now')`, `date('now')`,
/// `datetime('now')`, `time('now')`).
fn canonical_value(expr: &Expr, micros: i64) -> Option<String> {
    let Expr::Function(f) = expr else {
        return None;
    };
    let [name] = f.name.0.as_slice() else {
        return None;
    };
    let name = name.as_ident()?.value.to_ascii_lowercase();
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    let texts: Vec<String> = list
        .args
        .iter()
        .map(|arg| match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => literal_text(e),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let pg = |clock| Some(clock::literal(clock, micros));
    match (name.as_str(), texts.as_slice()) {
        ("strftime", ["%Y-%m-%d %H:%M:%f+00", "now"]) => pg(Clock::Timestamptz),
        ("strftime", ["%Y-%m-%d %H:%M:%f", "now"]) => pg(Clock::Timestamp),
        ("strftime", ["%H:%M:%f+00", "now"]) => pg(Clock::Timetz),
        ("strftime", ["%H:%M:%f", "now"]) => pg(Clock::Time),
        ("date", ["now"]) => pg(Clock::Date),
        ("datetime", ["now"]) => Some(clock::sqlite_datetime(micros)),
        ("time", ["now"]) => Some(clock::sqlite_time_of_day(micros)),
        _ => None,
    }
}

/// SQLite's clock keywords, as explicit `'now'` calls.
fn sqlite_clock(keyword: &str) -> Option<Expr> {
    let name = match keyword.to_ascii_lowercase().as_str() {
        "current_timestamp" => "datetime",
        "current_date" => "date",
        "current_time" => "time",
        _ => return None,
    };
    Some(call(name, vec![string("now")]))
}

/// The text of a string literal, or of string literals joined with `||`
/// (possibly parenthesised); numbers count as their text.
fn literal_text(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) | Value::Number(s, _) => Some(s.clone()),
            _ => None,
        },
        Expr::Nested(inner) => literal_text(inner),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::StringConcat,
            right,
        } => Some(literal_text(left)? + &literal_text(right)?),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(text: &str) -> Option<String> {
        time_default(text).map(|e| e.to_string())
    }

    #[test]
    fn pgrq_time_defaults_are_recognised() {
        assert_eq!(
            canonical("strftime('%Y-%m-%d %H:%M:%f+00', 'n' || 'ow')").as_deref(),
            Some("strftime('%Y-%m-%d %H:%M:%f+00', 'now')")
        );
        assert_eq!(
            canonical("(date('n' || 'ow'))").as_deref(),
            Some("date('now')")
        );
        assert_eq!(
            canonical("strftime('%H:%M:%f', 'N' || 'OW')").as_deref(),
            Some("strftime('%H:%M:%f', 'now')")
        );
    }

    #[test]
    fn sqlite_clock_defaults_are_recognised() {
        assert_eq!(
            canonical("CURRENT_TIMESTAMP").as_deref(),
            Some("datetime('now')")
        );
        assert_eq!(canonical("current_date").as_deref(), Some("date('now')"));
        assert_eq!(canonical("CURRENT_TIME").as_deref(), Some("time('now')"));
        assert_eq!(
            canonical("datetime('now', 'localtime')").as_deref(),
            Some("datetime('now', 'localtime')")
        );
    }

    #[test]
    fn frozen_defaults_are_literals_or_read_the_literal() {
        let frozen = |text: &str| frozen_time_default(text, 0).map(|e| e.to_string());
        assert_eq!(
            frozen("strftime('%Y-%m-%d %H:%M:%f+00', 'n' || 'ow')").as_deref(),
            Some("'1970-01-01 00:00:00+00'")
        );
        assert_eq!(
            frozen("CURRENT_TIMESTAMP").as_deref(),
            Some("'1970-01-01 00:00:00'")
        );
        assert_eq!(
            frozen("date('now', '+1 day')").as_deref(),
            Some("date('1970-01-01 00:00:00', '+1 day')")
        );
        assert_eq!(frozen("strftime('%Y', 2461366.6)"), None);
        assert_eq!(frozen("'x'"), None);
    }

    #[test]
    fn other_defaults_are_not_time_defaults() {
        for text in [
            "'now'x",
            "'x'",
            "0",
            "-1",
            "strftime('%Y-%m-%d', 2461366.624958)",
            "lower('NOW')",
            "date(created)",
            "'n' || 'ow'",
            "",
        ] {
            assert_eq!(canonical(text), None, "{text:?}");
        }
    }

    #[test]
    fn hide_now_splits_every_now_literal() {
        let mut e = time_default("strftime('%Y', 'now')").unwrap();
        hide_now(&mut e);
        assert_eq!(e.to_string(), "strftime('%Y', 'n' || 'ow')");
        let mut e = parse_sqlite_expr("date('NOW', '+1 day') || 'now'").unwrap();
        hide_now(&mut e);
        assert_eq!(e.to_string(), "date('N' || 'OW', '+1 day') || 'n' || 'ow'");
    }

    #[test]
    fn stored_defaults_parse_as_sqlite() {
        assert_eq!(
            parse_sqlite_expr("1+1").map(|e| e.to_string()).as_deref(),
            Some("1 + 1")
        );
        assert!(parse_sqlite_expr("1 1").is_none());
        assert!(parse_sqlite_expr("(").is_none());
    }
}
