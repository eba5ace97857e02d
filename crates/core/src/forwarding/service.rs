//! The forwarders service: what the admin API calls. Store viewers see forwarders and their
//! status; store admins create, change, pause, replay and delete them and handle dead letters
//! ([`needs::MANAGE_FORWARDERS`]): a forwarder sends a store's statements out of the LRS. Secrets
//! (passwords, tokens, webhook secrets, header values) are write-only: a change that leaves one
//! out keeps the stored one.
use super::decide::{ForwarderCommand, ForwarderPatch};
use super::hub::{Hub, StatusView};
use super::model::*;
use super::state::Forwarders;
use crate::error::Error;
use crate::ids::StoreId;
use crate::tenancy::access::needs;
use crate::tenancy::{ListQuery, Listed, Subject, TenancyService, page};
use crate::writer::WriterHandle;
use std::sync::Arc;
use uuid::Uuid;

/// Credentials as given: a missing password or token keeps the stored one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthInput {
    None,
    Basic {
        user: String,
        password: Option<String>,
    },
    Bearer {
        token: Option<String>,
    },
}

/// A target as given: secrets may be left out to keep the stored ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetInput {
    Xapi {
        endpoint: String,
        version: XapiVersion,
        auth: AuthInput,
        /// (name, value); a missing value keeps the stored value of that header.
        headers: Vec<(String, Option<String>)>,
    },
    Webhook {
        url: String,
        secret: Option<String>,
        headers: Vec<(String, Option<String>)>,
    },
}

#[derive(Debug, Clone)]
pub struct NewForwarder {
    pub name: String,
    pub filter: Option<serde_json::Value>,
    pub target: TargetInput,
    pub batch_size: Option<u32>,
    pub enabled: Option<bool>,
}

/// `None` keeps a value; `filter: Some(None)` removes the filter.
#[derive(Debug, Clone, Default)]
pub struct ForwarderEdit {
    pub name: Option<String>,
    pub filter: Option<Option<serde_json::Value>>,
    pub target: Option<TargetInput>,
    pub batch_size: Option<u32>,
    pub enabled: Option<bool>,
}

/// Where a replay starts: a log position, or the first statement stored at or after a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayFrom {
    Seq(u64),
    TimeUs(i64),
}

/// Default statements per request.
pub const DEFAULT_BATCH: u32 = 100;

#[derive(Clone)]
pub struct ForwarderService {
    forwarders: Arc<Forwarders>,
    writer: WriterHandle,
    tenancy: TenancyService,
    hub: Hub,
}

fn missing(field: &str) -> Error {
    Error::BadRequest(format!(
        "{field}: required (the stored secret cannot be kept: there is none)"
    ))
}

/// The secret given, else the stored one.
fn keep(given: Option<String>, stored: Option<&String>, field: &str) -> Result<String, Error> {
    given
        .or_else(|| stored.cloned())
        .ok_or_else(|| missing(field))
}

fn headers(
    given: Vec<(String, Option<String>)>,
    stored: &[(String, String)],
) -> Result<Vec<(String, String)>, Error> {
    given
        .into_iter()
        .map(|(n, v)| {
            let old = stored
                .iter()
                .find(|(o, _)| o.eq_ignore_ascii_case(&n))
                .map(|(_, v)| v);
            let v = keep(v, old, &format!("/target/headers/{n}"))?;
            Ok((n, v))
        })
        .collect()
}

/// The target to store: `input`, secrets left out taken from `old`.
pub fn resolve(input: TargetInput, old: Option<&Target>) -> Result<Target, Error> {
    match input {
        TargetInput::Xapi {
            endpoint,
            version,
            auth,
            headers: h,
        } => {
            let (old_auth, old_headers) = match old {
                Some(Target::Xapi { auth, headers, .. }) => (Some(auth), headers.as_slice()),
                _ => (None, &[][..]),
            };
            let auth = match auth {
                AuthInput::None => Auth::None,
                AuthInput::Basic { user, password } => {
                    let stored = match old_auth {
                        Some(Auth::Basic { user: u, password }) if *u == user => Some(password),
                        _ => None,
                    };
                    let password = keep(password, stored, "/target/auth/password")?;
                    Auth::Basic { user, password }
                }
                AuthInput::Bearer { token } => {
                    let stored = match old_auth {
                        Some(Auth::Bearer { token }) => Some(token),
                        _ => None,
                    };
                    Auth::Bearer {
                        token: keep(token, stored, "/target/auth/token")?,
                    }
                }
            };
            Ok(Target::Xapi {
                endpoint,
                version,
                auth,
                headers: headers(h, old_headers)?,
            })
        }
        TargetInput::Webhook {
            url,
            secret,
            headers: h,
        } => {
            let (old_secret, old_headers) = match old {
                Some(Target::Webhook {
                    secret, headers, ..
                }) => (Some(secret), headers.as_slice()),
                _ => (None, &[][..]),
            };
            Ok(Target::Webhook {
                url,
                secret: keep(secret, old_secret, "/target/secret")?,
                headers: headers(h, old_headers)?,
            })
        }
    }
}

impl ForwarderService {
    pub fn new(
        forwarders: Arc<Forwarders>,
        writer: WriterHandle,
        tenancy: TenancyService,
        hub: Hub,
    ) -> Self {
        ForwarderService {
            forwarders,
            writer,
            tenancy,
            hub,
        }
    }

    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    fn can(&self, s: &Subject, store: StoreId, manage: bool) -> Result<(), Error> {
        let min = if manage {
            needs::MANAGE_FORWARDERS
        } else {
            needs::VIEW_STORE
        };
        self.tenancy.store_as(s, store, min).map(|_| ())
    }

    fn current(&self, store: StoreId, id: Uuid) -> Result<Forwarder, Error> {
        self.forwarders
            .read()
            .by_id
            .get(&id)
            .filter(|f| f.store == store)
            .cloned()
            .ok_or(Error::NotFound)
    }

    /// The forwarder, when the subject may see (or, with `manage`, change) it.
    pub fn get(
        &self,
        s: &Subject,
        store: StoreId,
        id: Uuid,
        manage: bool,
    ) -> Result<Forwarder, Error> {
        self.can(s, store, manage)?;
        self.current(store, id)
    }

    pub fn list(
        &self,
        s: &Subject,
        store: StoreId,
        q: &ListQuery,
    ) -> Result<Listed<Forwarder>, Error> {
        self.can(s, store, false)?;
        let st = self.forwarders.read();
        Ok(page(
            st.of_store(store)
                .filter(|f| q.name_matches(&f.name))
                .map(|f| (f.id, f.clone())),
            q,
        ))
    }

    async fn apply(&self, store: StoreId, cmd: ForwarderCommand) -> Result<(), Error> {
        self.writer.forwarders(store, vec![cmd]).await?;
        self.hub.sync().await
    }

    pub async fn create(
        &self,
        s: &Subject,
        store: StoreId,
        n: NewForwarder,
    ) -> Result<Forwarder, Error> {
        self.can(s, store, true)?;
        let f = Forwarder {
            id: Uuid::now_v7(),
            store,
            name: n.name,
            filter: n.filter.map(|f| f.to_string()),
            target: resolve(n.target, None)?,
            batch_size: n.batch_size.unwrap_or(DEFAULT_BATCH),
            enabled: n.enabled.unwrap_or(true),
            created_us: 0,
            updated_us: 0,
        };
        let id = f.id;
        self.apply(store, ForwarderCommand::Create(f)).await?;
        self.current(store, id)
    }

    pub async fn update(
        &self,
        s: &Subject,
        store: StoreId,
        id: Uuid,
        e: ForwarderEdit,
    ) -> Result<Forwarder, Error> {
        let old = self.get(s, store, id, true)?;
        let target = e
            .target
            .map(|t| resolve(t, Some(&old.target)))
            .transpose()?;
        let patch = ForwarderPatch {
            name: e.name,
            filter: e.filter.map(|f| f.map(|v| v.to_string())),
            target,
            batch_size: e.batch_size,
            enabled: e.enabled,
        };
        self.apply(store, ForwarderCommand::Update { id, patch })
            .await?;
        self.current(store, id)
    }

    pub async fn delete(&self, s: &Subject, store: StoreId, id: Uuid) -> Result<(), Error> {
        self.get(s, store, id, true)?;
        // Cluster mode: its dead letters are the cluster's, whichever node ran it. Removed
        // first (a failure leaves the forwarder, to be deleted again), and once more after, for
        // any its holder recorded meanwhile.
        self.hub.forget_dead_letters(id).await?;
        self.apply(store, ForwarderCommand::Delete(id)).await?;
        if let Err(e) = self.hub.forget_dead_letters(id).await {
            tracing::warn!(forwarder = %id, error = %e, "cannot remove a deleted forwarder's dead letters");
        }
        Ok(())
    }

    pub async fn status(
        &self,
        s: &Subject,
        store: StoreId,
        id: Uuid,
    ) -> Result<(Forwarder, StatusView), Error> {
        let f = self.get(s, store, id, false)?;
        let st = self.hub.status(&f).await?;
        Ok((f, st))
    }

    pub async fn dead_letters(
        &self,
        s: &Subject,
        store: StoreId,
        id: Uuid,
    ) -> Result<Vec<DeadLetter>, Error> {
        self.get(s, store, id, false)?;
        self.hub.dead_letters(id).await
    }

    /// Sends a dead letter again: `None` when the target acknowledged it (it is gone), else the
    /// dead letter with the target's new answer.
    pub async fn retry(
        &self,
        s: &Subject,
        store: StoreId,
        id: Uuid,
        dead: Uuid,
    ) -> Result<Option<DeadLetter>, Error> {
        let f = self.get(s, store, id, true)?;
        self.hub.retry(&f, dead).await
    }

    pub async fn discard(
        &self,
        s: &Subject,
        store: StoreId,
        id: Uuid,
        dead: Uuid,
    ) -> Result<(), Error> {
        self.get(s, store, id, true)?;
        self.hub.discard(id, dead).await
    }

    /// Forwards again from a log position or a time; answers the new cursor.
    pub async fn replay(
        &self,
        s: &Subject,
        store: StoreId,
        id: Uuid,
        from: ReplayFrom,
    ) -> Result<u64, Error> {
        let f = self.get(s, store, id, true)?;
        let seq = match from {
            ReplayFrom::Seq(0) => {
                return Err(Error::BadRequest(
                    "/from_seq: log positions start at 1".into(),
                ));
            }
            ReplayFrom::Seq(q) => q,
            ReplayFrom::TimeUs(t) => self.hub.seq_at(t).await?,
        };
        let head = self.writer.last_seq();
        if seq > head + 1 {
            return Err(Error::BadRequest(format!(
                "/from_seq: the log ends at {head}"
            )));
        }
        self.hub.replay(&f, seq).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_left_out_are_kept() {
        let old = Target::Xapi {
            endpoint: "https://a.example.com/xapi/".into(),
            version: XapiVersion::V200,
            auth: Auth::Basic {
                user: "u".into(),
                password: "p".into(),
            },
            headers: vec![("X-Tenant".into(), "t1".into())],
        };
        let input = TargetInput::Xapi {
            endpoint: "https://b.example.com/xapi/".into(),
            version: XapiVersion::V103,
            auth: AuthInput::Basic {
                user: "u".into(),
                password: None,
            },
            headers: vec![("x-tenant".into(), None)],
        };
        let t = resolve(input, Some(&old)).unwrap();
        assert_eq!(
            t,
            Target::Xapi {
                endpoint: "https://b.example.com/xapi/".into(),
                version: XapiVersion::V103,
                auth: Auth::Basic {
                    user: "u".into(),
                    password: "p".into()
                },
                headers: vec![("x-tenant".into(), "t1".into())],
            }
        );
        let new_user = TargetInput::Xapi {
            endpoint: "https://b.example.com/xapi/".into(),
            version: XapiVersion::V103,
            auth: AuthInput::Basic {
                user: "other".into(),
                password: None,
            },
            headers: vec![],
        };
        assert!(
            matches!(resolve(new_user, Some(&old)), Err(Error::BadRequest(m)) if m.contains("password"))
        );
        let hook = TargetInput::Webhook {
            url: "https://h.example.com/".into(),
            secret: None,
            headers: vec![],
        };
        assert!(resolve(hook, None).is_err());
    }
}
