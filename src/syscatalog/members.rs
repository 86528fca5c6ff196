//! The system catalog's own membership, kept in `meta` under `system_members` as one JSON
//! text (an epoch and the members; its shape is the caller's): recorded once from the
//! formation, then changed only by `UPDATE … WHERE value = <the text read>`, so of two
//! nodes changing it at once exactly one applies, and the epoch only grows.

use crate::rqlite::{Stmt, Value};

/// The recorded membership text, if any (one row, one column).
pub fn select_system_members() -> Stmt {
    Stmt::new("SELECT value FROM meta WHERE key = 'system_members'")
}

/// Records `text` unless a membership is recorded already.
pub fn init_system_members(text: &str) -> Stmt {
    Stmt::with_params(
        "INSERT INTO meta (key, value) VALUES ('system_members', ?) ON CONFLICT (key) DO NOTHING",
        vec![Value::Text(text.into())],
    )
}

/// Replaces the membership `old` by `new` if it is still `old` (1 row affected: applied).
pub fn swap_system_members(old: &str, new: &str) -> Stmt {
    Stmt::with_params(
        "UPDATE meta SET value = ? WHERE key = 'system_members' AND value = ?",
        vec![Value::Text(new.into()), Value::Text(old.into())],
    )
}

/// Changes nothing, but as a write it goes through the Raft log and is applied.
pub fn touch() -> Stmt {
    Stmt::new("DELETE FROM meta WHERE key = 'touch'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_writer_that_read_the_current_text_swaps_it() {
        let db = rusqlite::Connection::open_in_memory().unwrap();
        for s in crate::syscatalog::schema() {
            let params: Vec<String> = s
                .params
                .iter()
                .map(|v| match v {
                    Value::Text(t) => t.clone(),
                    other => format!("{other:?}"),
                })
                .collect();
            db.execute(&s.sql, rusqlite::params_from_iter(params))
                .unwrap();
        }
        let run = |s: Stmt| -> usize {
            let params: Vec<String> = s
                .params
                .iter()
                .map(|v| match v {
                    Value::Text(t) => t.clone(),
                    other => format!("{other:?}"),
                })
                .collect();
            db.execute(&s.sql, rusqlite::params_from_iter(params))
                .unwrap()
        };
        assert_eq!(run(init_system_members("e0")), 1);
        assert_eq!(run(init_system_members("other")), 0, "recorded once");
        assert_eq!(run(swap_system_members("e0", "e1")), 1);
        assert_eq!(
            run(swap_system_members("e0", "e1b")),
            0,
            "a stale writer loses"
        );
        let now: String = db
            .query_row(&select_system_members().sql, [], |r| r.get(0))
            .unwrap();
        assert_eq!(now, "e1");
    }
}
