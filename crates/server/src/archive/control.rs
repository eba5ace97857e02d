//! `cairn archive` through the control socket: the requests, the server's answers (progress
//! lines, then the result) and the CLI's side. Archiving needs the running server (it removes
//! statements from ClickHouse and the log with the purge primitive, which runs in the server).
use super::{Archives, Restore};
use crate::backup::{Reply, Request, send, socket_path};
use crate::config::Config;
use crate::progress::Progress;
use anyhow::{Context, bail};
use cairn_core::StoreId;
use cairn_core::archive::{Manifest, Month};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

/// An archive request (`dir`: absolute; none: the server's `archive_dir`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ArchiveRequest {
    /// Archive one month of a store, then remove its statements.
    Month {
        store: StoreId,
        month: Month,
        dir: Option<PathBuf>,
    },
    /// Bring an archived month back.
    Restore {
        store: StoreId,
        month: Month,
        dir: Option<PathBuf>,
    },
    /// The archives in the directory.
    List { dir: Option<PathBuf> },
}

/// The result of an [`ArchiveRequest`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArchiveReply {
    Archived(Manifest),
    Restored(Restore),
    List(Vec<Manifest>),
}

/// Runs `req` in the server, sending progress lines to `w`; answers the last line.
pub async fn answer(
    req: ArchiveRequest,
    archives: &Archives,
    w: &mut tokio::net::unix::OwnedWriteHalf,
) -> Reply {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let job = async {
        match req {
            ArchiveRequest::Month { store, month, dir } => {
                let dir = archives.dir(dir)?;
                archives
                    .archive(dir, store, month, tx)
                    .await
                    .map(ArchiveReply::Archived)
            }
            ArchiveRequest::Restore { store, month, dir } => {
                let dir = archives.dir(dir)?;
                archives
                    .restore(dir, store, month, tx)
                    .await
                    .map(ArchiveReply::Restored)
            }
            ArchiveRequest::List { dir } => super::list(archives.dir(dir)?)
                .await
                .map(ArchiveReply::List),
        }
    };
    tokio::pin!(job);
    loop {
        tokio::select! {
            Some((done, total)) = rx.recv() => {
                // The client may have gone: the operation still finishes.
                let _ = send(w, &Reply::Progress { done, total }).await;
            }
            result = &mut job => break match result {
                Ok(r) => Reply::Archive(r),
                Err(e) => Reply::Error(format!("{e:#}")),
            },
        }
    }
}

/// `cairn archive …`: sends `req` to the running server, showing its progress.
pub async fn command(cfg: &Config, mut req: ArchiveRequest) -> anyhow::Result<ArchiveReply> {
    match &mut req {
        ArchiveRequest::Month { dir, .. }
        | ArchiveRequest::Restore { dir, .. }
        | ArchiveRequest::List { dir } => {
            if let Some(d) = dir {
                *d = std::path::absolute(&*d)?;
            }
        }
    }
    let what = match req {
        ArchiveRequest::Month { .. } => "archiving",
        ArchiveRequest::Restore { .. } => "restoring",
        ArchiveRequest::List { .. } => "listing",
    };
    let stream = tokio::net::UnixStream::connect(socket_path(&cfg.data_dir))
        .await
        .context(
            "no server answers on the data directory's control socket: `cairn archive` runs \
             through the running server (start `cairn serve`)",
        )?;
    let (r, mut w) = stream.into_split();
    let mut line = serde_json::to_vec(&Request::Archive(req))?;
    line.push(b'\n');
    w.write_all(&line).await?;
    let mut progress = Progress::new(what, "statements", 0);
    let mut lines = BufReader::new(r).lines();
    let result = loop {
        let Some(line) = lines.next_line().await? else {
            break Err(anyhow::anyhow!(
                "the server closed the control socket before the {what} finished"
            ));
        };
        match serde_json::from_str::<Reply>(&line)? {
            Reply::Progress { done, total } => progress.set(done, total),
            Reply::Archive(r) => break Ok(r),
            Reply::Error(e) => break Err(anyhow::anyhow!("{e}")),
            Reply::Done(_) => bail!("the server answered another request"),
        }
    };
    progress.finish();
    result
}
