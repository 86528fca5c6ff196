//! Length and precision limits of column types, which SQLite does not enforce, written as
//! named CHECK constraints on the column (CREATE TABLE, ADD COLUMN, table rebuilds):
//!
//! * `varchar(n)` → `CONSTRAINT "pgrq_varchar_<n>" CHECK (length(c) <= n)`,
//! * `char(n)` (`char` alone is `char(1)`) → `CONSTRAINT "pgrq_bpchar_<n>" …`,
//! * `numeric(p,s)` → `CONSTRAINT "pgrq_numeric_<p>_<s>" CHECK (abs(round(c, s)) < 1e<p-s>)`.
//!
//! The constraint's name is what SQLite reports when it fails, and `crate::error` turns
//! it into PostgreSQL's error (22001 `value too long for type character varying(n)`,
//! 22003 `numeric field overflow`). The declared type stays as written, so it still
//! reads back as the PostgreSQL type.
//!
//! Not emulated: PostgreSQL silently drops trailing spaces beyond the limit (pgrq
//! refuses the value), pads `char(n)` values with spaces (pgrq stores them unpadded), and
//! rounds `numeric(p,s)` values to the scale when storing them (pgrq stores the value as
//! given; results are printed with the declared scale).

use sqlparser::ast::{
    CharacterLength, CheckConstraint, ColumnDef, ColumnOption, ColumnOptionDef, DataType,
    ExactNumberInfo, Ident,
};

use super::time_defaults::parse_sqlite_expr;
use crate::sql::SqlError;
use crate::sql::markers::{BPCHAR_CHECK, NUMERIC_CHECK, VARCHAR_CHECK};

/// Add the CHECK that enforces `col`'s declared type limits (before its type is rewritten).
pub(super) fn add_type_check(col: &mut ColumnDef) -> Result<(), SqlError> {
    let Some((name, check)) = type_check(&col.data_type, &quoted(&col.name.value))? else {
        return Ok(());
    };
    let already = col
        .options
        .iter()
        .any(|o| o.name.as_ref().is_some_and(|n| n.value == name));
    if already {
        return Ok(());
    }
    let expr = parse_sqlite_expr(&check)
        .ok_or_else(|| SqlError::syntax(format!("internal type check `{check}`")))?;
    col.options.push(ColumnOptionDef {
        name: Some(Ident::with_quote('"', name)),
        option: ColumnOption::Check(CheckConstraint {
            name: None,
            expr: Box::new(expr),
            no_inherit: false,
            enforced: None,
        }),
    });
    Ok(())
}

/// The constraint name and SQLite check expression for a type with limits.
fn type_check(dt: &DataType, column: &str) -> Result<Option<(String, String)>, SqlError> {
    let length_check =
        |prefix: &str, n: u64| Some((format!("{prefix}{n}"), format!("length({column}) <= {n}")));
    Ok(match dt {
        DataType::Varchar(len) | DataType::CharacterVarying(len) | DataType::CharVarying(len) => {
            match len {
                Some(l) => length_check(VARCHAR_CHECK, char_length(l)?),
                None => None,
            }
        }
        DataType::Char(len) | DataType::Character(len) => {
            let n = len.as_ref().map(char_length).transpose()?.unwrap_or(1);
            length_check(BPCHAR_CHECK, n)
        }
        DataType::Numeric(info) | DataType::Decimal(info) | DataType::Dec(info) => {
            let (p, s) = match info {
                ExactNumberInfo::None => return Ok(None),
                ExactNumberInfo::Precision(p) => (*p, 0),
                ExactNumberInfo::PrecisionAndScale(p, s) => (*p, *s),
            };
            if !(1..=1000).contains(&p) {
                return Err(SqlError::syntax(format!(
                    "NUMERIC precision {p} must be between 1 and 1000"
                )));
            }
            let s = u64::try_from(s).ok().filter(|s| *s <= p).ok_or_else(|| {
                SqlError::unsupported(format!("numeric({p},{s}) (a scale outside 0..{p})"))
            })?;
            Some((
                format!("{NUMERIC_CHECK}{p}_{s}"),
                format!(
                    "{column} IS NULL OR abs(round({column}, {s})) < 1e{}",
                    p - s
                ),
            ))
        }
        _ => None,
    })
}

fn char_length(l: &CharacterLength) -> Result<u64, SqlError> {
    match l {
        CharacterLength::IntegerLength { length, .. } if *length >= 1 => Ok(*length),
        CharacterLength::IntegerLength { .. } => Err(SqlError::syntax(
            "length for type varchar must be at least 1",
        )),
        CharacterLength::Max => Err(SqlError::unsupported("varchar(max)")),
    }
}

/// `name` as a double-quoted SQL identifier.
pub(super) fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn limits_become_named_checks() {
        assert_eq!(
            sqlite(
                "CREATE TABLE t (a varchar(3), b char(2), c character, d numeric(5,2), e varchar)"
            ),
            "CREATE TABLE t (a VARCHAR(3) CONSTRAINT \"pgrq_varchar_3\" CHECK (length(\"a\") <= 3), \
             b CHAR(2) CONSTRAINT \"pgrq_bpchar_2\" CHECK (length(\"b\") <= 2), \
             c CHARACTER CONSTRAINT \"pgrq_bpchar_1\" CHECK (length(\"c\") <= 1), \
             d NUMERIC(5,2) CONSTRAINT \"pgrq_numeric_5_2\" \
             CHECK (\"d\" IS NULL OR abs(round(\"d\", 2)) < 1e3), e VARCHAR)"
        );
        assert_eq!(
            sqlite("ALTER TABLE t ADD COLUMN n numeric(4)"),
            "ALTER TABLE t ADD COLUMN n NUMERIC(4) CONSTRAINT \"pgrq_numeric_4_0\" \
             CHECK (\"n\" IS NULL OR abs(round(\"n\", 0)) < 1e4)"
        );
    }

    #[test]
    fn bad_limits_are_refused() {
        assert_unsupported("CREATE TABLE t (a numeric(3,5))", "numeric(3,5)");
        assert!(matches!(
            err("CREATE TABLE t (a numeric(0))"),
            crate::sql::SqlError::Syntax { .. }
        ));
    }
}
