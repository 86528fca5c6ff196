//! Which surviving replica a recovery restarts from (pure): of the replicas on live nodes
//! that answered `/status`, the one whose Raft log goes furthest, by (last log term, last
//! log index, applied index) as rqlite reports them under `store.raft`, so that the
//! recovered database keeps every write any survivor had. Ties go to the lowest replica id,
//! so every node asking chooses the same one.

/// How far one replica's Raft log goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Progress {
    pub last_log_term: u64,
    pub last_log_index: u64,
    pub applied_index: u64,
}

/// Reads a replica's progress from its `/status` document (`None` when it holds none).
pub fn progress(status: &serde_json::Value) -> Option<Progress> {
    let get = |key: &str| {
        status
            .pointer(&format!("/store/raft/{key}"))
            .and_then(|x| x.as_u64().or_else(|| x.as_str()?.parse().ok()))
    };
    Some(Progress {
        last_log_term: get("last_log_term")?,
        last_log_index: get("last_log_index")?,
        applied_index: get("applied_index").unwrap_or(0),
    })
}

/// The replica (by id) to recover from, among `(replica id, progress)` of the survivors
/// that answered; `None` when none did.
pub fn best<'a>(survivors: &[(&'a str, Option<Progress>)]) -> Option<&'a str> {
    survivors
        .iter()
        .filter_map(|(id, p)| Some((*id, (*p)?)))
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(id, _)| id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(term: u64, last: u64, applied: u64) -> Option<Progress> {
        Some(Progress {
            last_log_term: term,
            last_log_index: last,
            applied_index: applied,
        })
    }

    #[test]
    fn the_longest_log_wins_then_the_lowest_id() {
        assert_eq!(best(&[("a", p(2, 10, 10)), ("b", p(2, 12, 9))]), Some("b"));
        // A later term beats a longer log of an earlier term.
        assert_eq!(best(&[("a", p(3, 5, 5)), ("b", p(2, 12, 12))]), Some("a"));
        assert_eq!(best(&[("b", p(2, 10, 10)), ("a", p(2, 10, 10))]), Some("a"));
        assert_eq!(best(&[("a", None), ("b", p(1, 1, 1))]), Some("b"));
        assert_eq!(best(&[("a", None)]), None);
        assert_eq!(best(&[]), None);
    }

    #[test]
    fn progress_is_read_from_numbers_or_strings() {
        let doc = serde_json::json!({"store": {"raft": {
            "last_log_term": "4", "last_log_index": 17, "applied_index": "16"
        }}});
        assert_eq!(progress(&doc), p(4, 17, 16));
        assert_eq!(progress(&serde_json::json!({"store": {}})), None);
    }
}
