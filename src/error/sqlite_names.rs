//! SQLite's messages about names and shapes (unknown column in an INSERT list, ambiguous or
//! duplicate column, wrong argument count, ORDER BY position out of range) read back as the
//! PostgreSQL errors a client expects. Only message text in, [`PgError`] out.

use super::{PgError, codes};

/// The PostgreSQL error for one of these SQLite messages, if it is one.
pub(super) fn name_error(msg: &str) -> Option<PgError> {
    if let Some(rest) = msg.strip_prefix("table ")
        && let Some((table, column)) = rest.split_once(" has no column named ")
    {
        return Some(PgError::new(
            codes::UNDEFINED_COLUMN,
            format!("column \"{column}\" of relation \"{table}\" does not exist"),
        ));
    }
    if let Some(c) = msg.strip_prefix("ambiguous column name: ") {
        let c = c.rsplit('.').next().unwrap_or(c);
        return Some(PgError::new(
            codes::AMBIGUOUS_COLUMN,
            format!("column reference \"{c}\" is ambiguous"),
        ));
    }
    if let Some(c) = msg.strip_prefix("duplicate column name: ") {
        return Some(PgError::new(
            codes::DUPLICATE_COLUMN,
            format!("column \"{c}\" specified more than once"),
        ));
    }
    if let Some(f) = msg
        .strip_prefix("wrong number of arguments to function ")
        .map(|f| f.trim_end_matches("()"))
    {
        return Some(
            PgError::new(
                codes::UNDEFINED_FUNCTION,
                format!("function {f} with this number of arguments does not exist"),
            )
            .with_hint(
                "No function matches the given name and argument types. You might need to add explicit type casts.",
            ),
        );
    }
    // "1st ORDER BY term out of range - should be between 1 and 2"
    for clause in ["ORDER BY", "GROUP BY"] {
        let marker = format!(" {clause} term out of range");
        if let Some(i) = msg.find(&marker) {
            let position: String = msg[..i].chars().take_while(char::is_ascii_digit).collect();
            return Some(PgError::new(
                codes::INVALID_COLUMN_REFERENCE,
                format!("{clause} position {position} is not in select list"),
            ));
        }
    }
    if let Some(f) = msg.strip_prefix("misuse of aggregate function ") {
        return Some(PgError::new(
            codes::GROUPING_ERROR,
            format!(
                "aggregate functions are not allowed here: {}",
                f.trim_end_matches("()")
            ),
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::name_error;

    #[test]
    fn name_errors_get_postgres_codes() {
        let cases = [
            ("table e has no column named nope", "42703"),
            ("ambiguous column name: id", "42702"),
            ("ambiguous column name: a.id", "42702"),
            ("duplicate column name: a", "42701"),
            ("wrong number of arguments to function length()", "42883"),
            (
                "1st ORDER BY term out of range - should be between 1 and 1",
                "42P10",
            ),
            (
                "2nd GROUP BY term out of range - should be between 1 and 1",
                "42P10",
            ),
            ("misuse of aggregate function count()", "42803"),
        ];
        for (msg, code) in cases {
            assert_eq!(name_error(msg).map(|e| e.code), Some(code), "{msg}");
        }
        assert_eq!(
            name_error("table e has no column named nope").map(|e| e.message),
            Some("column \"nope\" of relation \"e\" does not exist".to_string())
        );
        assert_eq!(
            name_error("12th ORDER BY term out of range - should be between 1 and 1")
                .map(|e| e.message),
            Some("ORDER BY position 12 is not in select list".to_string())
        );
        assert!(name_error("something else").is_none());
    }
}
