//! The admin API's JSON shapes. Inputs reject unknown fields; secrets appear only in the
//! `…Created` / `…Rotated` answers, once.
use cairn_core::tenancy::{ApiToken, Client, Membership, Organisation, SessionInfo, Store, User};
use cairn_core::time_fmt::format_us;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    pub code: u16,
    pub message: String,
}

/// Paging and filtering of every list. `cursor` is the `next_cursor` of the previous page.
#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Items per page (1 to 1000, default 100).
    pub limit: Option<usize>,
    /// Opaque: the `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Case-insensitive substring of the name.
    pub name: Option<String>,
    /// Only children of this organisation (organisations), or only stores of it (stores).
    pub organisation: Option<Uuid>,
    /// Only clients of this store.
    pub store: Option<Uuid>,
    /// Substring of the email (users).
    pub email: Option<String>,
}

macro_rules! page_type {
    ($name:ident, $item:ty) => {
        #[derive(Serialize, ToSchema)]
        pub struct $name {
            pub items: Vec<$item>,
            /// Pass as `cursor` for the next page; null on the last page.
            pub next_cursor: Option<String>,
        }
    };
}
page_type!(OrganisationPage, OrganisationDto);
page_type!(StorePage, StoreDto);
page_type!(ClientPage, ClientDto);
page_type!(UserPage, UserDto);
page_type!(TokenPage, TokenDto);
page_type!(MemberPage, MemberDto);
page_type!(SessionPage, SessionDto);

#[derive(Serialize, ToSchema)]
pub struct OrganisationDto {
    pub id: Uuid,
    pub name: String,
    pub parent: Option<Uuid>,
    pub created: String,
    pub updated: String,
}

impl From<Organisation> for OrganisationDto {
    fn from(o: Organisation) -> Self {
        OrganisationDto {
            id: o.id.0,
            name: o.name,
            parent: o.parent.map(|p| p.0),
            created: format_us(o.created_us),
            updated: format_us(o.updated_us),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganisation {
    pub name: String,
    /// Nest under this organisation (needs admin there); omit for a top-level one (site admin).
    pub parent: Option<Uuid>,
}

/// `Some(None)` when the field is present and null, `None` when absent.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganisation {
    pub name: Option<String>,
    /// Move under another organisation; null makes it top-level (site admin).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub parent: Option<Option<Uuid>>,
}

#[derive(Serialize, ToSchema)]
pub struct StoreDto {
    pub id: Uuid,
    pub organisation: Uuid,
    pub name: String,
    /// Whole months of statements kept (by `stored`); older months are archived and removed.
    /// `null`: kept forever.
    pub retention_months: Option<u32>,
    pub created: String,
    pub updated: String,
}

impl From<Store> for StoreDto {
    fn from(s: Store) -> Self {
        StoreDto {
            id: s.id.0,
            organisation: s.org.0,
            name: s.name,
            retention_months: s.retention_months,
            created: format_us(s.created_us),
            updated: format_us(s.updated_us),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateStore {
    pub organisation: Uuid,
    pub name: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateStore {
    /// A new name (absent: unchanged).
    #[serde(default)]
    pub name: Option<String>,
    /// Whole months of statements to keep, 1 to 1200 (older months are archived and removed);
    /// `null`: keep forever; absent: unchanged.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 1200)]
    pub retention_months: Option<Option<u32>>,
}

#[derive(Serialize, ToSchema)]
pub struct ClientDto {
    pub id: Uuid,
    pub store: Uuid,
    pub name: String,
    /// The Basic-auth user name.
    pub key: String,
    /// xAPI scopes: statements/write, statements/read, statements/read/mine, state, define,
    /// profile, all/read, all.
    pub scopes: Vec<String>,
    pub disabled: bool,
    pub created: String,
    pub updated: String,
}

impl From<Client> for ClientDto {
    fn from(c: Client) -> Self {
        ClientDto {
            id: c.id.0,
            store: c.store.0,
            name: c.name,
            key: c.key,
            scopes: c.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            disabled: c.disabled,
            created: format_us(c.created_us),
            updated: format_us(c.updated_us),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClient {
    pub store: Uuid,
    pub name: String,
    /// Default: statements/write, statements/read/mine, state, profile.
    pub scopes: Option<Vec<String>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateClient {
    pub name: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub disabled: Option<bool>,
}

/// A client with its secret, shown this once (Cairn keeps only a hash).
#[derive(Serialize, ToSchema)]
pub struct ClientWithSecret {
    pub client: ClientDto,
    pub secret: String,
}

#[derive(Serialize, ToSchema)]
pub struct UserDto {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub site_admin: bool,
    pub disabled: bool,
    pub created: String,
    pub updated: String,
}

impl From<User> for UserDto {
    fn from(u: User) -> Self {
        UserDto {
            id: u.id.0,
            email: u.email,
            name: u.name,
            site_admin: u.site_admin,
            disabled: u.disabled,
            created: format_us(u.created_us),
            updated: format_us(u.updated_us),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub email: String,
    pub name: Option<String>,
    /// 10 to 1024 characters; stored as argon2id.
    pub password: String,
    #[serde(default)]
    pub site_admin: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub name: Option<String>,
    pub password: Option<String>,
    /// Site administrators only.
    pub email: Option<String>,
    /// Site administrators only.
    pub site_admin: Option<bool>,
    /// Site administrators only.
    pub disabled: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct MembershipDto {
    pub organisation: Uuid,
    pub user: Uuid,
    /// owner, admin, analyst or viewer.
    pub role: String,
    pub created: String,
    pub updated: String,
}

impl From<Membership> for MembershipDto {
    fn from(m: Membership) -> Self {
        MembershipDto {
            organisation: m.org.0,
            user: m.user.0,
            role: m.role.as_str().into(),
            created: format_us(m.created_us),
            updated: format_us(m.updated_us),
        }
    }
}

/// A member of an organisation with the user's email and name (the members list).
#[derive(Serialize, ToSchema)]
pub struct MemberDto {
    pub organisation: Uuid,
    pub user: Uuid,
    pub email: String,
    pub name: String,
    /// owner, admin, analyst or viewer.
    pub role: String,
    pub created: String,
    pub updated: String,
}

impl From<(Membership, User)> for MemberDto {
    fn from((m, u): (Membership, User)) -> Self {
        MemberDto {
            organisation: m.org.0,
            user: m.user.0,
            email: u.email,
            name: u.name,
            role: m.role.as_str().into(),
            created: format_us(m.created_us),
            updated: format_us(m.updated_us),
        }
    }
}

/// Give the user with this email a role (the user must exist: site administrators create users).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMember {
    pub email: String,
    /// owner, admin, analyst or viewer.
    pub role: String,
}

/// An open session of a user (held in memory; it ends after `session_idle_minutes` unused).
#[derive(Serialize, ToSchema)]
pub struct SessionDto {
    pub id: Uuid,
    pub user: Uuid,
    /// When the session was opened (sign-in).
    pub created: String,
    /// The session of this request's cookie.
    pub current: bool,
}

impl From<(SessionInfo, bool)> for SessionDto {
    fn from((s, current): (SessionInfo, bool)) -> Self {
        SessionDto {
            id: s.id,
            user: s.user.0,
            created: format_us(s.created_us),
            current,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetMember {
    /// owner, admin, analyst or viewer.
    pub role: String,
}

#[derive(Serialize, ToSchema)]
pub struct MeDto {
    pub user: UserDto,
    pub memberships: Vec<MembershipDto>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    pub email: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenDto {
    pub id: Uuid,
    pub name: String,
    pub created: String,
}

impl From<ApiToken> for TokenDto {
    fn from(t: ApiToken) -> Self {
        TokenDto {
            id: t.id.0,
            name: t.name,
            created: format_us(t.created_us),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    pub name: String,
}

/// A personal token, shown this once: send it as `Authorization: Bearer <token>`.
#[derive(Serialize, ToSchema)]
pub struct TokenWithSecret {
    pub token: TokenDto,
    pub secret: String,
}
