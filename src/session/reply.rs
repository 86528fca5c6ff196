//! What a statement gives back to the wire layer: rows with their PostgreSQL column types,
//! or a command tag (`INSERT 0 3`, `UPDATE 2`, `CREATE TABLE`), or a transaction boundary.

use super::{Output, Value};
use crate::sql::{PgType, StatementKind, Translated};

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub pg_type: PgType,
    /// Digits after the point for a `numeric(p,s)` column (PostgreSQL prints them all).
    pub scale: Option<u32>,
}

impl Column {
    pub fn new(name: impl Into<String>, pg_type: PgType) -> Column {
        Column {
            name: name.into(),
            pg_type,
            scale: None,
        }
    }

    /// With the scale of a declared `numeric(p,s)` / `decimal(p,s)` type, if any.
    pub fn declared(name: impl Into<String>, pg_type: PgType, decl: &str) -> Column {
        let scale = if pg_type == PgType::Numeric {
            numeric_scale(decl)
        } else {
            None
        };
        Column {
            scale,
            ..Column::new(name, pg_type)
        }
    }
}

/// `numeric(10,2)` → 2, `NUMERIC(5)` → 0, `numeric` → none.
pub fn numeric_scale(decl: &str) -> Option<u32> {
    let lower = decl.trim().to_ascii_lowercase();
    let args = lower
        .strip_prefix("numeric")
        .or_else(|| lower.strip_prefix("decimal"))?
        .trim()
        .strip_prefix('(')?
        .strip_suffix(')')?;
    match args.split_once(',') {
        Some((_, s)) => s.trim().parse().ok(),
        None => Some(0),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Rows {
        columns: Vec<Column>,
        rows: Vec<Vec<Value>>,
        tag: String,
    },
    Command {
        tag: String,
    },
    TxnStart(String),
    TxnEnd(String),
    Empty,
}

impl Reply {
    pub fn command(tag: &str) -> Reply {
        Reply::Command {
            tag: tag.to_string(),
        }
    }

    /// Text columns, for SHOW and other answers pgrq makes itself.
    pub fn text_rows(names: &[&str], rows: Vec<Vec<Value>>, verb: &str) -> Reply {
        let columns = text_columns(names);
        let tag = if verb == "SELECT" {
            format!("SELECT {}", rows.len())
        } else {
            verb.to_string()
        };
        Reply::Rows { columns, rows, tag }
    }

    pub fn from_output(t: &Translated, out: Output) -> Reply {
        let affected = out.rows_affected;
        match (out.rows, &t.kind) {
            (Some(rows), _) if matches!(t.kind, StatementKind::Query) || t.returning => {
                let n = rows.values.len() as u64;
                // The SQL's own types count only when they line up with the result.
                let from_sql: &[Option<PgType>] = if t.column_types.len() == rows.columns.len() {
                    &t.column_types
                } else {
                    &[]
                };
                let mut columns =
                    columns_of(&rows.columns, from_sql, &rows.decl_types, &rows.values);
                with_sql_scales(&mut columns, t);
                let mut rows = rows;
                finish_avgs(&mut rows.values, &t.column_avgs);
                let count = if t.returning { n.max(affected) } else { n };
                Reply::Rows {
                    columns,
                    rows: rows.values,
                    tag: tag_with_count(&t.tag, count),
                }
            }
            (None, StatementKind::Query) => Reply::Rows {
                columns: Vec::new(),
                rows: Vec::new(),
                tag: tag_with_count(&t.tag, 0),
            },
            _ => Reply::Command {
                tag: tag_with_count(&t.tag, affected),
            },
        }
    }
}

pub fn text_columns(names: &[&str]) -> Vec<Column> {
    names
        .iter()
        .map(|n| Column::new(*n, PgType::Text))
        .collect()
}

/// The columns `SHOW name` returns (`SHOW ALL`: name, setting, description).
pub fn show_columns(name: &str) -> Vec<Column> {
    if name == "all" {
        text_columns(&SHOW_ALL)
    } else {
        text_columns(&[name])
    }
}

pub const SHOW_ALL: [&str; 3] = ["name", "setting", "description"];

/// PostgreSQL's command tags carry row counts for these verbs.
pub fn tag_with_count(verb: &str, n: u64) -> String {
    match verb {
        "INSERT" => format!("INSERT 0 {n}"),
        "SELECT" | "UPDATE" | "DELETE" | "MERGE" | "FETCH" | "MOVE" | "COPY" => {
            format!("{verb} {n}")
        }
        _ => verb.to_string(),
    }
}

/// Numeric columns whose scale the SQL fixes (`Translated::column_scales`) print with it
/// (a declared `numeric(p,s)` column already has its own).
pub fn with_sql_scales(columns: &mut [Column], t: &Translated) {
    if t.column_scales.len() != columns.len() {
        return;
    }
    for (c, s) in columns.iter_mut().zip(&t.column_scales) {
        if c.pg_type == PgType::Numeric && c.scale.is_none() {
            c.scale = *s;
        }
    }
}

/// The exact `avg` columns (`Translated::column_avgs`) arrive as `sum/count` text: divide
/// them with numeric's rules.
pub fn finish_avgs(rows: &mut [Vec<Value>], avgs: &[Option<u32>]) {
    for row in rows {
        for (v, scale) in row.iter_mut().zip(avgs) {
            if let (Some(scale), Value::Text(pair)) = (scale, &*v)
                && let Some(q) = crate::sql::decimal::avg_text(pair, *scale)
            {
                *v = Value::Text(q);
            }
        }
    }
}

/// Column types: what the SQL says (`Translated::column_types`), else the declared type
/// rqlite reports, else the first non-null value.
fn columns_of(
    names: &[String],
    from_sql: &[Option<PgType>],
    decl: &[String],
    values: &[Vec<Value>],
) -> Vec<Column> {
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let declared = decl.get(i).map(String::as_str).unwrap_or("");
            let pg_type = if let Some(Some(t)) = from_sql.get(i) {
                *t
            } else if declared.is_empty() {
                infer(values.iter().filter_map(|r| r.get(i)))
            } else {
                PgType::from_decl(declared)
            };
            Column::declared(name.clone(), pg_type, declared)
        })
        .collect()
}

fn infer<'a>(mut vals: impl Iterator<Item = &'a Value>) -> PgType {
    match vals.find(|v| !matches!(v, Value::Null)) {
        Some(Value::Int(_)) => PgType::Int8,
        Some(Value::Real(_)) => PgType::Float8,
        Some(Value::Blob(_)) => PgType::Bytea,
        Some(Value::Bool(_)) => PgType::Bool,
        Some(Value::Text(_)) | Some(Value::Null) | None => PgType::Text,
    }
}

#[cfg(test)]
mod tests {
    use super::numeric_scale;

    #[test]
    fn scales_of_declared_numerics() {
        assert_eq!(numeric_scale("numeric(10,2)"), Some(2));
        assert_eq!(numeric_scale("NUMERIC(10, 4)"), Some(4));
        assert_eq!(numeric_scale("decimal(5)"), Some(0));
        assert_eq!(numeric_scale("numeric"), None);
        assert_eq!(numeric_scale("text"), None);
    }
}
