//! The front door against the real binary, with real clients (tokio-postgres and psql):
//! SCRAM, TLS, database-name checks, the clear error when rqlited is missing, and a clean
//! stop on SIGINT. These need no rqlite: every case is decided before a database opens.

mod common;

use std::process::Command;

use common::Pgrq;

/// Forces "rqlited missing", whatever this machine has installed.
const NO_RQLITED: (&str, &str) = ("PGRQ_RQLITE__BINARY", "/nonexistent/rqlited");

async fn connect_err(p: &Pgrq, user: &str, pw: &str, db: &str) -> tokio_postgres::Error {
    match tokio_postgres::connect(&p.conn_str(user, pw, db), tokio_postgres::NoTls).await {
        Ok(_) => panic!("connection as {user} to {db} should have failed"),
        Err(e) => e,
    }
}

fn code(e: &tokio_postgres::Error) -> String {
    e.as_db_error()
        .map(|d| d.code().code().to_string())
        .unwrap_or_else(|| format!("no db error: {e}"))
}

#[tokio::test]
async fn scram_rejects_wrong_password_and_unknown_user() {
    let p = Pgrq::start(&[NO_RQLITED]);
    assert_eq!(
        code(&connect_err(&p, "demo", "wrong", "demo_app").await),
        "28P01"
    );
    assert_eq!(
        code(&connect_err(&p, "nobody", "demo", "nobody_app").await),
        "28P01"
    );
}

#[tokio::test]
async fn database_names_are_checked_after_authentication() {
    let p = Pgrq::start(&[NO_RQLITED]);
    let e = connect_err(&p, "demo", "demo", "shop_orders").await;
    assert_eq!(code(&e), "28000", "{e}");
    let e = connect_err(&p, "demo", "demo", "demo_Bad").await;
    assert_eq!(code(&e), "42602", "{e}");
}

#[tokio::test]
async fn missing_rqlited_says_what_to_run() {
    let p = Pgrq::start(&[NO_RQLITED]);
    let e = connect_err(&p, "demo", "demo", "demo_app").await;
    let db = e.as_db_error().expect("a database error");
    assert_eq!(db.code().code(), "57P03");
    assert_eq!(db.severity(), "FATAL");
    let text = format!("{} {}", db.message(), db.hint().unwrap_or(""));
    assert!(text.contains("scripts/install-rqlited.sh"), "{text}");
}

#[test]
fn psql_over_tls_reaches_scram_and_gets_clear_errors() {
    let p = Pgrq::start(&[NO_RQLITED]);
    let run = |pw: &str, extra: &str| {
        let out = Command::new("psql")
            .arg(format!(
                "host=127.0.0.1 port={} user=demo dbname=demo_app sslmode=require {extra}",
                p.port
            ))
            .args(["-c", "select 1"])
            .env("PGPASSWORD", pw)
            .env("PGCONNECT_TIMEOUT", "20")
            .output()
            .expect("psql is installed (.ci/run installs postgresql-client)");
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    let wrong = run("wrong", "");
    assert!(wrong.contains("password authentication failed"), "{wrong}");
    let missing = run("demo", "");
    assert!(missing.contains("scripts/install-rqlited.sh"), "{missing}");
    // Without TLS the same checks apply.
    let plain = run("wrong", "sslmode=disable");
    assert!(plain.contains("password authentication failed"), "{plain}");
}

#[test]
fn sslmode_require_fails_when_tls_is_off() {
    let p = Pgrq::start(&[NO_RQLITED, ("PGRQ_TLS__MODE", "off")]);
    let out = Command::new("psql")
        .arg(format!(
            "host=127.0.0.1 port={} user=demo dbname=demo_app sslmode=require",
            p.port
        ))
        .args(["-c", "select 1"])
        .env("PGPASSWORD", "demo")
        .output()
        .expect("psql is installed");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not support SSL"), "{err}");
}

#[test]
fn sigint_stops_cleanly() {
    let mut p = Pgrq::start(&[NO_RQLITED]);
    let status = p.interrupt().expect("pgrq exits within 30 s of SIGINT");
    assert!(status.success(), "exit status {status:?}\n{}", p.output());
}

#[test]
fn invalid_config_lists_every_problem() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("bad.toml");
    std::fs::write(
        &file,
        "[database]\nreplication_factor = 0\n[proxy]\nlisten_address = \"x\"\n[[apps]]\nname = \"Bad_Name\"\npassword = \"\"\n",
    )
    .expect("write config");
    let out = Command::new(env!("CARGO_BIN_EXE_pgrq"))
        .args(["up", "--single", "--config"])
        .arg(&file)
        .output()
        .expect("run pgrq");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for needle in [
        "replication_factor",
        "listen_address",
        "apps[0].name",
        "empty password",
    ] {
        assert!(err.contains(needle), "missing {needle} in {err}");
    }
}
