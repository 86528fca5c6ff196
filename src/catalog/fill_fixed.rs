//! The rows every database's catalog has, whatever its schema: namespaces, the connected
//! role, access methods, the database, tablespaces, collations, the built-in types (real
//! OIDs, array types, ranges), and the catalog relations themselves.

use super::fill::{
    AM_BTREE, AM_HEAP, FIXED_RELS, N, NSP_CATALOG, NSP_INFO, NSP_PUBLIC, NSP_TOAST, Oids,
    ROLE_DB_OWNER, ROLE_USER, Rows, attribute_row, b, class_row, i, t, type_row,
};
use super::functions::Lookup;
use super::pgtypes::{self, BUILTINS, RANGES};
use crate::sql::catalog::defs;

/// The default btree operator class of each built-in type an index key can have:
/// `(opclass oid, opcname, input type oid)`. `pg_index.indclass` names them per key.
pub(super) const BTREE_OPCLASSES: &[(i64, &str, i64)] = &[
    (424, "bool_ops", 16),
    (428, "bytea_ops", 17),
    (1986, "name_ops", 19),
    (3124, "int8_ops", 20),
    (1979, "int2_ops", 21),
    (1978, "int4_ops", 23),
    (3126, "text_ops", 25),
    (1981, "oid_ops", 26),
    (1970, "float4_ops", 700),
    (1971, "float8_ops", 701),
    (426, "bpchar_ops", 1042),
    (3122, "date_ops", 1082),
    (1996, "time_ops", 1083),
    (3128, "timestamp_ops", 1114),
    (3127, "timestamptz_ops", 1184),
    (1982, "interval_ops", 1186),
    (3125, "numeric_ops", 1700),
    (2968, "uuid_ops", 2950),
    (4033, "jsonb_ops", 3802),
];

/// The default btree operator class for a key of type `type_oid` (varchar keys use
/// text's), or 0 when the type has none.
pub(super) fn btree_opclass(type_oid: i64) -> i64 {
    let ty = if type_oid == 1043 { 25 } else { type_oid };
    BTREE_OPCLASSES
        .iter()
        .find(|(_, _, intype)| *intype == ty)
        .map_or(0, |(oid, _, _)| *oid)
}

pub(super) fn fixed(rows: &mut Rows, lk: &mut Lookup, database: &str, user: &str, oids: &mut Oids) {
    for (oid, name, owner) in [
        (NSP_CATALOG, "pg_catalog", ROLE_USER),
        (NSP_TOAST, "pg_toast", ROLE_USER),
        (NSP_PUBLIC, "public", ROLE_DB_OWNER),
        (NSP_INFO, "information_schema", ROLE_USER),
    ] {
        rows.push("pg_namespace", vec![i(oid), t(name), i(owner), N]);
        lk.nsp_name.insert(oid, name.to_string());
    }
    for (oid, name, login) in [
        (ROLE_USER, user, true),
        (ROLE_DB_OWNER, "pg_database_owner", false),
    ] {
        rows.push(
            "pg_roles",
            vec![
                t(name),
                b(false),
                b(true),
                b(false),
                b(false),
                b(login),
                b(false),
                i(-1),
                t("********"),
                N,
                b(false),
                N,
                i(oid),
            ],
        );
        lk.role_name.insert(oid, name.to_string());
    }
    rows.push(
        "pg_user",
        vec![
            t(user),
            i(ROLE_USER),
            b(false),
            b(false),
            b(false),
            b(false),
            t("********"),
            N,
            N,
        ],
    );
    for (oid, name, handler, kind) in [
        (AM_HEAP, "heap", "heap_tableam_handler", "t"),
        (AM_BTREE, "btree", "bthandler", "i"),
        (405, "hash", "hashhandler", "i"),
        (783, "gist", "gisthandler", "i"),
        (2742, "gin", "ginhandler", "i"),
        (4000, "spgist", "spghandler", "i"),
        (3580, "brin", "brinhandler", "i"),
    ] {
        rows.push("pg_am", vec![i(oid), t(name), t(handler), t(kind)]);
    }
    for &(oid, name, intype) in BTREE_OPCLASSES {
        rows.push(
            "pg_opclass",
            vec![
                i(oid),
                i(AM_BTREE),
                t(name),
                i(NSP_CATALOG),
                i(ROLE_USER),
                i(oid),
                i(intype),
                b(true),
                i(0),
            ],
        );
    }
    rows.push(
        "pg_database",
        vec![
            i(oids.get("database", database)),
            t(database),
            i(ROLE_USER),
            i(6),
            t("c"),
            b(false),
            b(true),
            i(-1),
            i(0),
            i(1),
            i(1663),
            t("C"),
            t("C"),
            N,
            N,
            N,
        ],
    );
    rows.push(
        "pg_tablespace",
        vec![i(1663), t("pg_default"), i(ROLE_USER), N, N],
    );
    rows.push(
        "pg_tablespace",
        vec![i(1664), t("pg_global"), i(ROLE_USER), N, N],
    );
    for (oid, name, prov) in [(100, "default", "d"), (950, "C", "c"), (951, "POSIX", "c")] {
        rows.push(
            "pg_collation",
            vec![
                i(oid),
                t(name),
                i(NSP_CATALOG),
                i(ROLE_USER),
                t(prov),
                b(true),
                i(-1),
                N,
                N,
                N,
                N,
            ],
        );
    }
    for &(oid, name, len, byval, cat, arr, _, _, typtype) in BUILTINS {
        let oid = i64::from(oid);
        type_row(
            rows,
            oid,
            name,
            NSP_CATALOG,
            len,
            byval,
            cat,
            typtype,
            i64::from(arr),
            0,
            0,
        );
        lk.type_oid.insert(name.to_string(), oid);
        if let Some(pretty) = pgtypes::format_builtin(oid as u32, None) {
            lk.type_oid.insert(pretty.replace('"', ""), oid);
        }
        if arr != 0 {
            let a = i64::from(arr);
            type_row(
                rows,
                a,
                &format!("_{name}"),
                NSP_CATALOG,
                -1,
                false,
                'A',
                'b',
                0,
                oid,
                0,
            );
            lk.type_oid.insert(format!("_{name}"), a);
            lk.type_oid.insert(format!("{name}[]"), a);
        }
    }
    for (alias, oid) in [
        ("int", 23),
        ("smallint", 21),
        ("bigint", 20),
        ("boolean", 16),
    ] {
        lk.type_oid.insert(alias.to_string(), oid);
    }
    for &(rng, sub) in RANGES {
        rows.push(
            "pg_range",
            vec![
                i(i64::from(rng)),
                i(i64::from(sub)),
                i(0),
                i(0),
                i(0),
                t("-"),
                t("-"),
            ],
        );
    }
}

/// The catalog relations themselves, as PostgreSQL lists them in `pg_class`.
pub(super) fn catalog_relations(rows: &mut Rows, lk: &mut Lookup, oids: &mut Oids, database: &str) {
    for def in defs::RELATIONS {
        let (nsp, nsp_oid) = if def.0 == "pg_catalog" {
            ("pg_catalog", NSP_CATALOG)
        } else {
            ("information_schema", NSP_INFO)
        };
        let oid = FIXED_RELS
            .iter()
            .find(|(n, _)| *n == def.1 && nsp == "pg_catalog")
            .map(|(_, o)| *o)
            .unwrap_or_else(|| oids.get("catalog", &format!("{nsp}.{}", def.1)));
        let kind = if nsp == "pg_catalog" && !is_catalog_view(def.1) {
            "r"
        } else {
            "v"
        };
        let cols: Vec<(&str, &str)> = defs::columns(def).collect();
        class_row(
            rows,
            oid,
            def.1,
            nsp_oid,
            0,
            kind,
            cols.len() as i64,
            0,
            false,
            false,
        );
        for (k, (name, ty)) in cols.iter().enumerate() {
            let type_oid = BUILTINS
                .iter()
                .find(|b| b.1 == *ty)
                .map(|b| i64::from(b.0))
                .unwrap_or(25);
            attribute_row(
                rows,
                oid,
                name,
                type_oid,
                -1,
                k as i64 + 1,
                false,
                false,
                "",
            );
        }
        if nsp == "pg_catalog" {
            lk.rel_oid.insert(def.1.to_string(), oid);
        } else {
            lk.hidden_rels.insert(oid);
        }
        lk.rel_name.insert(oid, format!("{nsp}.{}", def.1));
        let table_type = if kind == "r" { "BASE TABLE" } else { "VIEW" };
        rows.push(
            "tables",
            vec![
                t(database),
                t(nsp),
                t(def.1),
                t(table_type),
                N,
                N,
                N,
                N,
                N,
                t("NO"),
                t("NO"),
                N,
            ],
        );
    }
}

fn is_catalog_view(name: &str) -> bool {
    matches!(
        name,
        "pg_roles"
            | "pg_user"
            | "pg_settings"
            | "pg_tables"
            | "pg_indexes"
            | "pg_views"
            | "pg_sequences"
            | "pg_matviews"
    )
}
