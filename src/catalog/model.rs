//! A database's schema as PostgreSQL describes it, read back from the SQLite DDL pgrq
//! wrote (`sqlite_schema` of the schema mirror): tables and views with their columns'
//! PostgreSQL types, defaults and constraints (named as PostgreSQL names them), indexes,
//! the sequences behind serial keys, and enum types. An enum is read from the CHECK its
//! columns carry under a `pgrq_type_<enum>` marker (`CHECK (c IN ('a', 'b'))`, labels in
//! order); explicit sequences (and enums recorded elsewhere) are pushed onto
//! [`Model::sequences`] / [`Model::enums`]. The catalog tables are filled from this model
//! alone.

use sqlparser::ast::{
    ColumnOption, CreateIndex, CreateTable, CreateView, Expr, ReferentialAction, Statement,
    TableConstraint,
};
use sqlparser::dialect::SQLiteDialect;
use sqlparser::parser::Parser;

use super::pgtypes::{self, ColType};
use crate::sql::markers;

#[derive(Debug, Clone, Default)]
pub struct Model {
    pub tables: Vec<Table>,
    pub indexes: Vec<Index>,
    pub sequences: Vec<Sequence>,
    pub enums: Vec<EnumType>,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    /// `'r'` table, `'v'` view.
    pub kind: char,
    pub columns: Vec<Column>,
    pub constraints: Vec<Constraint>,
    /// A view's defining query.
    pub view_sql: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub ty: ColType,
    pub not_null: bool,
    /// The default as PostgreSQL prints it (`now()`, `0`, `nextval('t_id_seq'::regclass)`).
    pub default: Option<String>,
    /// The type name a `pgrq_type_<name>` marker records, when it names no built-in type
    /// (an enum of [`Model::enums`]).
    pub type_name: Option<String>,
    /// `pg_attribute.attidentity`: `a` (GENERATED ALWAYS), `d` (BY DEFAULT) or empty.
    pub identity: &'static str,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ConstraintKind {
    Primary(Vec<String>),
    Unique(Vec<String>),
    Foreign {
        columns: Vec<String>,
        table: String,
        refs: Vec<String>,
        on_update: char,
        on_delete: char,
    },
    Check(String),
}

#[derive(Debug, Clone)]
pub struct Constraint {
    pub name: String,
    pub kind: ConstraintKind,
}

#[derive(Debug, Clone)]
pub struct Index {
    pub name: String,
    pub table: String,
    pub unique: bool,
    pub primary: bool,
    /// Key expressions as written (a column name, or an expression).
    pub keys: Vec<String>,
    pub predicate: Option<String>,
    /// The constraint this index enforces (PRIMARY KEY / UNIQUE), if any.
    pub constraint: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Sequence {
    pub name: String,
    /// `int8`, `int4` or `int2`.
    pub type_oid: u32,
    pub start: i64,
    pub increment: i64,
    pub min: i64,
    pub max: i64,
    pub cycle: bool,
    /// (table, column) of a serial column that owns it.
    pub owned_by: Option<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct EnumType {
    pub name: String,
    pub labels: Vec<String>,
}

/// One row of `sqlite_schema`: (type, name, tbl_name, sql).
pub type SchemaRow = (String, String, String, String);

impl Model {
    /// Builds the model from the rows of `sqlite_schema`; `view_columns` gives a view's
    /// result columns and declared types (SQLite derives them).
    pub fn from_schema(
        rows: &[SchemaRow],
        view_columns: &dyn Fn(&str) -> Vec<(String, String)>,
    ) -> Model {
        let mut m = Model::default();
        for (kind, name, _tbl, sql) in rows {
            let Ok(mut stmts) = Parser::parse_sql(&SQLiteDialect {}, sql) else {
                tracing::warn!(%name, "catalog: cannot parse stored DDL");
                continue;
            };
            // pgrq's own objects stand for PostgreSQL objects of other kinds (see
            // `sql::markers`) and are never shown as tables or views.
            if let Some(seq) = name.strip_prefix(markers::SEQUENCE_TABLE) {
                if kind == "table" {
                    m.sequences.push(Sequence::explicit(seq, stmts.last()));
                }
                continue;
            }
            let own = name.starts_with(markers::PREFIX);
            match (kind.as_str(), stmts.pop()) {
                ("view", Some(Statement::CreateView(cv)))
                    if name.starts_with(markers::ENUM_VIEW) =>
                {
                    m.enum_from_view(&name[markers::ENUM_VIEW.len()..], &cv);
                }
                _ if own => {}
                ("table", Some(Statement::CreateTable(ct))) => m.add_table(&ct, sql),
                ("view", Some(Statement::CreateView(cv))) => m.add_view(&cv, view_columns),
                ("index", Some(Statement::CreateIndex(ci))) => m.add_index(&ci),
                _ => {}
            }
        }
        m
    }

    fn add_table(&mut self, ct: &CreateTable, sql: &str) {
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

    fn add_view(&mut self, cv: &CreateView, view_columns: &dyn Fn(&str) -> Vec<(String, String)>) {
        let name = unquote(&cv.name.to_string());
        let columns = view_columns(&name)
            .into_iter()
            .map(|(n, decl)| Column {
                name: n,
                ty: pgtypes::from_decl(&decl),
                not_null: false,
                default: None,
                type_name: None,
                identity: "",
            })
            .collect();
        self.tables.push(Table {
            name,
            kind: 'v',
            columns,
            constraints: Vec::new(),
            view_sql: Some(cv.query.to_string()),
        });
    }

    fn add_index(&mut self, ci: &CreateIndex) {
        let Some(name) = ci.name.as_ref().map(|n| unquote(&n.to_string())) else {
            return;
        };
        self.indexes.push(Index {
            name,
            table: unquote(&ci.table_name.to_string()),
            unique: ci.unique,
            primary: false,
            keys: ci
                .columns
                .iter()
                .map(|c| key_text(&c.column.expr))
                .collect(),
            predicate: ci.predicate.as_ref().map(pg_text),
            constraint: None,
        });
    }
}

impl Model {
    /// An enum type is self-described by the CHECK its columns carry under their
    /// `pgrq_type_<enum>` marker: `CHECK (col IN ('sad', 'ok', 'happy'))`, labels in order.
    /// An enum type from its `pgrq_enum_<e>` view: `VALUES (1, 'a'), (2, 'b'), …`.
    fn enum_from_view(&mut self, name: &str, cv: &CreateView) {
        if self.enums.iter().any(|e| e.name == name) {
            return;
        }
        let sqlparser::ast::SetExpr::Values(values) = cv.query.body.as_ref() else {
            return;
        };
        let labels: Option<Vec<String>> = values
            .rows
            .iter()
            .map(|row| match row.get(1) {
                Some(Expr::Value(v)) => match &v.value {
                    sqlparser::ast::Value::SingleQuotedString(s) => Some(s.clone()),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        if let Some(labels) = labels {
            self.enums.push(EnumType {
                name: name.to_string(),
                labels,
            });
        }
    }

    fn enum_from_check(&mut self, name: &str, check: &Expr) {
        if pgtypes::builtin_named(name).is_some() || self.enums.iter().any(|e| e.name == name) {
            return;
        }
        let Expr::InList {
            list,
            negated: false,
            ..
        } = check
        else {
            return;
        };
        let labels: Option<Vec<String>> = list
            .iter()
            .map(|e| match e {
                Expr::Value(v) => match &v.value {
                    sqlparser::ast::Value::SingleQuotedString(s) => Some(s.clone()),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        if let Some(labels) = labels {
            self.enums.push(EnumType {
                name: name.to_string(),
                labels,
            });
        }
    }
}

impl Sequence {
    /// A sequence made by CREATE SEQUENCE. Its options are the column defaults of its
    /// `pgrq_seq_<s>` table (`sql::rewrite::sequences`); a table without them (made before
    /// they were recorded) shows PostgreSQL's defaults for a bigint sequence.
    fn explicit(name: &str, table: Option<&Statement>) -> Sequence {
        let mut seq = Sequence {
            name: name.to_string(),
            type_oid: 20,
            start: 1,
            increment: 1,
            min: 1,
            max: i64::MAX,
            cycle: false,
            owned_by: None,
        };
        let Some(Statement::CreateTable(ct)) = table else {
            return seq;
        };
        for col in &ct.columns {
            let default = col.options.iter().find_map(|o| match &o.option {
                ColumnOption::Default(e) => Some(e.to_string()),
                _ => None,
            });
            let Some(default) = default else { continue };
            let number = default.replace(' ', "").parse::<i64>().ok();
            match (col.name.value.as_str(), number) {
                ("start_value", Some(n)) => seq.start = n,
                ("increment_by", Some(n)) => seq.increment = n,
                ("min_value", Some(n)) => seq.min = n,
                ("max_value", Some(n)) => seq.max = n,
                ("cycle", Some(n)) => seq.cycle = n != 0,
                ("data_type", _) => {
                    seq.type_oid = match default.trim_matches('\'') {
                        "smallint" => 21,
                        "integer" => 23,
                        _ => 20,
                    }
                }
                _ => {}
            }
        }
        seq
    }

    fn serial(name: &str, type_oid: u32, table: &str, column: &str) -> Sequence {
        let max = match type_oid {
            21 => i64::from(i16::MAX),
            23 => i64::from(i32::MAX),
            _ => i64::MAX,
        };
        Sequence {
            name: name.to_string(),
            type_oid,
            start: 1,
            increment: 1,
            min: 1,
            max,
            cycle: false,
            owned_by: Some((table.to_string(), column.to_string())),
        }
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

/// An expression as PostgreSQL prints it: identifiers quoted only where needed.
fn pg_text(e: &Expr) -> String {
    use std::ops::ControlFlow;
    let mut e = e.clone();
    let _ = sqlparser::ast::visit_expressions_mut(&mut e, |x| {
        let idents: &mut [sqlparser::ast::Ident] = match x {
            Expr::Identifier(i) => std::slice::from_mut(i),
            Expr::CompoundIdentifier(v) => v.as_mut_slice(),
            _ => return ControlFlow::<()>::Continue(()),
        };
        for i in idents {
            if quote_ident(&i.value) == i.value {
                i.quote_style = None;
            }
        }
        ControlFlow::Continue(())
    });
    e.to_string()
}

/// An index key: a column's name, or an expression's PostgreSQL text.
fn key_text(e: &Expr) -> String {
    match e {
        Expr::Identifier(i) => i.value.clone(),
        other => pg_text(other),
    }
}

/// An identifier as stored (`"t"`, `[t]`, `` `t` ``) → its name.
pub fn unquote(s: &str) -> String {
    let s = s.trim();
    let s = s.rsplit_once('.').map_or(s, |(_, n)| n);
    s.trim_matches(|c| c == '"' || c == '`' || c == '[' || c == ']')
        .replace("\"\"", "\"")
}

/// PostgreSQL's `quote_ident`: quoted unless lower-case letters, digits and `_` not
/// starting with a digit.
pub fn quote_ident(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit());
    if plain {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('"', "\"\""))
    }
}
