//! The files of an archived month (docs/operations.md, "Archive format"): in
//! `<archive_dir>/<store>/`, `<month>.statements.ndjson.zst` (one statement per line as the
//! xAPI returns it), `<month>.attachments.ndjson.zst` (one `{"sha2","content"}` line per body,
//! base64) and `<month>.manifest.json` (count and SHA-256 of each file). Each file is written to
//! a temporary name, fsynced and renamed, the manifest last, so an archive whose manifest exists
//! is complete.
use anyhow::{Context, bail};
use base64::Engine;
use cairn_core::StoreId;
use cairn_core::archive::{AttachmentLine, FORMAT_VERSION, Manifest, Month};
use cairn_core::event::StatementRecord;
use sha2::{Digest, Sha256};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

/// zstd's level for archives (the default: a good ratio at a fast pace).
const LEVEL: i32 = 3;

fn path(dir: &Path, store: StoreId, month: Month, what: &str) -> PathBuf {
    dir.join(store.to_string()).join(format!("{month}.{what}"))
}

/// The manifest's path of an archived month.
pub fn manifest_path(dir: &Path, store: StoreId, month: Month) -> PathBuf {
    path(dir, store, month, "manifest.json")
}

/// Writes `bytes` to `to` through a temporary name, fsynced, renamed, the directory fsynced.
fn put(to: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = to.with_extension("tmp");
    let mut f =
        std::fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, to)?;
    if let Some(parent) = to.parent() {
        std::fs::File::open(parent)?.sync_all()?;
    }
    Ok(())
}

fn compress(lines: impl Iterator<Item = Vec<u8>>) -> anyhow::Result<(Vec<u8>, u64)> {
    let mut enc = zstd::Encoder::new(Vec::new(), LEVEL)?;
    let mut n = 0;
    for l in lines {
        enc.write_all(&l)?;
        enc.write_all(b"\n")?;
        n += 1;
    }
    Ok((enc.finish()?, n))
}

/// Writes the archive of `month` of `store`: its statements (ascending `stored`) and the
/// attachment bodies they refer to.
pub fn write(
    dir: &Path,
    store: StoreId,
    month: Month,
    records: &[std::sync::Arc<StatementRecord>],
    attachments: &[(String, Vec<u8>)],
) -> anyhow::Result<Manifest> {
    std::fs::create_dir_all(dir.join(store.to_string()))
        .with_context(|| format!("cannot create the archive directory {}", dir.display()))?;
    let (statements, count) = compress(records.iter().map(|r| r.full_json()))?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let (bodies, n_att) = compress(attachments.iter().map(|(sha2, body)| {
        serde_json::to_vec(&AttachmentLine {
            sha2: sha2.clone(),
            content: b64.encode(body),
        })
        .expect("a string pair serializes")
    }))?;
    let manifest = Manifest {
        format: FORMAT_VERSION,
        store,
        month,
        count,
        sha256: hex::encode(Sha256::digest(&statements)),
        attachments: n_att,
        attachments_sha256: hex::encode(Sha256::digest(&bodies)),
        first_stored: records
            .first()
            .map(|r| cairn_core::time_fmt::format_us(r.stored_us)),
        last_stored: records
            .last()
            .map(|r| cairn_core::time_fmt::format_us(r.stored_us)),
    };
    put(
        &path(dir, store, month, "statements.ndjson.zst"),
        &statements,
    )?;
    put(&path(dir, store, month, "attachments.ndjson.zst"), &bodies)?;
    put(
        &manifest_path(dir, store, month),
        &serde_json::to_vec_pretty(&manifest)?,
    )?;
    Ok(manifest)
}

/// The manifest of an archived month, `None` when there is no archive of it.
pub fn manifest(dir: &Path, store: StoreId, month: Month) -> anyhow::Result<Option<Manifest>> {
    let p = manifest_path(dir, store, month);
    match std::fs::read(&p) {
        Ok(b) => Ok(Some(serde_json::from_slice(&b).with_context(|| {
            format!("{} is not an archive manifest", p.display())
        })?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", p.display())),
    }
}

fn lines(file: &Path, sha256: &str) -> anyhow::Result<Vec<Vec<u8>>> {
    let raw = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    if hex::encode(Sha256::digest(&raw)) != sha256 {
        bail!(
            "{} does not match its manifest's SHA-256 (damaged?)",
            file.display()
        );
    }
    let dec = std::io::BufReader::new(zstd::Decoder::new(raw.as_slice())?);
    dec.split(b'\n')
        .map(|l| l.map_err(anyhow::Error::from))
        .collect()
}

/// An archived month read back and checked against its manifest: its statement lines and
/// attachment bodies.
pub struct Archived {
    pub manifest: Manifest,
    pub statements: Vec<Vec<u8>>,
    pub attachments: Vec<(String, Vec<u8>)>,
}

/// Reads the archive of `month` of `store` (refused when missing, damaged or not its own).
pub fn read(dir: &Path, store: StoreId, month: Month) -> anyhow::Result<Archived> {
    let Some(manifest) = manifest(dir, store, month)? else {
        bail!(
            "there is no archive of store {store} for {month} in {}",
            dir.display()
        );
    };
    if manifest.store != store || manifest.month != month || manifest.format != FORMAT_VERSION {
        bail!("the manifest of {store} {month} describes another archive or format");
    }
    let statements = lines(
        &path(dir, store, month, "statements.ndjson.zst"),
        &manifest.sha256,
    )?;
    if statements.len() as u64 != manifest.count {
        bail!(
            "the archive of {store} {month} holds {} statements, its manifest says {}",
            statements.len(),
            manifest.count
        );
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    let attachments = lines(
        &path(dir, store, month, "attachments.ndjson.zst"),
        &manifest.attachments_sha256,
    )?
    .into_iter()
    .map(|l| {
        let a: AttachmentLine = serde_json::from_slice(&l)?;
        Ok((a.sha2, b64.decode(a.content)?))
    })
    .collect::<anyhow::Result<_>>()?;
    Ok(Archived {
        manifest,
        statements,
        attachments,
    })
}

/// Every archive's manifest in `dir`, by store then month.
pub fn list(dir: &Path) -> anyhow::Result<Vec<Manifest>> {
    let mut out = Vec::new();
    let stores = match std::fs::read_dir(dir) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
    };
    for s in stores {
        let s = s?;
        let Ok(store) = s.file_name().to_string_lossy().parse::<uuid::Uuid>() else {
            continue;
        };
        for f in std::fs::read_dir(s.path())? {
            let name = f?.file_name().to_string_lossy().into_owned();
            if let Some(month) = name
                .strip_suffix(".manifest.json")
                .and_then(|m| m.parse::<Month>().ok())
                && let Some(m) = manifest(dir, StoreId(store), month)?
            {
                out.push(m);
            }
        }
    }
    out.sort_by_key(|m| (m.store, m.month));
    Ok(out)
}
