//! Tests for parameter types inferred from context (`infer::params`).

use crate::sql::PgType::{self, *};
use crate::sql::test_support::*;
use crate::sql::{NoSchema, Schema};

fn db() -> TestSchema {
    schema_from(&[
        "CREATE TABLE t (id serial PRIMARY KEY, n int, big bigint, price numeric(10,2), \
         f float8, name text, flag boolean, at timestamptz, d date, data bytea, j jsonb)",
        "CREATE TABLE u (id int, t_id int, label varchar(20), small smallint)",
        "CREATE TABLE \"Mixed\" (\"CamelCol\" bigint, plain text)",
    ])
}

fn params_with(sql: &str, schema: &dyn Schema) -> Vec<Option<PgType>> {
    let t = tr_with(sql, schema);
    assert_eq!(t.param_types.len(), t.param_count, "{sql}");
    t.param_types
}

fn params(sql: &str) -> Vec<Option<PgType>> {
    params_with(sql, &db())
}

#[test]
fn comparisons_take_the_column_type() {
    assert_eq!(params("SELECT * FROM t WHERE id = $1"), vec![Some(Int4)]);
    assert_eq!(
        params("SELECT name FROM t WHERE $1 = big AND price <= $2 AND f > $3"),
        vec![Some(Int8), Some(Numeric), Some(Float8)]
    );
    assert_eq!(
        params("SELECT 1 FROM t WHERE name <> $1 OR flag = $2 OR at >= $3 OR d < $4"),
        vec![Some(Text), Some(Bool), Some(Timestamptz), Some(Date)]
    );
    assert_eq!(
        params("SELECT 1 FROM t WHERE data = $1 OR j = $2"),
        vec![Some(Bytea), Some(Jsonb)]
    );
}

#[test]
fn comparisons_with_expressions_and_literals() {
    assert_eq!(
        params("SELECT 1 FROM t WHERE n + 1 = $1 AND lower(name) = $2 AND count(*) > $3"),
        vec![Some(Int4), Some(Text), Some(Int8)]
    );
    // Without a schema, literals still type the other side.
    assert_eq!(
        params_with(
            "SELECT 1 WHERE $1 = 5 AND $2 < 5000000000 AND $3 = 'a'",
            &NoSchema
        ),
        vec![Some(Int4), Some(Int8), Some(Text)]
    );
    // A parenthesized parameter is still a parameter.
    assert_eq!(params("SELECT 1 FROM t WHERE big = ($1)"), vec![Some(Int8)]);
}

#[test]
fn varchar_compares_as_text_and_like_is_text() {
    assert_eq!(
        params("SELECT 1 FROM u WHERE label = $1 AND small = $2"),
        vec![Some(Text), Some(Int2)]
    );
    assert_eq!(
        params("SELECT 1 FROM t WHERE name LIKE $1 OR name ILIKE $2 OR $3 NOT LIKE name"),
        vec![Some(Text), Some(Text), Some(Text)]
    );
    assert_eq!(
        params("SELECT 1 FROM t WHERE name ~~ $1 OR name !~~* $2"),
        vec![Some(Text), Some(Text)]
    );
}

#[test]
fn aliases_qualified_and_quoted_names() {
    assert_eq!(
        params("SELECT * FROM t AS x WHERE x.big = $1 AND x.name = $2"),
        vec![Some(Int8), Some(Text)]
    );
    assert_eq!(
        params("SELECT * FROM public.t WHERE public.t.n = $1 AND t.f = $2"),
        vec![Some(Int4), Some(Float8)]
    );
    assert_eq!(
        params("SELECT * FROM \"Mixed\" m WHERE m.\"CamelCol\" = $1 AND plain = $2"),
        vec![Some(Int8), Some(Text)]
    );
    assert_eq!(
        params("SELECT * FROM T WHERE NAME = $1 AND \"big\" = $2"),
        vec![Some(Text), Some(Int8)]
    );
}

#[test]
fn joins_type_through_their_scope() {
    assert_eq!(
        params(
            "SELECT * FROM t JOIN u ON u.t_id = t.id AND u.small = $1 \
             WHERE u.label = $2 AND t.big = $3 AND label LIKE $4"
        ),
        vec![Some(Int2), Some(Text), Some(Int8), Some(Text)]
    );
    // `id` is in both tables: ambiguous, so nothing is inferred.
    assert_eq!(
        params("SELECT 1 FROM t JOIN u ON u.t_id = t.id WHERE id = $1"),
        vec![None]
    );
    assert_eq!(
        params("SELECT 1 FROM t LEFT JOIN u AS x USING (id) WHERE x.small > $1"),
        vec![Some(Int2)]
    );
}

#[test]
fn between_in_lists_and_distinct_from() {
    assert_eq!(
        params("SELECT 1 FROM t WHERE big BETWEEN $1 AND $2 AND at NOT BETWEEN $3 AND now()"),
        vec![Some(Int8), Some(Int8), Some(Timestamptz)]
    );
    assert_eq!(
        params("SELECT 1 FROM t WHERE n IN ($1, $2) AND name NOT IN ($3)"),
        vec![Some(Int4), Some(Int4), Some(Text)]
    );
    assert_eq!(
        params("SELECT 1 FROM t WHERE $1 IN (1, 2) AND big IS DISTINCT FROM $2"),
        vec![Some(Int4), Some(Int8)]
    );
    assert_eq!(
        params("SELECT 1 FROM t WHERE $1 IS NOT DISTINCT FROM price"),
        vec![Some(Numeric)]
    );
}

#[test]
fn row_comparisons_pair_up() {
    assert_eq!(
        params("SELECT 1 FROM t WHERE (n, name) = ($1, $2)"),
        vec![Some(Int4), Some(Text)]
    );
}

#[test]
fn subqueries_in_where_have_their_own_scope() {
    assert_eq!(
        params("SELECT * FROM t WHERE id IN (SELECT t_id FROM u WHERE label = $1) AND big = $2"),
        vec![Some(Text), Some(Int8)]
    );
    assert_eq!(
        params("SELECT 1 FROM u WHERE $1 IN (SELECT big FROM t) AND $2 = (SELECT max(f) FROM t)"),
        vec![Some(Int8), Some(Float8)]
    );
    // Correlated: the inner query sees the outer alias.
    assert_eq!(
        params(
            "SELECT 1 FROM t x WHERE EXISTS (SELECT 1 FROM u WHERE u.t_id = x.id \
             AND x.price > $1 AND u.small = $2)"
        ),
        vec![Some(Numeric), Some(Int2)]
    );
}

#[test]
fn ctes_and_derived_tables() {
    assert_eq!(
        params(
            "WITH c AS (SELECT id, big AS b FROM t WHERE n = $1) \
             SELECT * FROM c WHERE b > $2 AND c.id = $3"
        ),
        vec![Some(Int4), Some(Int8), Some(Int4)]
    );
    assert_eq!(
        params("SELECT * FROM (SELECT big AS b FROM t WHERE name = $1) s WHERE s.b = $2"),
        vec![Some(Text), Some(Int8)]
    );
    assert_eq!(
        params("SELECT id FROM t WHERE n = $1 UNION SELECT id FROM u WHERE label = $2"),
        vec![Some(Int4), Some(Text)]
    );
}

#[test]
fn insert_values_take_their_target_columns() {
    assert_eq!(
        params("INSERT INTO t (name, big) VALUES ($1, $2), ($3, $4)"),
        vec![Some(Text), Some(Int8), Some(Text), Some(Int8)]
    );
    assert_eq!(
        params("INSERT INTO u VALUES ($1, $2, $3, $4)"),
        vec![Some(Int4), Some(Int4), Some(Varchar), Some(Int2)]
    );
    assert_eq!(
        params("INSERT INTO public.\"Mixed\" (\"CamelCol\", PLAIN) VALUES ($2, $1) RETURNING *"),
        vec![Some(Text), Some(Int8)]
    );
    // A parameter inside an expression is typed by that expression.
    assert_eq!(
        params("INSERT INTO t (name, f) VALUES (lower($1), $2 + 1)"),
        vec![Some(Text), Some(Int4)]
    );
}

#[test]
fn insert_select_and_unknown_tables() {
    assert_eq!(
        params("INSERT INTO t (f, flag) SELECT $1, $2"),
        vec![Some(Float8), Some(Bool)]
    );
    assert_eq!(
        params("INSERT INTO t (big) SELECT n FROM t WHERE name = $1"),
        vec![Some(Text)]
    );
    assert_eq!(params("INSERT INTO nowhere (a) VALUES ($1)"), vec![None]);
    assert_eq!(params("INSERT INTO t (nope) VALUES ($1)"), vec![None]);
}

#[test]
fn on_conflict_do_update() {
    assert_eq!(
        params(
            "INSERT INTO t (id, name) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE \
             SET name = $3, big = excluded.big + $4 WHERE t.price < $5 AND excluded.n = $6"
        ),
        vec![
            Some(Int4),
            Some(Text),
            Some(Text),
            Some(Int8),
            Some(Numeric),
            Some(Int4)
        ]
    );
    assert_eq!(
        params("INSERT INTO t (id) VALUES ($1) ON CONFLICT DO NOTHING"),
        vec![Some(Int4)]
    );
}

#[test]
fn update_set_and_where() {
    assert_eq!(
        params("UPDATE t SET name = $1, big = $2 WHERE id = $3 RETURNING n"),
        vec![Some(Text), Some(Int8), Some(Int4)]
    );
    assert_eq!(
        params("UPDATE public.t AS x SET f = $1 WHERE x.d = $2"),
        vec![Some(Float8), Some(Date)]
    );
    assert_eq!(
        params("UPDATE t SET (n, name) = ($1, $2)"),
        vec![Some(Int4), Some(Text)]
    );
    assert_eq!(
        params("UPDATE t SET n = u.id FROM u WHERE u.t_id = t.id AND u.label = $1"),
        vec![Some(Text)]
    );
}

#[test]
fn delete_where_and_subqueries() {
    assert_eq!(
        params("DELETE FROM t WHERE id = $1 RETURNING *"),
        vec![Some(Int4)]
    );
    assert_eq!(
        params("DELETE FROM u WHERE t_id IN (SELECT id FROM t WHERE name = $1) AND small > $2"),
        vec![Some(Text), Some(Int2)]
    );
}

#[test]
fn limit_offset_and_fetch_are_int8() {
    assert_eq!(
        params("SELECT * FROM t ORDER BY id LIMIT $1 OFFSET $2"),
        vec![Some(Int8), Some(Int8)]
    );
    assert_eq!(
        params_with("SELECT * FROM whatever LIMIT $2 OFFSET $1", &NoSchema),
        vec![Some(Int8), Some(Int8)]
    );
    assert_eq!(
        params("SELECT * FROM t OFFSET $1 ROWS FETCH FIRST $2 ROWS ONLY"),
        vec![Some(Int8), Some(Int8)]
    );
}

#[test]
fn arithmetic_takes_the_other_operand() {
    assert_eq!(
        params("SELECT n + $1, $2 * price, big - $3, f / $4, small % $5 FROM t, u"),
        vec![
            Some(Int4),
            Some(Numeric),
            Some(Int8),
            Some(Float8),
            Some(Int2)
        ]
    );
    assert_eq!(
        params("SELECT 1 FROM t WHERE at - $1 > $2"),
        vec![Some(Timestamptz), None]
    );
    // No operator of that shape: nothing inferred.
    assert_eq!(
        params("SELECT name + $1, flag * $2 FROM t"),
        vec![None, None]
    );
}

#[test]
fn concatenation_is_text() {
    assert_eq!(
        params("SELECT $1 || name, n || $2, '%' || $3 || '%', $4 || $5 FROM t"),
        vec![Some(Text), Some(Text), Some(Text), Some(Text), Some(Text)]
    );
    assert_eq!(
        params("SELECT 1 FROM t WHERE name LIKE '%' || $1 || '%'"),
        vec![Some(Text)]
    );
    // `jsonb || $1` is refused (see `rewrite::jsonb_ops`): the merge needs the value.
}

#[test]
fn function_arguments_with_clear_signatures() {
    assert_eq!(
        params("SELECT lower($1), upper($2), length($3), trim($4), substr($5, $6, $7)"),
        vec![
            Some(Text),
            Some(Text),
            Some(Text),
            Some(Text),
            Some(Text),
            Some(Int4),
            Some(Int4)
        ]
    );
    assert_eq!(
        params("SELECT coalesce(big, $1), coalesce($2, name), nullif(price, $3) FROM t"),
        vec![Some(Int8), Some(Text), Some(Numeric)]
    );
    assert_eq!(
        params("SELECT 1 FROM t WHERE lower(name) = lower($1) AND replace($2, 'a', 'b') = ''"),
        vec![Some(Text), Some(Text)]
    );
    // Mixed integer widths widen; an unclear signature gives nothing.
    assert_eq!(
        params("SELECT coalesce(n, big, $1), abs($2) FROM t"),
        vec![Some(Int8), None]
    );
}

#[test]
fn case_branches_and_boolean_positions() {
    assert_eq!(
        params("SELECT CASE WHEN flag THEN big ELSE $1 END, CASE n WHEN $2 THEN 'a' END FROM t"),
        vec![Some(Int8), Some(Int4)]
    );
    assert_eq!(
        params("SELECT 1 FROM t WHERE $1 AND NOT $2 AND ($3 OR flag)"),
        vec![Some(Bool), Some(Bool), Some(Bool)]
    );
    assert_eq!(
        params("SELECT n FROM t GROUP BY n HAVING count(*) > $1"),
        vec![Some(Int8)]
    );
}

#[test]
fn unknown_contexts_stay_untyped() {
    assert_eq!(params("SELECT $1"), vec![None]);
    assert_eq!(params("SELECT $1, $2 FROM t"), vec![None, None]);
    assert_eq!(params("SELECT 1 FROM t WHERE nope = $1"), vec![None]);
    assert_eq!(params("SELECT 1 FROM missing WHERE a = $1"), vec![None]);
    assert_eq!(params("SELECT 1 WHERE $1 = $2"), vec![None, None]);
    assert_eq!(params("VALUES ($1, 1)"), vec![None]);
}

#[test]
fn a_cast_anywhere_wins() {
    assert_eq!(
        params("SELECT 1 FROM t WHERE big = $1::int4"),
        vec![Some(Int4)]
    );
    assert_eq!(
        params("SELECT 1 FROM t WHERE big = $1 AND $1::text = 'x'"),
        vec![Some(Text)]
    );
    assert_eq!(
        params("INSERT INTO t (big, name) VALUES (CAST($1 AS numeric), $2)"),
        vec![Some(Numeric), Some(Text)]
    );
    assert_eq!(params("SELECT * FROM t LIMIT $1::int4"), vec![Some(Int4)]);
}

#[test]
fn the_first_inference_wins() {
    assert_eq!(
        params("SELECT 1 FROM t WHERE name = $1 OR big = $1"),
        vec![Some(Text)]
    );
    // As in PostgreSQL, FROM is read before the SELECT list …
    assert_eq!(
        params("SELECT n + $1 FROM t JOIN u ON u.small = $1"),
        vec![Some(Int2)]
    );
    // … and an UPDATE's WHERE before its SET.
    assert_eq!(
        params("UPDATE t SET name = $1 WHERE big = $1"),
        vec![Some(Int8)]
    );
}

#[test]
fn param_count_is_unchanged() {
    for sql in [
        "SELECT 1 FROM t WHERE big = $3",
        "INSERT INTO t (name, big) VALUES ($1, $2), ($3, $4)",
        "UPDATE t SET n = $2 WHERE id = $1",
        "SELECT * FROM t LIMIT $5",
    ] {
        let with = tr_with(sql, &db());
        let without = tr(sql);
        assert_eq!(with.param_count, without.param_count, "{sql}");
        if !sql.contains('*') {
            // (`*` over a float column is expanded to wrap it: `rewrite::float_output`.)
            assert_eq!(with.sqlite, without.sqlite, "{sql}");
        }
        assert_eq!(with.param_types.len(), with.param_count, "{sql}");
    }
    assert_eq!(
        params("SELECT 1 FROM t WHERE big = $3"),
        vec![None, None, Some(Int8)]
    );
    assert_eq!(
        params("SELECT * FROM t WHERE n = $2 LIMIT $5"),
        vec![None, Some(Int4), None, None, Some(Int8)]
    );
}

#[test]
fn recursive_ctes_and_writes_under_with() {
    assert_eq!(
        params(
            "WITH RECURSIVE r(k) AS (SELECT id FROM t WHERE n = $1 \
             UNION ALL SELECT k + 1 FROM r WHERE k < $2) SELECT * FROM r LIMIT $3"
        ),
        vec![Some(Int4), Some(Int4), Some(Int8)]
    );
    assert_eq!(
        params(
            "WITH c AS (SELECT id FROM t WHERE big = $1) UPDATE u SET small = $2 WHERE t_id IN (SELECT id FROM c)"
        ),
        vec![Some(Int8), Some(Int2)]
    );
}

#[test]
fn excluded_is_reached_only_by_qualified_names() {
    // Unqualified `n` is the target row's, not ambiguous with `excluded`.
    assert_eq!(
        params(
            "INSERT INTO t (id, n) VALUES ($1, $2) ON CONFLICT (id) \
             DO UPDATE SET n = n + $3 WHERE excluded.name = $4 RETURNING *"
        ),
        vec![Some(Int4), Some(Int4), Some(Int4), Some(Text)]
    );
}

#[test]
fn without_a_schema_the_sql_alone_types() {
    let t = tr("SELECT * FROM t WHERE a = $1 AND lower(b) = $2 AND c > 1 + $3 LIMIT $4");
    assert_eq!(t.param_count, 4);
    assert_eq!(
        t.param_types,
        vec![None, Some(Text), Some(Int4), Some(Int8)]
    );
}
