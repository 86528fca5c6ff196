//! The differential SQL corpus (`compat/sql/cases/*.slt`, expected results recorded from
//! PostgreSQL 15) replayed in the simple and the extended protocol, each file in a fresh
//! database.
//!
//! - Default: against the real `pgrq` binary with real rqlited clusters (one pgrq per file,
//!   two databases in it). Prints per-file and total pass rates, writes
//!   `compat/sql/RESULTS.md` and `compat/KNOWN_GAPS.md`, and fails when a protocol's pass
//!   rate is below `compat/sql/THRESHOLD`. Without an rqlited binary it prints that it did
//!   not run and returns.
//! - `PGRQ_DIFF_PG=<conninfo>`: against that PostgreSQL instead (each file in a database
//!   created for it); must pass 100%. With `PGRQ_DIFF_RECORD=1` it first rewrites the
//!   expected results from PostgreSQL's answers. `compat/sql/record` drives both.
//! - `PGRQ_DIFF_ONLY="word …"`: only the files whose name contains one of the words
//!   (reports and the threshold are then left alone).

#[path = "../common/mod.rs"]
mod common;
mod exec;
mod pgtext;
mod report;
mod slt;

use std::path::{Path, PathBuf};

use tokio_postgres::{Client, NoTls};

use common::Pgrq;
use exec::Protocol;
use pgrq::node::locate::{RQLITE_VERSION, default_cache_root, locate_rqlited};
use report::{Failure, FileResult, TypeDiff};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The case files to run, sorted, filtered by `PGRQ_DIFF_ONLY`.
fn case_files() -> (Vec<PathBuf>, bool) {
    let dir = root().join("compat/sql/cases");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "slt"))
        .collect();
    files.sort();
    let only = std::env::var("PGRQ_DIFF_ONLY").unwrap_or_default();
    let words: Vec<&str> = only.split_whitespace().collect();
    if words.is_empty() {
        return (files, false);
    }
    files.retain(|p| words.iter().any(|w| stem(p).contains(w)));
    (files, true)
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

async fn connect(conninfo: &str) -> Result<Client, tokio_postgres::Error> {
    let (client, conn) = tokio_postgres::connect(conninfo, NoTls).await?;
    tokio::spawn(conn);
    Ok(client)
}

/// Where the corpus runs: a PostgreSQL server, or a pgrq started per file.
enum Target {
    Postgres { base: String, admin: Client },
    Pgrq { rqlited: PathBuf },
}

/// Keeps the pgrq of the current file alive while its databases are used.
enum Host {
    Postgres,
    Pgrq(Pgrq),
}

impl Target {
    async fn host(&self) -> Host {
        match self {
            Target::Postgres { .. } => Host::Postgres,
            Target::Pgrq { rqlited } => Host::Pgrq(start_pgrq(rqlited)),
        }
    }

    async fn database(&self, host: &Host, name: &str) -> Client {
        match (self, host) {
            (Target::Postgres { base, admin }, _) => {
                let db = format!("slt_{name}");
                for sql in [
                    format!("DROP DATABASE IF EXISTS {db}"),
                    format!("CREATE DATABASE {db}"),
                ] {
                    admin
                        .batch_execute(&sql)
                        .await
                        .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
                }
                connect(&format!("{base} dbname={db}"))
                    .await
                    .unwrap_or_else(|e| panic!("connect to {db}: {e}"))
            }
            (_, Host::Pgrq(p)) => {
                // Creating a database starts its replicas; on a loaded machine an election can
                // miss the wake timeout (or a probed port be taken meanwhile): try again, a
                // few times, before giving up.
                let db = format!("demo_{name}");
                let conninfo = format!("{} connect_timeout=90", p.conn_str("demo", "demo", &db));
                let mut attempt = 1;
                loop {
                    match connect(&conninfo).await {
                        Ok(c) => break c,
                        Err(e) if attempt < 3 => {
                            println!("connect to {db} (attempt {attempt}): {e:?}; retrying");
                            attempt += 1;
                        }
                        Err(e) => panic!("connect to {db}: {e:?}\n{}", p.output()),
                    }
                }
            }
            (Target::Pgrq { .. }, Host::Postgres) => unreachable!("pgrq target without pgrq"),
        }
    }
}

/// Replicas per database: 3 as in production unless `PGRQ_DIFF_REPLICAS` says otherwise.
fn start_pgrq(rqlited: &Path) -> Pgrq {
    // One pgrq at a time per test process; distinct ranges across processes.
    let base = common::port_base();
    let replicas = std::env::var("PGRQ_DIFF_REPLICAS").unwrap_or_else(|_| "3".into());
    let env = [
        ("PGRQ_RQLITED", rqlited.display().to_string()),
        ("PGRQ_LOG", "info".into()),
        ("PGRQ_DATABASE__REPLICATION_FACTOR", replicas),
        ("PGRQ_DATABASE__MAX_DATABASES", "4".into()),
        ("PGRQ_DATABASE__WAKE_TIMEOUT_SECS", "60".into()),
        ("PGRQ_DATABASE__PORT_RANGE_HTTP_START", base.to_string()),
        (
            "PGRQ_DATABASE__PORT_RANGE_HTTP_END",
            (base + 39).to_string(),
        ),
        (
            "PGRQ_DATABASE__PORT_RANGE_RAFT_START",
            (base + 50).to_string(),
        ),
        (
            "PGRQ_DATABASE__PORT_RANGE_RAFT_END",
            (base + 89).to_string(),
        ),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Pgrq::start(&env)
}

async fn run_file(target: &Target, path: &Path) -> FileResult {
    let name = stem(path);
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{name}: {e}"));
    let records = slt::parse(&text).unwrap_or_else(|e| panic!("{name}.slt: {e}"));
    let host = target.host().await;
    let mut result = FileResult::new(&name, records.len());
    for protocol in Protocol::BOTH {
        let suffix = match protocol {
            Protocol::Simple => "s",
            Protocol::Extended => "x",
        };
        let client = target.database(&host, &format!("{name}_{suffix}")).await;
        for record in &records {
            let got = exec::run(&client, protocol, record).await;
            match exec::check(&record.expect, &got) {
                Ok(()) => {
                    result.passed(protocol);
                    if protocol == Protocol::Extended {
                        type_check(&client, &name, record, &mut result).await;
                    }
                }
                Err(detail) => result.failures.push(Failure {
                    file: format!("{name}.slt"),
                    line: record.line,
                    protocol,
                    sql: record.sql.clone(),
                    detail,
                }),
            }
        }
    }
    result
}

/// For a query whose values passed: the kinds of column types announced by Describe (the
/// recorded I/R/T letters), which decide what a driver hands the application.
async fn type_check(client: &Client, name: &str, record: &slt::Record, result: &mut FileResult) {
    let slt::Expect::Rows { types: want, .. } = &record.expect else {
        return;
    };
    if let Some(got) = exec::column_types(client, &record.sql).await
        && got != *want
    {
        result.type_diffs.push(TypeDiff {
            file: format!("{name}.slt"),
            line: record.line,
            sql: record.sql.clone(),
            want: want.clone(),
            got,
        });
    }
}

/// Rewrites `path`'s expectations from what PostgreSQL answers (simple protocol text,
/// column types from Describe).
async fn record_file(target: &Target, path: &Path) {
    let name = stem(path);
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut records = slt::parse(&text).unwrap_or_else(|e| panic!("{name}.slt: {e}"));
    let host = target.host().await;
    let client = target.database(&host, &format!("{name}_r")).await;
    for record in &mut records {
        let types = if record.is_query {
            exec::column_types(&client, &record.sql).await
        } else {
            None
        };
        let got = exec::run(&client, Protocol::Simple, record).await;
        record.expect = exec::expectation(record, &got, types);
    }
    std::fs::write(path, slt::render(&records)).unwrap_or_else(|e| panic!("write {name}: {e}"));
    println!("recorded {name}.slt ({} records)", records.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn differential_corpus() {
    let (files, filtered) = case_files();
    let target = match std::env::var("PGRQ_DIFF_PG") {
        Ok(base) if !base.trim().is_empty() => {
            let admin = connect(&base)
                .await
                .unwrap_or_else(|e| panic!("PGRQ_DIFF_PG={base}: {e}"));
            Target::Postgres { base, admin }
        }
        _ => match locate_rqlited(None, &default_cache_root(), RQLITE_VERSION) {
            Ok(rqlited) => Target::Pgrq { rqlited },
            Err(e) => {
                println!("differential corpus: NOT RUN — no rqlited binary ({e})");
                return;
            }
        },
    };
    let against_postgres = matches!(target, Target::Postgres { .. });
    if against_postgres && std::env::var("PGRQ_DIFF_RECORD").is_ok_and(|v| v == "1") {
        for f in &files {
            record_file(&target, f).await;
        }
        return;
    }
    let mut results = Vec::new();
    for f in &files {
        let r = run_file(&target, f).await;
        println!("{}", r.line());
        results.push(r);
    }
    let summary = report::Summary::of(&results);
    println!("{}", summary.line());
    if against_postgres {
        let failures: Vec<String> = results
            .iter()
            .flat_map(|r| r.failures.iter().map(Failure::line))
            .chain(results.iter().flat_map(|r| {
                r.type_diffs
                    .iter()
                    .map(|d| format!("TYPES {}:{} {} ≠ {}", d.file, d.line, d.want, d.got))
            }))
            .collect();
        assert!(
            failures.is_empty(),
            "against PostgreSQL the corpus must pass 100%:\n{}",
            failures.join("\n")
        );
        return;
    }
    if filtered {
        for r in &results {
            for f in &r.failures {
                println!("{}", f.line());
            }
        }
        println!("differential corpus: filtered run, reports and threshold not touched");
        return;
    }
    report::write(&root(), &results, &summary);
    let threshold = report::threshold(&root());
    for protocol in Protocol::BOTH {
        let pct = summary.percent(protocol);
        assert!(
            pct >= threshold,
            "{} protocol passes {pct:.1}% of the corpus, below the threshold {threshold}% \
             (compat/sql/THRESHOLD); failures are in compat/KNOWN_GAPS.md",
            protocol.name()
        );
    }
}
