//! PostgreSQL types as pgrq reports them, and how they map to and from the
//! declared column types that the DDL rewrite writes into SQLite.

use sqlparser::ast::{DataType, Expr, ObjectName, TimezoneInfo, UnaryOperator};

/// A PostgreSQL type pgrq can describe to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PgType {
    Bool,
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    Numeric,
    Text,
    Varchar,
    Bpchar,
    Name,
    Bytea,
    Date,
    Time,
    Timestamp,
    Timestamptz,
    Interval,
    Uuid,
    Json,
    Jsonb,
    Oid,
    /// `"char"`: one byte (catalog columns such as `pg_class.relkind`).
    Char,
    /// One-dimensional arrays (catalog columns and `array_agg`), kept as PostgreSQL's array
    /// text.
    BoolArray,
    CharArray,
    NameArray,
    Int2Array,
    Int4Array,
    TextArray,
    Int8Array,
    OidArray,
    /// `void`: what functions without a result return (an empty value).
    Void,
    Unknown,
}

const ALL: [PgType; 32] = [
    PgType::Bool,
    PgType::Int2,
    PgType::Int4,
    PgType::Int8,
    PgType::Float4,
    PgType::Float8,
    PgType::Numeric,
    PgType::Text,
    PgType::Varchar,
    PgType::Bpchar,
    PgType::Name,
    PgType::Bytea,
    PgType::Date,
    PgType::Time,
    PgType::Timestamp,
    PgType::Timestamptz,
    PgType::Interval,
    PgType::Uuid,
    PgType::Json,
    PgType::Jsonb,
    PgType::Oid,
    PgType::Char,
    PgType::BoolArray,
    PgType::CharArray,
    PgType::NameArray,
    PgType::Int2Array,
    PgType::Int4Array,
    PgType::TextArray,
    PgType::Int8Array,
    PgType::OidArray,
    PgType::Void,
    PgType::Unknown,
];

impl PgType {
    /// The type's OID in PostgreSQL's `pg_type` catalog.
    pub fn oid(self) -> u32 {
        match self {
            PgType::Bool => 16,
            PgType::Bytea => 17,
            PgType::Char => 18,
            PgType::BoolArray => 1000,
            PgType::CharArray => 1002,
            PgType::NameArray => 1003,
            PgType::Int2Array => 1005,
            PgType::Int4Array => 1007,
            PgType::TextArray => 1009,
            PgType::Int8Array => 1016,
            PgType::OidArray => 1028,
            PgType::Name => 19,
            PgType::Int8 => 20,
            PgType::Int2 => 21,
            PgType::Int4 => 23,
            PgType::Text => 25,
            PgType::Oid => 26,
            PgType::Json => 114,
            PgType::Float4 => 700,
            PgType::Float8 => 701,
            PgType::Unknown => 705,
            PgType::Void => 2278,
            PgType::Bpchar => 1042,
            PgType::Varchar => 1043,
            PgType::Date => 1082,
            PgType::Time => 1083,
            PgType::Timestamp => 1114,
            PgType::Timestamptz => 1184,
            PgType::Interval => 1186,
            PgType::Numeric => 1700,
            PgType::Uuid => 2950,
            PgType::Jsonb => 3802,
        }
    }

    /// The array type whose elements are of this type, if pgrq models it.
    pub fn array_of(self) -> Option<PgType> {
        Some(match self {
            PgType::Bool => PgType::BoolArray,
            PgType::Char => PgType::CharArray,
            PgType::Name => PgType::NameArray,
            PgType::Int2 => PgType::Int2Array,
            PgType::Int4 => PgType::Int4Array,
            PgType::Text | PgType::Varchar | PgType::Bpchar => PgType::TextArray,
            PgType::Int8 => PgType::Int8Array,
            PgType::Oid => PgType::OidArray,
            _ => return None,
        })
    }

    /// The element type of an array type.
    pub fn element(self) -> Option<PgType> {
        Some(match self {
            PgType::BoolArray => PgType::Bool,
            PgType::CharArray => PgType::Char,
            PgType::NameArray => PgType::Name,
            PgType::Int2Array => PgType::Int2,
            PgType::Int4Array => PgType::Int4,
            PgType::TextArray => PgType::Text,
            PgType::Int8Array => PgType::Int8,
            PgType::OidArray => PgType::Oid,
            _ => return None,
        })
    }

    /// The type with this OID, if pgrq knows it.
    pub fn from_oid(oid: u32) -> Option<PgType> {
        ALL.into_iter().find(|t| t.oid() == oid)
    }

    /// The name PostgreSQL shows for the type in messages and `pg_typeof` (`format_type`
    /// without a type modifier).
    pub fn display_name(self) -> &'static str {
        match self {
            PgType::Bool => "boolean",
            PgType::Int2 => "smallint",
            PgType::Int4 => "integer",
            PgType::Int8 => "bigint",
            PgType::Float4 => "real",
            PgType::Float8 => "double precision",
            PgType::Varchar => "character varying",
            PgType::Bpchar => "character",
            PgType::Time => "time without time zone",
            PgType::Timestamp => "timestamp without time zone",
            PgType::Timestamptz => "timestamp with time zone",
            PgType::Char => "\"char\"",
            PgType::BoolArray => "boolean[]",
            PgType::CharArray => "\"char\"[]",
            PgType::NameArray => "name[]",
            PgType::Int2Array => "smallint[]",
            PgType::Int4Array => "integer[]",
            PgType::TextArray => "text[]",
            PgType::Int8Array => "bigint[]",
            PgType::OidArray => "oid[]",
            other => other.name(),
        }
    }

    /// The type's name in `pg_type.typname`.
    pub fn name(self) -> &'static str {
        match self {
            PgType::Bool => "bool",
            PgType::Int2 => "int2",
            PgType::Int4 => "int4",
            PgType::Int8 => "int8",
            PgType::Float4 => "float4",
            PgType::Float8 => "float8",
            PgType::Numeric => "numeric",
            PgType::Text => "text",
            PgType::Varchar => "varchar",
            PgType::Bpchar => "bpchar",
            PgType::Name => "name",
            PgType::Bytea => "bytea",
            PgType::Date => "date",
            PgType::Time => "time",
            PgType::Timestamp => "timestamp",
            PgType::Timestamptz => "timestamptz",
            PgType::Interval => "interval",
            PgType::Uuid => "uuid",
            PgType::Json => "json",
            PgType::Jsonb => "jsonb",
            PgType::Oid => "oid",
            PgType::Char => "char",
            PgType::BoolArray => "_bool",
            PgType::CharArray => "_char",
            PgType::NameArray => "_name",
            PgType::Int2Array => "_int2",
            PgType::Int4Array => "_int4",
            PgType::TextArray => "_text",
            PgType::Int8Array => "_int8",
            PgType::OidArray => "_oid",
            PgType::Unknown => "unknown",
            PgType::Void => "void",
        }
    }

    /// The PostgreSQL type of a column from its declared type as SQLite
    /// keeps it (`PRAGMA table_info`, `sqlite3_column_decltype`).
    ///
    /// Every spelling the DDL rewrite emits maps back to the type it was
    /// written for (see `rewrite::types::ddl_type`). The one lossy case is a
    /// `BIGSERIAL`/bigint identity primary key: SQLite only makes a column
    /// the rowid alias when its declared type is exactly `INTEGER`, so it
    /// reads back as `Int4` like `SERIAL` does.
    ///
    /// Types pgrq did not write fall back to SQLite's affinity rules:
    /// anything containing `INT` is `Int8`, `REAL`/`FLOA`/`DOUB` is `Float8`,
    /// `BLOB` is `Bytea`, and everything else (including empty) is `Text`.
    pub fn from_decl(decl: &str) -> PgType {
        let norm = normalize_decl(decl);
        if let Some(t) = decl_exact(&norm) {
            return t;
        }
        if norm.contains("INT") {
            PgType::Int8
        } else if norm.contains("REAL") || norm.contains("FLOA") || norm.contains("DOUB") {
            PgType::Float8
        } else if norm.contains("BLOB") {
            PgType::Bytea
        } else {
            PgType::Text
        }
    }

    /// The PostgreSQL type named by a parsed type (a cast target or column
    /// type). Types pgrq does not model give [`PgType::Unknown`].
    pub fn from_sqlparser(dt: &DataType) -> PgType {
        match dt {
            DataType::Bool | DataType::Boolean => PgType::Bool,
            DataType::Int2(_) | DataType::SmallInt(_) => PgType::Int2,
            DataType::Int(_) | DataType::Int4(_) | DataType::Integer(_) => PgType::Int4,
            DataType::Int8(_) | DataType::BigInt(_) => PgType::Int8,
            DataType::Real | DataType::Float4 => PgType::Float4,
            DataType::Float(info) => match info {
                sqlparser::ast::ExactNumberInfo::Precision(p) if *p <= 24 => PgType::Float4,
                _ => PgType::Float8,
            },
            DataType::Float8 | DataType::DoublePrecision | DataType::Double(_) => PgType::Float8,
            DataType::Numeric(_) | DataType::Decimal(_) | DataType::Dec(_) => PgType::Numeric,
            DataType::Text => PgType::Text,
            DataType::Varchar(_) | DataType::CharacterVarying(_) | DataType::CharVarying(_) => {
                PgType::Varchar
            }
            DataType::Char(_) | DataType::Character(_) => PgType::Bpchar,
            DataType::Bytea => PgType::Bytea,
            DataType::Date => PgType::Date,
            DataType::Time(..) => PgType::Time,
            DataType::Timestamp(_, tz) => match tz {
                TimezoneInfo::Tz | TimezoneInfo::WithTimeZone => PgType::Timestamptz,
                TimezoneInfo::None | TimezoneInfo::WithoutTimeZone => PgType::Timestamp,
            },
            DataType::Interval { .. } => PgType::Interval,
            DataType::Uuid => PgType::Uuid,
            DataType::JSON => PgType::Json,
            DataType::JSONB => PgType::Jsonb,
            DataType::Array(
                sqlparser::ast::ArrayElemTypeDef::AngleBracket(t)
                | sqlparser::ast::ArrayElemTypeDef::SquareBracket(t, _),
            ) => PgType::from_sqlparser(t)
                .array_of()
                .unwrap_or(PgType::Unknown),
            DataType::Custom(name, _) => custom_name(name)
                .and_then(|n| decl_exact(&n))
                .unwrap_or(PgType::Unknown),
            _ => PgType::Unknown,
        }
    }
}

/// The upper-cased last part of a custom type name, when it is unqualified
/// or qualified by `pg_catalog` / `public`.
pub(crate) fn custom_name(name: &ObjectName) -> Option<String> {
    let parts: Vec<String> = name
        .0
        .iter()
        .filter_map(|p| p.as_ident().map(|i| i.value.to_ascii_uppercase()))
        .collect();
    match parts.as_slice() {
        [one] => Some(one.clone()),
        [schema, one] if schema == "PG_CATALOG" || schema == "PUBLIC" => Some(one.clone()),
        _ => None,
    }
}

/// Upper-case, drop `(...)` arguments, and collapse whitespace.
fn normalize_decl(decl: &str) -> String {
    let mut out = String::with_capacity(decl.len());
    let mut depth = 0usize;
    for c in decl.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c.to_ascii_uppercase()),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Declared-type spellings with a known PostgreSQL type: PostgreSQL's own
/// names plus the `*_TEXT` spellings the DDL rewrite emits.
fn decl_exact(norm: &str) -> Option<PgType> {
    let t = match norm {
        "SMALLINT" | "INT2" | "SMALLSERIAL" | "SERIAL2" => PgType::Int2,
        "INTEGER" | "INT" | "INT4" | "SERIAL" | "SERIAL4" => PgType::Int4,
        "BIGINT" | "INT8" | "BIGSERIAL" | "SERIAL8" => PgType::Int8,
        "REAL" | "FLOAT4" => PgType::Float4,
        "DOUBLE PRECISION" | "DOUBLE" | "FLOAT8" | "FLOAT" => PgType::Float8,
        "NUMERIC" | "DECIMAL" | "DEC" => PgType::Numeric,
        "TEXT" => PgType::Text,
        "VARCHAR" | "CHARACTER VARYING" | "CHAR VARYING" => PgType::Varchar,
        "CHAR" | "CHARACTER" | "BPCHAR" => PgType::Bpchar,
        "NAME" | "NAME_TEXT" => PgType::Name,
        "BOOLEAN" | "BOOL" => PgType::Bool,
        "BYTEA" | "BLOB" => PgType::Bytea,
        "DATE" | "DATE_TEXT" => PgType::Date,
        "TIME"
        | "TIME WITHOUT TIME ZONE"
        | "TIME_TEXT"
        | "TIMETZ"
        | "TIME WITH TIME ZONE"
        | "TIMETZ_TEXT" => PgType::Time,
        "TIMESTAMP" | "TIMESTAMP WITHOUT TIME ZONE" | "TIMESTAMP_TEXT" | "DATETIME" => {
            PgType::Timestamp
        }
        "TIMESTAMPTZ" | "TIMESTAMP WITH TIME ZONE" | "TIMESTAMPTZ_TEXT" => PgType::Timestamptz,
        "INTERVAL" => PgType::Interval,
        "UUID" | "UUID_TEXT" => PgType::Uuid,
        "JSON" | "JSON_TEXT" => PgType::Json,
        "JSONB" | "JSONB_TEXT" => PgType::Jsonb,
        "OID" => PgType::Oid,
        // Array columns (`rewrite::types::ddl_type`): the element type's name + `_ARRAY`.
        _ => return decl_exact(norm.strip_suffix("_ARRAY")?)?.array_of(),
    };
    Some(t)
}

/// Expression forms whose value PostgreSQL always types as boolean, whatever their
/// operands: NOT, the IS tests, LIKE/ILIKE, IN, BETWEEN, EXISTS and ANY/ALL.
pub(crate) fn is_predicate_form(e: &Expr) -> bool {
    matches!(
        e,
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            ..
        } | Expr::IsNull(_)
            | Expr::IsNotNull(_)
            | Expr::IsTrue(_)
            | Expr::IsFalse(_)
            | Expr::IsNotTrue(_)
            | Expr::IsNotFalse(_)
            | Expr::IsDistinctFrom(..)
            | Expr::IsNotDistinctFrom(..)
            | Expr::Like { .. }
            | Expr::ILike { .. }
            | Expr::InList { .. }
            | Expr::InSubquery { .. }
            | Expr::Between { .. }
            | Expr::Exists { .. }
            | Expr::AnyOp { .. }
            | Expr::AllOp { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::parser::Parser;

    fn parsed_type(sql_type: &str) -> DataType {
        Parser::new(&PostgreSqlDialect {})
            .try_with_sql(sql_type)
            .and_then(|mut p| p.parse_data_type())
            .unwrap()
    }

    #[test]
    fn oids_round_trip() {
        for t in ALL {
            assert_eq!(PgType::from_oid(t.oid()), Some(t), "{t:?}");
        }
        assert_eq!(PgType::Int8.oid(), 20);
        assert_eq!(PgType::Timestamptz.oid(), 1184);
        assert_eq!(PgType::Jsonb.oid(), 3802);
        assert_eq!(PgType::from_oid(999_999), None);
    }

    #[test]
    fn from_decl_reads_postgres_names() {
        let cases = [
            ("smallint", PgType::Int2),
            ("int2", PgType::Int2),
            ("integer", PgType::Int4),
            ("INT", PgType::Int4),
            ("int4", PgType::Int4),
            ("BIGINT", PgType::Int8),
            ("int8", PgType::Int8),
            ("serial", PgType::Int4),
            ("BIGSERIAL", PgType::Int8),
            ("smallserial", PgType::Int2),
            ("real", PgType::Float4),
            ("float4", PgType::Float4),
            ("DOUBLE PRECISION", PgType::Float8),
            ("float8", PgType::Float8),
            ("float", PgType::Float8),
            ("NUMERIC(10,2)", PgType::Numeric),
            ("decimal", PgType::Numeric),
            ("text", PgType::Text),
            ("VARCHAR(20)", PgType::Varchar),
            ("character varying", PgType::Varchar),
            ("CHAR(3)", PgType::Bpchar),
            ("bpchar", PgType::Bpchar),
            ("BOOLEAN", PgType::Bool),
            ("bool", PgType::Bool),
            ("BYTEA", PgType::Bytea),
            ("date", PgType::Date),
            ("time", PgType::Time),
            ("timestamp", PgType::Timestamp),
            ("timestamp without time zone", PgType::Timestamp),
            ("TIMESTAMPTZ", PgType::Timestamptz),
            ("timestamp(3) with time zone", PgType::Timestamptz),
            ("interval", PgType::Interval),
            ("uuid", PgType::Uuid),
            ("json", PgType::Json),
            ("jsonb", PgType::Jsonb),
            ("", PgType::Text),
        ];
        for (decl, want) in cases {
            assert_eq!(PgType::from_decl(decl), want, "{decl:?}");
        }
    }

    #[test]
    fn from_decl_reads_emitted_text_spellings() {
        assert_eq!(PgType::from_decl("TIMESTAMP_TEXT"), PgType::Timestamp);
        assert_eq!(PgType::from_decl("TIMESTAMP_TEXT(3)"), PgType::Timestamp);
        assert_eq!(PgType::from_decl("TIMESTAMPTZ_TEXT"), PgType::Timestamptz);
        assert_eq!(PgType::from_decl("DATE_TEXT"), PgType::Date);
        assert_eq!(PgType::from_decl("TIME_TEXT"), PgType::Time);
        assert_eq!(PgType::from_decl("UUID_TEXT"), PgType::Uuid);
        assert_eq!(PgType::from_decl("JSON_TEXT"), PgType::Json);
        assert_eq!(PgType::from_decl("JSONB_TEXT"), PgType::Jsonb);
        assert_eq!(PgType::from_decl("NAME_TEXT"), PgType::Name);
    }

    #[test]
    fn from_decl_falls_back_to_sqlite_affinity() {
        assert_eq!(PgType::from_decl("UNSIGNED BIG INT"), PgType::Int8);
        assert_eq!(PgType::from_decl("NVARCHAR(10)"), PgType::Text);
        assert_eq!(PgType::from_decl("BLOB"), PgType::Bytea);
        assert_eq!(PgType::from_decl("DOUBLE"), PgType::Float8);
        assert_eq!(PgType::from_decl("whatever"), PgType::Text);
    }

    #[test]
    fn from_sqlparser_maps_cast_targets() {
        let cases = [
            ("int8", PgType::Int8),
            ("bigint", PgType::Int8),
            ("int", PgType::Int4),
            ("smallint", PgType::Int2),
            ("text", PgType::Text),
            ("varchar(5)", PgType::Varchar),
            ("boolean", PgType::Bool),
            ("timestamptz", PgType::Timestamptz),
            ("timestamp with time zone", PgType::Timestamptz),
            ("timestamp", PgType::Timestamp),
            ("numeric(10,2)", PgType::Numeric),
            ("double precision", PgType::Float8),
            ("real", PgType::Float4),
            ("uuid", PgType::Uuid),
            ("jsonb", PgType::Jsonb),
            ("bytea", PgType::Bytea),
            ("pg_catalog.int4", PgType::Int4),
            ("bpchar", PgType::Bpchar),
            ("inet", PgType::Unknown),
        ];
        for (sql_type, want) in cases {
            assert_eq!(
                PgType::from_sqlparser(&parsed_type(sql_type)),
                want,
                "{sql_type}"
            );
        }
    }
}
