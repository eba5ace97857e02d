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

fn ids(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn the_quotas_split_the_partitions_evenly_and_sum_to_all_of_them() {
    let abc = ids(&["a", "b", "c"]);
    assert_eq!(
        ["a", "b", "c"].map(|me| quota(4, &abc, me)),
        [2, 1, 1],
        "the first in id order takes the extra one"
    );
    assert_eq!(quota(1, &abc, "a"), 1);
    assert_eq!(quota(1, &abc, "c"), 0);
    assert_eq!(quota(4, &ids(&["a", "b"]), "b"), 2);
    assert_eq!(quota(4, &ids(&["a"]), "a"), 4);
    assert_eq!(quota(4, &[], "a"), 4, "a node counts itself");
    for p in 1..20 {
        for n in 1..8 {
            let live: Vec<String> = (0..n).map(|i| format!("n{i}")).collect();
            let quotas: Vec<u32> = live.iter().map(|me| quota(p, &live, me)).collect();
            assert_eq!(quotas.iter().sum::<u32>(), p, "{p} over {n}");
            let (lo, hi) = (quotas.iter().min().unwrap(), quotas.iter().max().unwrap());
            assert!(hi - lo <= 1, "{p} over {n}: {quotas:?}");
        }
    }
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
        if let PartitionAction::Act(_) =
            decide_within_quota(a, held, quota(4, &ids(&["a", "b"]), "a"))
        {
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
    assert_eq!(live_nodes(0, "a", &[], 1_000), ["a"]);
    let seen = [("a", 0), ("c", 1_500), ("b", 500)];
    assert_eq!(live_nodes(1_499, "a", &seen, 1_000), ["a", "b", "c"]);
    assert_eq!(
        live_nodes(1_500, "a", &seen, 1_000),
        ["a", "c"],
        "b is gone"
    );
    assert_eq!(live_nodes(2_500, "a", &seen, 1_000), ["a"], "c is gone too");
    // A node that stops renewing leaves, and the quota of the others grows to cover P.
    let seen = [("a", 1_000), ("b", 500)];
    let q = |now| quota(4, &live_nodes(now, "c", &seen, 1_000), "c");
    assert_eq!((q(1_499), q(1_500), q(2_000)), (1, 2, 4));
}

#[test]
fn a_node_joins_only_with_the_clusters_number_of_partitions() {
    use crate::projection_lease::Lease;
    let lease = |owner: &str, checkpoint| {
        Some(Lease {
            owner: owner.into(),
            checkpoint,
        })
    };
    assert_eq!(agree(4, 4, &[]), Agreement::Same);
    // A fresh cluster: nothing projected yet.
    assert_eq!(agree(1, 4, &[None]), Agreement::Adopt { seed: 0 });
    // From one lease to four, after every node stopped cleanly: start where `all` was.
    assert_eq!(
        agree(1, 4, &[lease("", 900)]),
        Agreement::Adopt { seed: 900 }
    );
    // Back from four to one: the lowest checkpoint (a partition never written counts 0).
    assert_eq!(
        agree(
            4,
            1,
            &[lease("", 50), lease("", 30), lease("", 70), lease("", 60)]
        ),
        Agreement::Adopt { seed: 30 }
    );
    assert_eq!(
        agree(4, 2, &[lease("", 50), None, lease("", 70), lease("", 60)]),
        Agreement::Adopt { seed: 0 }
    );
    // A node still holds a lease of the other number: refused, naming both numbers.
    match agree(4, 2, &[lease("", 50), lease("n1/x", 30), None, None]) {
        Agreement::Refuse(m) => {
            assert!(
                m.contains("projection_partitions = 4") && m.contains("set to 2"),
                "{m}"
            );
            assert!(m.contains("partition 1") && m.contains("n1/x"), "{m}");
        }
        other => panic!("{other:?}"),
    }
}
