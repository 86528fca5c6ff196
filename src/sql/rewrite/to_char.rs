//! `to_char(timestamp|date, 'format')` with a constant format, built from
//! strftime pieces: YYYY YY MM DD DDD D HH24 HH12 HH MI SS MS US Q IW ID,
//! Month/MONTH/month Mon/MON/mon Day/DAY/day Dy/DY/dy (padded to 9 as
//! PostgreSQL pads them), AM/PM, the FM prefix, "quoted text". Other
//! patterns and number formatting are refused by name.

use sqlparser::ast::Expr;

use super::build::literal_str;
use super::datetime::{FRAC6, NORM};
use super::template::fill;
use crate::sql::SqlError;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Patterns, longest first so that `HH24` wins over `HH` and `MON` over `MM`.
const PATTERNS: &[&str] = &[
    "MONTH", "Month", "month", "HH24", "HH12", "YYYY", "DAY", "Day", "day", "MON", "Mon", "mon",
    "DDD", "YY", "MM", "DD", "HH", "MI", "SS", "MS", "US", "DY", "Dy", "dy", "AM", "PM", "am",
    "pm", "IW", "ID", "Q", "D",
];

pub(super) fn to_char(args: &mut [Expr]) -> Result<Expr, SqlError> {
    let [value, format] = args else {
        return Err(SqlError::UndefinedFunction {
            name: format!("to_char with {} argument(s)", args.len()),
        });
    };
    let fmt = literal_str(format)
        .ok_or_else(|| SqlError::unsupported("to_char() with a format that is not a constant"))?;
    if fmt.contains(['9', '0']) && !fmt.contains(['Y', 'H', 'M', 'D']) {
        return Err(SqlError::unsupported("to_char() of a number"));
    }
    let pieces = pieces(fmt)?;
    let body = pieces.join(" || ");
    let body = if body.is_empty() {
        "''".to_string()
    } else {
        body
    };
    fill(
        &format!("(CASE WHEN pgrq_arg1 IS NULL THEN NULL ELSE {body} END)"),
        std::slice::from_ref(value),
    )
}

fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn int(pattern: &str) -> String {
    format!("CAST(strftime('{pattern}', {NORM}) AS INTEGER)")
}

fn names(list: &[&str], index: &str, case: &str, short: bool, fm: bool) -> String {
    let arms: String = list
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let mut n = if short {
                n[..3].to_string()
            } else {
                n.to_string()
            };
            if !short && !fm {
                n = format!("{n:<9}");
            }
            let n = match case {
                "upper" => n.to_uppercase(),
                "lower" => n.to_lowercase(),
                _ => n,
            };
            format!(" WHEN {} THEN {}", i, q(&n))
        })
        .collect();
    format!("(CASE {index}{arms} END)")
}

fn pieces(fmt: &str) -> Result<Vec<String>, SqlError> {
    let mut out = Vec::new();
    let mut literal = String::new();
    let mut rest = fmt;
    let flush = |literal: &mut String, out: &mut Vec<String>| {
        if !literal.is_empty() {
            out.push(q(literal));
            literal.clear();
        }
    };
    while !rest.is_empty() {
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            literal.push_str(&quoted[..end]);
            rest = quoted.get(end + 1..).unwrap_or("");
            continue;
        }
        let (fm, after_fm) = match rest.strip_prefix("FM") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let Some(p) = PATTERNS.iter().find(|p| after_fm.starts_with(**p)) else {
            let mut chars = rest.chars();
            if let Some(c) = chars.next() {
                literal.push(c);
            }
            rest = chars.as_str();
            continue;
        };
        flush(&mut literal, &mut out);
        let num = |pattern: &str, width: usize| {
            if fm {
                int(pattern)
            } else {
                format!("printf('%0{width}d', {})", int(pattern))
            }
        };
        let hour = int("%H");
        let month = format!("({} - 1)", int("%m"));
        let dow = int("%w");
        let piece = match *p {
            "YYYY" => num("%Y", 4),
            "YY" => format!("substr(strftime('%Y', {NORM}), 3, 2)"),
            "MM" => num("%m", 2),
            "DD" => num("%d", 2),
            "DDD" => num("%j", 3),
            "D" => format!("({dow} + 1)"),
            "HH24" => num("%H", 2),
            "HH12" | "HH" => {
                let h12 = format!("(({hour} + 11) % 12 + 1)");
                if fm {
                    h12
                } else {
                    format!("printf('%02d', {h12})")
                }
            }
            "MI" => num("%M", 2),
            "SS" => num("%S", 2),
            "MS" => format!("substr({FRAC6}, 1, 3)"),
            "US" => FRAC6.to_string(),
            "Q" => format!("(({} + 2) / 3)", int("%m")),
            "IW" => num("%V", 2),
            "ID" => int("%u"),
            "AM" | "PM" => format!("(CASE WHEN {hour} < 12 THEN 'AM' ELSE 'PM' END)"),
            "am" | "pm" => format!("(CASE WHEN {hour} < 12 THEN 'am' ELSE 'pm' END)"),
            "Month" => names(&MONTHS, &month, "", false, fm),
            "MONTH" => names(&MONTHS, &month, "upper", false, fm),
            "month" => names(&MONTHS, &month, "lower", false, fm),
            "Mon" => names(&MONTHS, &month, "", true, fm),
            "MON" => names(&MONTHS, &month, "upper", true, fm),
            "mon" => names(&MONTHS, &month, "lower", true, fm),
            "Day" => names(&DAYS, &dow, "", false, fm),
            "DAY" => names(&DAYS, &dow, "upper", false, fm),
            "day" => names(&DAYS, &dow, "lower", false, fm),
            "Dy" => names(&DAYS, &dow, "", true, fm),
            "DY" => names(&DAYS, &dow, "upper", true, fm),
            "dy" => names(&DAYS, &dow, "lower", true, fm),
            other => return Err(SqlError::unsupported(format!("to_char pattern {other}"))),
        };
        out.push(piece);
        rest = &after_fm[p.len()..];
    }
    flush(&mut literal, &mut out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn formats_become_strftime_pieces() {
        let out = sqlite("SELECT to_char(ts, 'YYYY-MM-DD HH24:MI:SS') FROM t");
        assert!(out.contains("printf('%04d', CAST(strftime('%Y'"), "{out}");
        assert!(out.contains("|| '-' ||"), "{out}");
        let out = sqlite("SELECT to_char(ts, 'FMMonth Dy \"at\" HH12 AM') FROM t");
        assert!(
            out.contains("WHEN 4 THEN 'May'") && out.contains("' at '"),
            "{out}"
        );
        assert_unsupported("SELECT to_char(1234.5, '9999.99')", "to_char() of a number");
        assert_unsupported("SELECT to_char(ts, f) FROM t", "not a constant");
    }
}
