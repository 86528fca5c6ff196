//! The rows of the emulated `pg_catalog` tables, derived from a [`Model`], plus the fixed
//! rows every database has (namespaces, built-in types, access methods, the connected
//! role, the database itself). OIDs of user objects are derived from their names (stable
//! across rebuilds and nodes, ≥ 16384).

use std::collections::{HashMap, HashSet};

use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};

use super::functions::Lookup;
use super::model::{Model, quote_ident};
use super::pgtypes;
use crate::sql::catalog::defs;

pub const NSP_CATALOG: i64 = 11;
pub const NSP_TOAST: i64 = 99;
pub const NSP_PUBLIC: i64 = 2200;
pub const NSP_INFO: i64 = 13000;
pub const ROLE_USER: i64 = 10;
pub const ROLE_DB_OWNER: i64 = 6171;
pub(super) const AM_HEAP: i64 = 2;
pub(super) const AM_BTREE: i64 = 403;
/// `pg_class` OIDs of the catalog relations PostgreSQL fixes (obj_description's
/// `'pg_class'::regclass` and friends).
pub(super) const FIXED_RELS: &[(&str, i64)] = &[
    ("pg_type", 1247),
    ("pg_attribute", 1249),
    ("pg_proc", 1255),
    ("pg_class", 1259),
    ("pg_database", 1262),
    ("pg_am", 2601),
    ("pg_attrdef", 2604),
    ("pg_constraint", 2606),
    ("pg_depend", 2608),
    ("pg_description", 2609),
    ("pg_index", 2610),
    ("pg_inherits", 2611),
    ("pg_namespace", 2615),
    ("pg_rewrite", 2618),
    ("pg_trigger", 2620),
    ("pg_sequence", 2224),
    ("pg_enum", 3501),
    ("pg_range", 3541),
    ("pg_collation", 3456),
];

/// Deterministic OIDs from names; asking twice gives the same OID.
#[derive(Default)]
pub struct Oids {
    used: HashSet<i64>,
    given: HashMap<(String, String), i64>,
}

impl Oids {
    pub fn get(&mut self, kind: &str, name: &str) -> i64 {
        let key = (kind.to_string(), name.to_string());
        if let Some(o) = self.given.get(&key) {
            return *o;
        }
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in kind.bytes().chain([0u8]).chain(name.bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        let span = (i32::MAX as u64) - 16384;
        let mut oid = 16384 + (h % span) as i64;
        while !self.used.insert(oid) {
            oid = if oid >= i64::from(i32::MAX) - 1 {
                16384
            } else {
                oid + 1
            };
        }
        self.given.insert(key, oid);
        oid
    }
}

/// Accumulates rows per table, then inserts them.
pub struct Rows {
    pub tables: HashMap<&'static str, Vec<Vec<Value>>>,
}

pub(super) fn t(s: &str) -> Value {
    Value::Text(s.to_string())
}
pub(super) fn i(n: i64) -> Value {
    Value::Integer(n)
}
pub(super) fn b(v: bool) -> Value {
    Value::Integer(i64::from(v))
}
pub(super) const N: Value = Value::Null;

impl Rows {
    pub fn push(&mut self, table: &'static str, row: Vec<Value>) {
        self.tables.entry(table).or_default().push(row);
    }

    /// Inserts every row into the catalog tables (created from `defs`).
    pub fn insert(&self, conn: &Connection) -> rusqlite::Result<()> {
        for def in defs::RELATIONS {
            let Some(rows) = self.tables.get(def.1) else {
                continue;
            };
            let n = defs::columns(def).count();
            let marks: Vec<String> = (1..=n).map(|k| format!("?{k}")).collect();
            let sql = format!(
                "INSERT INTO {}.{} VALUES ({})",
                def.0,
                def.1,
                marks.join(", ")
            );
            let mut stmt = conn.prepare(&sql)?;
            for row in rows {
                let mut row = row.clone();
                row.resize(n, Value::Null);
                stmt.execute(params_from_iter(row))?;
            }
        }
        Ok(())
    }
}

/// Rows and lookups for `model` in database `database`, owned by `user`.
pub fn build(model: &Model, database: &str, user: &str) -> (Rows, Lookup) {
    let mut rows = Rows {
        tables: HashMap::new(),
    };
    let mut lk = Lookup::default();
    let mut oids = Oids::default();
    fixed(&mut rows, &mut lk, database, user, &mut oids);
    catalog_relations(&mut rows, &mut lk, &mut oids, database);
    // Enums first: columns may use them.
    let mut type_by_name: HashMap<String, i64> = HashMap::new();
    for e in &model.enums {
        let oid = oids.get("type", &e.name);
        let arr = oids.get("arraytype", &e.name);
        type_row(
            &mut rows, oid, &e.name, NSP_PUBLIC, 4, true, 'E', 'e', arr, 0, 0,
        );
        type_row(
            &mut rows,
            arr,
            &format!("_{}", e.name),
            NSP_PUBLIC,
            -1,
            false,
            'A',
            'b',
            0,
            oid,
            0,
        );
        for (k, label) in e.labels.iter().enumerate() {
            let o = oids.get("enum", &format!("{}.{label}", e.name));
            rows.push(
                "pg_enum",
                vec![i(o), i(oid), Value::Real(k as f64 + 1.0), t(label)],
            );
        }
        lk.type_name.insert(oid, quote_ident(&e.name));
        lk.type_name
            .insert(arr, format!("{}[]", quote_ident(&e.name)));
        lk.type_oid.insert(e.name.to_lowercase(), oid);
        type_by_name.insert(e.name.clone(), oid);
    }
    let rel_oids: HashMap<String, i64> = model
        .tables
        .iter()
        .map(|tb| (tb.name.clone(), oids.get("rel", &tb.name)))
        .collect();
    let mut cx = Cx {
        rows: &mut rows,
        lk: &mut lk,
        oids: &mut oids,
        model,
        rel_oids: &rel_oids,
        database,
        user,
    };
    for tb in &model.tables {
        table(&mut cx, tb);
    }
    for ix in &model.indexes {
        index(&mut cx, ix);
    }
    for s in &model.sequences {
        sequence(&mut cx, s);
    }
    for (name, oid) in rel_oids {
        lk.rel_oid.insert(name.to_lowercase(), oid);
        lk.rel_name.insert(oid, quote_ident(&name));
    }
    (rows, lk)
}

#[allow(clippy::too_many_arguments)]
pub(super) fn type_row(
    rows: &mut Rows,
    oid: i64,
    name: &str,
    nsp: i64,
    len: i16,
    byval: bool,
    cat: char,
    typtype: char,
    array: i64,
    elem: i64,
    relid: i64,
) {
    let base = if cat == 'A' { "array" } else { name };
    let (input, output) = match typtype {
        'e' => ("enum_in".to_string(), "enum_out".to_string()),
        'c' => ("record_in".to_string(), "record_out".to_string()),
        'r' => ("range_in".to_string(), "range_out".to_string()),
        _ => match base {
            "bool" | "int2" | "int4" | "int8" | "text" | "oid" | "char" | "name" | "bytea"
            | "float4" | "float8" | "varchar" | "bpchar" | "regproc" | "regclass" | "regtype"
            | "regnamespace" | "int2vector" | "oidvector" | "xid" | "cid" | "tid" | "point" => {
                (format!("{base}in"), format!("{base}out"))
            }
            "money" => ("cash_in".to_string(), "cash_out".to_string()),
            _ => (format!("{base}_in"), format!("{base}_out")),
        },
    };
    let collation = pgtypes::collation(oid as u32);
    rows.push(
        "pg_type",
        vec![
            i(oid),
            t(name),
            i(nsp),
            i(ROLE_USER),
            i(i64::from(len)),
            b(byval),
            t(&typtype.to_string()),
            t(&cat.to_string()),
            b(false),
            b(true),
            t(","),
            i(relid),
            t(if cat == 'A' {
                "array_subscript_handler"
            } else {
                "-"
            }),
            i(elem),
            i(array),
            t(&input),
            t(&output),
            t("-"),
            t("-"),
            t("-"),
            t("-"),
            t("-"),
            t(if len == 8 { "d" } else { "i" }),
            t(if len == -1 { "x" } else { "p" }),
            b(false),
            i(0),
            i(-1),
            i(0),
            i(i64::from(collation)),
            N,
            N,
            N,
        ],
    );
}

#[allow(clippy::too_many_arguments)]
pub(super) fn class_row(
    rows: &mut Rows,
    oid: i64,
    name: &str,
    nsp: i64,
    reltype: i64,
    kind: &str,
    natts: i64,
    checks: i64,
    has_index: bool,
    has_triggers: bool,
) {
    let am = match kind {
        "r" => AM_HEAP,
        "i" => AM_BTREE,
        _ => 0,
    };
    let replident = if kind == "r" { "d" } else { "n" };
    rows.push(
        "pg_class",
        vec![
            i(oid),
            t(name),
            i(nsp),
            i(reltype),
            i(0),
            i(ROLE_USER),
            i(am),
            i(oid),
            i(0),
            i(0),
            Value::Real(-1.0),
            i(0),
            i(0),
            b(has_index),
            b(false),
            t("p"),
            t(kind),
            i(natts),
            i(checks),
            b(false),
            b(has_triggers),
            b(false),
            b(false),
            b(false),
            b(true),
            t(replident),
            b(false),
            i(0),
            i(0),
            i(0),
            N,
            N,
            N,
        ],
    );
}

#[allow(clippy::too_many_arguments)]
pub(super) fn attribute_row(
    rows: &mut Rows,
    rel: i64,
    name: &str,
    type_oid: i64,
    typmod: i64,
    num: i64,
    not_null: bool,
    has_default: bool,
    identity: &str,
) {
    let (len, byval, align) = pgtypes::builtin(type_oid as u32)
        .map(|b| (i64::from(b.2), b.3, b.6))
        .unwrap_or((4, true, 'i'));
    let storage = if len == -1 { "x" } else { "p" };
    rows.push(
        "pg_attribute",
        vec![
            i(rel),
            t(name),
            i(type_oid),
            i(-1),
            i(len),
            i(num),
            i(0),
            i(-1),
            i(typmod),
            b(byval),
            t(&align.to_string()),
            t(storage),
            t(""),
            b(not_null),
            b(has_default),
            b(false),
            t(identity),
            t(""),
            b(false),
            b(true),
            i(0),
            i(i64::from(pgtypes::collation(type_oid as u32))),
            N,
            N,
            N,
            N,
        ],
    );
}

/// What filling one object needs.
pub(super) struct Cx<'a> {
    pub rows: &'a mut Rows,
    pub lk: &'a mut Lookup,
    pub oids: &'a mut Oids,
    pub model: &'a Model,
    pub rel_oids: &'a HashMap<String, i64>,
    pub database: &'a str,
    pub user: &'a str,
}

use super::fill_fixed::{catalog_relations, fixed};
use super::fill_objects::{index, sequence, table};
