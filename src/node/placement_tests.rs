use proptest::prelude::*;

use super::*;

fn node(id: &str, max: u32, current: u32) -> NodeInventory {
    NodeInventory {
        id: id.into(),
        healthy: true,
        max_databases: max,
        current_databases: current,
        free_ports: 1000,
    }
}

fn inventory() -> impl Strategy<Value = Vec<NodeInventory>> {
    prop::collection::vec((any::<bool>(), 1u32..20, 0u32..25, 0u32..30), 1..10).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (down, max, current, ports))| NodeInventory {
                id: format!("12D3KooWnode{i}"),
                // Mostly healthy: one in two would make most inventories too small.
                healthy: !(down && i % 3 == 0),
                max_databases: max,
                current_databases: current.min(max + 2),
                free_ports: ports,
            })
            .collect()
    })
}

/// Places `names` one after the other, each creation updating the inventory.
fn place_all(nodes: &mut [NodeInventory], rf: usize, names: &[String]) {
    for name in names {
        let chosen = place(nodes, rf, name).unwrap();
        for n in nodes.iter_mut() {
            if chosen.contains(&n.id) {
                n.current_databases += 1;
                n.free_ports -= 1;
            }
        }
    }
}

proptest! {
    #[test]
    fn distinct_healthy_nodes_with_room(nodes in inventory(), rf in 1usize..5, db in "[a-z]{1,8}_[a-z0-9]{1,12}") {
        let able = nodes.iter().filter(|n| n.free_slots() > 0).count();
        match place(&nodes, rf, &db) {
            Ok(chosen) => {
                prop_assert_eq!(chosen.len(), rf);
                for (i, id) in chosen.iter().enumerate() {
                    prop_assert!(!chosen[..i].contains(id), "{} twice in {:?}", id, chosen);
                    let n = nodes.iter().find(|n| &n.id == id).unwrap();
                    prop_assert!(n.healthy && n.current_databases < n.max_databases && n.free_ports > 0);
                }
            }
            Err(e) => prop_assert_eq!(e, PlacementError::InsufficientNodes { got: able, need: rf }),
        }
        prop_assert_eq!(place(&nodes, rf, &db).is_ok(), able >= rf);
    }

    #[test]
    fn same_answer_whatever_the_inventory_order(nodes in inventory(), rf in 1usize..4, db in "[a-z0-9_]{1,20}") {
        let mut reversed = nodes.clone();
        reversed.reverse();
        prop_assert_eq!(place(&nodes, rf, &db), place(&reversed, rf, &db));
    }

    #[test]
    fn never_over_capacity(k in 3usize..8, max in 1u32..15, rf in 1usize..4, seed in "[a-z]{4}") {
        let mut nodes: Vec<NodeInventory> = (0..k).map(|i| node(&format!("n{i}"), max, 0)).collect();
        let mut created = 0;
        for d in 0..200 {
            match place(&nodes, rf, &format!("{seed}_{d}")) {
                Ok(chosen) => {
                    created += 1;
                    for n in nodes.iter_mut().filter(|n| chosen.contains(&n.id)) {
                        n.current_databases += 1;
                    }
                }
                Err(PlacementError::InsufficientNodes { got, need }) => {
                    prop_assert!(got < need);
                    break;
                }
                Err(e) => prop_assert!(false, "{}", e),
            }
        }
        for n in &nodes {
            prop_assert!(n.current_databases <= max, "{:?}", n);
        }
        // Capacity is used up before placement gives up: fewer than rf nodes keep room.
        prop_assert!(nodes.iter().filter(|n| n.current_databases < max).count() < rf);
        prop_assert!(created * rf <= k * max as usize);
    }

    #[test]
    fn an_unrelated_node_joining_moves_at_most_one_replica(nodes in inventory(), rf in 1usize..4, db in "[a-z]{1,8}_[a-z0-9]{1,8}", max in 1u32..30) {
        let mut grown = nodes.clone();
        grown.push(node("12D3KooWnewcomer", max, 0));
        let after = place(&grown, rf, &db);
        match place(&nodes, rf, &db) {
            Ok(before) => {
                let after = after.unwrap();
                if after.iter().any(|id| id == "12D3KooWnewcomer") {
                    let kept = after.iter().filter(|id| before.contains(id)).count();
                    prop_assert_eq!(kept, rf - 1, "before {:?} after {:?}", before, after);
                } else {
                    prop_assert_eq!(&before, &after);
                }
            }
            // Too small a cluster: the newcomer is one more candidate, and is chosen.
            Err(PlacementError::InsufficientNodes { got, need }) => {
                if got + 1 >= need {
                    prop_assert!(after.unwrap().iter().any(|id| id == "12D3KooWnewcomer"));
                } else {
                    prop_assert_eq!(after, Err(PlacementError::InsufficientNodes { got: got + 1, need }));
                }
            }
            Err(e) => prop_assert!(false, "{}", e),
        }
    }

    #[test]
    fn fifty_databases_spread_evenly(k in 3usize..8, prefix in "[a-z]{1,6}") {
        let mut nodes: Vec<NodeInventory> = (0..k).map(|i| node(&format!("12D3KooW{prefix}{i}"), 100, 0)).collect();
        let names: Vec<String> = (0..50).map(|d| format!("{prefix}_db{d}")).collect();
        place_all(&mut nodes, 3, &names);
        let most = nodes.iter().map(|n| n.current_databases).max().unwrap();
        let least = nodes.iter().map(|n| n.current_databases).min().unwrap();
        prop_assert_eq!(nodes.iter().map(|n| n.current_databases).sum::<u32>(), 150);
        prop_assert!(f64::from(most) <= 1.5 * f64::from(least), "{:?}", nodes.iter().map(|n| n.current_databases).collect::<Vec<_>>());
    }
}

#[test]
fn too_small_a_cluster_is_a_clear_error() {
    let mut nodes = vec![node("a", 10, 0), node("b", 10, 10), node("c", 10, 0)];
    nodes[2].healthy = false;
    let err = place(&nodes, 3, "shop_orders").unwrap_err();
    assert_eq!(err.to_string(), "insufficient nodes: got 1, need 3");
    assert_eq!(
        place(&nodes, 0, "shop_orders"),
        Err(PlacementError::ZeroReplicationFactor)
    );
}

#[test]
fn free_capacity_weighs_the_choice() {
    // Against nodes almost full, an empty one wins nearly every database.
    let nodes = vec![
        node("busy1", 100, 90),
        node("busy2", 100, 90),
        node("idle", 100, 0),
    ];
    let wins = (0..200)
        .filter(|d| place(&nodes, 1, &format!("app_{d}")).unwrap()[0] == "idle")
        .count();
    assert!(wins > 150, "idle chosen {wins} times of 200");
}

/// `unit_hash("n0", "demo_app")`, as first computed.
const PINNED: u64 = 4_603_103_913_272_768_736;

#[test]
fn stable_across_calls_and_fixed_hash() {
    let nodes: Vec<NodeInventory> = (0..5).map(|i| node(&format!("n{i}"), 10, 0)).collect();
    let first = place(&nodes, 3, "demo_app").unwrap();
    assert_eq!(first, place(&nodes, 3, "demo_app").unwrap());
    // The hash is part of the on-disk contract: its values must never change.
    assert_eq!(unit_hash("n0", "demo_app").to_bits(), PINNED);
    assert_ne!(unit_hash("n0", "demo_app"), unit_hash("n1", "demo_app"));
    assert_ne!(unit_hash("n0a", "pp"), unit_hash("n0", "app"));
}
