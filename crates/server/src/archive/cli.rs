//! `cairn archive month|restore|list` (through the running server, see [`super::control`]).
use super::control::{ArchiveReply, ArchiveRequest, command};
use crate::config::Config;
use cairn_core::StoreId;
use cairn_core::archive::Month;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum ArchiveCommand {
    /// Archive one month (UTC, by `stored`) of a store into the archive directory, then remove
    /// its statements from the log and ClickHouse.
    Month {
        #[arg(long)]
        store: uuid::Uuid,
        /// YYYY-MM
        #[arg(long)]
        month: Month,
        /// The archive directory (default: the `archive_dir` setting).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Bring an archived month back: its statements return with their ids and `stored`.
    Restore {
        #[arg(long)]
        store: uuid::Uuid,
        /// YYYY-MM
        #[arg(long)]
        month: Month,
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// List the archives (store, month, statements, first and last `stored`).
    List {
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

/// Runs `cmd` and prints its result.
pub async fn run(cfg: &Config, cmd: ArchiveCommand) -> anyhow::Result<()> {
    let req = match cmd {
        ArchiveCommand::Month { store, month, dir } => ArchiveRequest::Month {
            store: StoreId(store),
            month,
            dir,
        },
        ArchiveCommand::Restore { store, month, dir } => ArchiveRequest::Restore {
            store: StoreId(store),
            month,
            dir,
        },
        ArchiveCommand::List { dir } => ArchiveRequest::List { dir },
    };
    match command(cfg, req).await? {
        ArchiveReply::Archived(m) => println!(
            "archived {} statements of store {} for {} (sha256 {})",
            m.count, m.store, m.month, m.sha256
        ),
        ArchiveReply::Restored(r) => println!(
            "restored {} for store {}: {} statements in the archive, {} appended to the log",
            r.month, r.store, r.statements, r.appended
        ),
        ArchiveReply::List(all) => {
            for m in all {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    m.store,
                    m.month,
                    m.count,
                    m.first_stored.unwrap_or_default(),
                    m.last_stored.unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}
