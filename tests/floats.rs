//! float4/float8 `NaN`, `Infinity` and `-Infinity` through the real engine (`sql::floats`):
//! inserted as literals, casts, and text and binary parameters; read back in text and
//! binary result formats; ordered, compared and filtered as PostgreSQL does. Starts the
//! `pgrq` binary, which starts a real 3-replica rqlite cluster; needs an rqlited binary
//! (`PGRQ_RQLITED`), without which it fails.

mod common;

use common::{Pgrq, connect, rows};
use tokio_postgres::Client;

fn start() -> Pgrq {
    common::start_with_engine(10)
}

/// The first column of every row, as text (simple protocol).
async fn column(c: &Client, sql: &str) -> Vec<String> {
    rows(c, sql)
        .await
        .into_iter()
        .map(|r| {
            r.into_iter()
                .next()
                .flatten()
                .unwrap_or_else(|| "NULL".into())
        })
        .collect()
}

fn same(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b
}

#[tokio::test(flavor = "multi_thread")]
async fn nan_and_infinities_round_trip_sort_and_compare() {
    let p = start();
    let c = connect(&p, "demo_floats").await;
    c.batch_execute("CREATE TABLE f (id int PRIMARY KEY, d float8, r real)")
        .await
        .expect("create");

    // Literals and casts in PostgreSQL's spellings (simple protocol).
    c.batch_execute(
        "INSERT INTO f VALUES (1, 'NaN', 'nan'), (2, 'Infinity', '+inf'), \
         (3, '-Infinity', float4 '-INF'), (4, 1.5, 2.5); \
         INSERT INTO f VALUES (5, ' -inf '::float8, 'Infinity'::real)",
    )
    .await
    .expect("insert literals");

    // Text and binary parameters (tokio-postgres sends float8/float4 in binary).
    let ins = c
        .prepare("INSERT INTO f VALUES ($1, $2, $3)")
        .await
        .expect("prepare");
    for (id, d, r) in [
        (6, f64::NAN, f32::NAN),
        (7, f64::INFINITY, f32::NEG_INFINITY),
        (8, -0.5, 0.25),
    ] {
        c.execute(&ins, &[&id, &d, &r])
            .await
            .expect("binary params");
    }
    c.execute(
        "INSERT INTO f VALUES (9, $1::text::float8, $2::text::real)",
        &[&"-Infinity", &"NaN"],
    )
    .await
    .expect("text params cast");

    // Text results, ordered as PostgreSQL orders floats (NaN above Infinity).
    assert_eq!(
        column(&c, "SELECT d FROM f ORDER BY d, id").await,
        [
            "-Infinity",
            "-Infinity",
            "-Infinity",
            "-0.5",
            "1.5",
            "Infinity",
            "Infinity",
            "NaN",
            "NaN"
        ]
    );
    assert_eq!(
        column(&c, "SELECT id FROM f ORDER BY r DESC, id").await,
        ["1", "6", "9", "2", "5", "4", "8", "3", "7"]
    );
    assert_eq!(
        rows(&c, "SELECT * FROM f WHERE id IN (1, 2, 3) ORDER BY 1").await,
        [
            [Some("1".into()), Some("NaN".into()), Some("NaN".into())],
            [
                Some("2".into()),
                Some("Infinity".into()),
                Some("Infinity".into())
            ],
            [
                Some("3".into()),
                Some("-Infinity".into()),
                Some("-Infinity".into())
            ],
        ]
    );

    // Comparisons and filters.
    assert_eq!(
        column(&c, "SELECT id FROM f WHERE d = 'NaN' ORDER BY id").await,
        ["1", "6"]
    );
    assert_eq!(
        column(
            &c,
            "SELECT id FROM f WHERE d > 'Infinity' OR d = '-inf' ORDER BY id"
        )
        .await,
        ["1", "3", "5", "6", "9"]
    );
    assert_eq!(
        column(
            &c,
            "SELECT count(*) FROM f WHERE d < 'Infinity'::float8 AND d > '-Infinity'"
        )
        .await,
        ["2"]
    );
    assert_eq!(
        rows(&c, "SELECT max(d), min(r) FROM f").await,
        [[Some("NaN".into()), Some("-Infinity".into())]]
    );
    assert_eq!(
        column(
            &c,
            "SELECT d FROM f WHERE id = 2 UNION SELECT r FROM f WHERE id = 7"
        )
        .await
        .len(),
        2
    );
    assert_eq!(
        column(
            &c,
            "SELECT d FROM f WHERE id IN (2, 3) UNION ALL SELECT r FROM f WHERE id = 1 ORDER BY 1"
        )
        .await,
        ["-Infinity", "Infinity", "NaN"]
    );

    // Binary results and binary parameters in a WHERE.
    let sel = c
        .prepare("SELECT d, r FROM f WHERE d = $1 OR id = $2 ORDER BY id")
        .await
        .expect("prepare select");
    let got = c
        .query(&sel, &[&f64::NEG_INFINITY, &1i32])
        .await
        .expect("binary select");
    let got: Vec<(f64, f32)> = got.iter().map(|r| (r.get(0), r.get(1))).collect();
    let want = [
        (f64::NAN, f32::NAN),
        (f64::NEG_INFINITY, f32::NEG_INFINITY),
        (f64::NEG_INFINITY, f32::INFINITY),
        (f64::NEG_INFINITY, f32::NAN),
    ];
    assert_eq!(got.len(), want.len(), "{got:?}");
    for ((gd, gr), (wd, wr)) in got.iter().zip(want) {
        assert!(
            same(*gd, wd) && same(f64::from(*gr), f64::from(wr)),
            "{got:?}"
        );
    }
    let nan = c
        .query_one("SELECT count(*) FROM f WHERE d = $1", &[&f64::NAN])
        .await
        .expect("NaN parameter");
    assert_eq!(nan.get::<_, i64>(0), 2);

    // RETURNING and UPDATE with special values.
    let back = c
        .query_one(
            "UPDATE f SET d = $1 WHERE id = 4 RETURNING d, r",
            &[&f64::INFINITY],
        )
        .await
        .expect("update returning");
    assert_eq!(back.get::<_, f64>(0), f64::INFINITY);
    assert_eq!(back.get::<_, f32>(1), 2.5);
    assert_eq!(
        column(&c, "INSERT INTO f VALUES (10, '-inf', 'nan') RETURNING *").await,
        ["10"]
    );
    assert_eq!(
        rows(&c, "SELECT d::text, r::text FROM f WHERE id = 10").await,
        [[Some("-Infinity".into()), Some("NaN".into())]]
    );
    // SQL-level PREPARE / EXECUTE with special arguments.
    c.batch_execute(
        "PREPARE ins_f (int, float8, real) AS INSERT INTO f VALUES ($1, $2, $3); \
         EXECUTE ins_f(12, 'Infinity', 'NaN')",
    )
    .await
    .expect("execute");
    assert_eq!(
        rows(
            &c,
            "SELECT d, r FROM f WHERE id = 12 AND d > 1e308 AND r = 'NaN'"
        )
        .await,
        [[Some("Infinity".into()), Some("NaN".into())]]
    );
    // Bad input is PostgreSQL's error.
    let e = c
        .simple_query("INSERT INTO f VALUES (11, 'infinit', 0)")
        .await
        .expect_err("bad float");
    assert_eq!(e.code().map(|s| s.code()), Some("22P02"), "{e}");
}
