//! COMMENT ON TABLE / VIEW / COLUMN / INDEX / SEQUENCE / TYPE: stored in the table
//! `pgrq_comments (objtype, object, "column", description)` (created on first use; layout
//! in `sql::markers`), from which the catalog answers `obj_description` /
//! `col_description`. `IS NULL` or `IS ''` removes the comment, as in PostgreSQL. The
//! object must exist (42P01, 42703, 42704). Other object kinds are refused.

use sqlparser::ast::{CommentObject, ObjectName};

use super::ddl_plan::ddl;
use super::relations;
use crate::sql::markers::{COMMENTS_TABLE, ENUM_VIEW, SEQUENCE_TABLE};
use crate::sql::schema::Schema;
use crate::sql::{SqlError, Translated};

pub(super) fn plan(
    object_type: CommentObject,
    object_name: &ObjectName,
    comment: Option<&str>,
    schema: &dyn Schema,
) -> Result<Translated, SqlError> {
    let mut name = object_name.clone();
    let parts: Vec<String> = match object_type {
        // `table.column` or `public.table.column`.
        CommentObject::Column => {
            if name.0.len() == 3 {
                let mut check = ObjectName(name.0[..2].to_vec());
                relations::strip_schema(&mut check)?;
                name.0.remove(0);
            }
            name.0
                .iter()
                .filter_map(|p| p.as_ident().map(relations::fold))
                .collect()
        }
        _ => {
            relations::strip_schema(&mut name)?;
            name.0
                .iter()
                .filter_map(|p| p.as_ident().map(relations::fold))
                .collect()
        }
    };
    let objects = schema.objects();
    let exists = |kind: &str, n: &str| {
        objects
            .iter()
            .any(|o| o.kind == kind && o.name.eq_ignore_ascii_case(n))
    };
    let (objtype, object, column) = match (object_type, parts.as_slice()) {
        (CommentObject::Table, [t]) => {
            if !exists("table", t) {
                return Err(undefined_relation(t));
            }
            ("table", t.clone(), String::new())
        }
        (CommentObject::View, [v]) => {
            if !exists("view", v) {
                return Err(undefined_relation(v));
            }
            ("view", v.clone(), String::new())
        }
        (CommentObject::Index, [i]) => {
            if !exists("index", i) {
                return Err(undefined_relation(i));
            }
            ("index", i.clone(), String::new())
        }
        (CommentObject::Sequence, [s]) => {
            if !exists("table", &format!("{SEQUENCE_TABLE}{s}")) {
                return Err(undefined_relation(s));
            }
            ("sequence", s.clone(), String::new())
        }
        (CommentObject::Type, [t]) => {
            if !exists("view", &format!("{ENUM_VIEW}{t}")) {
                return Err(SqlError::UndefinedObject {
                    message: format!("type \"{t}\" does not exist"),
                });
            }
            ("type", t.clone(), String::new())
        }
        (CommentObject::Column, [t, c]) => {
            let Some(cols) = schema.columns(t) else {
                return Err(undefined_relation(t));
            };
            let Some(col) = cols.iter().find(|k| k.name.eq_ignore_ascii_case(c)) else {
                return Err(SqlError::UndefinedColumn {
                    message: format!("column \"{c}\" of relation \"{t}\" does not exist"),
                });
            };
            ("column", t.clone(), col.name.clone())
        }
        (CommentObject::Column, _) => {
            return Err(SqlError::syntax(format!(
                "column name must be qualified: {object_name}"
            )));
        }
        (other, _) => return Err(SqlError::unsupported(format!("COMMENT ON {other}"))),
    };
    let lit = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let key = format!(
        "objtype = {} AND object = {} AND \"column\" = {}",
        lit(objtype),
        lit(&object),
        lit(&column)
    );
    let mut out = vec![format!(
        "CREATE TABLE IF NOT EXISTS {COMMENTS_TABLE} (objtype TEXT NOT NULL, \
         object TEXT NOT NULL, \"column\" TEXT NOT NULL DEFAULT '', \
         description TEXT NOT NULL, PRIMARY KEY (objtype, object, \"column\"))"
    )];
    out.push(format!("DELETE FROM {COMMENTS_TABLE} WHERE {key}"));
    if let Some(text) = comment.filter(|c| !c.is_empty()) {
        out.push(format!(
            "INSERT INTO {COMMENTS_TABLE} (objtype, object, \"column\", description) \
             VALUES ({}, {}, {}, {})",
            lit(objtype),
            lit(&object),
            lit(&column),
            lit(text)
        ));
    }
    Ok(ddl("COMMENT", out))
}

fn undefined_relation(name: &str) -> SqlError {
    SqlError::UndefinedTable {
        message: format!("relation \"{name}\" does not exist"),
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::SqlError;
    use crate::sql::test_support::*;

    #[test]
    fn comments_are_stored_per_object() {
        let m = mirror_from(&["CREATE TABLE t (\"Name\" text)", "CREATE SEQUENCE s"]);
        let sql = sqlite_with("COMMENT ON COLUMN public.t.\"Name\" IS 'it''s'", &m);
        assert!(
            sql.starts_with("CREATE TABLE IF NOT EXISTS pgrq_comments"),
            "{sql}"
        );
        assert!(
            sql.ends_with(
                "INSERT INTO pgrq_comments (objtype, object, \"column\", description) \
             VALUES ('column', 't', 'Name', 'it''s')"
            ),
            "{sql}"
        );
        let sql = sqlite_with("COMMENT ON TABLE t IS NULL", &m);
        assert!(sql.ends_with(
            "DELETE FROM pgrq_comments WHERE objtype = 'table' AND object = 't' AND \"column\" = ''"
        ), "{sql}");
        assert!(sqlite_with("COMMENT ON SEQUENCE s IS 'x'", &m).contains("'sequence', 's'"));
        assert!(matches!(
            err_with("COMMENT ON TABLE nope IS 'x'", &m),
            SqlError::UndefinedTable { .. }
        ));
        assert!(matches!(
            err_with("COMMENT ON COLUMN t.nope IS 'x'", &m),
            SqlError::UndefinedColumn { .. }
        ));
        assert_unsupported("COMMENT ON FUNCTION f IS 'x'", "COMMENT ON FUNCTION");
    }
}
