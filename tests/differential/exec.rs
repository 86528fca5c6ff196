//! Runs one corpus record over a tokio-postgres connection in the simple protocol
//! (`simple_query`: the server's text) or the extended protocol (Parse/Bind/Execute with
//! binary results, turned into PostgreSQL's text by `pgtext`), and compares the outcome with
//! the record's expectation. Errors carry their SQLSTATE.

use std::time::Duration;

use tokio_postgres::types::Type;
use tokio_postgres::{Client, SimpleQueryMessage};

use crate::pgtext::{self, Raw};
use crate::slt::{Expect, Record, cell};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Simple,
    Extended,
}

impl Protocol {
    pub const BOTH: [Protocol; 2] = [Protocol::Simple, Protocol::Extended];

    pub fn name(self) -> &'static str {
        match self {
            Protocol::Simple => "simple",
            Protocol::Extended => "extended",
        }
    }
}

#[derive(Clone, Debug)]
pub enum Outcome {
    Ok,
    Error { code: String, message: String },
    Rows(Vec<String>),
}

/// A statement that does not answer within this is reported as failed (and the session is
/// probably unusable afterwards, which the following records will show).
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(60);

pub async fn run(client: &Client, protocol: Protocol, record: &Record) -> Outcome {
    let fut = async {
        match protocol {
            Protocol::Simple => simple(client, &record.sql).await,
            Protocol::Extended if record.is_query => extended_query(client, &record.sql).await,
            Protocol::Extended => match client.execute(record.sql.as_str(), &[]).await {
                Ok(_) => Outcome::Ok,
                Err(e) => error(&e),
            },
        }
    };
    match tokio::time::timeout(STATEMENT_TIMEOUT, fut).await {
        Ok(outcome) => outcome,
        Err(_) => Outcome::Error {
            code: "timeout".into(),
            message: format!("no answer within {STATEMENT_TIMEOUT:?}"),
        },
    }
}

async fn simple(client: &Client, sql: &str) -> Outcome {
    match client.simple_query(sql).await {
        Err(e) => error(&e),
        Ok(messages) => Outcome::Rows(
            messages
                .iter()
                .filter_map(|m| match m {
                    SimpleQueryMessage::Row(r) => Some(
                        (0..r.len())
                            .map(|i| cell(r.get(i)))
                            .collect::<Vec<_>>()
                            .join(" "),
                    ),
                    _ => None,
                })
                .collect(),
        ),
    }
}

async fn extended_query(client: &Client, sql: &str) -> Outcome {
    let statement = match client.prepare(sql).await {
        Ok(s) => s,
        Err(e) => return error(&e),
    };
    let rows = match client.query(&statement, &[]).await {
        Ok(r) => r,
        Err(e) => return error(&e),
    };
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut cells = Vec::with_capacity(row.len());
        for (i, column) in row.columns().iter().enumerate() {
            let value = match row.try_get::<_, Option<Raw>>(i) {
                Ok(None) => None,
                Ok(Some(Raw(bytes))) => match pgtext::text(column.type_(), &bytes) {
                    Ok(s) => Some(s),
                    Err(message) => {
                        return Outcome::Error {
                            code: "decode".into(),
                            message,
                        };
                    }
                },
                Err(e) => return error(&e),
            };
            cells.push(cell(value.as_deref()));
        }
        out.push(cells.join(" "));
    }
    Outcome::Rows(out)
}

fn error(e: &tokio_postgres::Error) -> Outcome {
    match e.as_db_error() {
        Some(db) => Outcome::Error {
            code: db.code().code().to_string(),
            message: db.message().to_string(),
        },
        None => Outcome::Error {
            code: "client".into(),
            message: e.to_string(),
        },
    }
}

/// The sqllogictest type letters of a query's result columns, from a Parse/Describe.
pub async fn column_types(client: &Client, sql: &str) -> Option<String> {
    let statement = client.prepare(sql).await.ok()?;
    let letters: String = statement
        .columns()
        .iter()
        .map(|c| match *c.type_() {
            Type::INT2 | Type::INT4 | Type::INT8 | Type::OID => 'I',
            Type::FLOAT4 | Type::FLOAT8 | Type::NUMERIC => 'R',
            _ => 'T',
        })
        .collect();
    (!letters.is_empty()).then_some(letters)
}

/// Ok, or what differs (brief, for the report).
pub fn check(expect: &Expect, got: &Outcome) -> Result<(), String> {
    match (expect, got) {
        (Expect::Ok, Outcome::Error { code, message }) => {
            Err(format!("expected success, got {code}: {message}"))
        }
        (Expect::Ok, _) => Ok(()),
        (Expect::Error(want), Outcome::Error { code, .. }) if want == code => Ok(()),
        (Expect::Error(want), Outcome::Error { code, message }) => {
            Err(format!("expected {want}, got {code}: {message}"))
        }
        (Expect::Error(want), _) => Err(format!("expected error {want}, got success")),
        (Expect::Rows { .. }, Outcome::Error { code, message }) => {
            Err(format!("expected rows, got {code}: {message}"))
        }
        (Expect::Rows { .. }, Outcome::Ok) => Err("expected rows, got none".into()),
        (Expect::Rows { rowsort, rows, .. }, Outcome::Rows(got)) => {
            // Files keep no trailing whitespace, so neither side's counts.
            let trim = |rows: &[String]| -> Vec<String> {
                rows.iter().map(|r| r.trim_end().to_string()).collect()
            };
            let mut got = trim(got);
            let mut want = trim(rows);
            if *rowsort {
                got.sort();
                want.sort();
            }
            if got == want {
                return Ok(());
            }
            if got.len() != want.len() {
                return Err(format!(
                    "expected {} rows, got {}: {}",
                    want.len(),
                    got.len(),
                    brief(&got)
                ));
            }
            let (w, g) = want
                .iter()
                .zip(&got)
                .find(|(w, g)| w != g)
                .unwrap_or((&want[0], &got[0]));
            Err(format!("expected `{w}`, got `{g}`"))
        }
    }
}

fn brief(rows: &[String]) -> String {
    let shown: Vec<&str> = rows.iter().take(3).map(String::as_str).collect();
    let more = if rows.len() > 3 { " …" } else { "" };
    format!("[{}]{more}", shown.join(" / "))
}

/// What PostgreSQL answered, as the record's new expectation.
pub fn expectation(record: &Record, got: &Outcome, types: Option<String>) -> Expect {
    match got {
        Outcome::Error { code, .. } => Expect::Error(code.clone()),
        Outcome::Ok => Expect::Ok,
        Outcome::Rows(rows) if record.is_query => {
            let (old_types, rowsort) = match &record.expect {
                Expect::Rows { types, rowsort, .. } => (types.clone(), *rowsort),
                _ => ("T".to_string(), false),
            };
            Expect::Rows {
                types: types.unwrap_or(old_types),
                rowsort,
                rows: rows.clone(),
            }
        }
        Outcome::Rows(_) => Expect::Ok,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(r: &[&str]) -> Vec<String> {
        r.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn errors_match_by_sqlstate_and_rows_exactly() {
        let err = |code: &str| Outcome::Error {
            code: code.into(),
            message: "m".into(),
        };
        assert!(check(&Expect::Error("23505".into()), &err("23505")).is_ok());
        assert!(check(&Expect::Error("23505".into()), &err("XX000")).is_err());
        assert!(check(&Expect::Error("23505".into()), &Outcome::Ok).is_err());
        assert!(check(&Expect::Ok, &err("0A000")).is_err());
        assert!(check(&Expect::Ok, &Outcome::Rows(rows(&["1"]))).is_ok());
        let want = |sort: bool| Expect::Rows {
            types: "IT".into(),
            rowsort: sort,
            rows: rows(&["1 a", "2 b"]),
        };
        let swapped = Outcome::Rows(rows(&["2 b", "1 a  "]));
        assert!(check(&want(false), &swapped).is_err());
        assert!(check(&want(true), &swapped).is_ok());
        assert!(check(&want(false), &Outcome::Rows(rows(&["1 a"]))).is_err());
    }
}
