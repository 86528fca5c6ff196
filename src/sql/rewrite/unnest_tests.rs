use crate::sql::test_support::*;
use crate::sql::{PgType, SqlError};

#[test]
fn unnest_of_a_literal_reads_its_json() {
    let t = tr("SELECT * FROM unnest('{1,NULL,3}'::int[])");
    let out = t.sqlite.unwrap_or_default();
    assert!(out.contains("json_each('[1,null,3]')"), "{out}");
    assert!(out.contains(") AS unnest"), "{out}");
    assert_eq!(t.column_types, vec![Some(PgType::Int4)]);
    assert!(!t.needs_database);
}

#[test]
fn unnest_of_parameters_zips_them() {
    let t = tr("SELECT * FROM UNNEST($1::integer[], $2::text[]) WITH ORDINALITY AS u(a, b, n)");
    let out = t.sqlite.clone().unwrap_or_default();
    assert!(
        out.contains("LEFT JOIN json_each(?1) AS pgrq_srf_un_0"),
        "{out}"
    );
    assert!(
        out.contains("LEFT JOIN json_each(?2) AS pgrq_srf_un_1"),
        "{out}"
    );
    assert!(out.contains("json_array_length(?1)"), "{out}");
    assert!(out.contains("AS n"), "{out}");
    assert_eq!(t.array_params, vec![1, 2]);
    assert_eq!(
        t.param_types,
        vec![Some(PgType::Int4Array), Some(PgType::TextArray)]
    );
    assert_eq!(
        t.column_types,
        vec![Some(PgType::Int4), Some(PgType::Text), Some(PgType::Int8)]
    );
}

#[test]
fn bulk_insert_from_unnest() {
    let schema = schema_from(&["CREATE TABLE t (a int, b varchar(10))"]);
    let out = sqlite_with(
        "INSERT INTO t (a, b) SELECT * FROM UNNEST(('{1,2}')::integer[], ('{x,\"y z\"}')::varchar[])",
        &schema,
    );
    assert!(out.contains("json_each('[1,2]')"), "{out}");
    assert!(out.contains("json_each('[\"x\",\"y z\"]')"), "{out}");
}

#[test]
fn unnest_in_a_select_list() {
    let out = sqlite("SELECT unnest(ARRAY[3, 1, 2]) ORDER BY 1");
    assert!(out.contains("json_each('[3,1,2]')"), "{out}");
    assert!(out.contains("AS \"unnest\""), "{out}");
    let schema = schema_from(&["CREATE TABLE arr (id int, tags text[], nums int[])"]);
    let t = crate::sql::translate_with("SELECT id, unnest(nums) FROM arr", &ctx(), &schema)
        .unwrap()
        .remove(0);
    let out = t.sqlite.unwrap_or_default();
    assert!(
        out.contains("FROM arr, json_each(CASE WHEN nums IS NULL"),
        "{out}"
    );
    assert_eq!(t.column_types, vec![Some(PgType::Int4), Some(PgType::Int4)]);
    let out = sqlite_with("SELECT unnest(tags) AS tag FROM arr", &schema);
    assert!(out.contains("WITH RECURSIVE pgrq_p"), "{out}");
}

#[test]
fn unreadable_arrays_are_refused() {
    assert_unsupported("SELECT * FROM unnest($1)", "needs its type written");
    assert_unsupported(
        "SELECT * FROM unnest('{1.5}'::float8[])",
        "elements of type",
    );
    assert_unsupported("SELECT * FROM t, unnest(t.a)", "over a column");
    assert_unsupported("SELECT * FROM unnest(ARRAY[1, 'a'])", "different types");
    assert!(matches!(
        err("SELECT * FROM unnest('{x}'::int[])"),
        SqlError::InvalidText { .. }
    ));
}

#[test]
fn a_json_array_parameter_is_not_also_a_value() {
    assert_unsupported(
        "SELECT $1::int[], cardinality($1::int[])",
        "used both as an array read element by element",
    );
    assert_unsupported(
        "SELECT * FROM t WHERE a = ANY($1) OR b = $1",
        "used both as an array read element by element",
    );
    let t = tr("SELECT * FROM unnest($1::int[]) WHERE 1 = ANY($1::int[])");
    assert_eq!(t.array_params, vec![1]);
}
