use super::*;
use crate::sql::test_support::{check_sqlite, ctx, schema_from};
use crate::sql::{NoSchema, PgType, translate_with};

fn cat(sql: &str) -> Translated {
    let schema = schema_from(&["CREATE TABLE users (id int, name text)"]);
    let t = translate_with(sql, &ctx(), &schema).unwrap().remove(0);
    assert_eq!(t.kind, StatementKind::Catalog, "{sql}");
    check_sqlite(t.sqlite.as_deref().unwrap());
    t
}

#[test]
fn catalog_relations_route_to_the_catalog() {
    cat("SELECT * FROM pg_catalog.pg_class");
    cat("SELECT relname FROM pg_class");
    cat("SELECT table_name FROM information_schema.tables");
    cat("SELECT 'users'::regclass");
    cat("SELECT format_type(23, -1)");
    let schema = schema_from(&["CREATE TABLE pg_things (id int)"]);
    let t = translate_with("SELECT * FROM pg_things", &ctx(), &schema).unwrap();
    assert_eq!(t[0].kind, StatementKind::Query);
    let t = translate_with("SELECT 1", &ctx(), &NoSchema).unwrap();
    assert_eq!(t[0].kind, StatementKind::Query);
}

#[test]
fn mixing_catalog_and_user_tables_is_refused() {
    let schema = schema_from(&["CREATE TABLE users (id int)"]);
    let e = translate_with(
        "SELECT * FROM users u JOIN pg_catalog.pg_class c ON c.relname = 'users'",
        &ctx(),
        &schema,
    )
    .unwrap_err();
    assert!(matches!(e, SqlError::Unsupported { .. }), "{e:?}");
    assert!(e.to_string().contains("users"), "{e}");
}

#[test]
fn psql_constructs_are_rewritten() {
    let t = cat("SELECT c.oid FROM pg_catalog.pg_class c \
         WHERE c.relname OPERATOR(pg_catalog.~) '^(t)$' COLLATE pg_catalog.default \
         AND n.nspname !~ '^pg_toast' AND pg_catalog.pg_table_is_visible(c.oid)");
    let s = t.sqlite.unwrap();
    assert!(s.contains("pgrq_regex(c.relname, '^(t)$', '')"), "{s}");
    assert!(
        s.contains("NOT pgrq_regex(n.nspname, '^pg_toast', '')"),
        "{s}"
    );
    assert!(
        s.contains("pg_table_is_visible(c.oid)") && !s.contains("COLLATE"),
        "{s}"
    );
    let s = cat(
        "SELECT conrelid::pg_catalog.regclass, '16385'::pg_catalog.regclass, \
         'users'::regclass, E'a\\nb', ARRAY(SELECT rolname FROM pg_roles)",
    )
    .sqlite
    .unwrap();
    // In the result a regclass prints as a name; elsewhere it is an OID.
    assert!(s.contains("pgrq_regclass_name(conrelid)"), "{s}");
    assert!(
        s.contains("pgrq_regclass_name(pgrq_regclass_oid('16385'))"),
        "{s}"
    );
    assert!(
        s.contains("pgrq_regclass_name(pgrq_regclass_oid('users'))"),
        "{s}"
    );
    assert!(s.contains("'a\nb'"), "{s}");
    assert!(s.contains("pgrq_array_sub"), "{s}");
    let s = cat("SELECT 1 FROM pg_class WHERE oid = '16385'::regclass AND 'users'::regclass > 0")
        .sqlite
        .unwrap();
    assert!(s.contains("oid = pgrq_regclass_oid('16385')"), "{s}");
    assert!(s.contains("pgrq_regclass_oid('users') > 0"), "{s}");
    let s = cat("SELECT x FROM pg_catalog.unnest(ARRAY['a']) x")
        .sqlite
        .unwrap();
    assert!(
        s.contains("json_each(pgrq_array_json(pgrq_array('a'))) AS \"x\""),
        "{s}"
    );
    assert!(s.starts_with("SELECT \"x\".value"), "{s}");
}

#[test]
fn types_of_columns_and_parameters() {
    let t = cat(
        "SELECT t.typname, t.oid = $1, count(*), format_type(t.oid, NULL) \
         FROM pg_type t WHERE t.oid = $2 AND t.typname = $3 GROUP BY 1, 2, 4",
    );
    assert_eq!(
        t.column_types,
        [
            Some(PgType::Name),
            Some(PgType::Bool),
            Some(PgType::Int8),
            Some(PgType::Text)
        ]
    );
    assert_eq!(
        t.param_types,
        [Some(PgType::Oid), Some(PgType::Oid), Some(PgType::Name)]
    );
    assert_eq!(t.param_count, 3);
    assert!(t.sqlite.unwrap().contains("?3"));
}

#[test]
fn unquoted_aliases_fold_to_lower_case_and_survive_sqlite_keywords() {
    let s = cat("SELECT indisprimary AS primary, indisunique AS Is_Unique FROM pg_index")
        .sqlite
        .unwrap();
    assert!(s.contains("AS \"primary\""), "{s}");
    assert!(s.contains("AS \"is_unique\""), "{s}");
}

#[test]
fn set_returning_functions_in_the_select_list_share_one_json_each() {
    let s =
        cat("SELECT unnest(conkey) AS a, generate_subscripts(conkey, 1) AS o FROM pg_constraint")
            .sqlite
            .unwrap();
    assert_eq!(s.matches("json_each").count(), 1, "{s}");
    assert!(s.contains("\"pgrq_srf0\".value AS \"a\""), "{s}");
    assert!(
        s.contains("\"pgrq_srf0\".key + pgrq_array_first(conkey) AS \"o\""),
        "{s}"
    );
}
