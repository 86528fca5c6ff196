//! Values across ALTER COLUMN … TYPE, as PostgreSQL converts them. SQLite's column
//! affinity converts text that reads as a number and leaves anything else as it was, so:
//!
//! * to an integer type from a fractional one, the copy rounds (`CAST(round(c) AS
//!   INTEGER)`; PostgreSQL rounds numeric half away from zero, as SQLite's round does);
//! * to a number type from a string one (with USING), a guard afterwards fails on any
//!   value that did not become a number (`pgrq_invalid_<type>` check → 22P02).

use sqlparser::ast::ColumnDef;

use super::type_checks::quoted;
use crate::sql::PgType;
use crate::sql::markers::PREFIX;

fn family(col: &ColumnDef) -> PgType {
    PgType::from_decl(&col.data_type.to_string())
}

fn is_int(t: PgType) -> bool {
    matches!(t, PgType::Int2 | PgType::Int4 | PgType::Int8)
}

fn is_fraction(t: PgType) -> bool {
    matches!(t, PgType::Numeric | PgType::Float4 | PgType::Float8)
}

fn is_string(t: PgType) -> bool {
    matches!(
        t,
        PgType::Text | PgType::Varchar | PgType::Bpchar | PgType::Name
    )
}

/// The copy expression for column `name` going from `old` to `new`.
pub(super) fn copy_expr(old: &ColumnDef, new: &ColumnDef) -> String {
    let c = quoted(&new.name.value);
    if is_int(family(new)) && is_fraction(family(old)) {
        return format!("CAST(round({c}) AS INTEGER)");
    }
    c
}

/// Statements that fail unless every value of `new` in `table` became a number.
pub(super) fn guard(table: &str, old: &ColumnDef, new: &ColumnDef) -> Vec<String> {
    let (from, to) = (family(old), family(new));
    if !is_string(from) || !(is_int(to) || is_fraction(to)) {
        return Vec::new();
    }
    let allowed = if is_int(to) {
        "'integer', 'null'"
    } else {
        "'integer', 'real', 'null'"
    };
    let guard = quoted(&format!("{PREFIX}guard"));
    vec![
        format!(
            "CREATE TABLE {guard} (v NUMERIC CONSTRAINT \"{PREFIX}invalid_{}\" \
             CHECK (typeof(v) IN ({allowed})))",
            to.name()
        ),
        format!(
            "INSERT INTO {guard} (v) SELECT {} FROM {}",
            quoted(&new.name.value),
            quoted(table)
        ),
        format!("DROP TABLE {guard}"),
    ]
}
