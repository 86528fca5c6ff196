//! A database's schema as PostgreSQL describes it, read back from the SQLite DDL pgrq
//! wrote (`sqlite_schema` of the schema mirror): tables and views with their columns'
//! PostgreSQL types, defaults and constraints (named as PostgreSQL names them), indexes,
//! the sequences behind serial keys, and enum types. An enum is read from the CHECK its
//! columns carry under a `pgrq_type_<enum>` marker (`CHECK (c IN ('a', 'b'))`, labels in
//! order); explicit sequences (and enums recorded elsewhere) are pushed onto
//! [`Model::sequences`] / [`Model::enums`]. The catalog tables are filled from this model
//! alone.

mod enums;
mod sequences;
mod table;

use sqlparser::ast::{CreateIndex, CreateView, Expr, Statement};
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
