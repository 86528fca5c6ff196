//! One `CREATE TABLE` of the mirror read into a [`Table`] of the model: columns with
//! their PostgreSQL types and defaults, constraints named the way PostgreSQL names them,
//! the serial sequences and the enum types its columns carry. It must not read views,
//! indexes or the `sqlite_schema` rows themselves (that is `model`).

use sqlparser::ast::{ColumnOption, CreateTable, Expr, ReferentialAction, TableConstraint};

use super::*;

impl Model {
    pub(super) fn add_table(&mut self, ct: &CreateTable, sql: &str) {
        let table = unquote(&ct.name.to_string());
        let mut columns = Vec::new();
        let mut constraints = Vec::new();
        let mut names = Names::default();
        for col in &ct.columns {
            let cname = col.name.value.clone();
            let mut marker = None;
            let mut not_null = false;
            let mut default = None;
            let mut primary = false;
            let mut identity = "";
            for opt in &col.options {
                match opt.name.as_ref().map(|n| n.value.as_str()) {
                    Some(markers::IDENTITY_ALWAYS) => identity = "a",
                    Some(markers::IDENTITY_DEFAULT) => identity = "d",
                    _ => {}
                }
                // `pgrq_type_<t>` records a key's type, `pgrq_enum_<e>` an enum column's.
                let type_marker = opt.name.as_ref().and_then(|n| {
                    n.value
                        .strip_prefix(crate::sql::TYPE_MARKER_PREFIX)
                        .or_else(|| n.value.strip_prefix(markers::ENUM_CHECK))
                });
                if let Some(t) = type_marker {
                    marker = Some(t.to_string());
                }
                let marker_named = type_marker.is_some();
                // Other `pgrq_` names are pgrq's own checks (type limits, identity):
                // part of the column's type, not constraints of the table.
                let own_check = !marker_named
                    && opt
                        .name
                        .as_ref()
                        .is_some_and(|n| n.value.starts_with(markers::PREFIX));
                let given = opt
                    .name
                    .as_ref()
                    .map(|n| n.value.clone())
                    .filter(|n| !n.starts_with(markers::PREFIX));
                match &opt.option {
                    ColumnOption::NotNull => not_null = true,
                    ColumnOption::Default(e) => default = Some(e.clone()),
                    ColumnOption::PrimaryKey(_) => {
                        primary = true;
                        not_null = true;
                        let n = given.unwrap_or_else(|| format!("{table}_pkey"));
                        constraints.push(Constraint {
                            name: names.take(n),
                            kind: ConstraintKind::Primary(vec![cname.clone()]),
                        });
                    }
                    ColumnOption::Unique(_) => {
                        let n = given.unwrap_or_else(|| format!("{table}_{cname}_key"));
                        constraints.push(Constraint {
                            name: names.take(n),
                            kind: ConstraintKind::Unique(vec![cname.clone()]),
                        });
                    }
                    ColumnOption::ForeignKey(fk) => {
                        let n = given.unwrap_or_else(|| format!("{table}_{cname}_fkey"));
                        constraints.push(Constraint {
                            name: names.take(n),
                            kind: ConstraintKind::Foreign {
                                columns: vec![cname.clone()],
                                table: unquote(&fk.foreign_table.to_string()),
                                refs: fk
                                    .referred_columns
                                    .iter()
                                    .map(|i| i.value.clone())
                                    .collect(),
                                on_update: action(fk.on_update.as_ref()),
                                on_delete: action(fk.on_delete.as_ref()),
                            },
                        });
                    }
                    // A type marker on a CHECK is the domain of an enum column, not a
                    // constraint of the table.
                    ColumnOption::Check(_) if own_check => {}
                    ColumnOption::Check(c) if marker_named => {
                        if let Some(t) = marker.as_deref() {
                            self.enum_from_check(t, &c.expr);
                        }
                    }
                    ColumnOption::Check(c) => {
                        let n = given.unwrap_or_else(|| format!("{table}_{cname}_check"));
                        constraints.push(Constraint {
                            name: names.take(n),
                            kind: ConstraintKind::Check(pg_text(&c.expr)),
                        });
                    }
                    _ => {}
                }
            }
            let decl = col.data_type.to_string();
            let serial = primary && decl.eq_ignore_ascii_case("INTEGER");
            let ty = pgtypes::from_decl(marker.as_deref().unwrap_or(&decl));
            let default = if serial {
                let seq = format!("{table}_{cname}_seq");
                self.sequences
                    .push(Sequence::serial(&seq, ty.oid, &table, &cname));
                // An identity column has its sequence but no default (PostgreSQL).
                (identity.is_empty()).then(|| format!("nextval('{}'::regclass)", quote_ident(&seq)))
            } else {
                default.map(|e| pgtypes::default_text(&e, &ty))
            };
            let type_name = marker.filter(|m| pgtypes::builtin_named(m).is_none());
            columns.push(Column {
                name: cname,
                ty,
                not_null,
                default,
                type_name,
                identity: if serial { identity } else { "" },
            });
        }
        for c in &ct.constraints {
            let cols = |v: &[sqlparser::ast::IndexColumn]| -> Vec<String> {
                v.iter()
                    .map(|c| unquote(&c.column.expr.to_string()))
                    .collect()
            };
            let (given, kind, default_name) = match c {
                TableConstraint::PrimaryKey(pk) => {
                    let k = cols(&pk.columns);
                    for col in columns.iter_mut().filter(|c| k.contains(&c.name)) {
                        col.not_null = true;
                    }
                    (
                        pk.name.clone(),
                        ConstraintKind::Primary(k),
                        format!("{table}_pkey"),
                    )
                }
                TableConstraint::Unique(u) => {
                    let k = cols(&u.columns);
                    let n = format!("{table}_{}_key", k.join("_"));
                    (u.name.clone(), ConstraintKind::Unique(k), n)
                }
                TableConstraint::ForeignKey(fk) => {
                    let k: Vec<String> = fk.columns.iter().map(|i| i.value.clone()).collect();
                    let n = format!("{table}_{}_fkey", k.join("_"));
                    let kind = ConstraintKind::Foreign {
                        columns: k,
                        table: unquote(&fk.foreign_table.to_string()),
                        refs: fk
                            .referred_columns
                            .iter()
                            .map(|i| i.value.clone())
                            .collect(),
                        on_update: action(fk.on_update.as_ref()),
                        on_delete: action(fk.on_delete.as_ref()),
                    };
                    (fk.name.clone(), kind, n)
                }
                TableConstraint::Check(ck) => {
                    let n = match first_column(&ck.expr) {
                        Some(col) => format!("{table}_{col}_check"),
                        None => format!("{table}_check"),
                    };
                    (
                        ck.name.clone(),
                        ConstraintKind::Check(ck.expr.to_string()),
                        n,
                    )
                }
                _ => continue,
            };
            let name = given.map(|i| i.value).unwrap_or(default_name);
            constraints.push(Constraint {
                name: names.take(name),
                kind,
            });
        }
        // The indexes that enforce PRIMARY KEY and UNIQUE (SQLite's autoindexes).
        for c in &constraints {
            let (keys, primary) = match &c.kind {
                ConstraintKind::Primary(k) => (k, true),
                ConstraintKind::Unique(k) => (k, false),
                _ => continue,
            };
            self.indexes.push(Index {
                name: c.name.clone(),
                table: table.clone(),
                unique: true,
                primary,
                keys: keys.clone(),
                predicate: None,
                constraint: Some(c.name.clone()),
            });
        }
        let _ = sql;
        self.tables.push(Table {
            name: table,
            kind: 'r',
            columns,
            constraints,
            view_sql: None,
        });
    }
}

/// Constraint names PostgreSQL would give, made unique within a table the way it does
/// (`t_a_key`, `t_a_key1`, …).
#[derive(Default)]
struct Names(Vec<String>);

impl Names {
    fn take(&mut self, base: String) -> String {
        let mut name = base.clone();
        let mut i = 1;
        while self.0.contains(&name) {
            name = format!("{base}{i}");
            i += 1;
        }
        self.0.push(name.clone());
        name
    }
}

/// `confupdtype`/`confdeltype` codes.
fn action(a: Option<&ReferentialAction>) -> char {
    match a {
        Some(ReferentialAction::Cascade) => 'c',
        Some(ReferentialAction::Restrict) => 'r',
        Some(ReferentialAction::SetNull) => 'n',
        Some(ReferentialAction::SetDefault) => 'd',
        Some(ReferentialAction::NoAction) | None => 'a',
    }
}

fn first_column(e: &Expr) -> Option<String> {
    use std::ops::ControlFlow;
    let mut found = None;
    let _ = sqlparser::ast::visit_expressions(e, |x| {
        if let Expr::Identifier(i) = x {
            found = Some(i.value.clone());
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    found
}
