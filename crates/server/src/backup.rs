//! Online backups and restores (docs/operations.md, "Backups and restores").
//!
//! The embedded store can be opened by one process only, so while the server runs, `cairn
//! backup` asks it to write the backup through a control socket: a Unix socket in the data
//! directory (`control/cairn.sock`, in a directory only the server's user can enter), which
//! takes one JSON request line and answers progress lines, then the result. When no server
//! answers there, `cairn backup` opens the store itself. Scheduled backups
//! (`backup_dir`) run in the server on the same path.
use crate::config::Config;
use crate::progress::Progress;
use anyhow::{Context, anyhow, bail};
use cairn_store::FjallStore;
use cairn_store::backup::{BackupOptions, Manifest};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{Mutex, mpsc, watch};

/// The control socket's directory in the data directory, and the socket in it.
pub const CONTROL_DIR: &str = "control";
pub const CONTROL_SOCKET: &str = "cairn.sock";
/// A file in the data directory while a restore into it has not finished.
pub const RESTORE_MARKER: &str = "restore.incomplete";
/// The longest request line the control socket reads.
const REQUEST_MAX_BYTES: u64 = 64 << 10;

/// What the control socket is asked.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// Write the next generation of the backup in `dir` (an absolute path).
    Backup { dir: PathBuf },
    /// Month archives (`cairn archive`, see [`crate::archive::control`]).
    Archive(crate::archive::control::ArchiveRequest),
}

/// What it answers, one JSON line each.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    Progress {
        done: u64,
        total: u64,
    },
    Done(Box<Manifest>),
    /// The answer of an archive request.
    Archive(crate::archive::control::ArchiveReply),
    Error(String),
}

/// Takes backups of the running server's store, one at a time.
#[derive(Clone)]
pub struct Backups {
    store: Arc<FjallStore>,
    options: BackupOptions,
    busy: Arc<Mutex<()>>,
}

impl Backups {
    pub fn new(store: Arc<FjallStore>, cfg: &Config) -> Self {
        Backups {
            store,
            options: BackupOptions {
                full_every: cfg.backup_full_every,
            },
            busy: Arc::default(),
        }
    }

    /// Writes the next generation into `dir`, sending `(done, total)` log entries as it goes.
    pub async fn run(
        &self,
        dir: PathBuf,
        progress: mpsc::UnboundedSender<(u64, u64)>,
    ) -> anyhow::Result<Manifest> {
        let _one = self.busy.lock().await;
        let (store, options) = (self.store.clone(), self.options);
        let started = std::time::Instant::now();
        let m = tokio::task::spawn_blocking(move || {
            store.backup(&dir, options, &mut |d, t| {
                let _ = progress.send((d, t));
            })
        })
        .await??;
        tracing::info!(
            generation = m.generation,
            full = m.full,
            seq = m.seq,
            seconds = started.elapsed().as_secs_f64(),
            "backup generation written"
        );
        Ok(m)
    }
}

pub(crate) fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join(CONTROL_DIR).join(CONTROL_SOCKET)
}

/// Listens on the control socket until shutdown.
pub fn serve_control(
    data_dir: &Path,
    backups: Backups,
    archives: Option<crate::archive::Archives>,
    mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let dir = data_dir.join(CONTROL_DIR);
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    let path = socket_path(data_dir);
    // Left by a server that stopped without cleaning up (this one holds the store's lock, so
    // no other server is using it).
    let _ = std::fs::remove_file(&path);
    let listener = tokio::net::UnixListener::bind(&path)
        .with_context(|| format!("cannot listen on {}", path.display()))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    Ok(tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = shutdown.wait_for(|s| *s) => break,
                conn = listener.accept() => match conn {
                    Ok((stream, _)) => {
                        tokio::spawn(answer(stream, backups.clone(), archives.clone()));
                    }
                    Err(e) => tracing::warn!(error = %e, "control socket: accept failed"),
                }
            }
        }
        let _ = std::fs::remove_file(&path);
    }))
}

pub(crate) async fn send(
    w: &mut tokio::net::unix::OwnedWriteHalf,
    reply: &Reply,
) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(reply).map_err(std::io::Error::other)?;
    line.push(b'\n');
    w.write_all(&line).await
}

async fn answer(
    stream: tokio::net::UnixStream,
    backups: Backups,
    archives: Option<crate::archive::Archives>,
) {
    let (r, mut w) = stream.into_split();
    let mut line = String::new();
    let read = BufReader::new(r.take(REQUEST_MAX_BYTES))
        .read_line(&mut line)
        .await;
    let request = match read {
        Ok(_) => serde_json::from_str::<Request>(&line).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    let reply = match request {
        Err(e) => Reply::Error(format!("not a control request: {e}")),
        Ok(Request::Archive(req)) => match &archives {
            Some(a) => crate::archive::control::answer(req, a, &mut w).await,
            None => Reply::Error("this server does not archive".into()),
        },
        Ok(Request::Backup { dir }) if !dir.is_absolute() => {
            Reply::Error(format!("{} is not an absolute path", dir.display()))
        }
        Ok(Request::Backup { dir }) => {
            let (tx, mut rx) = mpsc::unbounded_channel();
            let job = backups.run(dir, tx);
            tokio::pin!(job);
            loop {
                tokio::select! {
                    Some((done, total)) = rx.recv() => {
                        // The client may have gone: the backup still finishes.
                        let _ = send(&mut w, &Reply::Progress { done, total }).await;
                    }
                    result = &mut job => break match result {
                        Ok(m) => Reply::Done(Box::new(m)),
                        Err(e) => Reply::Error(format!("{e:#}")),
                    },
                }
            }
        }
    };
    let _ = send(&mut w, &reply).await;
}

/// `cairn backup DIR`: through the running server when there is one, else on the store itself.
pub async fn backup_command(cfg: &Config, dir: &Path) -> anyhow::Result<Manifest> {
    let dir = std::path::absolute(dir)?;
    let mut progress = Progress::new("backing up", "log entries", 0);
    let result = match tokio::net::UnixStream::connect(socket_path(&cfg.data_dir)).await {
        Ok(stream) => through_server(stream, &dir, &mut progress).await,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            let store = crate::app::open_store(cfg).context(
                "no server answers on the data directory's control socket, and the store \
                 cannot be opened",
            )?;
            let (tx, mut rx) = mpsc::unbounded_channel();
            let backups = Backups::new(store, cfg);
            let job = backups.run(dir, tx);
            tokio::pin!(job);
            loop {
                tokio::select! {
                    Some((done, total)) = rx.recv() => progress.set(done, total),
                    result = &mut job => break result,
                }
            }
        }
        Err(e) => Err(anyhow!(e).context("cannot reach the server's control socket")),
    };
    progress.finish();
    result
}

async fn through_server(
    stream: tokio::net::UnixStream,
    dir: &Path,
    progress: &mut Progress,
) -> anyhow::Result<Manifest> {
    let (r, mut w) = stream.into_split();
    let mut req = serde_json::to_vec(&Request::Backup { dir: dir.into() })?;
    req.push(b'\n');
    w.write_all(&req).await?;
    let mut lines = BufReader::new(r).lines();
    while let Some(line) = lines.next_line().await? {
        match serde_json::from_str::<Reply>(&line)? {
            Reply::Progress { done, total } => progress.set(done, total),
            Reply::Done(m) => return Ok(*m),
            Reply::Error(e) => bail!("{e}"),
            Reply::Archive(_) => bail!("the server answered another request"),
        }
    }
    bail!("the server closed the control socket before the backup finished")
}

/// Whether a data directory may be restored into: missing, empty, or holding only an
/// unfinished restore.
fn restorable(data_dir: &Path) -> anyhow::Result<bool> {
    let entries = match std::fs::read_dir(data_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(true),
        Err(e) => return Err(anyhow!(e).context(format!("cannot read {}", data_dir.display()))),
    };
    let names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let unfinished = names.iter().any(|n| n == RESTORE_MARKER);
    Ok(names.is_empty()
        || (unfinished && names.iter().all(|n| n == RESTORE_MARKER || n == "store")))
}

/// `cairn restore DIR [--generation N]` into the configured data directory, which must be
/// empty. Answers the restored generation.
pub async fn restore_command(
    cfg: &Config,
    dir: &Path,
    generation: Option<u64>,
) -> anyhow::Result<Manifest> {
    let data_dir = cfg.data_dir.clone();
    if !restorable(&data_dir)? {
        bail!(
            "the data directory {} is not empty: restore into a new or empty data directory \
             (set --data-dir), so that nothing is overwritten",
            data_dir.display()
        );
    }
    let (dir, cache) = (dir.to_path_buf(), cfg.store_cache_mib << 20);
    let mut progress = Progress::new("restoring (checking, then loading files)", "files", 0);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let job = tokio::task::spawn_blocking(move || -> anyhow::Result<Manifest> {
        let store = data_dir.join("store");
        if store.exists() {
            std::fs::remove_dir_all(&store)?;
        }
        std::fs::create_dir_all(&data_dir)?;
        let marker = data_dir.join(RESTORE_MARKER);
        std::fs::write(&marker, b"a restore into this directory has not finished\n")?;
        let m = cairn_store::backup::restore(&dir, &store, generation, cache, &mut |d, t| {
            let _ = tx.send((d, t));
        })?;
        std::fs::remove_file(&marker)?;
        Ok(m)
    });
    tokio::pin!(job);
    let result = loop {
        tokio::select! {
            Some((done, total)) = rx.recv() => progress.set(done, total),
            result = &mut job => break result?,
        }
    };
    progress.finish();
    result
}

/// Refuses to open a data directory a restore has not finished.
pub fn check_not_restoring(data_dir: &Path) -> anyhow::Result<()> {
    if data_dir.join(RESTORE_MARKER).exists() {
        bail!(
            "a restore into {} has not finished: run `cairn restore` again (it starts over)",
            data_dir.display()
        );
    }
    Ok(())
}

/// Writes a generation into `dir` every `every`, then deletes the generations no longer needed
/// to keep the newest `keep` restorable; until shutdown.
pub async fn schedule(
    backups: Backups,
    dir: PathBuf,
    every: Duration,
    keep: usize,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = shutdown.wait_for(|s| *s) => return,
            _ = tokio::time::sleep(every) => {}
        }
        let (tx, _rx) = mpsc::unbounded_channel();
        if let Err(e) = backups.run(dir.clone(), tx).await {
            tracing::error!(error = %format!("{e:#}"), dir = %dir.display(), "scheduled backup failed");
            continue;
        }
        let d = dir.clone();
        match tokio::task::spawn_blocking(move || cairn_store::backup::prune_dir(&d, keep)).await {
            Ok(Ok(gone)) if !gone.is_empty() => {
                tracing::info!(?gone, "deleted backup generations no longer needed")
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "cannot delete old backup generations"),
            Err(e) => tracing::error!(error = %e, "cannot delete old backup generations"),
        }
    }
}

/// The control socket and, when `backup_dir` is set, the backup schedule.
pub fn spawn(
    cfg: &Config,
    store: Arc<FjallStore>,
    archives: crate::archive::Archives,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    let backups = Backups::new(store, cfg);
    let mut tasks = vec![serve_control(
        &cfg.data_dir,
        backups.clone(),
        Some(archives),
        shutdown.clone(),
    )?];
    if let Some(dir) = &cfg.backup_dir {
        let dir = std::path::absolute(dir)?;
        let every = Duration::from_secs(cfg.backup_interval_minutes * 60);
        tasks.push(tokio::spawn(schedule(
            backups,
            dir,
            every,
            cfg.backup_keep,
            shutdown,
        )));
    }
    Ok(tasks)
}

#[cfg(test)]
mod tests;
