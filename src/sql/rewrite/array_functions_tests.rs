use crate::sql::test_support::*;
use crate::sql::{PgType, translate_with};

fn with_arr(sql: &str) -> crate::sql::Translated {
    let schema = schema_from(&["CREATE TABLE arr (id int, tags text[], nums int[])"]);
    let t = translate_with(sql, &ctx(), &schema)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .remove(0);
    if let Some(s) = &t.sqlite {
        check_sqlite(s);
    }
    t
}

#[test]
fn lengths_over_json() {
    let t = with_arr("SELECT id, array_length(tags, 1), cardinality(nums) FROM arr");
    let out = t.sqlite.clone().unwrap_or_default();
    assert!(
        out.contains("SELECT id, nullif(CASE WHEN (CASE WHEN tags IS NULL"),
        "{out}"
    );
    assert!(out.contains("AS \"array_length\""), "{out}");
    assert!(out.contains("AS \"cardinality\""), "{out}");
    assert_eq!(
        t.column_types,
        vec![Some(PgType::Int4), Some(PgType::Int4), Some(PgType::Int4)]
    );
    let out = sqlite("SELECT cardinality('{}'::int[]), array_length(ARRAY[1, 2], 1)");
    assert!(out.contains("json_array_length('[]')"), "{out}");
}

#[test]
fn subscripts_are_one_based() {
    let t = with_arr("SELECT tags[1], nums[2] FROM arr WHERE id = 1");
    let out = t.sqlite.clone().unwrap_or_default();
    assert!(out.contains("'$[0]'"), "{out}");
    assert!(out.contains("'$[1]'"), "{out}");
    assert!(out.contains("AS \"tags\""), "{out}");
    assert_eq!(t.column_types, vec![Some(PgType::Text), Some(PgType::Int4)]);
    let out = sqlite("SELECT ('{5,6}'::int[])[0], ('{5,6}'::int[])[$1]");
    assert!(out.contains("json_extract('[5,6]', NULL)"), "{out}");
    assert!(out.contains("(?1) >= 1"), "{out}");
}

#[test]
fn array_to_string_and_back() {
    let t = with_arr("SELECT array_to_string(nums, '-', '*') FROM arr");
    let out = t.sqlite.clone().unwrap_or_default();
    assert!(
        out.contains("string_agg(coalesce(CAST(pgrq_srf_at.value AS TEXT), '*'), '-' ORDER BY"),
        "{out}"
    );
    assert_eq!(t.column_types, vec![Some(PgType::Text)]);
    let t = tr(
        "SELECT string_to_array('a,b,,c', ','), string_to_array('xy', NULL), string_to_array('a|N', '|', 'N')",
    );
    assert_eq!(
        t.sqlite.as_deref(),
        Some(
            "SELECT '{a,b,\"\",c}' AS \"string_to_array\", '{x,y}' AS \"string_to_array\", \
             '{a,NULL}' AS \"string_to_array\""
        )
    );
    assert_eq!(t.column_types, vec![Some(PgType::TextArray); 3]);
    assert_unsupported("SELECT string_to_array(name, ',') FROM t", "non-constant");
}

#[test]
fn any_over_an_array_column() {
    let out = with_arr("SELECT id FROM arr WHERE 2 = ANY(nums) OR 'a' <> ALL(tags)")
        .sqlite
        .unwrap_or_default();
    assert!(
        out.contains("(2) IN (SELECT pgrq_srf_in.value FROM json_each("),
        "{out}"
    );
    assert!(out.contains("('a') NOT IN (SELECT"), "{out}");
}

#[test]
fn appending_constants_folds() {
    let t = tr(
        "SELECT array_append('{1,2}'::int[], 3), array_prepend('a b', ARRAY['c']), \
                array_cat(ARRAY[1], '{NULL,4}'::int[])",
    );
    assert_eq!(
        t.sqlite.as_deref(),
        Some(
            "SELECT '{1,2,3}' AS \"array_append\", '{\"a b\",c}' AS \"array_prepend\", \
             '{1,NULL,4}' AS \"array_cat\""
        )
    );
    assert_eq!(
        t.column_types,
        vec![
            Some(PgType::Int4Array),
            Some(PgType::TextArray),
            Some(PgType::Int4Array)
        ]
    );
    assert_unsupported("SELECT array_append($1::int[], 1)", "non-constant arrays");
}
