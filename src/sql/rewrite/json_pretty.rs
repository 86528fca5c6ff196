//! `jsonb_pretty` of a constant document, as PostgreSQL prints it: the
//! document as jsonb stores it (object keys sorted by length then bytes,
//! the last of duplicate keys kept, numbers in numeric's form), one member or
//! element per line indented by four spaces, `"key": value`, and an empty
//! object or array opened and closed on two lines. Numbers in exponent form
//! are refused rather than converted.

use crate::sql::SqlError;

enum J {
    Obj(Vec<(String, J)>),
    Arr(Vec<J>),
    Str(String),
    /// A number, `true`, `false` or `null`, as printed.
    Raw(String),
}

/// The pretty text of the JSON document `text`.
pub(super) fn pretty(text: &str) -> Result<String, SqlError> {
    let bad = || SqlError::InvalidText {
        message: format!("invalid input syntax for type json: \"{text}\""),
    };
    // Validate first, so that the walk below only meets well-formed JSON.
    serde_json::from_str::<serde_json::Value>(text).map_err(|_| bad())?;
    let j = Parser {
        s: text.as_bytes(),
        i: 0,
    }
    .value()?;
    let mut out = String::new();
    write(&j, 0, &mut out);
    Ok(out)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn value(&mut self) -> Result<J, SqlError> {
        self.ws();
        let Some(&c) = self.s.get(self.i) else {
            return Err(SqlError::syntax("unexpected end of JSON"));
        };
        match c {
            b'{' => {
                self.i += 1;
                let mut members: Vec<(String, J)> = Vec::new();
                loop {
                    self.ws();
                    if self.s.get(self.i) == Some(&b'}') {
                        self.i += 1;
                        break;
                    }
                    let J::Str(k) = self.value()? else {
                        return Err(SqlError::syntax("object key is not a string"));
                    };
                    self.ws();
                    self.i += 1; // ':'
                    let v = self.value()?;
                    members.retain(|(old, _)| *old != k);
                    members.push((k, v));
                    self.ws();
                    if self.s.get(self.i) == Some(&b',') {
                        self.i += 1;
                    }
                }
                members.sort_by(|(a, _), (b, _)| a.len().cmp(&b.len()).then(a.cmp(b)));
                Ok(J::Obj(members))
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.ws();
                    if self.s.get(self.i) == Some(&b']') {
                        self.i += 1;
                        break;
                    }
                    items.push(self.value()?);
                    self.ws();
                    if self.s.get(self.i) == Some(&b',') {
                        self.i += 1;
                    }
                }
                Ok(J::Arr(items))
            }
            b'"' => {
                let start = self.i;
                self.i += 1;
                while self.i < self.s.len() && self.s[self.i] != b'"' {
                    self.i += if self.s[self.i] == b'\\' { 2 } else { 1 };
                }
                self.i += 1;
                let raw = std::str::from_utf8(&self.s[start..self.i.min(self.s.len())])
                    .map_err(|_| SqlError::syntax("invalid UTF-8 in JSON"))?;
                let s: String = serde_json::from_str(raw)
                    .map_err(|_| SqlError::syntax("invalid JSON string"))?;
                Ok(J::Str(s))
            }
            _ => {
                let start = self.i;
                while self.i < self.s.len()
                    && !matches!(self.s[self.i], b',' | b']' | b'}')
                    && !self.s[self.i].is_ascii_whitespace()
                {
                    self.i += 1;
                }
                let tok = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
                Ok(J::Raw(number_text(tok)?))
            }
        }
    }
}

/// A number as jsonb prints it (numeric's text); literals unchanged.
fn number_text(tok: String) -> Result<String, SqlError> {
    if matches!(tok.as_str(), "true" | "false" | "null") {
        return Ok(tok);
    }
    if tok.contains(['e', 'E']) {
        return Err(SqlError::unsupported(
            "jsonb_pretty() of a number in exponent form",
        ));
    }
    // numeric has no negative zero.
    if let Some(rest) = tok.strip_prefix('-')
        && rest.bytes().all(|b| b == b'0' || b == b'.')
    {
        return Ok(rest.to_string());
    }
    Ok(tok)
}

fn indent(level: usize, out: &mut String) {
    out.push('\n');
    for _ in 0..level {
        out.push_str("    ");
    }
}

fn write(j: &J, level: usize, out: &mut String) {
    match j {
        J::Obj(members) => {
            out.push('{');
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                indent(level + 1, out);
                quote(k, out);
                out.push_str(": ");
                write(v, level + 1, out);
            }
            indent(level, out);
            out.push('}');
        }
        J::Arr(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                indent(level + 1, out);
                write(v, level + 1, out);
            }
            indent(level, out);
            out.push(']');
        }
        J::Str(s) => quote(s, out),
        J::Raw(r) => out.push_str(r),
    }
}

/// A string as PostgreSQL's JSON output escapes it.
fn quote(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::pretty;

    #[test]
    fn prints_as_postgresql() {
        assert_eq!(
            pretty(r#"{"b":[1,{"c":[]},{}],"a":1,"d":{}}"#).unwrap(),
            "{\n    \"a\": 1,\n    \"b\": [\n        1,\n        {\n            \"c\": [\n            ]\n        },\n        {\n        }\n    ],\n    \"d\": {\n    }\n}"
        );
        assert_eq!(
            pretty(r#"[-0, 1.50, "é\n", {"a": 1, "a": 2}]"#).unwrap(),
            "[\n    0,\n    1.50,\n    \"é\\n\",\n    {\n        \"a\": 2\n    }\n]"
        );
        assert_eq!(pretty("{}").unwrap(), "{\n}");
        assert_eq!(pretty(" 1 ").unwrap(), "1");
        assert!(pretty("[1e2]").is_err());
        assert!(pretty("{bad").is_err());
    }
}
