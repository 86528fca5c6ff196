//! jsonb's text output: PostgreSQL stores jsonb parsed, so it prints it
//! normalised — object keys sorted by length then bytes, duplicate keys
//! removed (the last wins), `": "` and `", "` separators, strings
//! re-escaped — while json keeps the text it was given. pgrq stores the
//! text, so jsonb values are normalised here, on the way out. Numbers keep
//! their text. Pure text in, text out.

/// `text` as PostgreSQL prints it as jsonb; `None` if it is not JSON.
pub fn normalize(text: &str) -> Option<String> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
    };
    let v = p.value()?;
    p.ws();
    if p.i != p.s.len() {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 8);
    write(&v, &mut out);
    Some(out)
}

enum J {
    Obj(Vec<(String, J)>),
    Arr(Vec<J>),
    Str(String),
    Raw(String),
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Option<J> {
        self.ws();
        match *self.s.get(self.i)? {
            b'{' => {
                self.i += 1;
                let mut members: Vec<(String, J)> = Vec::new();
                if self.eat(b'}') {
                    return Some(J::Obj(members));
                }
                loop {
                    self.ws();
                    let key = self.string()?;
                    if !self.eat(b':') {
                        return None;
                    }
                    let v = self.value()?;
                    members.retain(|(k, _)| *k != key);
                    members.push((key, v));
                    if self.eat(b'}') {
                        break;
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
                members.sort_by(|(a, _), (b, _)| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
                Some(J::Obj(members))
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                if self.eat(b']') {
                    return Some(J::Arr(items));
                }
                loop {
                    items.push(self.value()?);
                    if self.eat(b']') {
                        break;
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
                Some(J::Arr(items))
            }
            b'"' => self.string().map(J::Str),
            _ => {
                let start = self.i;
                while self.i < self.s.len()
                    && !matches!(
                        self.s[self.i],
                        b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r'
                    )
                {
                    self.i += 1;
                }
                let raw = std::str::from_utf8(&self.s[start..self.i]).ok()?;
                let valid = matches!(raw, "true" | "false" | "null")
                    || serde_json::from_str::<serde_json::Number>(raw).is_ok();
                valid.then(|| J::Raw(raw.to_string()))
            }
        }
    }

    /// A JSON string at the cursor, decoded.
    fn string(&mut self) -> Option<String> {
        if self.s.get(self.i) != Some(&b'"') {
            return None;
        }
        let start = self.i;
        self.i += 1;
        while self.i < self.s.len() {
            match self.s[self.i] {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    let raw = std::str::from_utf8(&self.s[start..self.i]).ok()?;
                    return serde_json::from_str(raw).ok();
                }
                _ => self.i += 1,
            }
        }
        None
    }
}

fn write(v: &J, out: &mut String) {
    match v {
        J::Raw(r) => out.push_str(r),
        J::Str(s) => out.push_str(&serde_json::to_string(s).unwrap_or_default()),
        J::Arr(items) => {
            out.push('[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                write(item, out);
            }
            out.push(']');
        }
        J::Obj(members) => {
            out.push('{');
            for (n, (k, item)) in members.iter().enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                out.push_str(&serde_json::to_string(k).unwrap_or_default());
                out.push_str(": ");
                write(item, out);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn normalises_like_postgres_jsonb() {
        assert_eq!(
            normalize(r#"{"bb":1,"a":[1,2,{"y":true,"x":null}],"c":"\u0041","a":2}"#).unwrap(),
            r#"{"a": 2, "c": "A", "bb": 1}"#
        );
        assert_eq!(normalize(" [ ] ").unwrap(), "[]");
        assert_eq!(normalize("{}").unwrap(), "{}");
        assert_eq!(normalize("1.50").unwrap(), "1.50");
        assert_eq!(normalize(r#""x\ny""#).unwrap(), r#""x\ny""#);
        assert!(normalize("{a:1}").is_none());
        assert!(normalize("[1,]").is_none());
    }
}
