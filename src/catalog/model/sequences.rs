//! Sequences of the model: explicit ones (their `pgrq_seq_<s>` table) and the ones behind
//! serial columns. It must not read tables, views or enum types.

use sqlparser::ast::{ColumnOption, Statement};

use super::*;

impl Sequence {
    /// A sequence made by CREATE SEQUENCE. Its options are the column defaults of its
    /// `pgrq_seq_<s>` table (`sql::rewrite::sequences`); a table without them (made before
    /// they were recorded) shows PostgreSQL's defaults for a bigint sequence.
    pub(super) fn explicit(name: &str, table: Option<&Statement>) -> Sequence {
        let mut seq = Sequence {
            name: name.to_string(),
            type_oid: 20,
            start: 1,
            increment: 1,
            min: 1,
            max: i64::MAX,
            cycle: false,
            owned_by: None,
        };
        let Some(Statement::CreateTable(ct)) = table else {
            return seq;
        };
        for col in &ct.columns {
            let default = col.options.iter().find_map(|o| match &o.option {
                ColumnOption::Default(e) => Some(e.to_string()),
                _ => None,
            });
            let Some(default) = default else { continue };
            let number = default.replace(' ', "").parse::<i64>().ok();
            match (col.name.value.as_str(), number) {
                ("start_value", Some(n)) => seq.start = n,
                ("increment_by", Some(n)) => seq.increment = n,
                ("min_value", Some(n)) => seq.min = n,
                ("max_value", Some(n)) => seq.max = n,
                ("cycle", Some(n)) => seq.cycle = n != 0,
                ("data_type", _) => {
                    seq.type_oid = match default.trim_matches('\'') {
                        "smallint" => 21,
                        "integer" => 23,
                        _ => 20,
                    }
                }
                _ => {}
            }
        }
        seq
    }

    pub(super) fn serial(name: &str, type_oid: u32, table: &str, column: &str) -> Sequence {
        let max = match type_oid {
            21 => i64::from(i16::MAX),
            23 => i64::from(i32::MAX),
            _ => i64::MAX,
        };
        Sequence {
            name: name.to_string(),
            type_oid,
            start: 1,
            increment: 1,
            min: 1,
            max,
            cycle: false,
            owned_by: Some((table.to_string(), column.to_string())),
        }
    }
}
