use super::*;

fn member(id: &str) -> SystemMember {
    SystemMember {
        node_id: id.into(),
        http_addr: format!("{id}:1"),
        raft_addr: format!("{id}:2"),
    }
}

fn set(ids: &[&str]) -> MemberSet {
    MemberSet {
        epoch: 4,
        members: ids.iter().map(|i| member(i)).collect(),
    }
}

fn raft(entries: &[(&str, bool)]) -> Vec<Member> {
    entries
        .iter()
        .map(|(id, reachable)| Member {
            id: system_replica_id(id),
            reachable: *reachable,
        })
        .collect()
}

fn ids(v: &[&str]) -> BTreeSet<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_dead_member_is_removed_then_swapped_and_the_new_one_awaited() {
    let s = set(&["a", "b", "c"]);
    let cands = [member("a"), member("d"), member("e")];
    let r = raft(&[("a", true), ("b", true), ("c", false)]);
    // Not held dead yet: nothing.
    assert_eq!(
        next_step(&s, &r, &ids(&[]), &ids(&[]), &cands),
        Step::Nothing
    );
    // Held dead: it leaves the Raft configuration first, then d is recorded.
    assert_eq!(
        next_step(&s, &r, &ids(&["c"]), &ids(&[]), &cands),
        Step::Remove(system_replica_id("c"))
    );
    let r2 = raft(&[("a", true), ("b", true)]);
    assert_eq!(
        next_step(&s, &r2, &ids(&["c"]), &ids(&[]), &cands),
        Step::Swap {
            out: "c".into(),
            new: member("d")
        }
    );
    // Recorded: d is awaited; a Raft member no longer recorded and unreachable goes.
    let s2 = set(&["a", "b", "d"]);
    assert_eq!(
        next_step(&s2, &r, &ids(&["c"]), &ids(&[]), &cands),
        Step::Remove(system_replica_id("c"))
    );
    assert_eq!(
        next_step(&s2, &r2, &ids(&["c"]), &ids(&[]), &cands),
        Step::Nothing
    );
    let r3 = raft(&[("a", true), ("b", true), ("d", true)]);
    assert_eq!(
        next_step(&s2, &r3, &ids(&["c"]), &ids(&[]), &cands),
        Step::Nothing
    );
}

#[test]
fn no_change_without_a_majority_or_a_candidate() {
    let s = set(&["a", "b", "c"]);
    let r = raft(&[("a", true), ("b", false), ("c", false)]);
    assert!(matches!(
        next_step(&s, &r, &ids(&["b", "c"]), &ids(&[]), &[member("d")]),
        Step::Stuck(_)
    ));
    // The dead member is removed either way; its successor needs a candidate.
    let r = raft(&[("a", true), ("b", true)]);
    assert!(matches!(
        next_step(&s, &r, &ids(&["c"]), &ids(&[]), &[member("a")]),
        Step::Stuck(_)
    ));
}

#[test]
fn a_drained_member_moves_after_the_new_one_joined() {
    let s = set(&["a", "b", "c"]);
    let cands = [member("d")];
    let all = raft(&[("a", true), ("b", true), ("c", true)]);
    assert_eq!(
        next_step(&s, &all, &ids(&[]), &ids(&["b"]), &cands),
        Step::Swap {
            out: "b".into(),
            new: member("d")
        }
    );
    // Not while a member is unreachable.
    let one_down = raft(&[("a", true), ("b", true), ("c", false)]);
    assert_eq!(
        next_step(&s, &one_down, &ids(&[]), &ids(&["b"]), &cands),
        Step::Nothing
    );
    // Recorded {a, c, d}: b stays until d joined, then leaves once caught up.
    let s2 = set(&["a", "c", "d"]);
    assert_eq!(
        next_step(&s2, &all, &ids(&[]), &ids(&["b"]), &cands),
        Step::Nothing
    );
    let joined = raft(&[("a", true), ("b", true), ("c", true), ("d", true)]);
    assert_eq!(
        next_step(&s2, &joined, &ids(&[]), &ids(&["b"]), &cands),
        Step::RemoveWhenCaughtUp(system_replica_id("b"))
    );
}

#[test]
fn a_new_member_that_died_before_joining_is_replaced() {
    let s = set(&["a", "b", "d"]);
    let r = raft(&[("a", true), ("b", true)]);
    assert_eq!(
        next_step(&s, &r, &ids(&["d"]), &ids(&[]), &[member("e")]),
        Step::Swap {
            out: "d".into(),
            new: member("e")
        }
    );
}
