//! Parsing PostgreSQL text into statements.

use sqlparser::ast::Statement;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, Tokenizer};

use super::SqlError;

/// PostgreSQL statements that sqlparser cannot parse at all. A parse error
/// in a statement starting with one of these is reported as unsupported
/// rather than as a syntax error, since the SQL is valid PostgreSQL.
const UNPARSED_STATEMENTS: &[&str] = &[
    "DO",
    "VACUUM",
    "CLUSTER",
    "REINDEX",
    "CHECKPOINT",
    "REFRESH",
    "REASSIGN",
    "SECURITY",
    "IMPORT",
    "MOVE",
];

/// Parse `sql` (possibly several `;`-separated statements). Empty input or
/// input that is only comments and semicolons gives no statements.
pub(crate) fn parse(sql: &str) -> Result<Vec<Statement>, SqlError> {
    Parser::parse_sql(&PostgreSqlDialect {}, sql).or_else(|e| {
        // Spellings sqlparser lacks but knows an equivalent of (see `pg_syntax`).
        super::pg_syntax::normalize(sql)
            .and_then(|again| Parser::parse_sql(&PostgreSqlDialect {}, &again).ok())
            .ok_or_else(|| parse_error(sql, e))
    })
}

/// A (possibly qualified, possibly quoted) object name written as text, e.g. the
/// `'public."Seq"'` of `nextval('public."Seq"')`; `None` if it is not one.
pub(crate) fn parse_object_name(text: &str) -> Option<sqlparser::ast::ObjectName> {
    let mut parser = Parser::new(&PostgreSqlDialect {}).try_with_sql(text).ok()?;
    let name = parser.parse_object_name(false).ok()?;
    (parser.peek_token().token == Token::EOF).then_some(name)
}

fn parse_error(sql: &str, err: ParserError) -> SqlError {
    if let Some(keyword) = unparsed_statement_keyword(sql) {
        return SqlError::unsupported(format!("{keyword} statement"));
    }
    if let Some(construct) = super::pg_syntax::unparsed_construct(sql) {
        return SqlError::unsupported(construct);
    }
    let message = match err {
        ParserError::ParserError(m) | ParserError::TokenizerError(m) => m,
        ParserError::RecursionLimitExceeded => "statement is nested too deeply".to_string(),
    };
    SqlError::syntax(message)
}

/// The first keyword of any statement in `sql` that is one of
/// [`UNPARSED_STATEMENTS`].
fn unparsed_statement_keyword(sql: &str) -> Option<String> {
    let dialect = PostgreSqlDialect {};
    let tokens = Tokenizer::new(&dialect, sql).tokenize().ok()?;
    let mut at_statement_start = true;
    for token in tokens {
        match token {
            Token::Whitespace(_) => {}
            Token::SemiColon => at_statement_start = true,
            Token::Word(w) if at_statement_start => {
                let upper = w.value.to_ascii_uppercase();
                if w.quote_style.is_none() && UNPARSED_STATEMENTS.contains(&upper.as_str()) {
                    return Some(upper);
                }
                at_statement_start = false;
            }
            _ => at_statement_start = false,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_statements_and_skips_empty_ones() {
        assert_eq!(parse("SELECT 1;; SELECT 2;").unwrap().len(), 2);
        assert!(parse(" ; -- nothing\n").unwrap().is_empty());
    }

    #[test]
    fn syntax_errors_carry_the_parser_message() {
        match parse("SELEC 1") {
            Err(SqlError::Syntax { message }) => {
                assert!(message.contains("SELEC"), "{message}");
                assert!(!message.starts_with("sql parser error"), "{message}");
            }
            other => panic!("expected syntax error, got {other:?}"),
        }
    }

    #[test]
    fn valid_postgres_that_sqlparser_rejects_is_unsupported() {
        assert_eq!(
            parse("DO $$ BEGIN PERFORM 1; END $$"),
            Err(SqlError::unsupported("DO statement"))
        );
        assert_eq!(
            parse("SELECT 1; do $$ BEGIN END $$"),
            Err(SqlError::unsupported("DO statement"))
        );
    }
}
