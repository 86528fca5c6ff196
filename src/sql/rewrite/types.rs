//! PostgreSQL types as SQLite sees them: cast targets and the declared
//! column types the DDL rewrite writes.
//!
//! Declared types keep PostgreSQL's names wherever SQLite's type affinity
//! does the right thing with them. The exceptions, and why:
//!
//! * `date`, `timestamp` (and `datetime`) spelled exactly so make rqlite's
//!   go-sqlite3 driver parse stored text as a time and rewrite it (RFC 3339,
//!   or 0001-01-01 when unparseable). Besides, names without `CHAR`, `TEXT`
//!   or `CLOB` get NUMERIC affinity, which turns `'2026'` or
//!   `'20261121'` into integers and a dash-less UUID of digits into a
//!   float. So date/time/timestamp/timestamptz/uuid/json/jsonb/name columns
//!   are declared `<PGNAME>_TEXT` (`TIMESTAMPTZ_TEXT`, `UUID_TEXT`, …):
//!   TEXT affinity keeps the text byte-for-byte, and
//!   [`PgType::from_decl`](crate::sql::PgType::from_decl) maps each
//!   spelling back.
//! * `integer` is declared `INT`: SQLite treats a column declared exactly
//!   `INTEGER PRIMARY KEY` as the auto-assigning rowid, which pgrq reserves
//!   for SERIAL/identity columns (an `integer primary key` in PostgreSQL
//!   must be given a value).
//! * `bytea` stays `BYTEA` (NUMERIC affinity never converts blobs),
//!   `boolean` stays `BOOLEAN` (values are stored as 1/0), `numeric(p,s)`,
//!   `varchar(n)` and `char(n)` stay as written. `interval` stays
//!   `INTERVAL` (INTEGER affinity only touches integer-looking text).

use sqlparser::ast::{DataType, ExactNumberInfo, Ident, ObjectName, TimezoneInfo};

use crate::sql::types::custom_name;
use crate::sql::{PgType, SqlError};

/// PostgreSQL's object-identifier types, which SQLite has no notion of.
const OID_TYPES: &[&str] = &[
    "OID",
    "REGCLASS",
    "REGTYPE",
    "REGPROC",
    "REGPROCEDURE",
    "REGOPER",
    "REGOPERATOR",
    "REGNAMESPACE",
    "REGROLE",
    "REGCONFIG",
];

/// The SQLite type to CAST to for a PostgreSQL cast target, with the
/// PostgreSQL type it names.
pub(super) fn cast_target(dt: &DataType) -> Result<(DataType, PgType), SqlError> {
    match dt {
        DataType::Regclass => return Err(SqlError::unsupported("cast to regclass")),
        DataType::Array(_) => {
            return Err(SqlError::unsupported(format!("cast to array type {dt}")));
        }
        DataType::Custom(name, _) => {
            if let Some(n) = custom_name(name).filter(|n| OID_TYPES.contains(&n.as_str())) {
                return Err(SqlError::unsupported(format!(
                    "cast to {}",
                    n.to_lowercase()
                )));
            }
        }
        _ => {}
    }
    let pg = PgType::from_sqlparser(dt);
    let sqlite = match pg {
        PgType::Bool | PgType::Int2 | PgType::Int4 | PgType::Int8 | PgType::Oid => {
            DataType::Integer(None)
        }
        PgType::Float4 | PgType::Float8 => DataType::Real,
        PgType::Numeric => DataType::Numeric(ExactNumberInfo::None),
        PgType::Bytea => DataType::Blob(None),
        PgType::Text
        | PgType::Varchar
        | PgType::Bpchar
        | PgType::Name
        | PgType::Char
        | PgType::Date
        | PgType::Time
        | PgType::Timestamp
        | PgType::Timestamptz
        | PgType::Interval
        | PgType::Uuid
        | PgType::Json
        | PgType::Jsonb => DataType::Text,
        PgType::Unknown
        | PgType::Void
        | PgType::BoolArray
        | PgType::CharArray
        | PgType::NameArray
        | PgType::Int2Array
        | PgType::Int4Array
        | PgType::TextArray
        | PgType::Int8Array
        | PgType::OidArray => {
            return Err(SqlError::unsupported(format!(
                "cast to {}",
                dt.to_string().to_lowercase()
            )));
        }
    };
    Ok((sqlite, pg))
}

/// `SERIAL`-family column types, with the integer type they stand for.
pub(super) fn serial_type(dt: &DataType) -> Option<PgType> {
    let DataType::Custom(name, args) = dt else {
        return None;
    };
    if !args.is_empty() {
        return None;
    }
    match custom_name(name)?.as_str() {
        "SERIAL" | "SERIAL4" => Some(PgType::Int4),
        "BIGSERIAL" | "SERIAL8" => Some(PgType::Int8),
        "SMALLSERIAL" | "SERIAL2" => Some(PgType::Int2),
        _ => None,
    }
}

/// The declared type to write into SQLite for a PostgreSQL column type.
pub(super) fn ddl_type(dt: &DataType) -> Result<DataType, SqlError> {
    let out = match dt {
        DataType::Timestamp(p, tz) => match tz {
            TimezoneInfo::Tz | TimezoneInfo::WithTimeZone => text_spelling("TIMESTAMPTZ", *p),
            TimezoneInfo::None | TimezoneInfo::WithoutTimeZone => text_spelling("TIMESTAMP", *p),
        },
        DataType::Time(p, tz) => match tz {
            TimezoneInfo::Tz | TimezoneInfo::WithTimeZone => text_spelling("TIMETZ", *p),
            TimezoneInfo::None | TimezoneInfo::WithoutTimeZone => text_spelling("TIME", *p),
        },
        DataType::Date => text_spelling("DATE", None),
        DataType::Uuid => text_spelling("UUID", None),
        DataType::JSON => text_spelling("JSON", None),
        DataType::JSONB => text_spelling("JSONB", None),
        DataType::Integer(_) => DataType::Int(None),
        DataType::Interval { .. } => DataType::Interval {
            fields: None,
            precision: None,
        },
        DataType::Int2(_)
        | DataType::SmallInt(_)
        | DataType::Int(_)
        | DataType::Int4(_)
        | DataType::Int8(_)
        | DataType::BigInt(_)
        | DataType::Real
        | DataType::Float4
        | DataType::Float8
        | DataType::Float(_)
        | DataType::DoublePrecision
        | DataType::Numeric(_)
        | DataType::Decimal(_)
        | DataType::Dec(_)
        | DataType::Text
        | DataType::Varchar(_)
        | DataType::CharacterVarying(_)
        | DataType::CharVarying(_)
        | DataType::Char(_)
        | DataType::Character(_)
        | DataType::Bool
        | DataType::Boolean
        | DataType::Bytea => dt.clone(),
        // Stored as PostgreSQL's array text; the declared name keeps the type.
        DataType::Array(_) => match PgType::from_sqlparser(dt).element() {
            Some(elem) => custom(&format!("{}_ARRAY", elem.name().to_uppercase()), None),
            None => return Err(SqlError::unsupported(format!("array column type {dt}"))),
        },
        DataType::Custom(name, _) => custom_ddl_type(dt, name)?,
        _ => return Err(SqlError::unsupported(format!("column type {dt}"))),
    };
    Ok(out)
}

/// Custom-named types: PostgreSQL names sqlparser does not model, possibly
/// `pg_catalog`-qualified.
fn custom_ddl_type(dt: &DataType, name: &ObjectName) -> Result<DataType, SqlError> {
    let pg = custom_name(name).map_or(PgType::Unknown, |_| PgType::from_sqlparser(dt));
    Ok(match pg {
        PgType::Name => text_spelling("NAME", None),
        PgType::Bpchar => custom("BPCHAR", None),
        PgType::Oid => custom("OID", None),
        PgType::Int2 => DataType::Int2(None),
        PgType::Int4 => DataType::Int4(None),
        PgType::Int8 => DataType::Int8(None),
        PgType::Float4 => DataType::Float4,
        PgType::Float8 => DataType::Float8,
        PgType::Bool => DataType::Boolean,
        PgType::Text => DataType::Text,
        _ => {
            let spelled = dt.to_string().to_lowercase();
            let base = custom_name(name).unwrap_or_default().to_lowercase();
            if !base.is_empty() && !KNOWN_TYPE_NAMES.contains(&base.as_str()) {
                return Err(SqlError::UndefinedObject {
                    message: format!("type \"{spelled}\" does not exist"),
                });
            }
            return Err(SqlError::unsupported(format!("column type {spelled}")));
        }
    })
}

/// PostgreSQL types (built in, or from common extensions) sqlparser reads as custom
/// names and pgrq does not store: refused as unsupported. Any other unknown name is
/// PostgreSQL's 42704.
const KNOWN_TYPE_NAMES: &[&str] = &[
    "inet",
    "cidr",
    "macaddr",
    "macaddr8",
    "money",
    "xml",
    "tsvector",
    "tsquery",
    "point",
    "line",
    "lseg",
    "box",
    "path",
    "polygon",
    "circle",
    "bit",
    "varbit",
    "pg_lsn",
    "txid_snapshot",
    "pg_snapshot",
    "int4range",
    "int8range",
    "numrange",
    "tsrange",
    "tstzrange",
    "daterange",
    "int4multirange",
    "int8multirange",
    "nummultirange",
    "tsmultirange",
    "tstzmultirange",
    "datemultirange",
    "hstore",
    "citext",
    "ltree",
    "regclass",
    "regtype",
    "regproc",
    "regprocedure",
    "regoper",
    "regnamespace",
    "regrole",
    "regconfig",
    "regdictionary",
    "oidvector",
    "int2vector",
    "jsonpath",
    "xid",
    "xid8",
    "cid",
    "tid",
    "aclitem",
    "record",
    "void",
    "anyelement",
    "geometry",
    "geography",
    "vector",
    "timetz",
    "interval",
    "uuid",
    "json",
    "jsonb",
    "date",
    "time",
    "timestamp",
    "timestamptz",
    "bytea",
    "serial",
    "bigserial",
    "smallserial",
    "serial4",
    "serial8",
    "serial2",
];

fn text_spelling(pg_name: &str, precision: Option<u64>) -> DataType {
    custom(&format!("{pg_name}_TEXT"), precision)
}

fn custom(name: &str, arg: Option<u64>) -> DataType {
    DataType::Custom(
        ObjectName::from(vec![Ident::new(name)]),
        arg.map(|p| vec![p.to_string()]).unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::parser::Parser;

    fn parse_type(sql_type: &str) -> DataType {
        let mut parser = Parser::new(&PostgreSqlDialect {})
            .try_with_sql(sql_type)
            .unwrap();
        parser.parse_data_type().unwrap()
    }

    fn decl(sql_type: &str) -> String {
        ddl_type(&parse_type(sql_type)).unwrap().to_string()
    }

    #[test]
    fn every_emitted_spelling_round_trips() {
        let types = [
            "smallint",
            "int2",
            "int",
            "integer",
            "int4",
            "bigint",
            "int8",
            "real",
            "float4",
            "double precision",
            "float8",
            "numeric",
            "numeric(10,2)",
            "decimal(5)",
            "text",
            "varchar(20)",
            "character varying",
            "char(3)",
            "bpchar",
            "boolean",
            "bool",
            "bytea",
            "date",
            "time",
            "timetz",
            "timestamp",
            "timestamp(3)",
            "timestamptz",
            "timestamp with time zone",
            "timestamp without time zone",
            "interval",
            "uuid",
            "json",
            "jsonb",
            "name",
            "oid",
            "pg_catalog.int8",
        ];
        for t in types {
            let parsed = parse_type(t);
            let expected = PgType::from_sqlparser(&parsed);
            assert_ne!(expected, PgType::Unknown, "{t}");
            let emitted = decl(t);
            assert_eq!(PgType::from_decl(&emitted), expected, "{t} -> {emitted}");
        }
    }

    #[test]
    fn time_like_types_get_text_affinity_spellings() {
        assert_eq!(decl("timestamp"), "TIMESTAMP_TEXT");
        assert_eq!(decl("timestamp(3) with time zone"), "TIMESTAMPTZ_TEXT(3)");
        assert_eq!(decl("date"), "DATE_TEXT");
        assert_eq!(decl("uuid"), "UUID_TEXT");
        assert_eq!(decl("jsonb"), "JSONB_TEXT");
        assert_eq!(decl("integer"), "INT");
        assert_eq!(decl("numeric(10,2)"), "NUMERIC(10,2)");
        assert_eq!(decl("varchar(20)"), "VARCHAR(20)");
    }

    #[test]
    fn cast_targets_map_to_sqlite_storage_classes() {
        let cases = [
            ("int8", "INTEGER"),
            ("boolean", "INTEGER"),
            ("double precision", "REAL"),
            ("numeric(10,2)", "NUMERIC"),
            ("varchar(3)", "TEXT"),
            ("timestamptz", "TEXT"),
            ("uuid", "TEXT"),
            ("bytea", "BLOB"),
        ];
        for (t, want) in cases {
            let (dt, _) = cast_target(&parse_type(t)).unwrap();
            assert_eq!(dt.to_string(), want, "{t}");
        }
    }

    #[test]
    fn unsupported_types_are_named() {
        let e = ddl_type(&parse_type("inet")).unwrap_err();
        assert_eq!(e, SqlError::unsupported("column type inet"));
        let e = cast_target(&parse_type("regtype")).unwrap_err();
        assert_eq!(e, SqlError::unsupported("cast to regtype"));
        assert!(ddl_type(&parse_type("float8[]")).is_err());
        assert!(ddl_type(&parse_type("int[]")).is_ok());
    }

    #[test]
    fn serial_family_is_recognised() {
        assert_eq!(serial_type(&parse_type("serial")), Some(PgType::Int4));
        assert_eq!(serial_type(&parse_type("BIGSERIAL")), Some(PgType::Int8));
        assert_eq!(serial_type(&parse_type("smallserial")), Some(PgType::Int2));
        assert_eq!(serial_type(&parse_type("integer")), None);
    }
}
