//! What the translator may know about the database's tables.
//!
//! The caller keeps a mirror of the SQLite schema (from `pragma_table_info`)
//! and hands it in through the [`Schema`] trait. The translator uses it to
//! make INSERTs carry time defaults explicitly (see `rewrite::defaults`), to
//! expand `*`, and to type column references (see `infer`). Nothing here
//! does I/O: a table the mirror does not know is simply `None`.

/// One column of a table, as SQLite describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnInfo {
    /// Column name as declared.
    pub name: String,
    /// Declared type as SQLite keeps it, e.g. `"TIMESTAMPTZ_TEXT"`.
    pub decl_type: String,
    /// `pragma_table_info.dflt_value`: the DEFAULT expression's text
    /// (without the outer parentheses SQLite strips), `None` if none.
    pub default_expr: Option<String>,
    /// Declared NOT NULL.
    pub not_null: bool,
    /// Part of the primary key.
    pub primary_key: bool,
}

/// Read access to the table definitions of the database.
pub trait Schema {
    /// The columns of `table`, in declaration order (the order `SELECT *`
    /// returns them); `None` when the table is unknown.
    ///
    /// `table` is the name as PostgreSQL resolves it: unquoted names are
    /// folded to lower case and any `public.` qualifier is removed.
    /// Implementations should match it case-insensitively, as SQLite does.
    fn columns(&self, table: &str) -> Option<Vec<ColumnInfo>>;

    /// Every object of the SQLite schema (`sqlite_schema` rows with SQL, in creation
    /// order): what DDL needs to rebuild a table (its indexes and triggers), to find what
    /// depends on an object (views, foreign keys), and pgrq's own objects (sequences,
    /// enum types). The default knows none.
    fn objects(&self) -> Vec<SchemaObject> {
        Vec::new()
    }

    /// The SQLite text that created table `table` (case-insensitive), if any; what the
    /// hot path (every INSERT/UPDATE) asks instead of listing every object.
    fn table_sql(&self, table: &str) -> Option<String> {
        self.objects()
            .into_iter()
            .find(|o| o.kind == "table" && o.name.eq_ignore_ascii_case(table))
            .map(|o| o.sql)
    }
}

/// One row of `sqlite_schema`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaObject {
    /// `table`, `index`, `view` or `trigger`.
    pub kind: String,
    pub name: String,
    /// The table an index or trigger belongs to (the object's own name otherwise).
    pub table: String,
    /// The SQLite text that created it.
    pub sql: String,
}

/// A schema that knows no table: translation then relies on the SQL alone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoSchema;

impl Schema for NoSchema {
    fn columns(&self, _table: &str) -> Option<Vec<ColumnInfo>> {
        None
    }
}

/// The column called `name` (compared case-insensitively, as SQLite does).
pub(crate) fn find_column<'c>(columns: &'c [ColumnInfo], name: &str) -> Option<&'c ColumnInfo> {
    columns.iter().find(|c| c.name.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str) -> ColumnInfo {
        ColumnInfo {
            name: name.into(),
            decl_type: "TEXT".into(),
            default_expr: None,
            not_null: false,
            primary_key: false,
        }
    }

    #[test]
    fn no_schema_knows_nothing() {
        assert_eq!(NoSchema.columns("t"), None);
        assert_eq!(NoSchema.columns(""), None);
    }

    #[test]
    fn columns_are_found_case_insensitively() {
        let cols = vec![col("id"), col("CreatedAt")];
        assert_eq!(
            find_column(&cols, "createdat").map(|c| c.name.as_str()),
            Some("CreatedAt")
        );
        assert_eq!(
            find_column(&cols, "ID").map(|c| c.name.as_str()),
            Some("id")
        );
        assert!(find_column(&cols, "missing").is_none());
    }
}
