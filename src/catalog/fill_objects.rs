//! Catalog rows for one user object: a table or view (pg_class, pg_type rowtype,
//! pg_attribute, pg_attrdef, pg_tables/pg_views and information_schema tables/columns/
//! views; its constraints are `fill_constraints`), an index (pg_class, pg_index, pg_indexes), a sequence
//! (pg_class, pg_sequence, pg_depend, pg_sequences, information_schema.sequences).

use super::fill::{Cx, N, NSP_PUBLIC, attribute_row, b, class_row, i, t, type_row};
use super::fill_constraints::{constraint, yes_no};
use super::model::{Column, ConstraintKind, Index, Sequence, Table, quote_ident};
use super::pgtypes::{self, ColType};

pub(super) fn table(cx: &mut Cx<'_>, tb: &Table) {
    let Some(&oid) = cx.rel_oids.get(&tb.name) else {
        return;
    };
    let rowtype = cx.oids.get("type", &tb.name);
    let arr = cx.oids.get("arraytype", &tb.name);
    type_row(
        cx.rows, rowtype, &tb.name, NSP_PUBLIC, -1, false, 'C', 'c', arr, 0, oid,
    );
    type_row(
        cx.rows,
        arr,
        &format!("_{}", tb.name),
        NSP_PUBLIC,
        -1,
        false,
        'A',
        'b',
        0,
        rowtype,
        0,
    );
    cx.lk.type_name.insert(rowtype, quote_ident(&tb.name));
    cx.lk.type_oid.insert(tb.name.to_lowercase(), rowtype);
    let checks = tb
        .constraints
        .iter()
        .filter(|c| matches!(c.kind, ConstraintKind::Check(_)))
        .count() as i64;
    let has_index = cx.model.indexes.iter().any(|x| x.table == tb.name);
    // PostgreSQL enforces foreign keys with triggers on both tables (psql shows the
    // foreign keys and "Referenced by" only when relhastriggers is set).
    let is_fk = |c: &super::model::Constraint, target: Option<&str>| match &c.kind {
        ConstraintKind::Foreign { table, .. } => target.is_none_or(|t| t == table),
        _ => false,
    };
    let has_triggers = tb.constraints.iter().any(|c| is_fk(c, None))
        || cx
            .model
            .tables
            .iter()
            .any(|o| o.constraints.iter().any(|c| is_fk(c, Some(&tb.name))));
    let kind = tb.kind.to_string();
    class_row(
        cx.rows,
        oid,
        &tb.name,
        NSP_PUBLIC,
        rowtype,
        &kind,
        tb.columns.len() as i64,
        checks,
        has_index,
        has_triggers,
    );
    for (k, col) in tb.columns.iter().enumerate() {
        let num = k as i64 + 1;
        // A column of an enum type (named by its type marker).
        let mut col = col.clone();
        if let Some(oid) = col
            .type_name
            .as_ref()
            .and_then(|n| cx.lk.type_oid.get(&n.to_lowercase()))
            .and_then(|o| u32::try_from(*o).ok())
        {
            col.ty = ColType { oid, typmod: -1 };
        }
        let col = &col;
        attribute_row(
            cx.rows,
            oid,
            &col.name,
            i64::from(col.ty.oid),
            i64::from(col.ty.typmod),
            num,
            col.not_null,
            col.default.is_some(),
            col.identity,
        );
        if let Some(d) = &col.default {
            let o = cx.oids.get("attrdef", &format!("{}.{}", tb.name, col.name));
            cx.rows.push("pg_attrdef", vec![i(o), i(oid), i(num), t(d)]);
        }
        info_column(cx, tb, col, num);
    }
    for c in &tb.constraints {
        constraint(cx, tb, oid, c);
    }
    let db = cx.database.to_string();
    let user = cx.user.to_string();
    match &tb.view_sql {
        Some(def) => {
            cx.lk.view_def.insert(oid, format!(" {def};"));
            cx.rows.push(
                "pg_views",
                vec![t("public"), t(&tb.name), t(&user), t(&format!(" {def};"))],
            );
            cx.rows.push(
                "views",
                vec![
                    t(&db),
                    t("public"),
                    t(&tb.name),
                    t(def),
                    t("NONE"),
                    t("NO"),
                    t("NO"),
                    t("NO"),
                    t("NO"),
                    t("NO"),
                ],
            );
        }
        None => {
            // I/O statistics are the engine's: unknown here.
            cx.rows.push(
                "pg_statio_all_tables",
                vec![i(oid), t("public"), t(&tb.name)],
            );
            cx.rows.push(
                "pg_tables",
                vec![
                    t("public"),
                    t(&tb.name),
                    t(&user),
                    N,
                    b(has_index),
                    b(false),
                    b(false),
                    b(false),
                ],
            );
        }
    }
    let table_type = if tb.kind == 'v' { "VIEW" } else { "BASE TABLE" };
    cx.rows.push(
        "tables",
        vec![
            t(&db),
            t("public"),
            t(&tb.name),
            t(table_type),
            N,
            N,
            N,
            N,
            N,
            yes_no(tb.kind == 'r'),
            t("NO"),
            N,
        ],
    );
}

/// `information_schema.columns` for one column.
fn info_column(cx: &mut Cx<'_>, tb: &Table, col: &Column, num: i64) {
    let ColType { oid, typmod } = col.ty;
    let m = (typmod >= 0).then_some(i64::from(typmod));
    let data_type = match oid {
        1042 => "character".to_string(),
        1043 => "character varying".to_string(),
        1700 => "numeric".to_string(),
        1083 => "time without time zone".to_string(),
        1266 => "time with time zone".to_string(),
        1114 => "timestamp without time zone".to_string(),
        1184 => "timestamp with time zone".to_string(),
        o => match pgtypes::builtin(o) {
            Some(_) => pgtypes::format_builtin(o, None).unwrap_or_default(),
            None if pgtypes::array_element(o).is_some() => "ARRAY".to_string(),
            None => "USER-DEFINED".to_string(),
        },
    };
    let udt = pgtypes::builtin(oid)
        .map(|b| b.1.to_string())
        .or_else(|| cx.lk.type_name.get(&i64::from(oid)).cloned())
        .unwrap_or_default();
    let char_len = matches!(oid, 1042 | 1043)
        .then(|| m.map(|m| m - 4))
        .flatten();
    let octets = match oid {
        25 | 1042 | 1043 => Some(char_len.map_or(1_073_741_824, |n| n * 4)),
        _ => None,
    };
    let (precision, radix, scale) = match oid {
        21 => (Some(16), Some(2), Some(0)),
        23 => (Some(32), Some(2), Some(0)),
        20 => (Some(64), Some(2), Some(0)),
        700 => (Some(24), Some(2), None),
        701 => (Some(53), Some(2), None),
        1700 => (
            m.map(|m| ((m - 4) >> 16) & 0xffff),
            Some(10),
            m.map(|m| (m - 4) & 0xffff),
        ),
        _ => (None, None, None),
    };
    let dt_precision = match oid {
        1082 => Some(0),
        1083 | 1114 | 1184 | 1266 => Some(m.unwrap_or(6)),
        _ => None,
    };
    let opt = |v: Option<i64>| v.map_or(N, i);
    // An identity column's sequence counts from 1 by 1 up to its type's maximum.
    let identity = match col.identity {
        "a" => Some("ALWAYS"),
        "d" => Some("BY DEFAULT"),
        _ => None,
    }
    .map(|g| {
        let max = match oid {
            21 => i64::from(i16::MAX),
            23 => i64::from(i32::MAX),
            _ => i64::MAX,
        };
        (g, max)
    });
    let db = cx.database.to_string();
    cx.rows.push(
        "columns",
        vec![
            t(&db),
            t("public"),
            t(&tb.name),
            t(&col.name),
            i(num),
            col.default.as_deref().map_or(N, t),
            yes_no(!col.not_null),
            t(&data_type),
            opt(char_len),
            opt(octets),
            opt(precision),
            opt(radix),
            opt(scale),
            opt(dt_precision),
            N,
            N,
            N,
            N,
            N,
            N,
            N,
            N,
            N,
            N,
            N,
            t(&db),
            t(if pgtypes::builtin(oid).is_some() {
                "pg_catalog"
            } else {
                "public"
            }),
            t(&udt),
            N,
            N,
            N,
            N,
            t(&num.to_string()),
            t("NO"),
            yes_no(identity.is_some()),
            identity.map_or(N, |(g, ..)| t(g)),
            identity.map_or(N, |_| t("1")),
            identity.map_or(N, |_| t("1")),
            identity.map_or(N, |(_, max)| t(&max.to_string())),
            identity.map_or(N, |_| t("1")),
            t("NO"),
            t("NEVER"),
            N,
            yes_no(tb.kind == 'r'),
        ],
    );
}

/// An index key as `pg_get_indexdef` prints it.
fn key_text(tb: &Table, key: &str) -> String {
    if tb.columns.iter().any(|c| c.name == key) {
        return quote_ident(key);
    }
    let call = key
        .split_once('(')
        .is_some_and(|(f, _)| !f.is_empty() && f.chars().all(|c| c.is_alphanumeric() || c == '_'))
        && key.ends_with(')');
    if call {
        key.to_string()
    } else {
        format!("({key})")
    }
}

pub(super) fn index(cx: &mut Cx<'_>, ix: &Index) {
    let Some(&rel) = cx.rel_oids.get(&ix.table) else {
        return;
    };
    let Some(tb) = cx.model.tables.iter().find(|x| x.name == ix.table) else {
        return;
    };
    let oid = cx.oids.get("index", &ix.name);
    let n = ix.keys.len() as i64;
    class_row(
        cx.rows, oid, &ix.name, NSP_PUBLIC, 0, "i", n, 0, false, false,
    );
    let mut indkey = Vec::new();
    let mut indclass = Vec::new();
    let mut exprs = Vec::new();
    let mut keys = Vec::new();
    for (k, key) in ix.keys.iter().enumerate() {
        let col = tb.columns.iter().position(|c| c.name == *key);
        let (name, ty) = match col {
            Some(p) => (key.clone(), tb.columns[p].ty),
            None => {
                exprs.push(key.clone());
                (
                    "expr".to_string(),
                    ColType {
                        oid: 25,
                        typmod: -1,
                    },
                )
            }
        };
        indkey.push(col.map_or(0, |p| p as i64 + 1));
        indclass.push(super::fill_fixed::btree_opclass(i64::from(ty.oid)));
        keys.push(key_text(tb, key));
        attribute_row(
            cx.rows,
            oid,
            &name,
            i64::from(ty.oid),
            i64::from(ty.typmod),
            k as i64 + 1,
            false,
            false,
            "",
        );
    }
    let vector = |v: &[i64]| t(&v.iter().map(i64::to_string).collect::<Vec<_>>().join(" "));
    let zeros = vec![0i64; ix.keys.len()];
    cx.rows.push(
        "pg_index",
        vec![
            i(oid),
            i(rel),
            i(n),
            i(n),
            b(ix.unique),
            b(false),
            b(ix.primary),
            b(false),
            b(true),
            b(false),
            b(true),
            b(false),
            b(true),
            b(true),
            b(false),
            vector(&indkey),
            vector(&zeros),
            vector(&indclass),
            vector(&zeros),
            if exprs.is_empty() {
                N
            } else {
                t(&exprs.join(", "))
            },
            ix.predicate.as_deref().map_or(N, t),
        ],
    );
    let mut def = format!(
        "CREATE {}INDEX {} ON public.{} USING btree ({})",
        if ix.unique { "UNIQUE " } else { "" },
        quote_ident(&ix.name),
        quote_ident(&ix.table),
        keys.join(", ")
    );
    if let Some(p) = &ix.predicate {
        def.push_str(&format!(" WHERE ({p})"));
    }
    cx.rows.push(
        "pg_indexes",
        vec![t("public"), t(&ix.table), t(&ix.name), N, t(&def)],
    );
    cx.lk.index_def.insert(oid, (def, keys));
    cx.lk.rel_oid.insert(ix.name.to_lowercase(), oid);
    cx.lk.rel_name.insert(oid, quote_ident(&ix.name));
}

pub(super) fn sequence(cx: &mut Cx<'_>, s: &Sequence) {
    let oid = cx.oids.get("rel", &s.name);
    class_row(
        cx.rows, oid, &s.name, NSP_PUBLIC, 0, "S", 3, 0, false, false,
    );
    let ty = i64::from(s.type_oid);
    cx.rows.push(
        "pg_sequence",
        vec![
            i(oid),
            i(ty),
            i(s.start),
            i(s.increment),
            i(s.max),
            i(s.min),
            i(1),
            b(s.cycle),
        ],
    );
    let type_name = pgtypes::format_builtin(s.type_oid, None).unwrap_or_else(|| "bigint".into());
    let user = cx.user.to_string();
    let db = cx.database.to_string();
    cx.rows.push(
        "pg_sequences",
        vec![
            t("public"),
            t(&s.name),
            t(&user),
            t(&type_name),
            i(s.start),
            i(s.min),
            i(s.max),
            i(s.increment),
            b(s.cycle),
            i(1),
            N,
        ],
    );
    let bits = match s.type_oid {
        21 => 16,
        23 => 32,
        _ => 64,
    };
    cx.rows.push(
        "sequences",
        vec![
            t(&db),
            t("public"),
            t(&s.name),
            t(&type_name),
            i(bits),
            i(2),
            i(0),
            t(&s.start.to_string()),
            t(&s.min.to_string()),
            t(&s.max.to_string()),
            t(&s.increment.to_string()),
            yes_no(s.cycle),
        ],
    );
    if let Some((table, column)) = &s.owned_by {
        let rel = cx.rel_oids.get(table).copied().unwrap_or(0);
        let attnum = cx
            .model
            .tables
            .iter()
            .find(|x| x.name == *table)
            .and_then(|tb| tb.columns.iter().position(|c| c.name == *column))
            .map_or(0, |p| p as i64 + 1);
        cx.rows.push(
            "pg_depend",
            vec![i(1259), i(oid), i(0), i(1259), i(rel), i(attnum), t("a")],
        );
        cx.lk.serial_seq.insert(
            (table.to_lowercase(), column.clone()),
            format!("public.{}", quote_ident(&s.name)),
        );
    }
    cx.lk.rel_oid.insert(s.name.to_lowercase(), oid);
    cx.lk.rel_name.insert(oid, quote_ident(&s.name));
}
