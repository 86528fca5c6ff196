//! lower()/upper(): SQLite's fold only ASCII letters; PostgreSQL (in a UTF-8
//! locale) folds every letter one character at a time. A string literal is
//! folded here; other text is folded by SQLite when it is ASCII, through
//! a chain of replace() calls for the Latin-1 letters when it is Latin-1, and
//! otherwise raises 0A000 at run time rather than give a different answer.

use sqlparser::ast::Expr;

use super::build::{literal_str, raise};
use super::{call, string, template};
use crate::sql::SqlError;

/// `lower(x)` / `upper(x)`, or `None` when `name` is neither.
pub(super) fn function(name: &str, args: &mut [Expr]) -> Result<Option<Expr>, SqlError> {
    let upper = match name {
        "lower" => false,
        "upper" => true,
        _ => return Ok(None),
    };
    let [x] = args else {
        return Ok(None);
    };
    if let Some(text) = literal_str(x) {
        return Ok(Some(string(&fold_text(text, upper))));
    }
    let mut latin1 = x.clone();
    for c in '\u{c0}'..='\u{ff}' {
        if let Some(to) = fold_char(c, upper).filter(|t| *t != c && !t.is_ascii()) {
            latin1 = call(
                "replace",
                vec![latin1, string(&c.to_string()), string(&to.to_string())],
            );
        }
    }
    let sqlite = if upper { "upper" } else { "lower" };
    let out = template::fill(
        &format!(
            "CASE WHEN length(CAST(pgrq_arg1 AS BLOB)) = length(pgrq_arg1) THEN {sqlite}(pgrq_arg1) \
             WHEN glob('*[^' || char(1) || '-' || char(255) || ']*', pgrq_arg1) THEN pgrq_arg2 \
             ELSE {sqlite}(pgrq_arg3) END"
        ),
        &[
            x.clone(),
            raise(
                "0A000",
                &format!("{name}() of text with letters beyond Latin-1 is not supported"),
            ),
            latin1,
        ],
    )?;
    Ok(Some(out))
}

/// The single character `c` folds to, as the C library's towlower/towupper
/// give it (a fold to several characters leaves `c` as it is).
fn fold_char(c: char, upper: bool) -> Option<char> {
    let mut it: Box<dyn Iterator<Item = char>> = if upper {
        Box::new(c.to_uppercase())
    } else {
        Box::new(c.to_lowercase())
    };
    let first = it.next()?;
    it.next().is_none().then_some(first)
}

fn fold_text(text: &str, upper: bool) -> String {
    text.chars()
        .map(|c| fold_char(c, upper).unwrap_or(c))
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn literals_fold_every_letter() {
        assert_eq!(
            sqlite("SELECT lower('ÜMLAUT Ñ'), upper('straße ñ')"),
            "SELECT 'ümlaut ñ' AS \"lower\", 'STRAßE Ñ' AS \"upper\""
        );
    }

    #[test]
    fn other_text_folds_ascii_and_latin1_and_refuses_the_rest() {
        let out = sqlite("SELECT lower(v) FROM s");
        assert!(out.contains("THEN lower(v)"), "{out}");
        assert!(out.contains("replace(v, 'À', 'à')"), "{out}");
        assert!(
            out.contains("pgrq:0A000:lower() of text with letters beyond Latin-1"),
            "{out}"
        );
    }
}
