//! String functions SQLite lacks or means differently, emulated with
//! PostgreSQL's results: left/right (negative n too), lpad/rpad, repeat,
//! reverse, initcap, split_part (negative n too), ascii/chr, and
//! substring/substr with a start below 1 (SQLite counts a negative start
//! from the end). `substring(s FROM pattern)` (a regular expression) is
//! refused.

use sqlparser::ast::Expr;

use super::build::{literal_int, literal_str, raise};
use super::template::fill;
use super::{call, string};
use crate::sql::SqlError;

/// `pgrq_arg1` repeated `pgrq_arg2` times (NULL when either is NULL).
const REPEAT: &str = "CASE WHEN pgrq_arg2 IS NULL THEN NULL \
     ELSE replace(hex(zeroblob(pgrq_arg2)), '00', pgrq_arg1) END";

const LEFT: &str = "CASE WHEN pgrq_arg2 >= 0 THEN substr(pgrq_arg1, 1, pgrq_arg2) \
     ELSE substr(pgrq_arg1, 1, max(length(pgrq_arg1) + pgrq_arg2, 0)) END";

const RIGHT: &str = "CASE WHEN pgrq_arg2 > 0 THEN substr(pgrq_arg1, -pgrq_arg2) \
     WHEN pgrq_arg2 = 0 THEN substr(pgrq_arg1, 1, 0) \
     ELSE substr(pgrq_arg1, 1 - pgrq_arg2) END";

const LPAD: &str = "CASE WHEN pgrq_arg2 <= length(pgrq_arg1) THEN substr(pgrq_arg1, 1, pgrq_arg2) \
     ELSE substr(replace(hex(zeroblob(pgrq_arg2)), '00', pgrq_arg3), 1, \
     pgrq_arg2 - length(pgrq_arg1)) || pgrq_arg1 END";

const RPAD: &str = "CASE WHEN pgrq_arg2 <= length(pgrq_arg1) THEN substr(pgrq_arg1, 1, pgrq_arg2) \
     ELSE pgrq_arg1 || substr(replace(hex(zeroblob(pgrq_arg2)), '00', pgrq_arg3), 1, \
     pgrq_arg2 - length(pgrq_arg1)) END";

const REVERSE: &str = "(WITH RECURSIVE r(i, o) AS (\
     SELECT length(pgrq_arg1), '' WHERE pgrq_arg1 IS NOT NULL \
     UNION ALL SELECT i - 1, o || substr(pgrq_arg1, i, 1) FROM r WHERE i > 0) \
     SELECT o FROM r WHERE i = 0)";

/// A letter is upper-cased after a non-alphanumeric character (non-ASCII
/// characters count as letters), lower-cased otherwise.
const INITCAP: &str = "(WITH RECURSIVE r(i, o) AS (\
     SELECT 1, '' WHERE pgrq_arg1 IS NOT NULL \
     UNION ALL SELECT i + 1, o || CASE \
     WHEN i = 1 OR NOT (glob('[A-Za-z0-9]', substr(pgrq_arg1, i - 1, 1)) \
     OR unicode(substr(pgrq_arg1, i - 1, 1)) > 127) \
     THEN upper(substr(pgrq_arg1, i, 1)) ELSE lower(substr(pgrq_arg1, i, 1)) END \
     FROM r WHERE i <= length(pgrq_arg1)) \
     SELECT o FROM r ORDER BY i DESC LIMIT 1)";

/// The parts of `s || d` are peeled off one by one; a negative position
/// counts from the end; past the last part the result is ''.
const SPLIT_PART: &str = "CASE WHEN pgrq_arg3 IS NULL OR pgrq_arg2 IS NULL THEN NULL \
     WHEN pgrq_arg3 = 0 THEN pgrq_arg4 \
     WHEN pgrq_arg2 = '' THEN CASE WHEN pgrq_arg3 IN (1, -1) THEN pgrq_arg1 \
     ELSE substr(pgrq_arg1, 1, 0) END \
     ELSE (WITH RECURSIVE p(k, rest, part) AS (\
     SELECT 0, pgrq_arg1 || pgrq_arg2, NULL WHERE pgrq_arg1 IS NOT NULL \
     UNION ALL SELECT k + 1, substr(rest, instr(rest, pgrq_arg2) + length(pgrq_arg2)), \
     substr(rest, 1, instr(rest, pgrq_arg2) - 1) FROM p WHERE rest <> '') \
     SELECT coalesce(max(CASE WHEN k = CASE WHEN pgrq_arg3 > 0 THEN pgrq_arg3 \
     ELSE (SELECT max(k) FROM p) + 1 + pgrq_arg3 END THEN part END), '') \
     FROM p WHERE k > 0 HAVING count(*) > 0) END";

/// Each character of `s` found in `from` is replaced by the character at
/// the same place in `to`, or removed when `to` is shorter.
const TRANSLATE: &str = "(WITH RECURSIVE r(i, o) AS (\
     SELECT 1, '' WHERE pgrq_arg1 IS NOT NULL AND pgrq_arg2 IS NOT NULL AND pgrq_arg3 IS NOT NULL \
     UNION ALL SELECT i + 1, o || CASE WHEN instr(pgrq_arg2, substr(pgrq_arg1, i, 1)) = 0 \
     THEN substr(pgrq_arg1, i, 1) \
     ELSE substr(pgrq_arg3, instr(pgrq_arg2, substr(pgrq_arg1, i, 1)), 1) END \
     FROM r WHERE i <= length(pgrq_arg1)) \
     SELECT o FROM r ORDER BY i DESC LIMIT 1)";

/// PostgreSQL quotes an identifier unless it is lower case letters, digits
/// and underscores not starting with a digit (keywords aside).
pub(super) const QUOTE_IDENT: &str = "CASE WHEN glob('[a-z_]*', pgrq_arg1) \
     AND NOT glob('*[^a-z0-9_]*', pgrq_arg1) THEN pgrq_arg1 \
     ELSE '\"' || replace(pgrq_arg1, '\"', '\"\"') || '\"' END";

/// A string function call, if `name` is one this file translates.
pub(super) fn function(name: &str, args: &mut Vec<Expr>) -> Result<Option<Expr>, SqlError> {
    let n = args.len();
    let wrong = || {
        Err(SqlError::UndefinedFunction {
            name: format!("{name} with {n} argument(s)"),
        })
    };
    let out = match (name, n) {
        ("left", 2) => fill(LEFT, args)?,
        ("right", 2) => fill(RIGHT, args)?,
        ("repeat", 2) => fill(REPEAT, args)?,
        ("lpad" | "rpad", 2 | 3) => {
            if n == 2 {
                args.push(string(" "));
            }
            fill(if name == "lpad" { LPAD } else { RPAD }, args)?
        }
        ("reverse", 1) => fill(REVERSE, args)?,
        ("initcap", 1) => fill(INITCAP, args)?,
        ("split_part", 3) => {
            args.push(raise("22023", "field position must not be zero"));
            fill(SPLIT_PART, args)?
        }
        ("ascii", 1) => call("unicode", std::mem::take(args)),
        ("to_hex", 1) => fill("printf('%x', pgrq_arg1)", args)?,
        ("starts_with", 2) => fill(
            "(substr(pgrq_arg1, 1, length(pgrq_arg2)) = pgrq_arg2)",
            args,
        )?,
        ("quote_literal", 1) => fill(
            "CASE WHEN pgrq_arg1 IS NULL THEN NULL ELSE quote(CAST(pgrq_arg1 AS TEXT)) END",
            args,
        )?,
        ("quote_nullable", 1) => fill(
            "CASE WHEN pgrq_arg1 IS NULL THEN 'NULL' ELSE quote(CAST(pgrq_arg1 AS TEXT)) END",
            args,
        )?,
        ("quote_ident", 1) => fill(QUOTE_IDENT, args)?,
        ("translate", 3) => fill(TRANSLATE, args)?,
        ("chr", 1) => call("char", std::mem::take(args)),
        ("substr" | "substring", 2 | 3) => {
            let mut it = std::mem::take(args).into_iter();
            match (it.next(), it.next(), it.next()) {
                (Some(s), Some(from), len) => substring(s, from, len)?,
                _ => return wrong(),
            }
        }
        (
            "left" | "right" | "repeat" | "lpad" | "rpad" | "reverse" | "initcap" | "split_part",
            _,
        ) => {
            return wrong();
        }
        _ => return Ok(None),
    };
    Ok(Some(out))
}

/// `overlay(s PLACING r FROM start [FOR count])`: count defaults to the
/// length of `r`.
pub(super) fn overlay(s: Expr, r: Expr, from: Expr, count: Option<Expr>) -> Result<Expr, SqlError> {
    let count = count.unwrap_or_else(|| call("length", vec![r.clone()]));
    fill(
        "(substr(pgrq_arg1, 1, pgrq_arg3 - 1) || pgrq_arg2 || substr(pgrq_arg1, pgrq_arg3 + pgrq_arg4))",
        &[s, r, from, count],
    )
}

/// `substring(s FROM start [FOR count])`: the characters at positions
/// `start … start + count - 1` that exist (positions below 1 do not).
pub(super) fn substring(s: Expr, from: Expr, count: Option<Expr>) -> Result<Expr, SqlError> {
    if literal_str(&from).is_some() && count.is_none() {
        return Err(SqlError::unsupported(
            "substring(… FROM pattern) (regular expression)",
        ));
    }
    let positive_start = literal_int(&from).is_some_and(|f| f >= 1);
    let Some(count) = count else {
        return Ok(if positive_start {
            call("substr", vec![s, from])
        } else {
            fill("substr(pgrq_arg1, max(pgrq_arg2, 1))", &[s, from])?
        });
    };
    let count_ok = literal_int(&count).is_some_and(|c| c >= 0);
    let body = if positive_start {
        call("substr", vec![s, from, count.clone()])
    } else {
        fill(
            "substr(pgrq_arg1, max(pgrq_arg2, 1), \
             max(pgrq_arg2 + pgrq_arg3, 1) - max(pgrq_arg2, 1))",
            &[s, from, count.clone()],
        )?
    };
    if count_ok {
        return Ok(body);
    }
    fill(
        "CASE WHEN pgrq_arg1 < 0 THEN pgrq_arg2 ELSE pgrq_arg3 END",
        &[
            count,
            raise("22011", "negative substring length not allowed"),
            body,
        ],
    )
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn emulated_functions_translate() {
        for sql in [
            "SELECT left(a, 2), right(a, -1), repeat(a, 3), lpad(a, 5), rpad(a, 5, 'xy') FROM t",
            "SELECT reverse(a), initcap(a), split_part(a, ',', -1), ascii(a), chr(65) FROM t",
            "SELECT to_hex(a), starts_with(a, 'x'), quote_ident(a), translate(a, 'ab', 'x') FROM t",
            "SELECT quote_literal(a), quote_nullable(a), overlay(a placing 'x' from 2 for 3) FROM t",
        ] {
            let out = sqlite(sql);
            assert!(!out.contains("pgrq_arg"), "{out}");
        }
        assert!(sqlite("SELECT reverse(a) FROM t").contains("WITH RECURSIVE r"));
    }

    #[test]
    fn substring_with_a_start_below_one() {
        assert_eq!(
            sqlite("SELECT substring(a FROM 2 FOR 3) FROM t"),
            "SELECT substr(a, 2, 3) AS \"substring\" FROM t"
        );
        assert_eq!(
            sqlite("SELECT substring(a FROM -1 FOR 3) FROM t"),
            "SELECT SUBSTR(a, max((-1), 1), max((-1) + 3, 1) - max((-1), 1)) AS \"substring\" FROM t"
        );
        assert!(sqlite("SELECT substring(a FROM 1 FOR $1) FROM t").contains("pgrq:22011"));
        assert_unsupported("SELECT substring(a FROM 'x.') FROM t", "regular expression");
    }

    #[test]
    fn wrong_argument_counts_are_undefined() {
        assert!(matches!(
            err("SELECT left('a')"),
            crate::sql::SqlError::UndefinedFunction { .. }
        ));
    }
}
