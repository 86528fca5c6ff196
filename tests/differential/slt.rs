//! The subset of the sqllogictest format the corpus uses: `statement ok`,
//! `statement error <SQLSTATE>`, `query <types> [rowsort]` with `----` and one result row a
//! line (columns joined by a space, NULL as `NULL`, the empty string as `(empty)`), and
//! `query error <SQLSTATE>`. Parses files and writes them back with new expectations
//! (recording), keeping their comments.

use std::fmt::Write;

#[derive(Clone, Debug, PartialEq)]
pub enum Expect {
    Ok,
    Error(String),
    Rows {
        types: String,
        rowsort: bool,
        rows: Vec<String>,
    },
}

#[derive(Clone, Debug)]
pub struct Record {
    /// 1-based line of the record's header.
    pub line: usize,
    pub is_query: bool,
    pub comments: Vec<String>,
    pub sql: String,
    pub expect: Expect,
}

pub fn parse(text: &str) -> Result<Vec<Record>, String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut records = Vec::new();
    let mut comments = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_end();
        if line.is_empty() {
            i += 1;
            continue;
        }
        if line.starts_with('#') {
            comments.push(line.to_string());
            i += 1;
            continue;
        }
        let header_line = i + 1;
        let words: Vec<&str> = line.split_whitespace().collect();
        let (is_query, mut expect) = match words.as_slice() {
            ["statement", "ok"] => (false, Expect::Ok),
            ["statement", "error", code] | ["query", "error", code] => {
                (words[0] == "query", Expect::Error(code.to_string()))
            }
            ["query", types, rest @ ..] => (
                true,
                Expect::Rows {
                    types: types.to_string(),
                    rowsort: rest.contains(&"rowsort"),
                    rows: Vec::new(),
                },
            ),
            _ => return Err(format!("line {header_line}: unknown record `{line}`")),
        };
        i += 1;
        let mut sql = Vec::new();
        while i < lines.len() && !lines[i].trim().is_empty() && lines[i].trim() != "----" {
            sql.push(lines[i].trim_end());
            i += 1;
        }
        if i < lines.len() && lines[i].trim() == "----" {
            i += 1;
            let mut rows = Vec::new();
            while i < lines.len() && !lines[i].trim().is_empty() {
                rows.push(lines[i].trim_end().to_string());
                i += 1;
            }
            if let Expect::Rows { rows: r, .. } = &mut expect {
                *r = rows;
            }
        }
        if sql.is_empty() {
            return Err(format!("line {header_line}: record without SQL"));
        }
        records.push(Record {
            line: header_line,
            is_query,
            comments: std::mem::take(&mut comments),
            sql: sql.join("\n"),
            expect,
        });
    }
    Ok(records)
}

/// The file text for `records` (comments kept, one blank line between records).
pub fn render(records: &[Record]) -> String {
    let mut out = String::new();
    for (n, r) in records.iter().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        for c in &r.comments {
            let _ = writeln!(out, "{c}");
        }
        if !r.comments.is_empty() && n == 0 {
            out.push('\n');
        }
        match &r.expect {
            Expect::Ok => {
                let _ = writeln!(out, "statement ok\n{}", r.sql);
            }
            Expect::Error(code) => {
                let kind = if r.is_query { "query" } else { "statement" };
                let _ = writeln!(out, "{kind} error {code}\n{}", r.sql);
            }
            Expect::Rows {
                types,
                rowsort,
                rows,
            } => {
                let sort = if *rowsort { " rowsort" } else { "" };
                let _ = writeln!(out, "query {types}{sort}\n{}\n----", r.sql);
                for row in rows {
                    let _ = writeln!(out, "{}", row.trim_end());
                }
            }
        }
    }
    out
}

/// One result value as the corpus writes it (a line break as `\n`, so a row stays a line).
pub fn cell(v: Option<&str>) -> String {
    match v {
        None => "NULL".into(),
        Some("") => "(empty)".into(),
        Some(s) => s.replace('\n', "\\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let text = "# head\n\nstatement ok\nCREATE TABLE t (a int)\n\nstatement error 23505\nINSERT\nINTO t\n\n# q\nquery IT rowsort\nSELECT 1, 'a'\n----\n1 a\n2 (empty)\n";
        let records = parse(text).unwrap();
        assert_eq!(records.len(), 3);
        assert_eq!(records[1].sql, "INSERT\nINTO t");
        assert_eq!(records[2].line, 11);
        assert_eq!(render(&records), text);
    }
}
