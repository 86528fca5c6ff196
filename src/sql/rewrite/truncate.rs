//! TRUNCATE with PostgreSQL's foreign-key rules: a table that another table (not truncated
//! with it) references is refused (0A000) unless CASCADE, which adds the referencing
//! tables, recursively. The tables are emptied with DELETE, children first, so no ON
//! DELETE action fires; RESTART IDENTITY also resets their SERIAL counters. The whole is
//! one transaction (run as DDL). Serial keys are AUTOINCREMENT, so without RESTART
//! IDENTITY the numbering continues, as PostgreSQL's sequences do.

use sqlparser::ast::{CascadeOption, Truncate, TruncateIdentityOption};

use super::drops::referencing_tables;
use super::relations;
use super::type_checks::quoted;
use crate::sql::schema::Schema;
use crate::sql::{SqlError, StatementKind, Translated};

pub(super) fn plan(t: &Truncate, schema: &dyn Schema) -> Result<Translated, SqlError> {
    if t.partitions.is_some() || t.on_cluster.is_some() {
        return Err(SqlError::unsupported("this form of TRUNCATE"));
    }
    let objects = schema.objects();
    let mut tables: Vec<String> = Vec::new();
    for target in &t.table_names {
        let mut name = target.name.clone();
        relations::strip_schema(&mut name)?;
        let key = name
            .0
            .last()
            .and_then(|p| p.as_ident())
            .map(relations::fold)
            .unwrap_or_default();
        let known = objects
            .iter()
            .find(|o| o.kind == "table" && o.name.eq_ignore_ascii_case(&key))
            .map(|o| o.name.clone());
        let name = known.unwrap_or(key);
        if !tables.contains(&name) {
            tables.push(name);
        }
    }
    let cascade = matches!(t.cascade, Some(CascadeOption::Cascade));
    let mut i = 0;
    while i < tables.len() {
        for child in referencing_tables(&objects, &tables[i]) {
            if tables.iter().any(|t| t.eq_ignore_ascii_case(&child)) {
                continue;
            }
            if !cascade {
                return Err(SqlError::unsupported(format!(
                    "TRUNCATE of table \"{}\", which table \"{child}\" references \
                     (cannot truncate a table referenced in a foreign key constraint; \
                     truncate \"{child}\" at the same time, or use TRUNCATE … CASCADE)",
                    tables[i]
                )));
            }
            tables.push(child);
        }
        i += 1;
    }
    // Children (added last) first. The PRAGMA must not come first (see `rebuild`).
    let mut out: Vec<String> = tables
        .iter()
        .rev()
        .map(|t| format!("DELETE FROM {}", quoted(t)))
        .collect();
    out.insert(
        out.len().min(1),
        "PRAGMA defer_foreign_keys = 1".to_string(),
    );
    if matches!(t.identity, Some(TruncateIdentityOption::Restart)) {
        let counted = objects.iter().any(|o| {
            o.kind == "table"
                && tables.iter().any(|t| t.eq_ignore_ascii_case(&o.name))
                && o.sql.to_ascii_uppercase().contains("AUTOINCREMENT")
        });
        if counted {
            let names: Vec<String> = tables
                .iter()
                .map(|t| format!("'{}'", t.replace('\'', "''")))
                .collect();
            out.push(format!(
                "DELETE FROM sqlite_sequence WHERE name IN ({})",
                names.join(", ")
            ));
        }
    }
    let mut translated = super::ddl_plan::ddl("TRUNCATE TABLE", out);
    translated.kind = StatementKind::Ddl;
    Ok(translated)
}

#[cfg(test)]
mod tests {
    use crate::sql::SqlError;
    use crate::sql::test_support::*;

    fn shop() -> crate::mirror::Mirror {
        mirror_from(&[
            "CREATE TABLE p (id serial PRIMARY KEY)",
            "CREATE TABLE c (id int, p_id int REFERENCES p (id) ON DELETE CASCADE)",
            "CREATE TABLE g (c_id int REFERENCES p (id))",
        ])
    }

    #[test]
    fn referenced_tables_need_cascade() {
        match err_with("TRUNCATE p", &shop()) {
            SqlError::Unsupported { construct } => {
                assert!(
                    construct.contains("which table \"c\" references"),
                    "{construct}"
                )
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            sqlite_with("TRUNCATE TABLE public.p RESTART IDENTITY CASCADE", &shop()),
            "DELETE FROM \"g\";\nPRAGMA defer_foreign_keys = 1;\nDELETE FROM \"c\";\n\
             DELETE FROM \"p\";\nDELETE FROM sqlite_sequence WHERE name IN ('p', 'c', 'g')"
        );
        assert_eq!(
            sqlite_with("TRUNCATE c, g, p", &shop()),
            "DELETE FROM \"p\";\nPRAGMA defer_foreign_keys = 1;\nDELETE FROM \"g\";\n\
             DELETE FROM \"c\""
        );
    }
}
