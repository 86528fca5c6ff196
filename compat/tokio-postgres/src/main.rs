//! tokio-postgres used as its users do: prepared statements (binary both ways), transactions
//! and savepoints, pipelined futures on one connection, cancel tokens, rustls TLS with a
//! CA file, and multi-host configs. Prints one JSON line per scenario.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_postgres::{Client, Config, NoTls};

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

fn base() -> Config {
    let mut c = Config::new();
    c.host(&env("PGHOST"))
        .port(env("PGPORT").parse().unwrap_or(5432))
        .user(&env("PGUSER"))
        .password(env("PGPASSWORD"))
        .dbname(&env("PGDATABASE"))
        .connect_timeout(Duration::from_secs(30));
    c
}

fn err(e: tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) => format!("{} {}", d.code().code(), d.message()),
        None => e.to_string(),
    }
}

fn code(e: &tokio_postgres::Error) -> String {
    e.code().map(|c| c.code().to_string()).unwrap_or_default()
}

async fn plain(cfg: Config) -> Result<Client, String> {
    let (client, conn) = cfg.connect(NoTls).await.map_err(err)?;
    tokio::spawn(conn);
    Ok(client)
}

fn tls(ca: Option<&str>) -> Result<tokio_postgres_rustls::MakeRustlsConnect, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let config = match ca {
        Some(path) => {
            let mut roots = rustls::RootCertStore::empty();
            let pem = std::fs::read(path).map_err(|e| e.to_string())?;
            for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
                roots
                    .add(cert.map_err(|e| e.to_string())?)
                    .map_err(|e| e.to_string())?;
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        None => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAny))
            .with_no_client_auth(),
    };
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// `sslmode=require`: encrypted, certificate not checked.
#[derive(Debug)]
struct AcceptAny;

impl rustls::client::danger::ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &rustls::pki_types::CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            m,
            c,
            d,
            &rustls::crypto::ring::default_provider().signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &rustls::pki_types::CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            m,
            c,
            d,
            &rustls::crypto::ring::default_provider().signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        rustls::crypto::ring::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

async fn tls_connect(ca: Option<&str>) -> Res {
    let mut cfg = base();
    cfg.ssl_mode(tokio_postgres::config::SslMode::Require);
    if ca.is_some() {
        cfg.host("localhost");
    }
    let (client, conn) = cfg.connect(tls(ca)?).await.map_err(err)?;
    tokio::spawn(conn);
    let n: i32 = client.query_one("SELECT 1", &[]).await.map_err(err)?.get(0);
    Ok(if n == 1 {
        vec![]
    } else {
        vec![format!("got {n}")]
    })
}

fn check(out: &mut Vec<String>, name: &str, ok: bool, got: impl std::fmt::Debug) {
    if !ok {
        out.push(format!("{name}: got {got:?}"));
    }
}

async fn crud(c: &Client) -> Res {
    c.batch_execute("DROP TABLE IF EXISTS types; CREATE TABLE types (id int PRIMARY KEY, i2 int2, i4 int4, i8 int8, f8 float8, num numeric(10,2), t text, vc varchar(20), b bool, by bytea, d date, ts timestamp, tstz timestamptz, u uuid, j json, jb jsonb)").await.map_err(err)?;
    let mut out = vec![];
    let tz = chrono::FixedOffset::east_opt(5 * 3600 + 1800).ok_or("tz")?;
    let d = chrono::NaiveDate::from_ymd_opt(2024, 2, 29).ok_or("date")?;
    let ts = d.and_hms_milli_opt(13, 14, 15, 500).ok_or("ts")?;
    let tstz = d
        .and_hms_opt(13, 14, 15)
        .ok_or("ts")?
        .and_local_timezone(tz)
        .single()
        .ok_or("tz")?;
    let u =
        uuid::Uuid::parse_str("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11").map_err(|e| e.to_string())?;
    let j = serde_json::json!({"a": [1, 2]});
    let jb = serde_json::json!({"b": 2, "a": 1});
    // numeric has no built-in Rust type in tokio-postgres: sent as text through a cast.
    let n = c
        .execute(
            "INSERT INTO types VALUES ($1, $2, $3, $4, $5, $6::text::numeric, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
            &[&1i32, &-32768i16, &2147483647i32, &9000000000000000000i64, &1.5f64, &"12.30", &"hé 'q'", &"vc", &true, &vec![0u8, 255, 0], &d, &ts, &tstz, &u, &j, &jb],
        )
        .await
        .map_err(err)?;
    check(&mut out, "insert count", n == 1, n);
    if let Err(e) = c
        .execute(
            "INSERT INTO types (id, f8) VALUES (2, $1), (3, $2), (4, $3)",
            &[&f64::NAN, &f64::INFINITY, &f64::NEG_INFINITY],
        )
        .await
    {
        out.push(format!("NaN/±Infinity insert: {}", err(e)));
    }
    let none: Option<i32> = None;
    c.execute(
        "INSERT INTO types (id, i4, t) VALUES (5, $1, $2)",
        &[&none, &None::<String>],
    )
    .await
    .map_err(err)?;
    let r = c
        .query_one("SELECT i2, i4, i8, f8, num::text, t, vc, b, by, d, ts, tstz, u, j, jb FROM types WHERE id = $1", &[&1i32])
        .await
        .map_err(err)?;
    check(
        &mut out,
        "i2",
        r.get::<_, i16>(0) == -32768,
        r.get::<_, i16>(0),
    );
    check(
        &mut out,
        "i4",
        r.get::<_, i32>(1) == 2147483647,
        r.get::<_, i32>(1),
    );
    check(
        &mut out,
        "i8",
        r.get::<_, i64>(2) == 9000000000000000000,
        r.get::<_, i64>(2),
    );
    check(
        &mut out,
        "f8",
        r.get::<_, f64>(3) == 1.5,
        r.get::<_, f64>(3),
    );
    check(
        &mut out,
        "num",
        r.get::<_, String>(4) == "12.30",
        r.get::<_, String>(4),
    );
    check(
        &mut out,
        "t",
        r.get::<_, String>(5) == "hé 'q'",
        r.get::<_, String>(5),
    );
    check(
        &mut out,
        "vc",
        r.get::<_, String>(6) == "vc",
        r.get::<_, String>(6),
    );
    check(&mut out, "b", r.get::<_, bool>(7), r.get::<_, bool>(7));
    check(
        &mut out,
        "by",
        r.get::<_, Vec<u8>>(8) == vec![0, 255, 0],
        r.get::<_, Vec<u8>>(8),
    );
    check(
        &mut out,
        "d",
        r.get::<_, chrono::NaiveDate>(9) == d,
        r.get::<_, chrono::NaiveDate>(9),
    );
    check(
        &mut out,
        "ts",
        r.get::<_, chrono::NaiveDateTime>(10) == ts,
        r.get::<_, chrono::NaiveDateTime>(10),
    );
    let g: chrono::DateTime<chrono::Utc> = r.get(11);
    check(&mut out, "tstz", g == tstz, g);
    check(
        &mut out,
        "u",
        r.get::<_, uuid::Uuid>(12) == u,
        r.get::<_, uuid::Uuid>(12),
    );
    check(
        &mut out,
        "j",
        r.get::<_, serde_json::Value>(13) == j,
        r.get::<_, serde_json::Value>(13),
    );
    check(
        &mut out,
        "jb",
        r.get::<_, serde_json::Value>(14) == jb,
        r.get::<_, serde_json::Value>(14),
    );
    if !out.iter().any(|e| e.starts_with("NaN")) {
        let f: Vec<f64> = c
            .query(
                "SELECT f8 FROM types WHERE id IN (2, 3, 4) ORDER BY id",
                &[],
            )
            .await
            .map_err(err)?
            .iter()
            .map(|r| r.get(0))
            .collect();
        check(
            &mut out,
            "NaN/±Infinity",
            f.len() == 3 && f[0].is_nan() && f[1] == f64::INFINITY && f[2] == f64::NEG_INFINITY,
            &f,
        );
    }
    let r = c
        .query_one("SELECT i4, t FROM types WHERE id = 5", &[])
        .await
        .map_err(err)?;
    check(
        &mut out,
        "NULLs",
        r.get::<_, Option<i32>>(0).is_none() && r.get::<_, Option<String>>(1).is_none(),
        "",
    );
    Ok(out)
}

async fn scenarios(c: &mut Client, name: &str) -> Res {
    let mut out = vec![];
    match name {
        "server_info" => {
            let r = c
                .query_one(
                    "SELECT version(), current_schema(), current_database()",
                    &[],
                )
                .await
                .map_err(err)?;
            let (v, s, d): (String, String, String) = (r.get(0), r.get(1), r.get(2));
            check(
                &mut out,
                "row",
                v.starts_with("PostgreSQL 1") && s == "public" && d == env("PGDATABASE"),
                (v, s, d),
            );
        }
        "ddl" => {
            c.batch_execute("DROP TABLE IF EXISTS child; DROP TABLE IF EXISTS parent; CREATE TABLE parent (id serial PRIMARY KEY, code text UNIQUE NOT NULL); CREATE TABLE child (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, parent_id int NOT NULL REFERENCES parent(id), note varchar(50)); CREATE INDEX child_parent_idx ON child (parent_id)").await.map_err(err)?;
            let pid: i32 = c
                .query_one(
                    "INSERT INTO parent (code) VALUES ($1) RETURNING id",
                    &[&"a"],
                )
                .await
                .map_err(err)?
                .get(0);
            let cid: i64 = c
                .query_one(
                    "INSERT INTO child (parent_id, note) VALUES ($1, $2) RETURNING id",
                    &[&pid, &"n"],
                )
                .await
                .map_err(err)?
                .get(0);
            check(&mut out, "ids", (pid, cid) == (1, 1), (pid, cid));
            let e = c
                .execute("INSERT INTO child (parent_id) VALUES ($1)", &[&999i32])
                .await;
            check(
                &mut out,
                "FK",
                e.as_ref().is_err_and(|e| code(e) == "23503"),
                e.map_err(err),
            );
        }
        "crud_binary" => return crud(c).await,
        "returning" => {
            c.batch_execute(
                "DROP TABLE IF EXISTS r; CREATE TABLE r (id serial PRIMARY KEY, v int)",
            )
            .await
            .map_err(err)?;
            let rows = c
                .query(
                    "INSERT INTO r (v) VALUES ($1), ($2), ($3) RETURNING id, v * 2",
                    &[&10i32, &20i32, &30i32],
                )
                .await
                .map_err(err)?;
            let got: Vec<(i32, i32)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
            check(
                &mut out,
                "RETURNING",
                got == vec![(1, 20), (2, 40), (3, 60)],
                &got,
            );
            let n = c
                .execute("UPDATE r SET v = v + 1 WHERE v >= $1", &[&20i32])
                .await
                .map_err(err)?;
            check(&mut out, "UPDATE count", n == 2, n);
        }
        "on_conflict" => {
            c.batch_execute("DROP TABLE IF EXISTS kv; CREATE TABLE kv (k text PRIMARY KEY, v int); INSERT INTO kv VALUES ('a', 1), ('b', 2)").await.map_err(err)?;
            let n = c
                .execute(
                    "INSERT INTO kv VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[&"a", &9i32],
                )
                .await
                .map_err(err)?;
            check(&mut out, "DO NOTHING", n == 0, n);
            let v: i32 = c.query_one("INSERT INTO kv VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = kv.v + excluded.v RETURNING v", &[&"b", &5i32]).await.map_err(err)?.get(0);
            check(&mut out, "DO UPDATE", v == 7, v);
        }
        "transactions" => {
            c.batch_execute("DROP TABLE IF EXISTS tx; CREATE TABLE tx (id int PRIMARY KEY)")
                .await
                .map_err(err)?;
            let t = c.transaction().await.map_err(err)?;
            t.execute("INSERT INTO tx VALUES ($1)", &[&1i32])
                .await
                .map_err(err)?;
            t.commit().await.map_err(err)?;
            let t = c.transaction().await.map_err(err)?;
            t.execute("INSERT INTO tx VALUES ($1)", &[&2i32])
                .await
                .map_err(err)?;
            t.rollback().await.map_err(err)?;
            let t = c.transaction().await.map_err(err)?;
            let e1 = t.execute("INSERT INTO tx VALUES ($1)", &[&1i32]).await;
            let e2 = t.execute("SELECT 1", &[]).await;
            check(
                &mut out,
                "23505",
                e1.as_ref().is_err_and(|e| code(e) == "23505"),
                e1.map_err(err),
            );
            check(
                &mut out,
                "25P02",
                e2.as_ref().is_err_and(|e| code(e) == "25P02"),
                e2.map_err(err),
            );
            t.rollback().await.map_err(err)?;
            let n: i64 = c
                .query_one("SELECT count(*) FROM tx", &[])
                .await
                .map_err(err)?
                .get(0);
            check(&mut out, "count", n == 1, n);
        }
        "savepoint" => {
            c.batch_execute("DROP TABLE IF EXISTS sp; CREATE TABLE sp (id int PRIMARY KEY)")
                .await
                .map_err(err)?;
            let mut t = c.transaction().await.map_err(err)?;
            t.execute("INSERT INTO sp VALUES (1)", &[])
                .await
                .map_err(err)?;
            let s = t.savepoint("s1").await.map_err(err)?;
            let _ = s.execute("INSERT INTO sp VALUES (1)", &[]).await;
            s.rollback().await.map_err(err)?;
            t.execute("INSERT INTO sp VALUES (2)", &[])
                .await
                .map_err(err)?;
            t.commit().await.map_err(err)?;
        }
        "errors" => {
            c.batch_execute("DROP TABLE IF EXISTS e; CREATE TABLE e (id int PRIMARY KEY, name text UNIQUE, req int NOT NULL); INSERT INTO e VALUES (1, 'x', 1)").await.map_err(err)?;
            let e = c
                .execute("INSERT INTO e VALUES ($1, $2, $3)", &[&2i32, &"x", &1i32])
                .await;
            let cons = e
                .as_ref()
                .err()
                .and_then(|e| e.as_db_error())
                .and_then(|d| d.constraint().map(String::from));
            check(
                &mut out,
                "23505",
                e.as_ref().is_err_and(|e| code(e) == "23505")
                    && cons.as_deref() == Some("e_name_key"),
                (e.map_err(err), cons),
            );
            for (q, want) in [
                ("SELECT * FROM no_such_table", "42P01"),
                ("SELECT no_such_column FROM e", "42703"),
                ("INSERT INTO e (id, name) VALUES (3, 'y')", "23502"),
            ] {
                let e = c.execute(q, &[]).await;
                check(
                    &mut out,
                    want,
                    e.as_ref().is_err_and(|e| code(e) == want),
                    e.map_err(err),
                );
            }
            let n: i64 = c
                .query_one("SELECT count(*) FROM e", &[])
                .await
                .map_err(err)?
                .get(0);
            check(&mut out, "alive", n == 1, n);
        }
        "reuse" => {
            c.batch_execute(
                "DROP TABLE IF EXISTS ru; CREATE TABLE ru (id int PRIMARY KEY, v text)",
            )
            .await
            .map_err(err)?;
            let ins = c
                .prepare("INSERT INTO ru VALUES ($1, $2)")
                .await
                .map_err(err)?;
            let sel = c
                .prepare("SELECT v FROM ru WHERE id = $1")
                .await
                .map_err(err)?;
            for i in 0..11i32 {
                let t = c.transaction().await.map_err(err)?;
                t.execute(&ins, &[&i, &format!("v{i}")])
                    .await
                    .map_err(err)?;
                let v: String = t.query_one(&sel, &[&i]).await.map_err(err)?.get(0);
                check(&mut out, "read back", v == format!("v{i}"), v);
                t.commit().await.map_err(err)?;
            }
        }
        "pipeline" => {
            c.batch_execute("DROP TABLE IF EXISTS pl; CREATE TABLE pl (id int PRIMARY KEY)")
                .await
                .map_err(err)?;
            let ins = c.prepare("INSERT INTO pl VALUES ($1)").await.map_err(err)?;
            let futs: Vec<_> = (0..30i32)
                .map(|i| {
                    let (c, ins) = (&*c, ins.clone());
                    async move { c.execute(&ins, &[&i]).await }
                })
                .collect();
            for r in futures_util::future::join_all(futs).await {
                r.map_err(err)?;
            }
            let n: i64 = c
                .query_one("SELECT count(*) FROM pl", &[])
                .await
                .map_err(err)?
                .get(0);
            check(&mut out, "count", n == 30, n);
        }
        "cancel" => {
            let token = c.cancel_token();
            let q = c.query_one("WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 200000000) SELECT count(*) FROM c", &[]);
            let start = Instant::now();
            let cancel = async {
                tokio::time::sleep(Duration::from_secs(1)).await;
                token.cancel_query(NoTls).await
            };
            let (r, c2) = tokio::join!(q, cancel);
            let took = start.elapsed();
            c2.map_err(err)?;
            check(
                &mut out,
                "57014",
                r.as_ref().is_err_and(|e| code(e) == "57014"),
                r.map(|_| ()).map_err(err),
            );
            check(&mut out, "took", took < Duration::from_secs(10), took);
        }
        "introspection" => {
            // A type tokio-postgres does not know built in (an enum-free domain-free composite:
            // the table's row type) makes it query pg_type / pg_attribute itself.
            c.batch_execute("DROP TABLE IF EXISTS it; CREATE TABLE it (a int, b text)")
                .await
                .map_err(err)?;
            let st = c.prepare("SELECT $1::regclass::oid").await;
            check(
                &mut out,
                "regclass param",
                st.is_ok(),
                st.map(|_| ()).map_err(err),
            );
        }
        _ => return Err(format!("unknown scenario {name}")),
    }
    Ok(out)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let report = |name: &str, r: Res| match r {
        Ok(v) => emit(name, Some(v.is_empty()), &v.join("; ")),
        Err(e) => emit(name, Some(false), &e),
    };
    let r = async {
        let c = plain(base()).await?;
        c.query_one("SELECT 1", &[]).await.map_err(err)?;
        Ok(vec![])
    }
    .await;
    report("connect", r);
    report("tls_require", tls_connect(None).await);
    report(
        "tls_verify_full",
        tls_connect(Some(&env("COMPAT_CA"))).await,
    );
    let mut bad = base();
    bad.password("wrong");
    match bad.connect(NoTls).await {
        Ok(_) => emit("wrong_password", Some(false), "connected"),
        Err(e) => emit("wrong_password", Some(code(&e) == "28P01"), &err(e)),
    }
    // libpq-style host list: the first host is a closed port.
    let mut m = Config::new();
    m.host("127.0.0.1")
        .host(&env("PGHOST"))
        .port(env("COMPAT_DEAD_PORT").parse().unwrap_or(1))
        .port(env("PGPORT").parse().unwrap_or(5432))
        .user(&env("PGUSER"))
        .password(env("PGPASSWORD"))
        .dbname(&env("PGDATABASE"))
        .connect_timeout(Duration::from_secs(30))
        .target_session_attrs(tokio_postgres::config::TargetSessionAttrs::ReadWrite);
    let r = async {
        let c = plain(m).await?;
        c.query_one("SELECT 1", &[]).await.map_err(err)?;
        Ok(vec![])
    }
    .await;
    report("multihost", r);
    let mut c = match plain(base()).await {
        Ok(c) => c,
        Err(e) => {
            emit("harness", Some(false), &e);
            std::process::exit(1);
        }
    };
    for name in [
        "server_info",
        "ddl",
        "crud_binary",
        "returning",
        "on_conflict",
        "transactions",
        "savepoint",
        "errors",
        "reuse",
        "pipeline",
        "introspection",
        "cancel",
    ] {
        if c.is_closed() {
            match plain(base()).await {
                Ok(n) => c = n,
                Err(e) => {
                    emit(name, Some(false), &format!("reconnect: {e}"));
                    continue;
                }
            }
        }
        let r = tokio::time::timeout(Duration::from_secs(120), scenarios(&mut c, name)).await;
        report(
            name,
            r.unwrap_or_else(|_| Err("timed out after 120s".into())),
        );
    }
    emit("crud_text", None, "tokio-postgres reads binary only");
}
