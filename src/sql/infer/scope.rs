//! Which tables (and CTEs, derived tables) a query reads, with their
//! columns where known, for expanding `*` and typing column references.

use sqlparser::ast::{
    Ident, JoinConstraint, JoinOperator, ObjectName, ObjectNamePart, TableFactor, TableWithJoins,
};

use super::{OutCol, query_columns};
use crate::sql::PgType;
use crate::sql::names::fold;
use crate::sql::schema::Schema;

/// One FROM item: its name in the query and its columns (`None` when
/// pgrq does not know them).
struct Binding {
    name: String,
    columns: Option<Vec<OutCol>>,
    /// Only `name.column` reaches it (ON CONFLICT's `excluded`).
    qualified_only: bool,
    /// The stored table it reads, when it is one (not a CTE or derived table).
    table: Option<String>,
}

/// Where a column reference of one query level points (see [`Scope::local_column`]).
pub(super) enum Local {
    /// A column of the FROM item called `binding` here; `primary_key` lists the key
    /// columns of its stored table (empty when it has none or is not a stored table).
    Column {
        binding: String,
        primary_key: Vec<String>,
    },
    /// Not a column of this level (an outer reference, or not a column at all).
    Elsewhere,
    /// Cannot tell (a FROM item with unknown columns, or an ambiguous name).
    Unsure,
}

/// The names visible to one query level, with the enclosing levels behind
/// it (for correlated references and CTEs).
pub(super) struct Scope<'p> {
    pub(super) schema: &'p dyn Schema,
    parent: Option<&'p Scope<'p>>,
    ctes: Vec<(String, Option<Vec<OutCol>>)>,
    bindings: Vec<Binding>,
    /// A join with USING or NATURAL merges columns in `*`.
    merged_join: bool,
}

/// What looking a column up in one level found.
enum Lookup {
    Found(Option<PgType>),
    NotHere,
    Unsure,
}

impl<'p> Scope<'p> {
    pub(super) fn root(schema: &'p dyn Schema) -> Self {
        Scope {
            schema,
            parent: None,
            ctes: Vec::new(),
            bindings: Vec::new(),
            merged_join: false,
        }
    }

    /// A new level inside this one.
    pub(super) fn child<'c>(&'c self) -> Scope<'c> {
        Scope {
            parent: Some(self),
            ..Scope::root(self.schema)
        }
    }

    pub(super) fn add_cte(&mut self, name: String, columns: Option<Vec<OutCol>>) {
        self.ctes.push((name, columns));
    }

    /// The columns of the CTE `name` if one is in scope (`Some(None)` when
    /// it is but its columns are unknown).
    fn cte(&self, name: &str) -> Option<Option<Vec<OutCol>>> {
        let own = self.ctes.iter().rev().find(|(n, _)| n == name);
        match own {
            Some((_, cols)) => Some(cols.clone()),
            None => self.parent.and_then(|p| p.cte(name)),
        }
    }

    /// Bring a FROM item and its joins into scope.
    pub(super) fn add_from(&mut self, twj: &TableWithJoins) {
        self.add_factor(&twj.relation);
        for join in &twj.joins {
            self.add_factor(&join.relation);
            if matches!(
                constraint(&join.join_operator),
                Some(JoinConstraint::Using(_) | JoinConstraint::Natural)
            ) {
                self.merged_join = true;
            }
        }
    }

    fn add_factor(&mut self, tf: &TableFactor) {
        let (name, columns, alias, table) = match tf {
            TableFactor::Table {
                name, alias, args, ..
            } => {
                let key = table_key(name);
                let cte = key.as_deref().and_then(|k| self.cte(k));
                let columns = match (args, &key) {
                    (None, Some(k)) => cte.clone().unwrap_or_else(|| self.table(k)),
                    _ => None,
                };
                let table = if cte.is_none() && args.is_none() {
                    key.clone()
                } else {
                    None
                };
                (key.unwrap_or_default(), columns, alias, table)
            }
            TableFactor::Derived {
                subquery, alias, ..
            } => (String::new(), query_columns(subquery, self), alias, None),
            TableFactor::NestedJoin {
                table_with_joins,
                alias: None,
            } => return self.add_from(table_with_joins),
            _ => {
                self.bindings.push(Binding {
                    name: String::new(),
                    columns: None,
                    qualified_only: false,
                    table: None,
                });
                return;
            }
        };
        let mut binding = Binding {
            name,
            columns,
            qualified_only: false,
            table,
        };
        if let Some(alias) = alias {
            binding.name = fold(&alias.name);
            if let Some(cols) = &mut binding.columns {
                for (col, new) in cols.iter_mut().zip(&alias.columns) {
                    col.name = fold(&new.name);
                }
            }
        }
        self.bindings.push(binding);
    }

    fn table(&self, key: &str) -> Option<Vec<OutCol>> {
        let columns = self.schema.columns(key)?;
        Some(
            columns
                .into_iter()
                .map(|c| OutCol {
                    ty: Some(PgType::from_decl(&c.decl_type)),
                    scale: decl_scale(&c.decl_type),
                    name: c.name,
                })
                .collect(),
        )
    }

    /// The target of an INSERT: `name [AS alias]`.
    pub(super) fn add_table(&mut self, name: &ObjectName, alias: Option<&Ident>) {
        let key = table_key(name);
        let columns = key.as_deref().and_then(|k| self.table(k));
        self.bindings.push(Binding {
            name: alias.map(fold).or(key.clone()).unwrap_or_default(),
            columns,
            qualified_only: false,
            table: key,
        });
    }

    /// ON CONFLICT's `excluded`: the row proposed for insertion into
    /// `name`, reached only as `excluded.column`.
    pub(super) fn add_excluded(&mut self, name: &ObjectName) {
        self.bindings.push(Binding {
            name: "excluded".to_string(),
            columns: self.table_columns(name),
            qualified_only: true,
            table: None,
        });
    }

    /// The columns of the table `name` (not a CTE), when the schema knows it.
    pub(super) fn table_columns(&self, name: &ObjectName) -> Option<Vec<OutCol>> {
        table_key(name).and_then(|k| self.table(&k))
    }

    /// The columns `*` stands for, when all are known.
    pub(super) fn star(&self) -> Option<Vec<OutCol>> {
        if self.merged_join {
            return None;
        }
        let mut out = Vec::new();
        for b in self.bindings.iter().filter(|b| !b.qualified_only) {
            out.extend(b.columns.clone()?);
        }
        Some(out)
    }

    /// Like [`Scope::star`], each column with the name of the FROM item it comes from
    /// (`None` when one of them has no name to qualify it with).
    pub(super) fn star_sources(&self) -> Option<Vec<(String, OutCol)>> {
        if self.merged_join {
            return None;
        }
        let mut out = Vec::new();
        for b in self.bindings.iter().filter(|b| !b.qualified_only) {
            if b.name.is_empty() {
                return None;
            }
            out.extend(b.columns.clone()?.into_iter().map(|c| (b.name.clone(), c)));
        }
        Some(out)
    }

    /// Like [`Scope::qualified_star`], with the FROM item's name.
    pub(super) fn qualified_star_sources(
        &self,
        qualifier: &ObjectName,
    ) -> Option<Vec<(String, OutCol)>> {
        let key = table_key(qualifier)?;
        let b = self
            .bindings
            .iter()
            .find(|b| b.name.eq_ignore_ascii_case(&key))?;
        Some(
            b.columns
                .clone()?
                .into_iter()
                .map(|c| (b.name.clone(), c))
                .collect(),
        )
    }

    /// The columns `q.*` stands for.
    pub(super) fn qualified_star(&self, qualifier: &ObjectName) -> Option<Vec<OutCol>> {
        let key = table_key(qualifier)?;
        let mut level = Some(self);
        while let Some(s) = level {
            if let Some(b) = s
                .bindings
                .iter()
                .find(|b| b.name.eq_ignore_ascii_case(&key))
            {
                return b.columns.clone();
            }
            level = s.parent;
        }
        None
    }

    /// The display scale of a column reference's numeric column, when its declared type
    /// fixes it (`numeric(10,2)`).
    pub(super) fn column_scale(&self, e: &sqlparser::ast::Expr) -> Option<u32> {
        use sqlparser::ast::Expr;
        let (qualifier, name) = match e {
            Expr::Identifier(id) => (None, fold(id)),
            Expr::CompoundIdentifier(parts) => match parts.as_slice() {
                [.., t, c] => (Some(fold(t)), fold(c)),
                [c] => (None, fold(c)),
                [] => return None,
            },
            _ => return None,
        };
        let mut level = Some(self);
        while let Some(s) = level {
            let mut found = None;
            for b in s.bindings.iter().filter(|b| match &qualifier {
                Some(q) => b.name.eq_ignore_ascii_case(q),
                None => !b.qualified_only,
            }) {
                let cols = b.columns.as_ref()?;
                if let Some(c) = cols.iter().find(|c| c.name.eq_ignore_ascii_case(&name)) {
                    if found.is_some() {
                        return None;
                    }
                    found = Some(c.scale);
                }
            }
            if let Some(scale) = found {
                return scale;
            }
            level = s.parent;
        }
        None
    }

    /// The type of column `name` (of the FROM item `qualifier`, if given),
    /// searching enclosing levels when this one has no such column.
    pub(super) fn column_type(&self, qualifier: Option<&str>, name: &str) -> Option<PgType> {
        let mut level = Some(self);
        while let Some(s) = level {
            match s.lookup(qualifier, name) {
                Lookup::Found(ty) => return ty,
                Lookup::Unsure => return None,
                Lookup::NotHere => level = s.parent,
            }
        }
        None
    }

    /// Where the column reference `qualifier.name` points in this level only.
    pub(super) fn local_column(&self, qualifier: Option<&str>, name: &str) -> Local {
        let mut found: Option<&Binding> = None;
        for b in self.bindings.iter().filter(|b| match qualifier {
            Some(q) => b.name.eq_ignore_ascii_case(q),
            None => !b.qualified_only,
        }) {
            let Some(cols) = &b.columns else {
                return Local::Unsure;
            };
            if cols.iter().any(|c| c.name.eq_ignore_ascii_case(name)) {
                if found.is_some() {
                    return Local::Unsure;
                }
                found = Some(b);
            }
        }
        let Some(b) = found else {
            return Local::Elsewhere;
        };
        let primary_key = b
            .table
            .as_deref()
            .and_then(|t| self.schema.columns(t))
            .map(|cols| {
                cols.into_iter()
                    .filter(|c| c.primary_key)
                    .map(|c| c.name.to_lowercase())
                    .collect()
            })
            .unwrap_or_default();
        Local::Column {
            binding: b.name.clone(),
            primary_key,
        }
    }

    fn lookup(&self, qualifier: Option<&str>, name: &str) -> Lookup {
        let mut found = None;
        let mut unsure = false;
        let bindings = self.bindings.iter().filter(|b| match qualifier {
            Some(q) => b.name.eq_ignore_ascii_case(q),
            None => !b.qualified_only,
        });
        for b in bindings {
            let Some(cols) = &b.columns else {
                unsure = true;
                continue;
            };
            if let Some(col) = cols.iter().find(|c| c.name.eq_ignore_ascii_case(name)) {
                if found.is_some() {
                    return Lookup::Unsure;
                }
                found = Some(col.ty);
            }
        }
        match (found, unsure) {
            (_, true) => Lookup::Unsure,
            (Some(ty), false) => Lookup::Found(ty),
            (None, false) => Lookup::NotHere,
        }
    }
}

/// `NUMERIC(10,2)` → 2, `NUMERIC(5)` → 0, others none.
fn decl_scale(decl: &str) -> Option<u32> {
    let lower = decl.trim().to_ascii_lowercase();
    let args = lower
        .strip_prefix("numeric")
        .or_else(|| lower.strip_prefix("decimal"))?
        .trim()
        .strip_prefix('(')?
        .strip_suffix(')')?;
    match args.split_once(',') {
        Some((_, s)) => s.trim().parse().ok(),
        None => Some(0),
    }
}

/// The table name as PostgreSQL resolves it, without `public.`; `None`
/// for other qualified names.
fn table_key(name: &ObjectName) -> Option<String> {
    let ident = |p: &ObjectNamePart| p.as_ident().map(fold);
    match name.0.as_slice() {
        [one] => ident(one),
        [schema, one] if ident(schema).as_deref() == Some("public") => ident(one),
        _ => None,
    }
}

pub(super) fn constraint(op: &JoinOperator) -> Option<&JoinConstraint> {
    match op {
        JoinOperator::Join(c)
        | JoinOperator::Inner(c)
        | JoinOperator::Left(c)
        | JoinOperator::LeftOuter(c)
        | JoinOperator::Right(c)
        | JoinOperator::RightOuter(c)
        | JoinOperator::FullOuter(c)
        | JoinOperator::CrossJoin(c)
        | JoinOperator::StraightJoin(c) => Some(c),
        _ => None,
    }
}
