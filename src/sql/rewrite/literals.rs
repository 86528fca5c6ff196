//! Literal values: booleans become 1/0, PostgreSQL string spellings become
//! plain SQLite strings, and `$n` placeholders are handed to `params`.

use sqlparser::ast::Value;

use super::Rewriter;
use crate::sql::SqlError;

pub(super) fn rewrite_value(rw: &mut Rewriter<'_>, value: &mut Value) -> Result<(), SqlError> {
    let replacement = match value {
        Value::Placeholder(text) => return rw.params.placeholder(text),
        Value::Boolean(b) => Value::Number(if *b { "1" } else { "0" }.into(), false),
        // The parser has already decoded escapes; SQLite only needs the text.
        Value::EscapedStringLiteral(s)
        | Value::UnicodeStringLiteral(s)
        | Value::NationalStringLiteral(s) => Value::SingleQuotedString(std::mem::take(s)),
        Value::DollarQuotedString(d) => Value::SingleQuotedString(std::mem::take(&mut d.value)),
        Value::HexStringLiteral(_) => {
            // In PostgreSQL X'1F' is a bit string, in SQLite a blob.
            return Err(SqlError::unsupported("bit-string literal X'…'"));
        }
        Value::Number(..) | Value::SingleQuotedString(_) | Value::Null => return Ok(()),
        other => return Err(SqlError::unsupported(format!("literal {other}"))),
    };
    *value = replacement;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn booleans_become_integers() {
        assert_eq!(
            sqlite("SELECT TRUE, false WHERE flag = true"),
            "SELECT 1 AS \"bool\", 0 AS \"bool\" WHERE flag = 1"
        );
    }

    #[test]
    fn escape_and_dollar_strings_become_plain_strings() {
        assert_eq!(
            sqlite(r"SELECT E'it\'s\n'"),
            "SELECT 'it''s\n' AS \"?column?\""
        );
        assert_eq!(
            sqlite("SELECT $$a 'quoted' b$$"),
            "SELECT 'a ''quoted'' b' AS \"?column?\""
        );
        assert_eq!(sqlite("SELECT $tag$x$tag$"), "SELECT 'x' AS \"?column?\"");
    }

    #[test]
    fn standard_strings_keep_backslashes_and_quotes() {
        assert_eq!(
            sqlite(r"SELECT 'a\b', 'it''s'"),
            r#"SELECT 'a\b' AS "?column?", 'it''s' AS "?column?""#
        );
    }

    #[test]
    fn null_and_numbers_pass_through() {
        // Numeric output columns are exact text (`numeric_fold`); 1e3 is numeric 1000.
        assert_eq!(
            sqlite("SELECT NULL, 1.5, -2, 1e3"),
            "SELECT NULL AS \"?column?\", '1.5' AS \"?column?\", -2 AS \"?column?\", \
             '1000' AS \"?column?\""
        );
    }

    #[test]
    fn bit_strings_are_refused() {
        assert_unsupported("SELECT X'1F'", "bit-string");
    }
}
