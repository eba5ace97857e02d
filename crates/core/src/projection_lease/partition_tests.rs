use super::*;
use uuid::Uuid;

fn store(s: &str) -> StoreId {
    StoreId(Uuid::parse_str(s).unwrap())
}

#[test]
fn the_hash_is_clickhouses_sip_hash64() {
    // Values answered by ClickHouse 18.16 (`SELECT sipHash64('…')`); the agreement over store
    // ids is tested against a live server in `cairn-clickhouse` (tests/partitions.rs).
    assert_eq!(sip_hash64(b""), 2202906307356721367);
    assert_eq!(sip_hash64(b"abc"), 4596069200710135518);
    assert_eq!(sip_hash64(b"abcdefgh"), 16599038366039810451);
    assert_eq!(sip_hash64(b"abcdefghijklmnopq"), 12250315888402869788);
}

#[test]
fn stores_fall_in_fixed_partitions() {
    // `sipHash64(toString(toUUID(…))) % 4` in ClickHouse.
    assert_eq!(
        partition_of(store("00000000-0000-0000-0000-000000000000"), 4),
        3
    );
    assert_eq!(
        partition_of(store("3f2504e0-4f89-41d3-9a0c-0305e82c3301"), 4),
        1
    );
    assert_eq!(
        partition_of(store("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"), 4),
        0
    );
    // One partition: everything in it.
    for _ in 0..50 {
        assert_eq!(partition_of(StoreId(Uuid::new_v4()), 1), 0);
    }
}

#[test]
fn stores_spread_over_the_partitions() {
    let mut n = [0u32; 4];
    for _ in 0..4000 {
        n[partition_of(StoreId(Uuid::new_v4()), 4) as usize] += 1;
    }
    assert!(n.iter().all(|c| (800..1200).contains(c)), "{n:?}");
}

#[test]
fn one_partition_keeps_the_single_leases_key() {
    assert_eq!(lease_key(0, 1), "all");
    assert_eq!(lease_key(2, 4), "p2-of-4");
}

#[test]
fn the_quota_is_the_ceiling_of_partitions_per_live_node() {
    assert_eq!(quota(1, 3), 1);
    assert_eq!(quota(4, 3), 2);
    assert_eq!(quota(4, 2), 2);
    assert_eq!(quota(4, 1), 4);
    assert_eq!(quota(4, 0), 4, "a node counts itself");
    assert_eq!(quota(6, 4), 2);
    // The quotas of the live nodes always cover every partition.
    for p in 1..20 {
        for live in 1..8 {
            assert!(quota(p, live) * live >= p);
        }
    }
}

#[test]
fn leases_are_taken_only_under_the_quota_and_given_back_above_it() {
    let take = Action::Take { checkpoint: 9 };
    assert_eq!(
        decide_within_quota(take.clone(), 1, 2),
        PartitionAction::Act(take.clone())
    );
    assert_eq!(
        decide_within_quota(take, 2, 2),
        PartitionAction::Leave { checkpoint: 9 }
    );
    assert_eq!(
        decide_within_quota(Action::Create, 2, 2),
        PartitionAction::Leave { checkpoint: 0 }
    );
    let hold = Action::Hold {
        checkpoint: 5,
        until: 100,
    };
    assert_eq!(
        decide_within_quota(hold.clone(), 1, 2),
        PartitionAction::Act(hold.clone())
    );
    assert_eq!(
        decide_within_quota(hold, 2, 2),
        PartitionAction::Release { checkpoint: 5 }
    );
    let wait = Action::Wait { checkpoint: 3 };
    assert_eq!(
        decide_within_quota(wait.clone(), 7, 2),
        PartitionAction::Act(wait)
    );
}

#[test]
fn a_node_over_its_quota_keeps_its_lowest_partitions() {
    // A node held all four partitions alone; a second node joined (quota 2).
    let mut held = 0;
    let mut kept = vec![];
    for k in 0..4 {
        let a = Action::Hold {
            checkpoint: k,
            until: 10,
        };
        if let PartitionAction::Act(_) = decide_within_quota(a, held, quota(4, 2)) {
            held += 1;
            kept.push(k);
        }
    }
    assert_eq!(kept, [0, 1]);
}

#[test]
fn a_tail_entry_leaves_once_its_partitions_checkpoint_passes_it() {
    let a = store("00000000-0000-0000-0000-000000000000"); // partition 3 of 4
    let b = store("3f2504e0-4f89-41d3-9a0c-0305e82c3301"); // partition 1 of 4
    let mut c = Checkpoints::new(4);
    c.set(3, 10);
    assert!(c.covers(10, a));
    assert!(!c.covers(11, a));
    assert!(!c.covers(5, b), "partition 1 is still at 0");
    assert_eq!(c.low(), 0);
    c.set(1, 20);
    c.set(0, 20);
    c.set(2, 20);
    assert!(c.covers(5, b));
    assert_eq!(c.low(), 10);
    c.set(3, 4);
    assert_eq!(c.get(3), 10, "checkpoints never go back");
}

#[test]
fn a_node_counts_itself_and_the_nodes_it_saw_renew_within_the_lease() {
    assert_eq!(node_key("n1"), "node-n1");
    assert_eq!(live_nodes(0, "a", &[], 1_000), 1);
    let seen = [("a", 0), ("b", 500), ("c", 1_500)];
    assert_eq!(live_nodes(1_499, "a", &seen, 1_000), 3);
    assert_eq!(live_nodes(1_500, "a", &seen, 1_000), 2, "b is gone");
    assert_eq!(live_nodes(2_500, "a", &seen, 1_000), 1, "c is gone too");
    // A node that stops renewing leaves, and the quota of the others grows to cover P.
    assert_eq!(quota(4, live_nodes(1_499, "a", &seen, 1_000)), 2);
    assert_eq!(quota(4, live_nodes(1_500, "a", &seen, 1_000)), 2);
    assert_eq!(quota(4, live_nodes(2_500, "a", &seen, 1_000)), 4);
}
