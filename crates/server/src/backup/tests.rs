use super::*;
use cairn_core::ports::{LogStore, WriteSet};
use cairn_core::{Event, FilterKeys, StatementRecord, StoreId};
use cairn_store::backup::generations;
use uuid::Uuid;

fn append(store: &FjallStore, n: u64) {
    let id = Uuid::new_v4();
    let e = Event::Statement(Arc::new(StatementRecord {
        store: StoreId::DEFAULT,
        id,
        stored_us: n as i64,
        keys: FilterKeys::default(),
        voids: None,
        attachments: vec![],
        body: format!(r#"{{"id":"{id}"}}"#).into_bytes(),
        facts: None,
    }));
    let ws = WriteSet {
        events: vec![(n, Arc::new(e))],
        statement_ids: vec![(StoreId::DEFAULT, id, n)],
        ..Default::default()
    };
    store.commit(&ws).unwrap();
}

fn config(data: &Path) -> Config {
    Config {
        data_dir: data.to_path_buf(),
        backup_full_every: 2,
        ..Config::default()
    }
}

#[tokio::test]
async fn a_schedule_writes_generations_and_prunes_them() {
    let data = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(data.path());
    let store = Arc::new(FjallStore::open(&data.path().join("store"), 8 << 20).unwrap());
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(schedule(
        Backups::new(store.clone(), &cfg),
        dir.path().to_path_buf(),
        Duration::from_millis(30),
        2,
        stopped,
    ));
    let mut n = 0;
    let newest = loop {
        n += 1;
        let s = store.clone();
        tokio::task::spawn_blocking(move || append(&s, n))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
        let gens = generations(dir.path()).unwrap();
        if gens.last().is_some_and(|m| m.generation >= 6) {
            break gens.last().unwrap().generation;
        }
        assert!(n < 3000, "the schedule writes generations");
    };
    stop.send(true).unwrap();
    task.await.unwrap();
    let gens = generations(dir.path()).unwrap();
    let numbers: Vec<u64> = gens.iter().map(|m| m.generation).collect();
    // Full every 2 generations, 2 kept: at most 3 on disk (a full one, and up to two after it
    // when the oldest kept is incremental), the oldest of them full.
    assert!(numbers.len() <= 3 && numbers.len() >= 2, "{numbers:?}");
    assert!(gens[0].full, "{gens:?}");
    assert!(numbers.iter().all(|g| *g + 3 > newest), "{numbers:?}");
    // The newest restores to its position.
    let restored = tempfile::tempdir().unwrap();
    let m = cairn_store::backup::restore(
        dir.path(),
        &restored.path().join("store"),
        None,
        8 << 20,
        &mut |_, _| {},
    )
    .unwrap();
    let r = FjallStore::open(&restored.path().join("store"), 8 << 20).unwrap();
    assert_eq!(r.last_seq().unwrap(), m.seq);
}

#[tokio::test]
async fn the_cli_backs_up_through_the_control_socket() {
    let data = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(data.path());
    let store = Arc::new(FjallStore::open(&data.path().join("store"), 8 << 20).unwrap());
    for n in 1..=20 {
        append(&store, n);
    }
    let (stop, stopped) = watch::channel(false);
    let task = serve_control(
        data.path(),
        Backups::new(store.clone(), &cfg),
        None,
        stopped,
    )
    .unwrap();
    let socket = data.path().join(CONTROL_DIR).join(CONTROL_SOCKET);
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&socket), 0o600);
        assert_eq!(mode(&data.path().join(CONTROL_DIR)), 0o700);
    }
    // The store is open here: only the server can write the backup.
    let m = backup_command(&cfg, dir.path()).await.unwrap();
    assert_eq!((m.generation, m.seq, m.full), (1, 20, true));
    append(&store, 21);
    let m = backup_command(&cfg, dir.path()).await.unwrap();
    assert_eq!(
        (m.generation, m.after_seq, m.seq, m.full),
        (2, 20, 21, false)
    );

    // A relative path or a malformed request gets a clear answer.
    for (request, want) in [
        (r#"{"backup":{"dir":"relative"}}"#, "not an absolute path"),
        (r#"{"erase":{}}"#, "not a control request"),
    ] {
        let mut s = tokio::net::UnixStream::connect(&socket).await.unwrap();
        s.write_all(format!("{request}\n").as_bytes())
            .await
            .unwrap();
        let mut line = String::new();
        BufReader::new(s).read_line(&mut line).await.unwrap();
        match serde_json::from_str::<Reply>(&line).unwrap() {
            Reply::Error(e) => assert!(e.contains(want), "{e}"),
            other => panic!("{other:?}"),
        }
    }
    stop.send(true).unwrap();
    task.await.unwrap();
    assert!(!socket.exists(), "the socket goes with the server");

    // Restores go into an empty data directory only.
    let err = restore_command(&cfg, dir.path(), None).await.unwrap_err();
    assert!(err.to_string().contains("is not empty"), "{err}");
    let fresh = tempfile::tempdir().unwrap();
    let target = config(&fresh.path().join("data"));
    let m = restore_command(&target, dir.path(), Some(1)).await.unwrap();
    assert_eq!(m.seq, 20);
    assert!(!target.data_dir.join(RESTORE_MARKER).exists());
    check_not_restoring(&target.data_dir).unwrap();
}
