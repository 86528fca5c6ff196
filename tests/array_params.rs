//! `= ANY($1)` and `<> ALL($1)` with an array parameter through the real engine
//! (`sql::rewrite::array_params`): binary arrays as tokio-postgres sends them (int4[],
//! int8[], text[]), a text array as psql-style drivers send it, NULL elements, an empty
//! array and a NULL array, compared with PostgreSQL's answers. Starts the `pgrq` binary,
//! which starts a real 3-replica rqlite cluster; needs an rqlited binary (`PGRQ_RQLITED`),
//! without which it fails.

mod common;

use common::{Pgrq, connect};

fn start() -> Pgrq {
    common::start_with_engine(4)
}

#[tokio::test(flavor = "multi_thread")]
async fn any_and_all_over_array_parameters() {
    let p = start();
    let c = connect(&p, "demo_arrays").await;
    c.batch_execute(
        "CREATE TABLE t (id int PRIMARY KEY, big bigint, name text); \
         INSERT INTO t VALUES (1, 10, 'a'), (2, 20, 'b c'), (3, 30, NULL), (4, 40, 'NULL')",
    )
    .await
    .expect("setup");

    let ids =
        |rows: Vec<tokio_postgres::Row>| -> Vec<i32> { rows.iter().map(|r| r.get(0)).collect() };

    // Binary int4[] (the parameter's type comes from the column it is compared with).
    let by_id = c
        .prepare("SELECT id FROM t WHERE id = ANY($1) ORDER BY id")
        .await
        .expect("prepare int4[]");
    let got = c
        .query(&by_id, &[&vec![3i32, 1, 99]])
        .await
        .expect("int4[]");
    assert_eq!(ids(got), vec![1, 3]);
    let got = c.query(&by_id, &[&Vec::<i32>::new()]).await.expect("empty");
    assert_eq!(ids(got), Vec::<i32>::new());
    let got = c
        .query(&by_id, &[&None::<Vec<i32>>])
        .await
        .expect("NULL array");
    assert_eq!(ids(got), Vec::<i32>::new());
    let got = c
        .query(&by_id, &[&vec![Some(2i32), None]])
        .await
        .expect("NULL element");
    assert_eq!(ids(got), vec![2]);

    // int8[] and text[], including an element spelled NULL and one with a space.
    let got = c
        .query(
            "SELECT id FROM t WHERE big = ANY($1::int8[]) ORDER BY id",
            &[&vec![20i64, 40]],
        )
        .await
        .expect("int8[]");
    assert_eq!(ids(got), vec![2, 4]);
    let got = c
        .query(
            "SELECT id FROM t WHERE name = ANY($1) ORDER BY id",
            &[&vec!["b c", "NULL", "zz"]],
        )
        .await
        .expect("text[]");
    assert_eq!(ids(got), vec![2, 4]);

    // <> ALL, and NULL semantics: a NULL name is neither in nor out (PostgreSQL: NULL).
    let got = c
        .query(
            "SELECT id FROM t WHERE name <> ALL($1) ORDER BY id",
            &[&vec!["a"]],
        )
        .await
        .expect("<> ALL");
    assert_eq!(ids(got), vec![2, 4]);
    let row = c
        .query_one(
            "SELECT 5 = ANY($1::int[]), 5 = ANY($2::int[]), 5 = ANY($3::int[])",
            &[&vec![5i32], &vec![Some(1i32), None], &None::<Vec<i32>>],
        )
        .await
        .expect("select list");
    let (a, b, n): (Option<bool>, Option<bool>, Option<bool>) =
        (row.get(0), row.get(1), row.get(2));
    assert_eq!((a, b, n), (Some(true), None, None));

    // A parameter the client declares as text carries the array's text form.
    let text = c
        .prepare_typed(
            "SELECT id FROM t WHERE id = ANY($1) ORDER BY id",
            &[tokio_postgres::types::Type::TEXT],
        )
        .await
        .expect("prepare text");
    let got = c.query(&text, &[&"{2, 4}"]).await.expect("text array");
    assert_eq!(ids(got), vec![2, 4]);

    // A malformed element is 22P02, and the connection survives it.
    let err = c.query(&text, &[&"{1,x}"]).await.expect_err("malformed");
    assert_eq!(err.code().map(|c| c.code()), Some("22P02"), "{err:?}");
    let n: i64 = c
        .query_one("SELECT count(*) FROM t", &[])
        .await
        .expect("after an error")
        .get(0);
    assert_eq!(n, 4);
}

/// `unnest` of array parameters (`sql::rewrite::unnest`): zipped and NULL-padded to the
/// longest, element types kept in binary and text results, the bulk insert Django's
/// `bulk_create` sends, and Describe giving the element types.
#[tokio::test(flavor = "multi_thread")]
async fn unnest_over_array_parameters() {
    use tokio_postgres::types::Type;
    let p = start();
    let c = connect(&p, "demo_unnest").await;
    c.batch_execute("CREATE TABLE t (id serial PRIMARY KEY, n int, name varchar(20))")
        .await
        .expect("setup");

    let zipped = c
        .prepare("SELECT * FROM UNNEST($1::integer[], $2::text[]) WITH ORDINALITY AS u(n, s, i)")
        .await
        .expect("prepare unnest");
    let types: Vec<Type> = zipped.columns().iter().map(|c| c.type_().clone()).collect();
    assert_eq!(types, vec![Type::INT4, Type::TEXT, Type::INT8]);
    assert_eq!(zipped.params(), &[Type::INT4_ARRAY, Type::TEXT_ARRAY]);
    let rows = c
        .query(
            &zipped,
            &[&vec![Some(1i32), None, Some(3)], &vec!["a b", "NULL"]],
        )
        .await
        .expect("unnest binary");
    let got: Vec<(Option<i32>, Option<String>, i64)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        got,
        vec![
            (Some(1), Some("a b".into()), 1),
            (None, Some("NULL".into()), 2),
            (Some(3), None, 3)
        ]
    );
    // A NULL array is empty; the other still yields its rows.
    let rows = c
        .query(&zipped, &[&None::<Vec<i32>>, &vec!["x"]])
        .await
        .expect("NULL array");
    assert_eq!(rows.len(), 1);

    // Text results (simple protocol) of the same values.
    let rows = c
        .simple_query("SELECT * FROM unnest('{7,NULL}'::int[]) AS x")
        .await
        .expect("simple");
    let texts: Vec<Option<String>> = rows
        .iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => Some(r.get(0).map(str::to_string)),
            _ => None,
        })
        .collect();
    assert_eq!(texts, vec![Some("7".to_string()), None]);

    // Django's bulk_create on PostgreSQL.
    let inserted = c
        .query(
            "INSERT INTO t (n, name) SELECT * FROM UNNEST(($1)::integer[], ($2)::varchar[]) \
             RETURNING id, n, name",
            &[&vec![10i32, 20, 30], &vec!["p", "q r", "s"]],
        )
        .await
        .expect("bulk insert");
    let got: Vec<(i32, String)> = inserted.iter().map(|r| (r.get(1), r.get(2))).collect();
    assert_eq!(
        got,
        vec![(10, "p".into()), (20, "q r".into()), (30, "s".into())]
    );
    let n: i64 = c
        .query_one("SELECT count(*) FROM t WHERE n >= 10", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(n, 3);
}
