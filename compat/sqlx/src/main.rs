//! sqlx (runtime queries, no compile-time macros) used as its users do: PgConnectOptions with
//! sslmode and a root certificate, the runtime Migrator (advisory lock, _sqlx_migrations),
//! `query`/`query_as` with binds (prepared and cached per connection, binary results),
//! `raw_sql` (simple protocol, text results), transactions with nested savepoints, database
//! error codes and constraint names, and `Executor::describe` (what `query!` asks at build
//! time). Prints one JSON line per scenario.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgRow, PgSslMode};
use sqlx::{Column, Connection, Executor, Row};

type Res = Result<Vec<String>, String>;

fn emit(scenario: &str, ok: Option<bool>, message: &str) {
    let message: String = message.chars().take(400).collect();
    println!(
        "{}",
        serde_json::json!({"scenario": scenario, "ok": ok, "message": message})
    );
}

fn env(k: &str) -> String {
    std::env::var(k).unwrap_or_default()
}

fn opts() -> PgConnectOptions {
    PgConnectOptions::new()
        .host(&env("PGHOST"))
        .port(env("PGPORT").parse().unwrap_or(5432))
        .username(&env("PGUSER"))
        .password(&env("PGPASSWORD"))
        .database(&env("PGDATABASE"))
        .ssl_mode(PgSslMode::Disable)
}

fn err(e: sqlx::Error) -> String {
    match e.as_database_error() {
        Some(d) => format!("{} {}", d.code().unwrap_or_default(), d.message()),
        None => e.to_string(),
    }
}

fn code(e: &sqlx::Error) -> String {
    e.as_database_error()
        .and_then(|d| d.code().map(|c| c.to_string()))
        .unwrap_or_default()
}

fn check(out: &mut Vec<String>, what: &str, ok: bool, got: impl std::fmt::Debug) {
    if !ok {
        out.push(format!("{what}: got {got:?}"));
    }
}

async fn connect(o: PgConnectOptions) -> Result<PgConnection, String> {
    tokio::time::timeout(Duration::from_secs(60), PgConnection::connect_with(&o))
        .await
        .map_err(|_| "connect timed out".to_string())?
        .map_err(err)
}

async fn one_i32(c: &mut PgConnection, sql: &str) -> Result<i32, String> {
    sqlx::query_scalar::<_, i32>(sql)
        .fetch_one(c)
        .await
        .map_err(err)
}

const TYPES_DDL: &str = "DROP TABLE IF EXISTS sx_types; CREATE TABLE sx_types (id int PRIMARY KEY, i2 int2, i4 int4, i8 int8, f8 float8, num numeric(10,2), t text, vc varchar(20), b bool, by bytea, d date, ts timestamp, tstz timestamptz, u uuid, j json, jb jsonb)";
const COLS: &str = "i2, i4, i8, f8, num, t, vc, b, by, d, ts, tstz, u, j, jb";

fn tstz() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2024-02-29T13:14:15.5+05:30").unwrap_or_default()
}

fn ts() -> NaiveDateTime {
    NaiveDateTime::parse_from_str("2024-02-29 13:14:15.5", "%Y-%m-%d %H:%M:%S%.f").unwrap_or_default()
}

/// Compares a row of the types table, read in either result format.
fn check_row(out: &mut Vec<String>, r: &PgRow) {
    macro_rules! col {
        ($name:literal, $t:ty, $want:expr) => {
            match r.try_get::<$t, _>($name) {
                Ok(v) => check(out, $name, v == $want, v),
                Err(e) => out.push(format!("{}: {}", $name, e)),
            }
        };
    }
    col!("i2", i16, -32768);
    col!("i4", i32, 2147483647);
    col!("i8", i64, 9000000000000000000);
    col!("f8", f64, 1.5);
    col!("num", Decimal, Decimal::from_str("12.30").unwrap_or_default());
    col!("t", String, "hé 'q'");
    col!("vc", String, "vc");
    col!("b", bool, true);
    col!("by", Vec<u8>, vec![0u8, 255, 0]);
    col!("d", NaiveDate, NaiveDate::from_ymd_opt(2024, 2, 29).unwrap_or_default());
    col!("ts", NaiveDateTime, ts());
    col!("tstz", DateTime<Utc>, tstz().with_timezone(&Utc));
    col!("u", uuid::Uuid, uuid::Uuid::from_str("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11").unwrap_or_default());
    col!("j", serde_json::Value, serde_json::json!({"a": [1, 2]}));
    col!("jb", serde_json::Value, serde_json::json!({"a": 1, "b": 2}));
}

async fn insert_row(c: &mut PgConnection) -> Result<(), String> {
    let sql = format!("INSERT INTO sx_types (id, {COLS}) VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)");
    let n = sqlx::query(&sql)
        .bind(-32768i16)
        .bind(2147483647i32)
        .bind(9000000000000000000i64)
        .bind(1.5f64)
        .bind(Decimal::from_str("12.30").unwrap_or_default())
        .bind("hé 'q'")
        .bind("vc")
        .bind(true)
        .bind(vec![0u8, 255, 0])
        .bind(NaiveDate::from_ymd_opt(2024, 2, 29))
        .bind(ts())
        .bind(tstz())
        .bind(uuid::Uuid::from_str("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11").ok())
        .bind(sqlx::types::Json(serde_json::json!({"a": [1, 2]})))
        .bind(sqlx::types::Json(serde_json::json!({"b": 2, "a": 1})))
        .execute(&mut *c)
        .await
        .map_err(err)?;
    if n.rows_affected() != 1 {
        return Err(format!("INSERT affected {}", n.rows_affected()));
    }
    Ok(())
}

async fn crud(c: &mut PgConnection, binary: bool) -> Res {
    let mut out = vec![];
    sqlx::raw_sql(TYPES_DDL).execute(&mut *c).await.map_err(err)?;
    insert_row(c).await?;
    let specials = sqlx::query("INSERT INTO sx_types (id, f8) VALUES (2, $1), (3, $2), (4, $3)")
        .bind(f64::NAN)
        .bind(f64::INFINITY)
        .bind(f64::NEG_INFINITY)
        .execute(&mut *c)
        .await;
    let special_ok = specials.is_ok();
    if let Err(e) = specials {
        out.push(format!("NaN/±Infinity insert: {}", err(e)));
    }
    sqlx::query(&format!("INSERT INTO sx_types (id, {COLS}) VALUES (5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)"))
        .execute(&mut *c)
        .await
        .map_err(err)?;
    let row_sql = format!("SELECT {COLS} FROM sx_types WHERE id = 1");
    let row = if binary {
        sqlx::query(&row_sql).fetch_one(&mut *c).await
    } else {
        // raw_sql goes through the simple-query protocol: every value arrives as text.
        sqlx::raw_sql(&row_sql).fetch_one(&mut *c).await
    }
    .map_err(err)?;
    check_row(&mut out, &row);
    if special_ok {
        let sql = "SELECT f8 FROM sx_types WHERE id IN (2, 3, 4) ORDER BY id";
        let rows = if binary {
            sqlx::query(sql).fetch_all(&mut *c).await
        } else {
            sqlx::raw_sql(sql).fetch_all(&mut *c).await
        }
        .map_err(err)?;
        let v: Vec<String> = rows.iter().map(|r| r.get::<f64, _>(0).to_string()).collect();
        check(&mut out, "NaN/±Infinity", v == ["NaN", "inf", "-inf"], v);
    }
    let nulls = sqlx::query("SELECT i4, t, u, jb FROM sx_types WHERE id = 5")
        .fetch_one(&mut *c)
        .await
        .map_err(err)?;
    check(
        &mut out,
        "NULLs",
        nulls.get::<Option<i32>, _>(0).is_none()
            && nulls.get::<Option<String>, _>(1).is_none()
            && nulls.get::<Option<uuid::Uuid>, _>(2).is_none()
            && nulls.get::<Option<serde_json::Value>, _>(3).is_none(),
        "",
    );
    let n = sqlx::query("UPDATE sx_types SET t = $1 WHERE id = $2")
        .bind("upd")
        .bind(1i32)
        .execute(&mut *c)
        .await
        .map_err(err)?;
    check(&mut out, "UPDATE count", n.rows_affected() == 1, n.rows_affected());
    let n = sqlx::query("DELETE FROM sx_types WHERE id > $1")
        .bind(1i32)
        .execute(&mut *c)
        .await
        .map_err(err)?;
    let want = if special_ok { 4 } else { 1 };
    check(&mut out, "DELETE count", n.rows_affected() == want, n.rows_affected());
    Ok(out)
}

async fn scenario(c: &mut PgConnection, name: &str) -> Res {
    let mut out = vec![];
    match name {
        "server_info" => {
            let r = sqlx::query("SELECT version(), current_schema(), current_database()")
                .fetch_one(&mut *c)
                .await
                .map_err(err)?;
            let (v, s, d): (String, String, String) = (r.get(0), r.get(1), r.get(2));
            check(
                &mut out,
                "row",
                v.starts_with("PostgreSQL 1") && s == "public" && d == env("PGDATABASE"),
                (v, s, d),
            );
            let sv = c.server_version_num();
            check(&mut out, "server_version_num", sv.is_some_and(|v| v >= 140000), sv);
        }
        "ddl" => {
            sqlx::raw_sql("DROP TABLE IF EXISTS sx_book; DROP TABLE IF EXISTS sx_author; DROP TABLE IF EXISTS _sqlx_migrations")
                .execute(&mut *c)
                .await
                .map_err(err)?;
            let dir = Path::new("migrations");
            let m = sqlx::migrate::Migrator::new(dir).await.map_err(|e| e.to_string())?;
            m.run(&mut *c).await.map_err(|e| e.to_string())?;
            let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
                .fetch_one(&mut *c)
                .await
                .map_err(err)?;
            check(&mut out, "applied migrations", applied == 2, applied);
            // A second run finds both applied (and their checksums unchanged).
            m.run(&mut *c).await.map_err(|e| e.to_string())?;
            let id: i32 = sqlx::query_scalar("INSERT INTO sx_author (name) VALUES ($1) RETURNING id")
                .bind("a")
                .fetch_one(&mut *c)
                .await
                .map_err(err)?;
            let bid: i64 = sqlx::query_scalar("INSERT INTO sx_book (author_id, title, price) VALUES ($1, $2, $3) RETURNING id")
                .bind(id)
                .bind("t")
                .bind(Decimal::from_str("9.99").unwrap_or_default())
                .fetch_one(&mut *c)
                .await
                .map_err(err)?;
            check(&mut out, "ids", (id, bid) == (1, 1), (id, bid));
            let e = sqlx::query("INSERT INTO sx_book (author_id, title) VALUES ($1, $2)")
                .bind(999i32)
                .bind("x")
                .execute(&mut *c)
                .await;
            check(&mut out, "FK", e.as_ref().is_err_and(|e| code(e) == "23503"), e.map_err(err));
        }
        "crud_text" => return crud(c, false).await,
        "crud_binary" => return crud(c, true).await,
        "returning" => {
            sqlx::raw_sql("DROP TABLE IF EXISTS sx_r; CREATE TABLE sx_r (id serial PRIMARY KEY, v int)")
                .execute(&mut *c)
                .await
                .map_err(err)?;
            let rows: Vec<(i32, i32)> = sqlx::query_as("INSERT INTO sx_r (v) VALUES ($1), ($2), ($3) RETURNING id, v * 2")
                .bind(10i32)
                .bind(20i32)
                .bind(30i32)
                .fetch_all(&mut *c)
                .await
                .map_err(err)?;
            check(&mut out, "RETURNING", rows == vec![(1, 20), (2, 40), (3, 60)], &rows);
            let n = sqlx::query("UPDATE sx_r SET v = v + 1 WHERE v >= $1")
                .bind(20i32)
                .execute(&mut *c)
                .await
                .map_err(err)?;
            check(&mut out, "UPDATE count", n.rows_affected() == 2, n.rows_affected());
        }
        "on_conflict" => {
            sqlx::raw_sql("DROP TABLE IF EXISTS sx_kv; CREATE TABLE sx_kv (k text PRIMARY KEY, v int); INSERT INTO sx_kv VALUES ('a', 1), ('b', 2)")
                .execute(&mut *c)
                .await
                .map_err(err)?;
            let n = sqlx::query("INSERT INTO sx_kv VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind("a")
                .bind(9i32)
                .execute(&mut *c)
                .await
                .map_err(err)?;
            check(&mut out, "DO NOTHING", n.rows_affected() == 0, n.rows_affected());
            let v: i32 = sqlx::query_scalar("INSERT INTO sx_kv VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = sx_kv.v + excluded.v RETURNING v")
                .bind("b")
                .bind(5i32)
                .fetch_one(&mut *c)
                .await
                .map_err(err)?;
            check(&mut out, "DO UPDATE", v == 7, v);
        }
        "transactions" => {
            sqlx::raw_sql("DROP TABLE IF EXISTS sx_tx; CREATE TABLE sx_tx (id int PRIMARY KEY)")
                .execute(&mut *c)
                .await
                .map_err(err)?;
            let mut t = c.begin().await.map_err(err)?;
            sqlx::query("INSERT INTO sx_tx VALUES ($1)").bind(1i32).execute(&mut *t).await.map_err(err)?;
            t.commit().await.map_err(err)?;
            let mut t = c.begin().await.map_err(err)?;
            sqlx::query("INSERT INTO sx_tx VALUES ($1)").bind(2i32).execute(&mut *t).await.map_err(err)?;
            t.rollback().await.map_err(err)?;
            let mut t = c.begin().await.map_err(err)?;
            let e1 = sqlx::query("INSERT INTO sx_tx VALUES ($1)").bind(1i32).execute(&mut *t).await;
            let e2 = sqlx::query("SELECT 1").execute(&mut *t).await;
            check(&mut out, "23505", e1.as_ref().is_err_and(|e| code(e) == "23505"), e1.map_err(err));
            check(&mut out, "25P02", e2.as_ref().is_err_and(|e| code(e) == "25P02"), e2.map_err(err));
            t.rollback().await.map_err(err)?;
            let ids: Vec<i32> = sqlx::query_scalar("SELECT id FROM sx_tx ORDER BY id")
                .fetch_all(&mut *c)
                .await
                .map_err(err)?;
            check(&mut out, "rows", ids == vec![1], ids);
        }
        "savepoint" => {
            let mut t = c.begin().await.map_err(err)?;
            sqlx::query("INSERT INTO sx_tx VALUES ($1)").bind(10i32).execute(&mut *t).await.map_err(err)?;
            {
                // A nested begin() is a SAVEPOINT; dropping it unfinished rolls back to it.
                let mut s = t.begin().await.map_err(err)?;
                sqlx::query("INSERT INTO sx_tx VALUES ($1)").bind(11i32).execute(&mut *s).await.map_err(err)?;
                let e = sqlx::query("INSERT INTO sx_tx VALUES ($1)").bind(10i32).execute(&mut *s).await;
                check(&mut out, "23505 in savepoint", e.as_ref().is_err_and(|e| code(e) == "23505"), e.map_err(err));
                s.rollback().await.map_err(err)?;
            }
            {
                let mut s = t.begin().await.map_err(err)?;
                sqlx::query("INSERT INTO sx_tx VALUES ($1)").bind(12i32).execute(&mut *s).await.map_err(err)?;
                s.commit().await.map_err(err)?;
            }
            t.commit().await.map_err(err)?;
            let ids: Vec<i32> = sqlx::query_scalar("SELECT id FROM sx_tx WHERE id >= 10 ORDER BY id")
                .fetch_all(&mut *c)
                .await
                .map_err(err)?;
            check(&mut out, "rows", ids == vec![10, 12], ids);
        }
        "errors" => {
            let e = sqlx::query("INSERT INTO sx_author (name) VALUES ($1)").bind("a").execute(&mut *c).await;
            let constraint = e
                .as_ref()
                .err()
                .and_then(|e| e.as_database_error())
                .and_then(|d| d.constraint().map(str::to_string));
            check(
                &mut out,
                "23505",
                e.as_ref().is_err_and(|e| code(e) == "23505") && constraint.as_deref() == Some("sx_author_name_key"),
                (e.map_err(err), constraint),
            );
            for (sql, want) in [
                ("SELECT * FROM sx_missing", "42P01"),
                ("SELECT nope FROM sx_author", "42703"),
                ("INSERT INTO sx_author (name) VALUES (NULL)", "23502"),
            ] {
                let e = sqlx::query(sql).execute(&mut *c).await;
                check(&mut out, want, e.as_ref().is_err_and(|e| code(e) == want), e.map_err(err));
            }
            check(&mut out, "connection afterwards", one_i32(c, "SELECT 1").await? == 1, "");
        }
        "reuse" => {
            // sqlx caches each statement per connection: runs 2..10 reuse the named statement,
            // also across transactions.
            for i in 0..10i32 {
                let mut t = c.begin().await.map_err(err)?;
                let v: i32 = sqlx::query_scalar("SELECT $1::int4 + 1")
                    .bind(i)
                    .fetch_one(&mut *t)
                    .await
                    .map_err(err)?;
                check(&mut out, &format!("run {i}"), v == i + 1, v);
                t.commit().await.map_err(err)?;
            }
            let mut s = c.begin().await.map_err(err)?;
            let v: i32 = sqlx::query_scalar("SELECT $1::int4 + 1").bind(41).fetch_one(&mut *s).await.map_err(err)?;
            s.rollback().await.map_err(err)?;
            check(&mut out, "after rollback", v == 42, v);
        }
        "introspection" => {
            let d = c
                .describe("SELECT b.id, b.title, b.price, a.name FROM sx_book b JOIN sx_author a ON a.id = b.author_id WHERE b.author_id = $1")
                .await
                .map_err(err)?;
            let cols: Vec<String> = d.columns().iter().map(|c| format!("{}:{}", c.name(), sqlx::TypeInfo::name(c.type_info()))).collect();
            check(
                &mut out,
                "columns",
                cols == ["id:INT8", "title:TEXT", "price:NUMERIC", "name:VARCHAR"],
                &cols,
            );
            let params: Vec<String> = match d.parameters() {
                Some(sqlx::Either::Left(p)) => p.iter().map(|t| sqlx::TypeInfo::name(t).to_string()).collect(),
                other => vec![format!("{other:?}")],
            };
            check(&mut out, "parameters", params == ["INT4"], &params);
            let nullable: Vec<Option<bool>> = (0..4).map(|i| d.nullable(i)).collect();
            check(
                &mut out,
                "nullability",
                nullable == [Some(false), Some(false), Some(true), Some(false)],
                &nullable,
            );
        }
        _ => return Err(format!("unknown scenario {name}")),
    }
    Ok(out)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let report = |name: &str, r: Res| match r {
        Ok(v) if v.is_empty() => emit(name, Some(true), ""),
        Ok(v) => emit(name, Some(false), &v.join("; ")),
        Err(e) => emit(name, Some(false), &e),
    };
    let mut c = match connect(opts()).await {
        Ok(c) => {
            emit("connect", Some(true), "");
            c
        }
        Err(e) => {
            emit("connect", Some(false), &e);
            return;
        }
    };
    let tls = |mode, ca: Option<String>| async move {
        let mut o = opts().ssl_mode(mode);
        if let Some(ca) = ca {
            o = o.ssl_root_cert(ca).host("localhost");
        }
        let mut c = connect(o).await?;
        let v = one_i32(&mut c, "SELECT 1").await?;
        c.close().await.map_err(err)?;
        Ok(if v == 1 { vec![] } else { vec![format!("got {v}")] })
    };
    report("tls_require", tls(PgSslMode::Require, None).await);
    report("tls_verify_full", tls(PgSslMode::VerifyFull, Some(env("COMPAT_CA"))).await);
    let wrong = match PgConnection::connect_with(&opts().password("wrong")).await {
        Ok(_) => Err("connected with a wrong password".to_string()),
        Err(e) if code(&e) == "28P01" => Ok(vec![]),
        Err(e) => Err(err(e)),
    };
    report("wrong_password", wrong);
    for name in [
        "server_info", "ddl", "crud_text", "crud_binary", "returning", "on_conflict",
        "transactions", "savepoint", "errors", "reuse", "introspection",
    ] {
        let r = scenario(&mut c, name).await;
        if r.is_err() && c.ping().await.is_err() {
            match connect(opts()).await {
                Ok(n) => c = n,
                Err(e) => {
                    report(name, r);
                    emit("harness", Some(false), &format!("reconnect failed: {e}"));
                    return;
                }
            }
        }
        report(name, r);
    }
    emit("pipeline", None, "sqlx sends one statement at a time (no pipelining API)");
    emit("cancel", None, "sqlx has no cancel request API (dropping a future closes the connection)");
    emit("multihost", None, "PgConnectOptions takes a single host");
}
