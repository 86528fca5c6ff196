//! PostgreSQL's built-in types as `pg_type` lists them (real OIDs, categories, array
//! types), the type (and typmod) of a column from the declared type pgrq wrote into SQLite,
//! `format_type`, and stored defaults printed the way PostgreSQL prints them.

use sqlparser::ast::Expr;

/// A column's type: `pg_type.oid` and `atttypmod`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColType {
    pub oid: u32,
    pub typmod: i32,
}

/// A built-in type: (oid, typname, typlen, typbyval, typcategory, array oid, typalign,
/// typstorage, typtype).
pub type Builtin = (u32, &'static str, i16, bool, char, u32, char, char, char);

pub const BUILTINS: &[Builtin] = &[
    (16, "bool", 1, true, 'B', 1000, 'c', 'p', 'b'),
    (17, "bytea", -1, false, 'U', 1001, 'i', 'x', 'b'),
    (18, "char", 1, true, 'Z', 1002, 'c', 'p', 'b'),
    (19, "name", 64, false, 'S', 1003, 'c', 'p', 'b'),
    (20, "int8", 8, true, 'N', 1016, 'd', 'p', 'b'),
    (21, "int2", 2, true, 'N', 1005, 's', 'p', 'b'),
    (22, "int2vector", -1, false, 'A', 1006, 'i', 'p', 'b'),
    (23, "int4", 4, true, 'N', 1007, 'i', 'p', 'b'),
    (24, "regproc", 4, true, 'N', 1008, 'i', 'p', 'b'),
    (25, "text", -1, false, 'S', 1009, 'i', 'x', 'b'),
    (26, "oid", 4, true, 'N', 1028, 'i', 'p', 'b'),
    (27, "tid", 6, false, 'U', 1010, 's', 'p', 'b'),
    (28, "xid", 4, true, 'U', 1011, 'i', 'p', 'b'),
    (29, "cid", 4, true, 'U', 1012, 'i', 'p', 'b'),
    (30, "oidvector", -1, false, 'A', 1013, 'i', 'p', 'b'),
    (114, "json", -1, false, 'U', 199, 'i', 'x', 'b'),
    (142, "xml", -1, false, 'U', 143, 'i', 'x', 'b'),
    (194, "pg_node_tree", -1, false, 'Z', 0, 'i', 'x', 'b'),
    (600, "point", 16, false, 'G', 1017, 'd', 'p', 'b'),
    (650, "cidr", -1, false, 'I', 651, 'i', 'm', 'b'),
    (700, "float4", 4, true, 'N', 1021, 'i', 'p', 'b'),
    (701, "float8", 8, true, 'N', 1022, 'd', 'p', 'b'),
    (705, "unknown", -2, false, 'X', 0, 'c', 'p', 'p'),
    (790, "money", 8, true, 'N', 791, 'd', 'p', 'b'),
    (829, "macaddr", 6, false, 'U', 1040, 'i', 'p', 'b'),
    (869, "inet", -1, false, 'I', 1041, 'i', 'm', 'b'),
    (1033, "aclitem", 12, false, 'U', 1034, 'i', 'p', 'b'),
    (1042, "bpchar", -1, false, 'S', 1014, 'i', 'x', 'b'),
    (1043, "varchar", -1, false, 'S', 1015, 'i', 'x', 'b'),
    (1082, "date", 4, true, 'D', 1182, 'i', 'p', 'b'),
    (1083, "time", 8, true, 'D', 1183, 'd', 'p', 'b'),
    (1114, "timestamp", 8, true, 'D', 1115, 'd', 'p', 'b'),
    (1184, "timestamptz", 8, true, 'D', 1185, 'd', 'p', 'b'),
    (1186, "interval", 16, false, 'T', 1187, 'd', 'p', 'b'),
    (1266, "timetz", 12, false, 'D', 1270, 'd', 'p', 'b'),
    (1560, "bit", -1, false, 'V', 1561, 'i', 'x', 'b'),
    (1562, "varbit", -1, false, 'V', 1563, 'i', 'x', 'b'),
    (1700, "numeric", -1, false, 'N', 1231, 'i', 'm', 'b'),
    (2205, "regclass", 4, true, 'N', 2210, 'i', 'p', 'b'),
    (2206, "regtype", 4, true, 'N', 2211, 'i', 'p', 'b'),
    (2249, "record", -1, false, 'P', 2287, 'd', 'x', 'p'),
    (2278, "void", 4, true, 'P', 0, 'i', 'p', 'p'),
    (2950, "uuid", 16, false, 'U', 2951, 'c', 'p', 'b'),
    (3220, "pg_lsn", 8, true, 'U', 3221, 'd', 'p', 'b'),
    (3614, "tsvector", -1, false, 'U', 3643, 'i', 'x', 'b'),
    (3802, "jsonb", -1, false, 'U', 3807, 'i', 'x', 'b'),
    (3904, "int4range", -1, false, 'R', 3905, 'i', 'x', 'r'),
    (3906, "numrange", -1, false, 'R', 3907, 'i', 'x', 'r'),
    (3908, "tsrange", -1, false, 'R', 3909, 'd', 'x', 'r'),
    (3910, "tstzrange", -1, false, 'R', 3911, 'd', 'x', 'r'),
    (3912, "daterange", -1, false, 'R', 3913, 'i', 'x', 'r'),
    (3926, "int8range", -1, false, 'R', 3927, 'd', 'x', 'r'),
    (4089, "regnamespace", 4, true, 'N', 4090, 'i', 'p', 'b'),
];

/// Range types: (range oid, subtype oid).
pub const RANGES: &[(u32, u32)] = &[
    (3904, 23),
    (3906, 1700),
    (3908, 1114),
    (3910, 1184),
    (3912, 1082),
    (3926, 20),
];

/// The collation a type's values carry (`typcollation`).
pub fn collation(oid: u32) -> u32 {
    match oid {
        19 => 950,
        25 | 1042 | 1043 => 100,
        _ => 0,
    }
}

/// The built-in type called `name` (`int8`, `text` …).
pub fn builtin_named(name: &str) -> Option<&'static Builtin> {
    let n = name.to_ascii_lowercase();
    BUILTINS.iter().find(|b| b.1 == n)
}

pub fn builtin(oid: u32) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.0 == oid)
}

/// The element type of a built-in array type.
pub fn array_element(oid: u32) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.5 == oid && b.5 != 0)
}

/// The PostgreSQL type of a column declared `decl` by pgrq's DDL rewrite (or a
/// `pgrq_type_*` marker such as `int8`).
pub fn from_decl(decl: &str) -> ColType {
    let upper = decl.trim().to_ascii_uppercase();
    let (base, args) = match upper.split_once('(') {
        Some((b, rest)) => (
            b.trim().to_string(),
            Some(rest.trim_end_matches(')').to_string()),
        ),
        None => (upper.clone(), None),
    };
    let nums: Vec<i32> = args
        .as_deref()
        .map(|a| a.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_default();
    let base = base.split_whitespace().collect::<Vec<_>>().join(" ");
    let plain = |oid| ColType { oid, typmod: -1 };
    match base.as_str() {
        "VARCHAR" | "CHARACTER VARYING" | "CHAR VARYING" => ColType {
            oid: 1043,
            typmod: nums.first().map_or(-1, |n| n + 4),
        },
        "CHAR" | "CHARACTER" | "BPCHAR" => ColType {
            oid: 1042,
            typmod: nums.first().map_or(5, |n| n + 4),
        },
        "NUMERIC" | "DECIMAL" | "DEC" => ColType {
            oid: 1700,
            typmod: match nums.as_slice() {
                [p, s] => ((p << 16) | s) + 4,
                [p] => (p << 16) + 4,
                _ => -1,
            },
        },
        "TIMESTAMP_TEXT" | "TIMESTAMP" => ColType {
            oid: 1114,
            typmod: nums.first().copied().unwrap_or(-1),
        },
        "TIMESTAMPTZ_TEXT" | "TIMESTAMPTZ" => ColType {
            oid: 1184,
            typmod: nums.first().copied().unwrap_or(-1),
        },
        "TIME_TEXT" | "TIME" => ColType {
            oid: 1083,
            typmod: nums.first().copied().unwrap_or(-1),
        },
        "TIMETZ_TEXT" | "TIMETZ" => ColType {
            oid: 1266,
            typmod: nums.first().copied().unwrap_or(-1),
        },
        "INTEGER" | "INT" | "INT4" => plain(23),
        _ => plain(crate::sql::PgType::from_decl(decl).oid()),
    }
}

/// `format_type(oid, typmod)` for built-in types; `None` for types it does not know.
pub fn format_builtin(oid: u32, typmod: Option<i32>) -> Option<String> {
    let m = typmod.filter(|m| *m >= 0);
    let s = match oid {
        16 => "boolean".into(),
        18 => "\"char\"".into(),
        20 => "bigint".into(),
        21 => "smallint".into(),
        23 => "integer".into(),
        700 => "real".into(),
        701 => "double precision".into(),
        1042 => match m {
            Some(m) => format!("character({})", m - 4),
            None => "bpchar".into(),
        },
        1043 => match m {
            Some(m) => format!("character varying({})", m - 4),
            None => "character varying".into(),
        },
        1700 => match m {
            Some(m) => {
                let m = m - 4;
                format!("numeric({},{})", (m >> 16) & 0xffff, m & 0xffff)
            }
            None => "numeric".into(),
        },
        1083 => time_name("time", m, "without"),
        1266 => time_name("time", m, "with"),
        1114 => time_name("timestamp", m, "without"),
        1184 => time_name("timestamp", m, "with"),
        _ => {
            if let Some(b) = builtin(oid) {
                return Some(b.1.to_string());
            }
            let elem = array_element(oid)?;
            return Some(format!("{}[]", format_builtin(elem.0, typmod)?));
        }
    };
    Some(s)
}

fn time_name(base: &str, m: Option<i32>, tz: &str) -> String {
    match m {
        Some(p) => format!("{base}({p}) {tz} time zone"),
        None => format!("{base} {tz} time zone"),
    }
}

/// A stored (SQLite) default printed as PostgreSQL prints the default it came from.
pub fn default_text(e: &Expr, ty: &ColType) -> String {
    let mut e = e.clone();
    while let Expr::Nested(inner) = e {
        e = *inner;
    }
    let text = e.to_string();
    if text.contains("'n' || 'ow'") || text.to_ascii_lowercase().contains("'now'") {
        let has_time = text.contains("%H");
        let has_date = text.contains("%Y");
        return match (has_date, has_time) {
            (true, true) if ty.oid == 1114 => "LOCALTIMESTAMP".into(),
            (true, true) => "now()".into(),
            (true, false) => "CURRENT_DATE".into(),
            (false, _) if ty.oid == 1083 => "LOCALTIME".into(),
            _ => "CURRENT_TIME".into(),
        };
    }
    if let Expr::Value(v) = &e {
        use sqlparser::ast::Value;
        match &v.value {
            Value::SingleQuotedString(s) => {
                let tname = format_builtin(ty.oid, None).unwrap_or_else(|| "text".into());
                return format!("'{}'::{tname}", s.replace('\'', "''"));
            }
            Value::Number(n, _) if ty.oid == 16 => {
                return if n == "0" {
                    "false".into()
                } else {
                    "true".into()
                };
            }
            Value::Boolean(b) => return b.to_string(),
            _ => {}
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_types_map_to_oids_and_typmods() {
        let f = |d: &str| {
            let t = from_decl(d);
            format_builtin(t.oid, Some(t.typmod)).unwrap()
        };
        assert_eq!(f("INT"), "integer");
        assert_eq!(f("INTEGER"), "integer");
        assert_eq!(f("int8"), "bigint");
        assert_eq!(f("BIGINT"), "bigint");
        assert_eq!(f("SMALLINT"), "smallint");
        assert_eq!(f("VARCHAR(40)"), "character varying(40)");
        assert_eq!(f("NUMERIC(10,2)"), "numeric(10,2)");
        assert_eq!(f("NUMERIC"), "numeric");
        assert_eq!(f("TIMESTAMPTZ_TEXT"), "timestamp with time zone");
        assert_eq!(f("TIMESTAMP_TEXT(3)"), "timestamp(3) without time zone");
        assert_eq!(f("DATE_TEXT"), "date");
        assert_eq!(f("TEXT"), "text");
        assert_eq!(f("BOOLEAN"), "boolean");
        assert_eq!(f("UUID_TEXT"), "uuid");
        assert_eq!(f("JSONB_TEXT"), "jsonb");
        assert_eq!(f("CHAR(3)"), "character(3)");
        assert_eq!(f("DOUBLE PRECISION"), "double precision");
        assert_eq!(format_builtin(1009, None).unwrap(), "text[]");
    }
}
