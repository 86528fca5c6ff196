//! Per-database activity on this node: how many sessions have each database open and when
//! it last ran a query. Fed by the backend (which sees every open, close and request);
//! read by the hibernation loop (`lifecycle`, single process) to find idle databases, and
//! under `pgrq node` by `hibernate` and by the gossip layer through [`Activity::recent`]
//! (wall-clock times only). It keeps no other state and decides nothing.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub use crate::gossip::DbActivity;

#[derive(Debug, Clone, Copy)]
struct Entry {
    sessions: u32,
    /// Monotonic, for idleness on this node.
    last: Instant,
    /// Wall clock of the same moment, for peers (who cannot read our `Instant`s).
    last_wall: SystemTime,
}

/// Activity of every database this node has served since it started.
#[derive(Debug, Default)]
pub struct Activity {
    dbs: Mutex<HashMap<String, Entry>>,
}

impl Activity {
    pub fn new() -> Activity {
        Activity::default()
    }

    fn with<R>(&self, db: &str, f: impl FnOnce(&mut Entry) -> R) -> R {
        let mut dbs = self.dbs.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let e = dbs.entry(db.to_string()).or_insert(Entry {
            sessions: 0,
            last: now,
            last_wall: SystemTime::now(),
        });
        f(e)
    }

    fn stamp(e: &mut Entry) {
        e.last = Instant::now();
        e.last_wall = SystemTime::now();
    }

    /// A session opened `db` (counted before the database is started or woken, so a
    /// hibernation that checks afterwards sees it).
    pub fn session_opened(&self, db: &str) {
        self.with(db, |e| {
            e.sessions += 1;
            Self::stamp(e);
        })
    }

    /// A session that had opened `db` ended.
    pub fn session_closed(&self, db: &str) {
        self.with(db, |e| {
            e.sessions = e.sessions.saturating_sub(1);
            Self::stamp(e);
        })
    }

    /// A request ran (or starts running) on `db`.
    pub fn touch(&self, db: &str) {
        self.with(db, Self::stamp)
    }

    /// Open sessions on `db`.
    pub fn sessions(&self, db: &str) -> u32 {
        let dbs = self.dbs.lock().unwrap_or_else(|p| p.into_inner());
        dbs.get(db).map_or(0, |e| e.sessions)
    }

    /// Whether `db` has no open session and no activity for at least `timeout`.
    pub fn is_idle(&self, db: &str, timeout: Duration) -> bool {
        let dbs = self.dbs.lock().unwrap_or_else(|p| p.into_inner());
        dbs.get(db)
            .is_none_or(|e| e.sessions == 0 && e.last.elapsed() >= timeout)
    }

    /// Databases idle for at least `timeout` (no session, no activity), sorted.
    pub fn idle(&self, timeout: Duration) -> Vec<String> {
        let dbs = self.dbs.lock().unwrap_or_else(|p| p.into_inner());
        let mut v: Vec<String> = dbs
            .iter()
            .filter(|(_, e)| e.sessions == 0 && e.last.elapsed() >= timeout)
            .map(|(k, _)| k.clone())
            .collect();
        v.sort();
        v
    }

    /// Every database's activity, sorted by name: what gossip carries.
    pub fn snapshot(&self) -> Vec<DbActivity> {
        let dbs = self.dbs.lock().unwrap_or_else(|p| p.into_inner());
        let mut v: Vec<DbActivity> = dbs
            .iter()
            .map(|(k, e)| DbActivity {
                db: k.clone(),
                sessions: e.sessions,
                last_active_unix_ms: e
                    .last_wall
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as u64),
            })
            .collect();
        v.sort_by(|a, b| a.db.cmp(&b.db));
        v
    }

    /// What gossip carries: the databases with a session open here or activity within
    /// `window` (an absent one is idle here), sorted by name. With a zero `window`
    /// (hibernation disabled), only those with sessions.
    pub fn recent(&self, window: Duration) -> Vec<DbActivity> {
        let mut v = self.snapshot();
        let dbs = self.dbs.lock().unwrap_or_else(|p| p.into_inner());
        v.retain(|a| {
            dbs.get(&a.db)
                .is_some_and(|e| e.sessions > 0 || e.last.elapsed() < window)
        });
        v
    }

    /// Drops what is known of `db` (it was dropped, or moved off this node).
    pub fn forget(&self, db: &str) {
        let mut dbs = self.dbs.lock().unwrap_or_else(|p| p.into_inner());
        dbs.remove(db);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_sessions_keep_a_database_busy() {
        let a = Activity::new();
        a.session_opened("app_a");
        a.session_opened("app_a");
        assert_eq!(a.sessions("app_a"), 2);
        assert!(!a.is_idle("app_a", Duration::ZERO));
        a.session_closed("app_a");
        assert!(!a.is_idle("app_a", Duration::ZERO));
        a.session_closed("app_a");
        assert!(a.is_idle("app_a", Duration::ZERO));
        assert_eq!(a.idle(Duration::ZERO), vec!["app_a".to_string()]);
    }

    #[test]
    fn recent_activity_is_not_idle() {
        let a = Activity::new();
        a.touch("app_b");
        assert!(!a.is_idle("app_b", Duration::from_secs(3600)));
        assert!(a.idle(Duration::from_secs(3600)).is_empty());
        // Never seen: nothing keeps it awake.
        assert!(a.is_idle("app_c", Duration::from_secs(3600)));
    }

    #[test]
    fn closing_more_than_opened_does_not_underflow() {
        let a = Activity::new();
        a.session_closed("app_d");
        assert_eq!(a.sessions("app_d"), 0);
    }

    #[test]
    fn snapshot_carries_wall_clock_and_sessions() {
        let a = Activity::new();
        a.session_opened("app_b");
        a.touch("app_a");
        let s = a.snapshot();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].db, "app_a");
        assert_eq!(s[1].sessions, 1);
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        assert!(s[0].last_active_unix_ms > 0 && s[0].last_active_unix_ms <= now_ms);
        a.forget("app_a");
        assert_eq!(a.snapshot().len(), 1);
    }

    #[test]
    fn gossip_carries_only_sessions_and_recent_activity() {
        let a = Activity::new();
        a.session_opened("app_open");
        a.touch("app_recent");
        let names = |v: Vec<DbActivity>| v.into_iter().map(|a| a.db).collect::<Vec<_>>();
        assert_eq!(
            names(a.recent(Duration::from_secs(3600))),
            ["app_open", "app_recent"]
        );
        assert_eq!(names(a.recent(Duration::ZERO)), ["app_open"]);
    }
}
