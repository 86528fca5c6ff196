//! `format(fmt, args…)` with a constant format of `%s`, `%I`, `%L` and
//! `%%` (no positions or widths), as a concatenation: `%s` is the argument
//! as text ('' for NULL), `%I` quote_ident, `%L` a quoted literal (`NULL`
//! unquoted). `encode`/`decode` with 'hex' use SQLite's hex()/unhex(); with
//! 'base64', a constant is converted here. Other forms are refused by name.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sqlparser::ast::{BinaryOperator as B, Expr, Value};

use super::build::{bin, literal_str, raise};
use super::strings::QUOTE_IDENT;
use super::{call, string, template};
use crate::sql::SqlError;

const LITERAL: &str = "CASE WHEN pgrq_arg1 IS NULL THEN 'NULL' \
     WHEN instr(CAST(pgrq_arg1 AS TEXT), char(92)) > 0 \
     THEN 'E''' || replace(replace(CAST(pgrq_arg1 AS TEXT), char(92), char(92, 92)), '''', '''''') || '''' \
     ELSE '''' || replace(CAST(pgrq_arg1 AS TEXT), '''', '''''') || '''' END";

pub(super) fn function(name: &str, args: &mut [Expr]) -> Result<Option<Expr>, SqlError> {
    match name {
        "format" => format(args).map(Some),
        "encode" | "decode" => coding(name, args).map(Some),
        _ => Ok(None),
    }
}

fn format(args: &[Expr]) -> Result<Expr, SqlError> {
    let Some((fmt, values)) = args.split_first() else {
        return Err(SqlError::UndefinedFunction {
            name: "format with 0 argument(s)".into(),
        });
    };
    let Some(fmt) = literal_str(fmt) else {
        return Err(SqlError::unsupported(
            "format() with a format that is not a constant",
        ));
    };
    let mut parts: Vec<Expr> = Vec::new();
    let mut text = String::new();
    let mut next = values.iter();
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            text.push(c);
            continue;
        }
        let spec = chars.next();
        if spec == Some('%') {
            text.push('%');
            continue;
        }
        let part = match spec {
            Some('s') | Some('I') | Some('L') => {
                let Some(v) = next.next() else {
                    return Ok(raise("22023", "too few arguments for format()"));
                };
                match spec {
                    Some('s') => template::fill(
                        "coalesce(CAST(pgrq_arg1 AS TEXT), '')",
                        std::slice::from_ref(v),
                    )?,
                    Some('I') => template::fill(QUOTE_IDENT, std::slice::from_ref(v))?,
                    _ => template::fill(LITERAL, std::slice::from_ref(v))?,
                }
            }
            _ => {
                return Err(SqlError::unsupported(format!(
                    "format() with the specifier in '{fmt}' (only %s, %I, %L and %%)"
                )));
            }
        };
        if !text.is_empty() {
            parts.push(string(&std::mem::take(&mut text)));
        }
        parts.push(part);
    }
    if !text.is_empty() || parts.is_empty() {
        parts.push(string(&text));
    }
    let mut it = parts.into_iter();
    let first = it.next().unwrap_or_else(|| string(""));
    Ok(Expr::Nested(Box::new(
        it.fold(first, |acc, p| bin(acc, B::StringConcat, p)),
    )))
}

/// encode(bytes, 'hex'|'base64') / decode(text, 'hex'|'base64').
fn coding(name: &str, args: &mut [Expr]) -> Result<Expr, SqlError> {
    let [value, scheme] = args else {
        return Err(SqlError::UndefinedFunction {
            name: format!("{name} with {} argument(s)", args.len()),
        });
    };
    let Some(scheme) = literal_str(scheme).map(str::to_ascii_lowercase) else {
        return Err(SqlError::unsupported(format!(
            "{name}() with an encoding that is not a constant"
        )));
    };
    match (name, scheme.as_str()) {
        ("encode", "hex") => Ok(call("lower", vec![call("hex", vec![value.clone()])])),
        ("decode", "hex") => Ok(call("unhex", vec![value.clone()])),
        ("encode", "base64") => match constant_bytes(value) {
            Some(bytes) => Ok(string(&wrap76(&STANDARD.encode(bytes)))),
            None => Err(SqlError::unsupported(
                "encode(…, 'base64') of a value that is not a constant",
            )),
        },
        ("decode", "base64") => {
            let Some(text) = literal_str(value) else {
                return Err(SqlError::unsupported(
                    "decode(…, 'base64') of a value that is not a constant",
                ));
            };
            let clean: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            match STANDARD.decode(clean) {
                Ok(bytes) => Ok(Expr::value(Value::HexStringLiteral(
                    bytes.iter().map(|b| format!("{b:02x}")).collect(),
                ))),
                Err(_) => Ok(raise("22023", "invalid base64 sequence")),
            }
        }
        _ => Err(SqlError::unsupported(format!(
            "{name}() with encoding '{scheme}'"
        ))),
    }
}

/// PostgreSQL breaks base64 output into lines of 76 characters.
fn wrap76(s: &str) -> String {
    let bytes = s.as_bytes();
    bytes
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The bytes of a constant bytea (`X'…'` after the cast's rewrite) or text.
fn constant_bytes(e: &Expr) -> Option<Vec<u8>> {
    match e {
        Expr::Nested(inner) => constant_bytes(inner),
        Expr::Value(v) => match &v.value {
            Value::HexStringLiteral(h) => (0..h.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(h.get(i..i + 2)?, 16).ok())
                .collect(),
            Value::SingleQuotedString(s) => Some(s.as_bytes().to_vec()),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn format_becomes_a_concatenation() {
        let out = sqlite("SELECT format('%s is %s%%', a, 1) FROM t");
        assert_eq!(
            out,
            "SELECT ((((coalesce(CAST(a AS TEXT), '') || ' is ') || coalesce(CAST(1 AS TEXT), '')) \
             || '%')) AS \"format\" FROM t"
        );
        assert!(sqlite("SELECT format('%I.%L', 'Tbl', 'v')").contains("glob('[a-z_]*'"));
        assert_unsupported("SELECT format('%1$s', 'a')", "format()");
    }

    #[test]
    fn encode_and_decode() {
        assert_eq!(
            sqlite(
                "SELECT encode('hello'::bytea, 'base64'), encode(b, 'hex'), \
                 decode('aGk=', 'base64') FROM t"
            ),
            "SELECT 'aGVsbG8=' AS \"encode\", lower(hex(b)) AS \"encode\", \
             X'6869' AS \"decode\" FROM t"
        );
        assert_unsupported("SELECT encode(b, 'escape') FROM t", "encode()");
    }
}
