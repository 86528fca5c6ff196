//! Catalog rows for one table constraint (PRIMARY KEY, UNIQUE, FOREIGN KEY, CHECK):
//! pg_constraint with PostgreSQL's `pg_get_constraintdef` text, and the
//! information_schema tables about constraints (table_constraints, key_column_usage,
//! referential_constraints, constraint_column_usage, check_constraints).

use rusqlite::types::Value;

use super::fill::{Cx, N, NSP_PUBLIC, b, i, t};
use super::model::{Constraint, ConstraintKind, Table, quote_ident};

pub(super) fn cols_list(cols: &[String]) -> String {
    cols.iter()
        .map(|c| quote_ident(c))
        .collect::<Vec<_>>()
        .join(", ")
}

fn attnums(tb: &Table, cols: &[String]) -> Vec<i64> {
    cols.iter()
        .map(|c| {
            tb.columns
                .iter()
                .position(|x| x.name == *c)
                .map_or(0, |p| p as i64 + 1)
        })
        .collect()
}

fn int_array(v: &[i64]) -> Value {
    let items: Vec<String> = v.iter().map(i64::to_string).collect();
    t(&format!("{{{}}}", items.join(",")))
}

pub(super) fn yes_no(v: bool) -> Value {
    t(if v { "YES" } else { "NO" })
}

fn rule(c: char) -> &'static str {
    match c {
        'c' => "CASCADE",
        'r' => "RESTRICT",
        'n' => "SET NULL",
        'd' => "SET DEFAULT",
        _ => "NO ACTION",
    }
}

pub(super) fn constraint(cx: &mut Cx<'_>, tb: &Table, rel: i64, c: &Constraint) {
    let oid = cx
        .oids
        .get("constraint", &format!("{}.{}", tb.name, c.name));
    let db = cx.database.to_string();
    let (contype, keys, def) = match &c.kind {
        ConstraintKind::Primary(k) => ('p', k.clone(), format!("PRIMARY KEY ({})", cols_list(k))),
        ConstraintKind::Unique(k) => ('u', k.clone(), format!("UNIQUE ({})", cols_list(k))),
        ConstraintKind::Foreign {
            columns,
            table,
            refs,
            on_update,
            on_delete,
        } => {
            let mut d = format!(
                "FOREIGN KEY ({}) REFERENCES {}({})",
                cols_list(columns),
                quote_ident(table),
                cols_list(refs)
            );
            if *on_update != 'a' {
                d.push_str(&format!(" ON UPDATE {}", rule(*on_update)));
            }
            if *on_delete != 'a' {
                d.push_str(&format!(" ON DELETE {}", rule(*on_delete)));
            }
            ('f', columns.clone(), d)
        }
        ConstraintKind::Check(e) => ('c', Vec::new(), format!("CHECK ({e})")),
    };
    let conkey = attnums(tb, &keys);
    let (mut confrelid, mut confkey, mut conindid) = (0, Vec::new(), 0);
    let (mut upd, mut del) = (' ', ' ');
    let mut unique_name = None;
    if matches!(contype, 'p' | 'u') {
        conindid = cx.oids.get("index", &c.name);
    }
    if let ConstraintKind::Foreign {
        table,
        refs,
        on_update,
        on_delete,
        ..
    } = &c.kind
    {
        upd = *on_update;
        del = *on_delete;
        confrelid = cx.rel_oids.get(table).copied().unwrap_or(0);
        if let Some(rt) = cx.model.tables.iter().find(|x| x.name == *table) {
            // The referenced key: the PRIMARY KEY, or the UNIQUE constraint on exactly `refs`.
            let target = rt.constraints.iter().find(|k| match &k.kind {
                ConstraintKind::Primary(cols) => refs.is_empty() || cols == refs,
                ConstraintKind::Unique(cols) => cols == refs,
                _ => false,
            });
            if let Some(k) = target {
                let cols = match &k.kind {
                    ConstraintKind::Primary(cols) | ConstraintKind::Unique(cols) => cols.clone(),
                    _ => Vec::new(),
                };
                confkey = attnums(rt, &cols);
                conindid = cx.oids.get("index", &k.name);
                unique_name = Some(k.name.clone());
            }
        }
    }
    let ch = |c: char| t(&c.to_string());
    cx.rows.push(
        "pg_constraint",
        vec![
            i(oid),
            t(&c.name),
            i(NSP_PUBLIC),
            ch(contype),
            b(false),
            b(false),
            b(true),
            i(rel),
            i(0),
            i(conindid),
            i(0),
            i(confrelid),
            ch(upd),
            ch(del),
            ch(if contype == 'f' { 's' } else { ' ' }),
            b(true),
            i(0),
            b(false),
            if conkey.is_empty() {
                N
            } else {
                int_array(&conkey)
            },
            if confkey.is_empty() {
                N
            } else {
                int_array(&confkey)
            },
            N,
            N,
            N,
            N,
            N,
            match &c.kind {
                ConstraintKind::Check(e) => t(e),
                _ => N,
            },
        ],
    );
    cx.lk.constraint_def.insert(oid, def.clone());
    let kind_name = match contype {
        'p' => "PRIMARY KEY",
        'u' => "UNIQUE",
        'f' => "FOREIGN KEY",
        _ => "CHECK",
    };
    cx.rows.push(
        "table_constraints",
        vec![
            t(&db),
            t("public"),
            t(&c.name),
            t(&db),
            t("public"),
            t(&tb.name),
            t(kind_name),
            t("NO"),
            t("NO"),
            t("YES"),
            if contype == 'u' { t("YES") } else { N },
        ],
    );
    for (k, col) in keys.iter().enumerate() {
        let pos_in_unique = (contype == 'f').then_some(k as i64 + 1);
        cx.rows.push(
            "key_column_usage",
            vec![
                t(&db),
                t("public"),
                t(&c.name),
                t(&db),
                t("public"),
                t(&tb.name),
                t(col),
                i(k as i64 + 1),
                pos_in_unique.map_or(N, i),
            ],
        );
    }
    match &c.kind {
        ConstraintKind::Foreign { table, refs, .. } => {
            cx.rows.push(
                "referential_constraints",
                vec![
                    t(&db),
                    t("public"),
                    t(&c.name),
                    t(&db),
                    t("public"),
                    unique_name.as_deref().map_or(N, t),
                    t("NONE"),
                    t(rule(upd)),
                    t(rule(del)),
                ],
            );
            for col in refs {
                cx.rows.push(
                    "constraint_column_usage",
                    vec![
                        t(&db),
                        t("public"),
                        t(table),
                        t(col),
                        t(&db),
                        t("public"),
                        t(&c.name),
                    ],
                );
            }
        }
        ConstraintKind::Check(_) => {
            let clause = def.strip_prefix("CHECK ").unwrap_or(&def).to_string();
            cx.rows.push(
                "check_constraints",
                vec![t(&db), t("public"), t(&c.name), t(&clause)],
            );
        }
        ConstraintKind::Primary(k) | ConstraintKind::Unique(k) => {
            for col in k {
                cx.rows.push(
                    "constraint_column_usage",
                    vec![
                        t(&db),
                        t("public"),
                        t(&tb.name),
                        t(col),
                        t(&db),
                        t("public"),
                        t(&c.name),
                    ],
                );
            }
        }
    }
}
