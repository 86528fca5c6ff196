//! The single error type of the `sql` module.
//!
//! Each variant corresponds to one PostgreSQL SQLSTATE, but the mapping to
//! SQLSTATE codes lives outside this module (the wire layer owns it).

use thiserror::Error;

/// Why a statement could not be translated to SQLite.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SqlError {
    /// The text is not valid SQL (PostgreSQL SQLSTATE 42601). Also used for
    /// a literal that cannot be read as its type, e.g. `'maybe'::boolean`
    /// (PostgreSQL says 22P02 there; there is no separate variant yet).
    #[error("syntax error: {message}")]
    Syntax { message: String },

    /// Valid PostgreSQL that pgrq cannot run on SQLite (SQLSTATE 0A000).
    /// `construct` names the offending construct, e.g. `operator ~ (regex)`.
    #[error("{construct} is not supported")]
    Unsupported { construct: String },

    /// A function that neither SQLite provides nor pgrq translates
    /// (SQLSTATE 42883).
    #[error("function {name}() does not exist")]
    UndefinedFunction { name: String },

    /// A bad `$n` parameter reference, e.g. `$0` (SQLSTATE 42P02).
    #[error("{message}")]
    InvalidParameterRef { message: String },

    /// A literal that cannot be read as the type its context gives it, e.g. `'maybe'`
    /// stored into a boolean column (SQLSTATE 22P02).
    #[error("{message}")]
    InvalidText { message: String },

    /// A value outside its type's range, e.g. `'99999999999'` for an integer column
    /// (SQLSTATE 22003).
    #[error("{message}")]
    OutOfRange { message: String },

    /// Columns used outside an aggregate without being grouped (SQLSTATE 42803).
    #[error("{message}")]
    Grouping { message: String },

    /// Values whose types cannot be matched, e.g. CASE branches of integer and text
    /// (SQLSTATE 42804).
    #[error("{message}")]
    DatatypeMismatch { message: String },

    /// An operator with no implementation for its operand types, e.g. `integer = text`
    /// (SQLSTATE 42883).
    #[error("{message}")]
    UndefinedOperator { message: String },

    /// A named type (or other non-relation object) that does not exist (SQLSTATE 42704).
    #[error("{message}")]
    UndefinedObject { message: String },

    /// A relation (table, view, sequence, index) that does not exist (SQLSTATE 42P01).
    #[error("{message}")]
    UndefinedTable { message: String },

    /// A column that does not exist (SQLSTATE 42703).
    #[error("{message}")]
    UndefinedColumn { message: String },

    /// An object that already exists (SQLSTATE 42710; 42P07 for relations).
    #[error("{message}")]
    DuplicateObject { message: String, relation: bool },

    /// An explicit value for a GENERATED ALWAYS identity column (SQLSTATE 428C9).
    #[error("{}", if *update {
        format!("column \"{column}\" can only be updated to DEFAULT")
    } else {
        format!("cannot insert a non-DEFAULT value into column \"{column}\"")
    })]
    GeneratedAlways { column: String, update: bool },

    /// ALTER COLUMN … TYPE between types PostgreSQL converts only when told how
    /// (SQLSTATE 42804).
    #[error("column \"{column}\" cannot be cast automatically to type {type_name}")]
    CannotCastAutomatically { column: String, type_name: String },

    /// A bad option value, e.g. a sequence's `INCREMENT 0` (SQLSTATE 22023).
    #[error("{message}")]
    InvalidParameter { message: String },

    /// A column alias list longer than the relation's columns, e.g.
    /// `length('x') AS t(a, b)` (SQLSTATE 42P10).
    #[error("{message}")]
    TooManyColumnAliases { message: String },

    /// Other objects depend on the one being dropped or changed (SQLSTATE 2BP01).
    #[error("{message}")]
    DependentObjects { message: String, detail: String },
}

impl SqlError {
    /// Shorthand for [`SqlError::Unsupported`].
    pub(crate) fn unsupported(construct: impl Into<String>) -> Self {
        SqlError::Unsupported {
            construct: construct.into(),
        }
    }

    /// Shorthand for [`SqlError::Syntax`].
    pub(crate) fn syntax(message: impl Into<String>) -> Self {
        SqlError::Syntax {
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_problem() {
        assert_eq!(
            SqlError::unsupported("SAVEPOINT").to_string(),
            "SAVEPOINT is not supported"
        );
        assert_eq!(
            SqlError::UndefinedFunction {
                name: "frobnicate".into()
            }
            .to_string(),
            "function frobnicate() does not exist"
        );
        assert_eq!(
            SqlError::syntax("unexpected end of input").to_string(),
            "syntax error: unexpected end of input"
        );
    }
}
