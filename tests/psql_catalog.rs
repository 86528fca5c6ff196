//! psql's `\d` family against pgrq (real binary, real 3-replica rqlite) and against a real
//! PostgreSQL 15 holding the same schema: the same psql script runs on both and the
//! outputs must have the same structure (titles, headers, rows, footers), apart from the
//! differences listed in `LOOSE` (owner names, other databases and roles, sizes).
//!
//! Needs rqlited (`PGRQ_RQLITED` …), psql, and PostgreSQL's server binaries
//! (`PGRQ_TEST_PG_BIN`, default /usr/lib/postgresql/15/bin); without them it prints why
//! and skips.

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Pgrq;

const SCHEMA: &str = "\
CREATE TABLE authors (id bigserial PRIMARY KEY, name varchar(40) NOT NULL UNIQUE, born date, \
  rating numeric(10,2) DEFAULT 0);
CREATE TABLE books (id serial PRIMARY KEY, author_id bigint NOT NULL REFERENCES authors(id), \
  title text NOT NULL, published timestamptz DEFAULT now(), pages int CHECK (pages > 0));
CREATE INDEX books_title_idx ON books (title);
CREATE VIEW long_books AS SELECT id, title FROM books WHERE pages > 300;
";

/// The commands compared; each output block starts with an echoed marker.
const COMMANDS: &[&str] = &[
    "\\d",
    "\\dt",
    "\\di",
    "\\dv",
    "\\ds",
    "\\dT",
    "\\dn",
    "\\df",
    "\\d books",
    "\\d+ books",
    "\\d authors",
    "\\d long_books",
    "\\d books_title_idx",
    "\\l",
    "\\du",
    "\\dt+",
    "\\d+ long_books",
    "\\db",
    "\\dy",
    "\\dl",
    "\\dD",
    "\\dp",
];

/// Commands whose rows legitimately differ (PostgreSQL lists its other databases and the
/// superuser's attributes; pgrq does not know table sizes): only the title, the header and
/// the presence of rows are compared. A view's definition is the SQL it was created with,
/// not PostgreSQL's deparsed form.
const LOOSE: &[&str] = &["\\l", "\\du", "\\dt+", "\\d+ long_books"];

fn rqlited() -> Option<String> {
    use pgrq::node::locate::{RQLITE_VERSION, default_cache_root, locate_rqlited};
    locate_rqlited(None, &default_cache_root(), RQLITE_VERSION)
        .ok()
        .map(|p| p.display().to_string())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A PostgreSQL server in a temp dir, stopped on drop.
struct Postgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    child: Child,
    port: u16,
    as_postgres: bool,
}

impl Postgres {
    fn cmd(bin: &Path, prog: &str, as_postgres: bool) -> Command {
        if as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(bin.join(prog));
            c
        } else {
            Command::new(bin.join(prog))
        }
    }

    fn start() -> Result<Postgres, String> {
        let bin = PathBuf::from(
            std::env::var("PGRQ_TEST_PG_BIN").unwrap_or("/usr/lib/postgresql/15/bin".into()),
        );
        if !bin.join("initdb").exists() {
            return Err(format!(
                "no PostgreSQL server binaries in {}",
                bin.display()
            ));
        }
        // initdb refuses to run as root: run the server as `postgres` then.
        let id = |args: &[&str]| {
            Command::new("id")
                .args(args)
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        };
        let root = id(&["-u"]).as_deref() == Some("0");
        if root && id(&["-u", "postgres"]).is_none() {
            return Err("running as root and there is no postgres user".into());
        }
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777))
            .map_err(|e| e.to_string())?;
        let data = dir.path().join("data");
        let out = Postgres::cmd(&bin, "initdb", root)
            .arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", "postgres", "--no-sync"])
            .output()
            .map_err(|e| format!("initdb: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let port = free_port();
        let child = Postgres::cmd(&bin, "postgres", root)
            .arg("-D")
            .arg(&data)
            .args([
                "-p",
                &port.to_string(),
                "-c",
                "listen_addresses=127.0.0.1",
                "-k",
            ])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("postgres: {e}"))?;
        let pg = Postgres {
            bin,
            dir,
            child,
            port,
            as_postgres: root,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ok = Command::new("psql")
                .arg(pg.url())
                .args(["-X", "-c", "SELECT 1"])
                .output()
                .is_ok_and(|o| o.status.success());
            if ok {
                return Ok(pg);
            }
            if Instant::now() > deadline {
                return Err("PostgreSQL did not accept connections within 60 s".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn url(&self) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname=postgres",
            self.port
        )
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = Postgres::cmd(&self.bin, "pg_ctl", self.as_postgres)
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["stop", "-m", "immediate"])
            .output();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `script` with psql (unaligned output) and returns stdout; panics with stderr on a
/// psql error.
fn psql(conn: &str, password: Option<&str>, script: &str) -> String {
    let mut cmd = Command::new("psql");
    cmd.arg(conn)
        .args(["-X", "-A", "-v", "ON_ERROR_STOP=1", "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    let out = cmd
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            if let Some(mut stdin) = child.stdin.take() {
                stdin.write_all(script.as_bytes())?;
            }
            child.wait_with_output()
        })
        .expect("psql runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "psql failed on {conn}:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The output of each command, split on the echoed markers.
fn blocks(out: &str) -> Vec<(String, Vec<String>)> {
    let mut res: Vec<(String, Vec<String>)> = Vec::new();
    for line in out.lines() {
        if let Some(cmd) = line.strip_prefix("=== ") {
            res.push((cmd.to_string(), Vec::new()));
        } else if let Some(last) = res.last_mut() {
            last.1.push(line.to_string());
        }
    }
    res
}

/// Owner names differ (the app's role vs postgres): fields equal to `owner` become
/// `<owner>`.
fn normalize(lines: &[String], owner: &str) -> Vec<String> {
    lines
        .iter()
        .map(|l| {
            l.split('|')
                .map(|f| if f == owner { "<owner>" } else { f })
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}

#[test]
fn psql_describe_commands_match_postgresql() {
    let Some(rqlited) = rqlited() else {
        println!("psql_catalog: SKIPPED — no rqlited binary (set PGRQ_RQLITED)");
        return;
    };
    if Command::new("psql").arg("--version").output().is_err() {
        println!("psql_catalog: SKIPPED — no psql");
        return;
    }
    let pg = match Postgres::start() {
        Ok(pg) => pg,
        Err(why) => {
            println!("psql_catalog: SKIPPED — no PostgreSQL to compare with: {why}");
            return;
        }
    };
    let base = common::port_base();
    let env = [
        ("PGRQ_RQLITED", rqlited),
        ("PGRQ_DATABASE__MAX_DATABASES", "10".to_string()),
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
    let p = Pgrq::start_with(
        tempfile::tempdir().expect("tempdir"),
        &env,
        Some("[[apps]]\nname = \"demo\"\npassword = \"demo\"\nallow_create = true\n"),
    );
    let pgrq_conn = format!(
        "host=127.0.0.1 port={} user=demo dbname=demo_psqlcat sslmode=require",
        p.port
    );
    psql(&pgrq_conn, Some("demo"), SCHEMA);
    psql(&pg.url(), None, SCHEMA);
    let script: String = COMMANDS
        .iter()
        .enumerate()
        .map(|(i, c)| format!("\\echo '=== {i}'\n{c}\n"))
        .collect();
    let ours = blocks(&psql(&pgrq_conn, Some("demo"), &script));
    let theirs = blocks(&psql(&pg.url(), None, &script));
    assert_eq!(ours.len(), COMMANDS.len(), "{ours:?}\n{}", p.output());
    assert_eq!(theirs.len(), COMMANDS.len(), "{theirs:?}");
    for (((_, a), (_, b)), cmd) in ours.iter().zip(&theirs).zip(COMMANDS) {
        let a = normalize(a, "demo");
        let b = normalize(b, "postgres");
        if LOOSE.contains(cmd) {
            // Title and header line, and rows present on both sides.
            assert_eq!(a[..2], b[..2], "{cmd}: pgrq\n{a:#?}\nPostgreSQL\n{b:#?}");
            assert!(a.len() > 2 && b.len() > 2, "{cmd}: {a:#?}\n{b:#?}");
            // Footers (e.g. "View definition:") appear on both sides.
            let footers = |v: &[String]| -> Vec<String> {
                v.iter().filter(|l| l.ends_with(':')).cloned().collect()
            };
            assert_eq!(footers(&a), footers(&b), "{cmd}: {a:#?}\n{b:#?}");
            if *cmd == "\\du" {
                // "Member of" is an array: `{}` on both sides.
                let member_of = |v: &[String]| v[2].rsplit('|').next().map(str::to_string);
                assert_eq!(member_of(&a), member_of(&b), "{cmd}: {a:#?}\n{b:#?}");
            }
        } else {
            assert_eq!(a, b, "{cmd}: pgrq\n{a:#?}\nPostgreSQL\n{b:#?}");
        }
    }
}

/// tokio-postgres decodes strictly: the catalog's "char", oid and name columns must be
/// announced and sent in binary as PostgreSQL does (its own type lookup reads typtype as
/// i8 and typelem as u32).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_postgres_reads_catalog_types() {
    let Some(rqlited) = rqlited() else {
        println!("tokio_postgres_reads_catalog_types: SKIPPED — no rqlited binary");
        return;
    };
    let base = common::port_base();
    let env = [
        ("PGRQ_RQLITED", rqlited),
        ("PGRQ_DATABASE__MAX_DATABASES", "10".to_string()),
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
        ("PGRQ_TLS__MODE", "off".to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let p = Pgrq::start_with(
        tempfile::tempdir().expect("tempdir"),
        &env,
        Some("[[apps]]\nname = \"demo\"\npassword = \"demo\"\nallow_create = true\n"),
    );
    let (c, conn) = tokio_postgres::connect(
        &p.conn_str("demo", "demo", "demo_types"),
        tokio_postgres::NoTls,
    )
    .await
    .unwrap_or_else(|e| panic!("connect: {e}\n{}", p.output()));
    tokio::spawn(conn);
    c.batch_execute(SCHEMA).await.expect("schema");
    let row = c
        .query_one(
            "SELECT t.typname, t.typtype, t.typelem, r.rngsubtype, t.typbasetype, n.nspname, \
             t.typrelid FROM pg_catalog.pg_type t LEFT OUTER JOIN pg_catalog.pg_range r ON \
             r.rngtypid = t.oid INNER JOIN pg_catalog.pg_namespace n ON t.typnamespace = n.oid \
             WHERE t.oid = $1",
            &[&1007u32],
        )
        .await
        .unwrap_or_else(|e| panic!("type lookup: {e}\n{}", p.output()));
    assert_eq!(row.get::<_, String>(0), "_int4");
    assert_eq!(row.get::<_, i8>(1), b'b' as i8);
    assert_eq!(row.get::<_, u32>(2), 23);
    assert_eq!(row.get::<_, Option<u32>>(3), None);
    assert_eq!(row.get::<_, String>(5), "pg_catalog");
    // A table's row type, as a composite lookup would see it.
    let books: u32 = c
        .query_one(
            "SELECT oid FROM pg_catalog.pg_class WHERE relname = $1",
            &[&"books"],
        )
        .await
        .expect("pg_class")
        .get(0);
    let cols = c
        .query(
            "SELECT attname, atttypid FROM pg_catalog.pg_attribute WHERE attrelid = $1 \
             AND NOT attisdropped AND attnum > 0 ORDER BY attnum",
            &[&books],
        )
        .await
        .expect("pg_attribute");
    let cols: Vec<(String, u32)> = cols.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(cols[0], ("id".to_string(), 23));
    assert_eq!(cols[1], ("author_id".to_string(), 20));
    assert_eq!(cols.len(), 5);
    // Arrays travel typed, in binary too.
    let row = c
        .query_one(
            "SELECT conkey, ARRAY(SELECT relname::text FROM pg_catalog.pg_class \
             WHERE relkind = 'r' AND relnamespace = 2200 ORDER BY 1) \
             FROM pg_catalog.pg_constraint WHERE conname = $1",
            &[&"books_pkey"],
        )
        .await
        .unwrap_or_else(|e| panic!("arrays: {e}\n{}", p.output()));
    assert_eq!(row.get::<_, Vec<i16>>(0), [1]);
    assert_eq!(row.get::<_, Vec<String>>(1), ["authors", "books"]);
    // A catalog query joined with a user table is refused, not answered wrongly.
    let e = c
        .simple_query("SELECT * FROM books JOIN pg_catalog.pg_class c ON c.relname = 'books'")
        .await
        .expect_err("mixed query");
    assert_eq!(e.code().map(|c| c.code()), Some("0A000"));
}
