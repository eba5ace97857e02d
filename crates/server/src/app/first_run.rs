//! What a node sets up on its first start: the key that signs `more` links (kept in the data
//! directory) and the default organisation, store and client (kept in the log).
use crate::config::Config;
use anyhow::{Context, anyhow};
use cairn_core::StoreId;
use cairn_core::ports::LogStore;
use cairn_core::query::CursorKey;
use cairn_core::tenancy::TenancyService;

/// Where versions before the tenancy kept the generated default client, in plain text.
const LEGACY_DEFAULT_CLIENT_META: &str = "default_client";
/// Set once the default organisation, store and client have been created.
pub const BOOTSTRAPPED_META: &str = "tenancy_bootstrapped";

/// The file in the data directory holding the key that signs `more` links.
pub const CURSOR_KEY_FILE: &str = "cursor.key";

/// The key that signs `more` links: read from the data directory, or made and written there
/// (readable by the owner only) on the first start. Blocking: call off the async runtime.
pub fn cursor_key(data_dir: &std::path::Path) -> anyhow::Result<CursorKey> {
    let path = data_dir.join(CURSOR_KEY_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let bytes: [u8; 32] = bytes.try_into().map_err(|_| {
                anyhow!(
                    "{} is not a 32-byte key; delete it to make a new one (links already \
                     handed out then stop working)",
                    path.display()
                )
            })?;
            Ok(CursorKey::from_bytes(bytes))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            use std::io::Write;
            let key = CursorKey::generate();
            let tmp = data_dir.join(format!("{CURSOR_KEY_FILE}.tmp"));
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let write = |f: &mut std::fs::File| {
                f.write_all(key.bytes())?;
                f.sync_all()
            };
            options
                .open(&tmp)
                .and_then(|mut f| write(&mut f))
                .and_then(|_| std::fs::rename(&tmp, &path))
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(key)
        }
        Err(e) => Err(anyhow::Error::new(e).context(format!("cannot read {}", path.display()))),
    }
}

/// On first start, creates the default organisation and store (which keeps the store id of data
/// written by earlier versions) and the default client: the configured one, else the client an
/// earlier version generated, else a new one. Answers the key and secret of a client generated
/// by this start, to be shown this once; a configured secret is never answered (the operator
/// has it). Later starts only make sure a configured client exists with the configured secret.
pub async fn bootstrap(
    cfg: &Config,
    log: &dyn LogStore,
    tenancy: &TenancyService,
) -> anyhow::Result<Option<(String, String)>> {
    let first = log.meta_get(BOOTSTRAPPED_META)?.is_none();
    // In a cluster, another node may create the same defaults at the same moment: the loser's
    // writer has then applied the winner's, so a second try finds them (and does nothing).
    if first && tenancy.ensure_default_store().await.is_err() {
        tenancy.ensure_default_store().await?;
    }
    let has_default = tenancy
        .snapshot()
        .state
        .stores
        .contains_key(&StoreId::DEFAULT);
    let mut shown = None;
    if let (Some(k), Some(s)) = (&cfg.default_client_key, &cfg.default_client_secret) {
        if has_default {
            let ensure = || tenancy.ensure_client(StoreId::DEFAULT, k, s, "Default client");
            if ensure().await.is_err() {
                ensure().await?;
            }
        }
    } else if first && has_default {
        let legacy = log
            .meta_get(LEGACY_DEFAULT_CLIENT_META)?
            .and_then(|v| String::from_utf8(v).ok())
            .and_then(|t| t.split_once(':').map(|(k, s)| (k.to_owned(), s.to_owned())));
        let (k, s) = legacy.unwrap_or_else(|| {
            (
                cairn_core::tenancy::secrets::generate_key(),
                cairn_core::tenancy::secrets::generate_secret(),
            )
        });
        tenancy
            .ensure_client(StoreId::DEFAULT, &k, &s, "Default client")
            .await?;
        shown = Some((k, s));
    }
    if first {
        // The plain-text secret of earlier versions goes; only its hash is kept.
        log.meta_put(LEGACY_DEFAULT_CLIENT_META, b"")?;
        log.meta_put(BOOTSTRAPPED_META, b"1")?;
    }
    Ok(shown)
}
