//! Wake on connect under `pgrq node`: a three-node `pgrq up` with `hibernation_timeout =
//! 1s`; one database is left idle until it hibernates (catalog state, no rqlited left),
//! then woken by `psql` (libpq: the client's own cost is a few ms) running one INSERT
//! through a node picked in turn, `WAKES` times. Per wake it reads the nodes' logs
//! (`PGRQ_LOG=info`, wall-clock timestamps, one host) for where the time went: the
//! `hibernating → waking` catalog write (client start → "waking database"), nudge and
//! reconcile until the last replica process is spawned ("started rqlited"), process start +
//! store open + election until the replicas serve (all running, a majority `/readyz`:
//! the client proceeds, "client proceeds", or the `waking → active` write is done,
//! "database woken", whichever comes first), and the rest (session start, the INSERT). Every INSERT must be there at the end.
//!
//! `cargo bench --profile dev --bench wake` (reuses a debug build) or `cargo bench --bench
//! wake`; `PGRQ_RQLITE__RAFT_TIMEOUT=100ms` (passed on to the nodes) shows the election's
//! share. Needs rqlited (`PGRQ_RQLITED`, the install cache or PATH). Writes its section of
//! `bench/RESULTS.md` and prints it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use pgrq::node::locate::{RQLITE_VERSION, default_cache_root, locate_rqlited};

const WAKES: usize = 30;
const DB: &str = "demo_wake";
const BEGIN: &str = "<!-- wake-nodes:begin -->";
const END: &str = "<!-- wake-nodes:end -->";

struct Up {
    child: Child,
    hosts: Vec<String>,
    data: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Up {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn start(rqlited: &str) -> Up {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let mut child = Command::new(env!("CARGO_BIN_EXE_pgrq"))
        .args(["up", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .env("PGRQ_RQLITED", rqlited)
        .env("PGRQ_TLS__MODE", "off")
        .env("PGRQ_LOG", "info")
        .env("PGRQ_DATABASE__HIBERNATION_TIMEOUT", "1s")
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn pgrq up");
    let out = child.stdout.take().expect("stdout");
    let mut hosts = Vec::new();
    for line in BufReader::new(out).lines().map_while(Result::ok) {
        if let Some(rest) = line.strip_prefix("pgrq cluster of 3 nodes listening on ") {
            let list = rest.split_whitespace().next().unwrap_or("");
            hosts = list.split(',').map(str::to_string).collect();
            break;
        }
    }
    assert_eq!(hosts.len(), 3, "pgrq up did not print three nodes");
    Up {
        child,
        hosts,
        data,
        _dir: dir,
    }
}

/// Runs `sql` through psql on `host`; the last line of its output.
fn psql(host: &str, db: &str, sql: &str) -> String {
    let (h, p) = host.rsplit_once(':').expect("host:port");
    let out = Command::new("psql")
        .arg(format!(
            "host={h} port={p} user=demo dbname={db} sslmode=disable connect_timeout=120"
        ))
        .env("PGPASSWORD", "demo")
        .args(["-At", "-c", sql])
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "psql {db} via {host}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    text.lines().last().unwrap_or("").to_string()
}

/// rqlited processes whose command line mentions `dir`.
fn processes_under(dir: &Path) -> usize {
    let needle = dir.display().to_string();
    std::fs::read_dir("/proc").map_or(0, |entries| {
        entries
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| {
                std::fs::read(format!("/proc/{pid}/cmdline"))
                    .is_ok_and(|c| String::from_utf8_lossy(&c).contains(&needle))
            })
            .count()
    })
}

fn hibernated(up: &Up, control: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let state = psql(
            control,
            "demo_control",
            &format!("SELECT state FROM pgrq.databases WHERE name = '{DB}'"),
        );
        let left: usize = (1..=3)
            .map(|i| processes_under(&up.data.join(format!("node{i}")).join(DB).join("rqlite")))
            .sum();
        if state == "hibernating" && left == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "{DB} never hibernated ({state})");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Seconds since the Unix epoch of a log line's leading RFC 3339 UTC timestamp.
fn line_time(line: &str) -> Option<f64> {
    let ts = line.split_whitespace().next()?;
    let (date, time) = ts.trim_end_matches('Z').split_once('T')?;
    let mut d = date.split('-').map(|x| x.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.split(':');
    let (hh, mm) = (
        t.next()?.parse::<f64>().ok()?,
        t.next()?.parse::<f64>().ok()?,
    );
    let ss = t.next()?.parse::<f64>().ok()?;
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days as f64 * 86400.0 + hh * 3600.0 + mm * 60.0 + ss)
}

/// Times (epoch seconds) of the log lines after `since` containing every one of `needles`.
fn events(data: &Path, since: f64, needles: &[&str]) -> Vec<f64> {
    (1..=3)
        .flat_map(|i| {
            std::fs::read_to_string(data.join(format!("node{i}")).join("pgrq.log"))
                .unwrap_or_default()
                .lines()
                .filter(|l| needles.iter().all(|n| l.contains(n)))
                .filter_map(line_time)
                .filter(|t| *t >= since)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn pct(v: &[f64], p: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[((s.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let rqlited = match locate_rqlited(None, &default_cache_root(), RQLITE_VERSION) {
        Ok(p) => p.display().to_string(),
        Err(e) => {
            println!("wake bench: NOT RUN — {e}");
            return;
        }
    };
    let up = start(&rqlited);
    psql(&up.hosts[0], DB, "CREATE TABLE t (n int PRIMARY KEY)");
    let mut total = Vec::new();
    let mut phases: Vec<[f64; 5]> = Vec::new();
    let mut warm = Vec::new();
    for i in 0..WAKES {
        hibernated(&up, &up.hosts[(i + 2) % 3]);
        let host = &up.hosts[i % 3];
        let t0 = now();
        let started = Instant::now();
        psql(host, DB, &format!("INSERT INTO t VALUES ({i})"));
        total.push(started.elapsed().as_secs_f64());
        let t1 = now();
        let started = Instant::now();
        psql(host, DB, "SELECT 1");
        warm.push(started.elapsed().as_secs_f64());
        let first = |needles: &[&str]| events(&up.data, t0, needles).into_iter().reduce(f64::min);
        let last = |needles: &[&str]| events(&up.data, t0, needles).into_iter().reduce(f64::max);
        let db_field = format!("db={DB}");
        let node_field = format!("node_id=\"{DB}-");
        // The client proceeds when the replicas serve, usually before the `active` write.
        let served = [
            first(&["database woken", &db_field]),
            first(&["client proceeds", &db_field]),
        ]
        .into_iter()
        .flatten()
        .reduce(f64::min);
        if let (Some(w), Some(f), Some(s), Some(r)) = (
            first(&["waking database", &db_field]),
            first(&["started rqlited", &node_field]),
            last(&["started rqlited", &node_field]),
            served,
        ) {
            phases.push([w - t0, s - w, r - s, t1 - r, f - w]);
        }
    }
    let rows = psql(&up.hosts[1], DB, "SELECT count(*) FROM t");
    let stop: Vec<f64> = (1..=3)
        .flat_map(|i| {
            std::fs::read_to_string(up.data.join(format!("node{i}")).join("pgrq.log"))
                .unwrap_or_default()
                .lines()
                .filter(|l| l.contains("replica hibernated"))
                .filter_map(|l| {
                    l.split("stop_ms=")
                        .nth(1)?
                        .split_whitespace()
                        .next()?
                        .parse()
                        .ok()
                })
                .collect::<Vec<f64>>()
        })
        .collect();
    drop(up);
    let ms = |s: f64| format!("{:.0} ms", s * 1000.0);
    let col = |k: usize| phases.iter().map(|p| p[k]).collect::<Vec<f64>>();
    let phase_row = |name: &str, k: usize| {
        let v = col(k);
        format!(
            "| {name} | {} / {} |\n",
            ms(pct(&v, 0.5)),
            ms(pct(&v, 0.99))
        )
    };
    let version = Command::new(&rqlited)
        .arg("-version")
        .output()
        .map(|o| {
            String::from_utf8_lossy(&[o.stdout, o.stderr].concat())
                .trim()
                .to_string()
        })
        .unwrap_or_default();
    let section = format!(
        "{BEGIN}\n## Wake on connect under `pgrq node` ({WAKES} wakes, three-node `pgrq up`)\n\n\
         Produced by `{command}` ({profile} build of pgrq; {version}; 2 shared cores; \
         `rqlite.raft_timeout` {raft}). \
         psql runs one INSERT on a hibernated 3-replica database through each node in turn; \
         phases from the nodes' log timestamps ({n} of {WAKES} wakes had every event).\n\n\
         | figure | p50 / p99 |\n| --- | --- |\n\
         | wake on connect (psql start → INSERT done) | {} / {} |\n\
         | psql on the awake database, same node, for comparison | {} / {} |\n\
         {}{}{}{}{}\
         | replica stop on hibernation (SIGTERM → exit, stop_ms) | {} / {} |\n\
         | rows present at the end | {rows} of {WAKES} |\n{END}\n",
        ms(pct(&total, 0.5)),
        ms(pct(&total, 0.99)),
        ms(pct(&warm, 0.5)),
        ms(pct(&warm, 0.99)),
        phase_row("1. connect, catalog read, `hibernating → waking` write", 0),
        phase_row("2. nudge + reconcile until the last replica is spawned", 1),
        phase_row("2a. (of which: until the first replica is spawned)", 4),
        phase_row(
            "3. process start, store open, election, until the replicas serve (client proceeds or `→ active` written)",
            2
        ),
        phase_row("4. from there: session start, INSERT", 3),
        ms(pct(&stop, 0.5) / 1000.0),
        ms(pct(&stop, 0.99) / 1000.0),
        n = phases.len(),
        raft =
            std::env::var("PGRQ_RQLITE__RAFT_TIMEOUT").unwrap_or_else(|_| "250ms (default)".into()),
        command = if cfg!(debug_assertions) {
            "cargo bench --profile dev --bench wake"
        } else {
            "cargo bench --bench wake"
        },
        profile = if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
    );
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/RESULTS.md");
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    let new = match (old.find(BEGIN), old.find(END)) {
        (Some(a), Some(b)) if a < b => format!(
            "{}{section}{}",
            &old[..a],
            old[b + END.len()..].trim_start_matches('\n')
        ),
        _ => format!("{}\n\n{section}", old.trim_end()),
    };
    if let Err(e) = std::fs::write(&path, new) {
        eprintln!("cannot write {}: {e}", path.display());
    }
    print!("{section}");
    assert_eq!(rows, WAKES.to_string(), "every wake's INSERT");
}
