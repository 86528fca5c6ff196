//! `$n` parameters: renumbered to SQLite's `?n`, counted, and typed where
//! the SQL states a type.

use std::collections::{BTreeMap, BTreeSet};

use sqlparser::ast::{Expr, Value};

use crate::sql::{PgType, SqlError};

/// PostgreSQL's limit on parameters in one statement.
const MAX_PARAMS: usize = 65_535;

/// Parameters seen so far in one statement.
#[derive(Debug, Default)]
pub(super) struct Params {
    max: usize,
    types: BTreeMap<usize, PgType>,
    json_arrays: BTreeSet<usize>,
    /// How often each parameter occurs, and how often as a JSON array.
    uses: BTreeMap<usize, (usize, usize)>,
}

impl Params {
    /// Highest parameter number referenced.
    pub(super) fn count(&self) -> usize {
        self.max
    }

    /// One entry per parameter `1..=count`.
    pub(super) fn types(&self) -> Vec<Option<PgType>> {
        (1..=self.max)
            .map(|i| self.types.get(&i).copied())
            .collect()
    }

    /// Rewrite a `$n` placeholder to `?n`, recording `n`.
    pub(super) fn placeholder(&mut self, text: &mut String) -> Result<(), SqlError> {
        let index = parse_placeholder(text)?;
        self.max = self.max.max(index);
        self.uses.entry(index).or_default().0 += 1;
        *text = format!("?{index}");
        Ok(())
    }

    /// Record the type the SQL gives parameter `index`; the first stated
    /// type wins, as PostgreSQL infers from the first use.
    pub(super) fn note_type(&mut self, index: usize, ty: PgType) {
        self.types.entry(index).or_insert(ty);
    }

    /// Record that parameter `index` (an array) is to be sent as a JSON array
    /// (see `array_params`).
    pub(super) fn note_json_array(&mut self, index: usize) {
        self.json_arrays.insert(index);
        self.uses.entry(index).or_default().1 += 1;
    }

    /// A parameter sent as a JSON array cannot also be used as a value (it
    /// would read as JSON, not as PostgreSQL's array text): 0A000.
    pub(super) fn check_json_arrays(&self) -> Result<(), SqlError> {
        for index in &self.json_arrays {
            if let Some((all, json)) = self.uses.get(index)
                && all != json
            {
                return Err(SqlError::unsupported(format!(
                    "parameter ${index} used both as an array read element by element \
                     (ANY, unnest, array functions) and as a value"
                )));
            }
        }
        Ok(())
    }

    /// The parameters recorded by [`Params::note_json_array`], ascending.
    pub(super) fn json_arrays(&self) -> Vec<usize> {
        self.json_arrays.iter().copied().collect()
    }
}

fn parse_placeholder(text: &str) -> Result<usize, SqlError> {
    let digits = match text.strip_prefix('$') {
        Some(d) if !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()) => d,
        _ => {
            return Err(SqlError::syntax(format!(
                "syntax error at or near \"{text}\" (parameters are written $1, $2, …)"
            )));
        }
    };
    match digits.parse::<usize>() {
        Ok(n) if (1..=MAX_PARAMS).contains(&n) => Ok(n),
        _ => Err(SqlError::InvalidParameterRef {
            message: format!("there is no parameter {text} (parameters are numbered from $1)"),
        }),
    }
}

/// The parameter number of an already rewritten `?n` placeholder, looking
/// through parentheses.
pub(super) fn param_index(expr: &Expr) -> Option<usize> {
    match expr {
        Expr::Nested(inner) => param_index(inner),
        Expr::Value(v) => match &v.value {
            Value::Placeholder(p) => p.strip_prefix('?')?.parse().ok(),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;
    use crate::sql::{PgType, SqlError};

    #[test]
    fn placeholders_become_numbered_sqlite_parameters() {
        let t = tr("SELECT * FROM t WHERE a = $1 AND b = $2 OR c = $1");
        assert_eq!(
            t.sqlite.as_deref(),
            Some("SELECT * FROM t WHERE a = ?1 AND b = ?2 OR c = ?1")
        );
        assert_eq!(t.param_count, 2);
        assert_eq!(t.param_types, vec![None, None]);
    }

    #[test]
    fn gaps_are_allowed_and_counted_to_the_highest() {
        let t = tr("SELECT $3");
        assert_eq!(t.sqlite.as_deref(), Some("SELECT ?3 AS \"?column?\""));
        assert_eq!(t.param_count, 3);
        assert_eq!(t.param_types.len(), 3);
    }

    #[test]
    fn no_parameters_means_zero() {
        let t = tr("SELECT 1");
        assert_eq!(t.param_count, 0);
        assert!(t.param_types.is_empty());
    }

    #[test]
    fn dollar_zero_is_an_invalid_parameter_reference() {
        match err("SELECT $0") {
            SqlError::InvalidParameterRef { message } => assert!(message.contains("$0")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            err("SELECT $70000"),
            SqlError::InvalidParameterRef { .. }
        ));
    }

    #[test]
    fn stated_types_are_recorded() {
        let t = tr("SELECT $1::int8, CAST($2 AS text), $3, ($4)::boolean");
        assert_eq!(
            t.param_types,
            vec![
                Some(PgType::Int8),
                Some(PgType::Text),
                None,
                Some(PgType::Bool)
            ]
        );
        assert_eq!(
            t.sqlite.as_deref(),
            Some(
                "SELECT CAST(?1 AS INTEGER) AS \"int8\", CAST(?2 AS TEXT) AS \"text\", \
                 ?3 AS \"?column?\", CAST((?4) AS INTEGER) AS \"bool\""
            )
        );
    }

    #[test]
    fn first_stated_type_wins() {
        let t = tr("SELECT $1::int4 WHERE $1::text = 'x'");
        assert_eq!(t.param_types, vec![Some(PgType::Int4)]);
    }

    #[test]
    fn parameters_in_writes_and_limits() {
        let t = tr("UPDATE t SET a = $2 WHERE id = $1::int8 RETURNING a");
        assert_eq!(t.param_count, 2);
        assert_eq!(t.param_types, vec![Some(PgType::Int8), None]);
        assert!(sqlite("SELECT * FROM t LIMIT $1 OFFSET $2").contains("LIMIT ?1 OFFSET ?2"));
    }
}
