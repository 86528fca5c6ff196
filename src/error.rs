//! The one place where failures become PostgreSQL errors: `PgError` (severity, SQLSTATE,
//! message, detail, hint, table/column/constraint) and the mapping from every module's
//! error, and from SQLite's message text, to SQLSTATE. It must not import pgwire: the
//! wire layer converts `PgError` into its ErrorResponse.

mod sqlite;
mod sqlite_names;

pub use sqlite::from_sqlite;

use std::fmt;

use crate::session::BackendError;
use crate::sql::SqlError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Fatal,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "ERROR",
            Severity::Fatal => "FATAL",
        }
    }
}

/// A client-facing PostgreSQL error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgError {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    /// The optional fields, boxed to keep `Result<_, PgError>` small.
    pub fields: Box<ErrorFields>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorFields {
    pub detail: Option<String>,
    pub hint: Option<String>,
    pub table: Option<String>,
    pub column: Option<String>,
    pub constraint: Option<String>,
}

impl PgError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        PgError {
            severity: Severity::Error,
            code,
            message: message.into(),
            fields: Box::default(),
        }
    }

    pub fn fatal(code: &'static str, message: impl Into<String>) -> Self {
        PgError {
            severity: Severity::Fatal,
            ..PgError::new(code, message)
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.fields.hint = Some(hint.into());
        self
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.fields.detail = Some(detail.into());
        self
    }

    pub fn into_fatal(mut self) -> Self {
        self.severity = Severity::Fatal;
        self
    }

    /// 25P02: every statement of a failed transaction block until ROLLBACK.
    pub fn in_failed_transaction() -> Self {
        PgError::new(
            codes::IN_FAILED_SQL_TRANSACTION,
            "current transaction is aborted, commands ignored until end of transaction block",
        )
    }
}

impl fmt::Display for PgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.severity.as_str(),
            self.code,
            self.message
        )
    }
}

/// SQLSTATE codes used by pgrq (names as in PostgreSQL's errcodes.txt).
pub mod codes {
    pub const SYNTAX_ERROR: &str = "42601";
    pub const FEATURE_NOT_SUPPORTED: &str = "0A000";
    pub const UNDEFINED_FUNCTION: &str = "42883";
    pub const UNDEFINED_PARAMETER: &str = "42P02";
    pub const UNDEFINED_TABLE: &str = "42P01";
    pub const UNDEFINED_COLUMN: &str = "42703";
    pub const UNDEFINED_OBJECT: &str = "42704";
    pub const DUPLICATE_TABLE: &str = "42P07";
    pub const DUPLICATE_OBJECT: &str = "42710";
    pub const DATATYPE_MISMATCH: &str = "42804";
    pub const UNIQUE_VIOLATION: &str = "23505";
    pub const NOT_NULL_VIOLATION: &str = "23502";
    pub const FOREIGN_KEY_VIOLATION: &str = "23503";
    pub const CHECK_VIOLATION: &str = "23514";
    pub const INTEGRITY_CONSTRAINT_VIOLATION: &str = "23000";
    pub const IN_FAILED_SQL_TRANSACTION: &str = "25P02";
    pub const READ_ONLY_SQL_TRANSACTION: &str = "25006";
    pub const INVALID_PARAMETER_VALUE: &str = "22023";
    pub const INVALID_TEXT_REPRESENTATION: &str = "22P02";
    pub const DIVISION_BY_ZERO: &str = "22012";
    pub const NUMERIC_VALUE_OUT_OF_RANGE: &str = "22003";
    pub const INVALID_ARGUMENT_FOR_POWER: &str = "2201F";
    pub const INVALID_ARGUMENT_FOR_LOG: &str = "2201E";
    pub const SUBSTRING_ERROR: &str = "22011";
    pub const INVALID_DATETIME_FORMAT: &str = "22007";
    pub const DATETIME_FIELD_OVERFLOW: &str = "22008";
    pub const STRING_DATA_RIGHT_TRUNCATION: &str = "22001";
    pub const SEQUENCE_GENERATOR_LIMIT_EXCEEDED: &str = "2200H";
    pub const OBJECT_NOT_IN_PREREQUISITE_STATE: &str = "55000";
    pub const GENERATED_ALWAYS: &str = "428C9";
    pub const DEPENDENT_OBJECTS_STILL_EXIST: &str = "2BP01";
    pub const INVALID_FOREIGN_KEY: &str = "42830";
    pub const INVALID_AUTHORIZATION: &str = "28000";
    pub const INVALID_PASSWORD: &str = "28P01";
    pub const INVALID_CATALOG_NAME: &str = "3D000";
    pub const INVALID_NAME: &str = "42602";
    pub const INSUFFICIENT_PRIVILEGE: &str = "42501";
    pub const CANNOT_CONNECT_NOW: &str = "57P03";
    pub const INSUFFICIENT_RESOURCES: &str = "53000";
    pub const CONNECTION_FAILURE: &str = "08006";
    pub const PROTOCOL_VIOLATION: &str = "08P01";
    pub const DUPLICATE_PREPARED_STATEMENT: &str = "42P05";
    pub const INVALID_SQL_STATEMENT_NAME: &str = "26000";
    pub const TOO_MANY_CONNECTIONS: &str = "53300";
    pub const QUERY_CANCELED: &str = "57014";
    pub const INTERNAL_ERROR: &str = "XX000";
    pub const ACTIVE_SQL_TRANSACTION: &str = "25001";
    pub const NO_ACTIVE_SQL_TRANSACTION: &str = "25P01";
    pub const INVALID_SAVEPOINT_SPECIFICATION: &str = "3B001";
    pub const AMBIGUOUS_COLUMN: &str = "42702";
    pub const DUPLICATE_COLUMN: &str = "42701";
    pub const INVALID_COLUMN_REFERENCE: &str = "42P10";
    pub const GROUPING_ERROR: &str = "42803";
    pub const CARDINALITY_VIOLATION: &str = "21000";
}

impl From<&SqlError> for PgError {
    fn from(e: &SqlError) -> Self {
        let code = match e {
            SqlError::Syntax { .. } => codes::SYNTAX_ERROR,
            SqlError::Unsupported { .. } => codes::FEATURE_NOT_SUPPORTED,
            SqlError::UndefinedFunction { .. } => codes::UNDEFINED_FUNCTION,
            SqlError::InvalidParameterRef { .. } => codes::UNDEFINED_PARAMETER,
            SqlError::InvalidText { .. } => codes::INVALID_TEXT_REPRESENTATION,
            SqlError::OutOfRange { .. } => codes::NUMERIC_VALUE_OUT_OF_RANGE,
            SqlError::Grouping { .. } => codes::GROUPING_ERROR,
            SqlError::DatatypeMismatch { .. } => codes::DATATYPE_MISMATCH,
            SqlError::UndefinedOperator { .. } => codes::UNDEFINED_FUNCTION,
            SqlError::UndefinedObject { .. } => codes::UNDEFINED_OBJECT,
            SqlError::InvalidParameter { .. } => codes::INVALID_PARAMETER_VALUE,
            SqlError::UndefinedTable { .. } => codes::UNDEFINED_TABLE,
            SqlError::UndefinedColumn { .. } => codes::UNDEFINED_COLUMN,
            SqlError::TooManyColumnAliases { .. } => codes::INVALID_COLUMN_REFERENCE,
            SqlError::DuplicateObject { relation: true, .. } => codes::DUPLICATE_TABLE,
            SqlError::DuplicateObject { .. } => codes::DUPLICATE_OBJECT,
            SqlError::GeneratedAlways { column, update } => {
                let e = PgError::new(codes::GENERATED_ALWAYS, e.to_string()).with_detail(format!(
                    "Column \"{column}\" is an identity column defined as GENERATED ALWAYS."
                ));
                return if *update {
                    e
                } else {
                    e.with_hint("Use OVERRIDING SYSTEM VALUE to override.")
                };
            }
            SqlError::CannotCastAutomatically { column, type_name } => {
                return PgError::new(codes::DATATYPE_MISMATCH, e.to_string()).with_hint(format!(
                    "You might need to specify \"USING {column}::{type_name}\"."
                ));
            }
            SqlError::DependentObjects { detail, .. } => {
                return PgError::new(codes::DEPENDENT_OBJECTS_STILL_EXIST, e.to_string())
                    .with_detail(detail.clone())
                    .with_hint("Use DROP ... CASCADE to drop the dependent objects too.");
            }
        };
        PgError::new(code, e.to_string())
    }
}

impl From<SqlError> for PgError {
    fn from(e: SqlError) -> Self {
        PgError::from(&e)
    }
}

impl From<&crate::catalog::CatalogError> for PgError {
    fn from(e: &crate::catalog::CatalogError) -> Self {
        use crate::catalog::CatalogError as C;
        let code = match e {
            C::UndefinedTable(_) => codes::UNDEFINED_TABLE,
            C::UndefinedObject(_) => codes::UNDEFINED_OBJECT,
            C::InvalidSchemaName(_) => "3F000",
            C::Unsupported(_) => codes::FEATURE_NOT_SUPPORTED,
            C::InvalidRegex(_) => "2201B",
            C::ProgramLimit(_) => "54000",
            C::Sqlite(msg) => return from_sqlite(msg),
            C::Poisoned(_) => codes::INTERNAL_ERROR,
        };
        PgError::new(code, e.to_string())
    }
}

impl From<crate::catalog::CatalogError> for PgError {
    fn from(e: crate::catalog::CatalogError) -> Self {
        PgError::from(&e)
    }
}

impl From<&BackendError> for PgError {
    fn from(e: &BackendError) -> Self {
        match e {
            BackendError::NotFound { .. } => {
                PgError::fatal(codes::INVALID_CATALOG_NAME, e.to_string())
            }
            BackendError::EngineMissing { hint, .. } => {
                PgError::new(codes::CANNOT_CONNECT_NOW, e.to_string()).with_hint(hint.clone())
            }
            BackendError::Unavailable { .. } => {
                PgError::new(codes::CANNOT_CONNECT_NOW, e.to_string())
            }
            // PostgreSQL's class 53 (insufficient resources): the cluster cannot host it now.
            BackendError::Capacity { .. } => {
                PgError::new(codes::INSUFFICIENT_RESOURCES, e.to_string())
                    .with_hint("add nodes, raise database.max_databases or widen the port ranges")
            }
            BackendError::Internal { .. } => PgError::new(codes::INTERNAL_ERROR, e.to_string()),
        }
    }
}

impl From<BackendError> for PgError {
    fn from(e: BackendError) -> Self {
        PgError::from(&e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fatal_and_display() {
        let e = PgError::new("28000", "no").into_fatal();
        assert_eq!(e.severity, Severity::Fatal);
        assert_eq!(e.to_string(), "FATAL 28000: no");
    }
}
