//! Catalog queries (`StatementKind::Catalog`): answered from the database's emulated
//! system catalogs (`crate::catalog`, built from the schema mirror), never sent to the
//! engine. Result columns carry PostgreSQL's catalog types (oid, name, "char", bool …).

use super::{Column, PgError, Reply, Session, Value};
use crate::catalog::CatalogColumn;
use crate::error::codes;
use crate::sql::catalog::defs;
use crate::sql::{PgType, Translated};

impl Session {
    pub(super) async fn run_catalog(
        &mut self,
        t: &Translated,
        params: Vec<Value>,
    ) -> Result<Reply, PgError> {
        let sql = t.sqlite.as_deref().ok_or_else(|| {
            PgError::new(codes::INTERNAL_ERROR, "catalog query has no SQLite text")
        })?;
        self.ensure_mirror().await;
        // Inside a block that ran DDL, the block's own view of the schema.
        let catalog = self
            .describing_mirror()
            .catalog(self.db.as_str(), &self.ctx.user)?;
        let (cols, rows) = catalog.query(sql, &params, &self.gucs.all())?;
        // set_config(…) changes the session's settings as SET does.
        for (name, value) in catalog.take_set_calls() {
            self.gucs.set(&name, Some(&value))?;
        }
        let columns = columns(t, &cols);
        let tag = format!("SELECT {}", rows.len());
        Ok(Reply::Rows { columns, rows, tag })
    }

    /// Result columns and parameter count of a catalog query, without running it.
    pub(super) async fn describe_catalog(
        &mut self,
        t: &Translated,
    ) -> Result<(Vec<Column>, usize), PgError> {
        let Some(sql) = t.sqlite.as_deref() else {
            return Ok((Vec::new(), t.param_count));
        };
        self.ensure_mirror().await;
        // Inside a block that ran DDL, the block's own view of the schema.
        let catalog = self
            .describing_mirror()
            .catalog(self.db.as_str(), &self.ctx.user)?;
        let (cols, n) = catalog.describe(sql)?;
        Ok((columns(t, &cols), n.max(t.param_count)))
    }
}

/// A catalog column's declared type names its PostgreSQL type; an expression's type comes
/// from the SQL, else text.
fn columns(t: &Translated, cols: &[CatalogColumn]) -> Vec<Column> {
    cols.iter()
        .enumerate()
        .map(|(i, c)| {
            let ty = if c.decl_type.is_empty() {
                t.column_types
                    .get(i)
                    .copied()
                    .flatten()
                    .unwrap_or(PgType::Text)
            } else {
                defs::wire_type(&c.decl_type.to_lowercase())
            };
            Column::new(c.name.clone(), ty)
        })
        .collect()
}
