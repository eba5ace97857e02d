//! `cairn admin …`: provisions an installation from a script. Works on the data directory
//! directly (stop the server first: the embedded store allows one process), writes through the
//! same writer and rules as the admin API, and prints one JSON object per command.
use crate::app;
use crate::config::Config;
use anyhow::Context;
use cairn_core::StoreId;
use cairn_core::ports::LogStore;
use cairn_core::tail::Tail;
use cairn_core::tenancy::{
    ClientId, ClientSpec, OrgId, Registry, Role, Scope, TenancyService, UserSpec,
};
use cairn_core::writer::{Writer, WriterConfig};
use clap::Subcommand;
use serde_json::{Value, json};
use std::sync::Arc;
use uuid::Uuid;

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Create the site administrator (or make an existing user one, with this password).
    SiteAdmin {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: Option<String>,
        /// The password (prefer --password-stdin in scripts).
        #[arg(long, conflicts_with = "password_stdin")]
        password: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Organisations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Stores.
    #[command(subcommand)]
    Store(StoreCommand),
    /// Clients (xAPI credentials).
    #[command(subcommand)]
    Client(ClientCommand),
    /// Give a user a role in an organisation.
    Member {
        #[arg(long)]
        org: Uuid,
        #[arg(long)]
        email: String,
        /// owner, admin, analyst or viewer.
        #[arg(long)]
        role: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum OrgCommand {
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        parent: Option<Uuid>,
    },
    List,
}

#[derive(Subcommand, Debug)]
pub enum StoreCommand {
    Create {
        #[arg(long)]
        org: Uuid,
        #[arg(long)]
        name: String,
    },
    List,
}

#[derive(Subcommand, Debug)]
pub enum ClientCommand {
    /// Create a client; prints its key and secret (shown this once).
    Create {
        #[arg(long)]
        store: Uuid,
        #[arg(long)]
        name: String,
        /// An xAPI scope; repeat for several (default: all).
        #[arg(long = "scope")]
        scopes: Vec<String>,
    },
    /// A new secret for a client (printed once).
    Rotate {
        #[arg(long)]
        id: Uuid,
    },
    List,
}

fn read_password(password: Option<String>, stdin: bool) -> anyhow::Result<String> {
    if stdin {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    password.ok_or_else(|| anyhow::anyhow!("give --password or --password-stdin"))
}

/// Runs one admin command against the data directory and prints its JSON result.
pub async fn run(cfg: &Config, cmd: AdminCommand) -> anyhow::Result<()> {
    let store = app::open_store(cfg)?;
    let log: Arc<dyn LogStore> = store;
    let registry = Arc::new(Registry::load(&*log)?);
    let (writer, join) = Writer::new(log.clone(), Arc::new(Tail::new(0)), WriterConfig::default())
        .with_tenancy(registry.clone())
        .spawn()?;
    let tenancy = app::tenancy(cfg, &writer, registry);
    // The default store exists before anything is provisioned, as on a first `serve`; its
    // default client is left to that first `serve`, which prints the generated secret.
    if log.meta_get(app::BOOTSTRAPPED_META)?.is_none() {
        tenancy.ensure_default_store().await?;
    }
    let out = execute(&tenancy, cmd).await;
    drop(tenancy);
    drop(writer);
    let _ = tokio::task::spawn_blocking(move || join.join()).await;
    println!(
        "{}",
        serde_json::to_string_pretty(&out?).unwrap_or_default()
    );
    Ok(())
}

fn client_json(c: &cairn_core::tenancy::Client) -> Value {
    json!({
        "id": c.id.0, "store": c.store.0, "name": c.name, "key": c.key,
        "scopes": c.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(), "disabled": c.disabled,
    })
}

async fn execute(t: &TenancyService, cmd: AdminCommand) -> anyhow::Result<Value> {
    let snap = t.snapshot();
    Ok(match cmd {
        AdminCommand::SiteAdmin {
            email,
            name,
            password,
            password_stdin,
        } => {
            let password = read_password(password, password_stdin)?;
            let spec = UserSpec {
                email: Some(email.clone()),
                name,
                password: Some(password),
                site_admin: Some(true),
                disabled: Some(false),
            };
            let u = match snap.state.user_by_email(&email) {
                Some(u) => {
                    let root = cairn_core::tenancy::Subject {
                        user: u.id,
                        site_admin: true,
                    };
                    t.update_user(
                        &root,
                        u.id,
                        UserSpec {
                            email: None,
                            ..spec
                        },
                    )
                    .await?
                }
                None => t.create_user(None, spec).await?,
            };
            json!({"id": u.id.0, "email": u.email, "site_admin": u.site_admin})
        }
        AdminCommand::Org(OrgCommand::Create { name, parent }) => {
            let o = t
                .create_organisation(None, &name, parent.map(OrgId))
                .await?;
            json!({"id": o.id.0, "name": o.name, "parent": o.parent.map(|p| p.0)})
        }
        AdminCommand::Org(OrgCommand::List) => json!(
            snap.state
                .orgs
                .values()
                .map(|o| json!({"id": o.id.0, "name": o.name, "parent": o.parent.map(|p| p.0)}))
                .collect::<Vec<_>>()
        ),
        AdminCommand::Store(StoreCommand::Create { org, name }) => {
            let s = t.create_store(None, OrgId(org), &name).await?;
            json!({"id": s.id.0, "organisation": s.org.0, "name": s.name})
        }
        AdminCommand::Store(StoreCommand::List) => json!(
            snap.state
                .stores
                .values()
                .map(|s| json!({"id": s.id.0, "organisation": s.org.0, "name": s.name}))
                .collect::<Vec<_>>()
        ),
        AdminCommand::Client(ClientCommand::Create {
            store,
            name,
            scopes,
        }) => {
            let scopes = if scopes.is_empty() {
                vec![Scope::All]
            } else {
                scopes
                    .iter()
                    .map(|s| Scope::parse(s).with_context(|| format!("unknown scope {s:?}")))
                    .collect::<Result<Vec<_>, _>>()?
            };
            let spec = ClientSpec {
                name: Some(name),
                scopes: Some(scopes),
                ..ClientSpec::default()
            };
            let (c, secret) = t.create_client(None, StoreId(store), spec).await?;
            let mut v = client_json(&c);
            v["secret"] = json!(secret.secret);
            v
        }
        AdminCommand::Client(ClientCommand::Rotate { id }) => {
            let (c, secret) = t.rotate_client(None, ClientId(id)).await?;
            let mut v = client_json(&c);
            v["secret"] = json!(secret.secret);
            v
        }
        AdminCommand::Client(ClientCommand::List) => {
            json!(
                snap.state
                    .clients
                    .values()
                    .map(client_json)
                    .collect::<Vec<_>>()
            )
        }
        AdminCommand::Member { org, email, role } => {
            let role =
                Role::parse(&role).context("role must be owner, admin, analyst or viewer")?;
            let u = snap
                .state
                .user_by_email(&email)
                .context("no user has that email")?;
            let m = t.set_member(None, OrgId(org), u.id, role).await?;
            json!({"organisation": m.org.0, "user": m.user.0, "role": m.role.as_str()})
        }
    })
}
