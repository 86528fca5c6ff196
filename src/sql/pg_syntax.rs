//! PostgreSQL spellings that sqlparser does not parse although they mean exactly what a
//! form it does parse means, rewritten at the token level before a second parse (only
//! after the first one failed):
//!
//! * CREATE SEQUENCE options in any order (PostgreSQL and pg_dump write `START WITH 1
//!   INCREMENT BY 1 …`; sqlparser accepts them only as INCREMENT, MINVALUE, MAXVALUE,
//!   START, CACHE, CYCLE, OWNED BY);
//! * `DROP INDEX CONCURRENTLY` (which SQLite has no use for: the keyword is dropped);
//! * `INSERT INTO t … OVERRIDING SYSTEM VALUE`: the clause becomes the table alias
//!   [`OVERRIDING_SYSTEM_VALUE`], which the identity check reads as permission to give a
//!   GENERATED ALWAYS column a value (SQLite accepts the alias and ignores it).

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, Tokenizer};

/// `sql` with those spellings rewritten, or `None` when there are none.
pub(crate) fn normalize(sql: &str) -> Option<String> {
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize().ok()?;
    let mut out = String::with_capacity(sql.len());
    let mut changed = false;
    for stmt in tokens.split(|t| *t == Token::SemiColon) {
        if !out.is_empty() {
            out.push(';');
        }
        let words: Vec<&Token> = stmt
            .iter()
            .filter(|t| !matches!(t, Token::Whitespace(_)))
            .collect();
        let rewritten = drop_index_concurrently(&words)
            .or_else(|| sequence_options(&words))
            .or_else(|| overriding_system_value(&words));
        match rewritten {
            Some(text) => {
                changed = true;
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(&text);
            }
            None => stmt.iter().for_each(|t| out.push_str(&t.to_string())),
        }
    }
    changed.then_some(out)
}

/// A PostgreSQL construct that sqlparser cannot parse and pgrq does not support, named
/// for a 0A000 instead of a syntax error.
pub(crate) fn unparsed_construct(sql: &str) -> Option<&'static str> {
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize().ok()?;
    let words: Vec<String> = tokens
        .iter()
        .filter_map(|t| match t {
            Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
            Token::Whitespace(_) => None,
            _ => Some(String::new()),
        })
        .collect();
    words
        .windows(2)
        .find_map(|w| match (w[0].as_str(), w[1].as_str()) {
            ("ALTER", "SEQUENCE") => Some("ALTER SEQUENCE"),
            ("OVERRIDING", "SYSTEM" | "USER") => Some("INSERT … OVERRIDING SYSTEM/USER VALUE"),
            _ => None,
        })
}

/// The INSERT alias standing for `OVERRIDING SYSTEM VALUE` (see the module doc).
pub(crate) const OVERRIDING_SYSTEM_VALUE: &str = "pgrq_overriding_system_value";

fn overriding_system_value(words: &[&Token]) -> Option<String> {
    let is_word = |t: &Token, w: &str| matches!(t, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    if !(words.len() > 5 && is_word(words[0], "INSERT") && is_word(words[1], "INTO")) {
        return None;
    }
    let at = (2..words.len() - 2).find(|&i| {
        is_word(words[i], "OVERRIDING")
            && is_word(words[i + 1], "SYSTEM")
            && is_word(words[i + 2], "VALUE")
    })?;
    let name_end = (2..at).find(|&i| *words[i] == Token::LParen).unwrap_or(at);
    if words[2..name_end].iter().any(|t| is_word(t, "AS")) {
        return None;
    }
    Some(format!(
        "{} AS {OVERRIDING_SYSTEM_VALUE} {} {}",
        join(&words[..name_end]),
        join(&words[name_end..at]),
        join(&words[at + 3..])
    ))
}

fn keyword(t: &Token) -> Option<Keyword> {
    match t {
        Token::Word(w) if w.quote_style.is_none() => Some(w.keyword),
        _ => None,
    }
}

fn join(tokens: &[&Token]) -> String {
    tokens
        .iter()
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

fn drop_index_concurrently(words: &[&Token]) -> Option<String> {
    let [drop, index, conc, rest @ ..] = words else {
        return None;
    };
    let is = |t: &Token, k: Keyword| keyword(t) == Some(k);
    if !(is(drop, Keyword::DROP) && is(index, Keyword::INDEX) && is(conc, Keyword::CONCURRENTLY)) {
        return None;
    }
    let mut kept = vec![*drop, *index];
    kept.extend(rest.iter().copied());
    Some(join(&kept))
}

/// The rank sqlparser expects for the option starting at `words[i]` (and whether it
/// starts with `NO`).
fn option_rank(words: &[&Token], i: usize) -> Option<usize> {
    let k = keyword(words[i])?;
    let next = words.get(i + 1).and_then(|t| keyword(t));
    Some(match (k, next) {
        (Keyword::INCREMENT, _) => 0,
        (Keyword::MINVALUE, _) | (Keyword::NO, Some(Keyword::MINVALUE)) => 1,
        (Keyword::MAXVALUE, _) | (Keyword::NO, Some(Keyword::MAXVALUE)) => 2,
        (Keyword::START, _) => 3,
        (Keyword::CACHE, _) => 4,
        (Keyword::CYCLE, _) | (Keyword::NO, Some(Keyword::CYCLE)) => 5,
        (Keyword::OWNED, _) => 6,
        _ => return None,
    })
}

fn sequence_options(words: &[&Token]) -> Option<String> {
    if words.first().and_then(|t| keyword(t)) != Some(Keyword::CREATE) {
        return None;
    }
    let seq = words
        .iter()
        .position(|t| keyword(t) == Some(Keyword::SEQUENCE))?;
    if seq > 2 {
        return None;
    }
    // The first option starts the options; before it: name, IF NOT EXISTS, AS type.
    let first = (seq + 1..words.len()).find(|&i| option_rank(words, i).is_some())?;
    let mut clauses: Vec<(usize, Vec<&Token>)> = Vec::new();
    let mut i = first;
    while i < words.len() {
        let rank = option_rank(words, i)?;
        let mut clause = vec![words[i]];
        let mut j = i + 1;
        // `NO MINVALUE` etc.: the second keyword belongs to this clause.
        if keyword(words[i]) == Some(Keyword::NO) {
            clause.push(words[j]);
            j += 1;
        }
        while j < words.len() && option_rank(words, j).is_none() {
            clause.push(words[j]);
            j += 1;
        }
        clauses.push((rank, clause));
        i = j;
    }
    if clauses.windows(2).all(|w| w[0].0 <= w[1].0) {
        return None;
    }
    clauses.sort_by_key(|(rank, _)| *rank);
    let mut all: Vec<&Token> = words[..first].to_vec();
    for (_, c) in clauses {
        all.extend(c);
    }
    Some(join(&all))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_options_are_put_in_sqlparsers_order() {
        assert_eq!(
            normalize(
                "CREATE SEQUENCE public.t_id_seq\n    AS integer\n    START WITH 1\n    \
                 INCREMENT BY 1\n    NO MINVALUE\n    NO MAXVALUE\n    CACHE 1;"
            )
            .as_deref(),
            Some(
                "CREATE SEQUENCE public . t_id_seq AS integer INCREMENT BY 1 NO MINVALUE \
                 NO MAXVALUE START WITH 1 CACHE 1;"
            )
        );
        assert_eq!(normalize("CREATE SEQUENCE s INCREMENT 2 START 5"), None);
        assert_eq!(normalize("SELECT 1; SELECT 2"), None);
    }

    #[test]
    fn unparsed_constructs_are_named() {
        assert_eq!(
            unparsed_construct("ALTER SEQUENCE s RESTART WITH 5"),
            Some("ALTER SEQUENCE")
        );
        assert_eq!(
            unparsed_construct("INSERT INTO t (id) OVERRIDING USER VALUE VALUES (1)"),
            Some("INSERT … OVERRIDING SYSTEM/USER VALUE")
        );
        assert_eq!(unparsed_construct("SELECT 1"), None);
    }

    #[test]
    fn overriding_system_value_becomes_the_marker_alias() {
        assert_eq!(
            normalize("INSERT INTO t (id, v) OVERRIDING SYSTEM VALUE VALUES (10, 'x')").as_deref(),
            Some("INSERT INTO t AS pgrq_overriding_system_value ( id , v ) VALUES ( 10 , 'x' )")
        );
        assert_eq!(
            normalize("INSERT INTO t AS a OVERRIDING SYSTEM VALUE VALUES (1)"),
            None
        );
    }

    #[test]
    fn drop_index_concurrently_loses_the_keyword() {
        assert_eq!(
            normalize("SELECT 1; DROP INDEX CONCURRENTLY IF EXISTS i").as_deref(),
            Some("SELECT 1; DROP INDEX IF EXISTS i")
        );
    }
}
