//! JSON shapes of share links and of the share API.
use super::dash_dto::{LayoutItemDto, TimeRangeDto, WidgetType, present};
use cairn_core::dashboards::{ShareLink, UrlFilter, Visibility};
use cairn_core::time_fmt::format_us;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Serialize, Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum VisibilityDto {
    Nobody,
    Anyone,
    Domains,
}

impl From<VisibilityDto> for Visibility {
    fn from(v: VisibilityDto) -> Self {
        match v {
            VisibilityDto::Nobody => Visibility::Nobody,
            VisibilityDto::Anyone => Visibility::Anyone,
            VisibilityDto::Domains => Visibility::Domains,
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum UrlFilterDto {
    Off,
    Plain,
    Signed,
}

impl From<UrlFilterDto> for UrlFilter {
    fn from(v: UrlFilterDto) -> Self {
        match v {
            UrlFilterDto::Off => UrlFilter::Off,
            UrlFilterDto::Plain => UrlFilter::Plain,
            UrlFilterDto::Signed => UrlFilter::Signed,
        }
    }
}

/// A share link (its secret is never shown again after creation).
#[derive(Serialize, ToSchema)]
pub struct ShareLinkDto {
    pub id: Uuid,
    pub dashboard: Uuid,
    pub name: String,
    pub visibility: VisibilityDto,
    /// Origins that may embed the link (visibility `domains`).
    pub domains: Vec<String>,
    pub expires_at: Option<String>,
    pub url_filter: UrlFilterDto,
    /// Set once the link is revoked: it answers 403 from then on.
    pub revoked_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&ShareLink> for ShareLinkDto {
    fn from(l: &ShareLink) -> Self {
        ShareLinkDto {
            id: l.id,
            dashboard: l.dashboard,
            name: l.name.clone(),
            visibility: serde_json::from_value(l.visibility.as_str().into())
                .unwrap_or(VisibilityDto::Nobody),
            domains: l.domains.clone(),
            expires_at: l.expires_us.map(format_us),
            url_filter: serde_json::from_value(l.url_filter.as_str().into())
                .unwrap_or(UrlFilterDto::Off),
            revoked_at: l.revoked_us.map(format_us),
            created_at: format_us(l.created_us),
            updated_at: format_us(l.updated_us),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ShareLinkList {
    pub items: Vec<ShareLinkDto>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLink {
    pub name: Option<String>,
    pub visibility: VisibilityDto,
    /// Origins such as `https://lms.example.com` (visibility `domains`).
    pub domains: Option<Vec<String>>,
    /// RFC 3339; the link answers 403 from then on.
    pub expires_at: Option<String>,
    pub url_filter: UrlFilterDto,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateLink {
    pub name: Option<String>,
    pub visibility: Option<VisibilityDto>,
    pub domains: Option<Vec<String>>,
    /// null: never expires.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub expires_at: Option<Option<String>>,
    pub url_filter: Option<UrlFilterDto>,
}

/// A share link as created (or changed): its secret (signed links, shown this once), its page
/// and an iframe snippet.
#[derive(Serialize, ToSchema)]
pub struct CreatedLink {
    pub link: ShareLinkDto,
    /// The HS256 key of signed URL filters: sign `{"filter", "exp"}` with this text.
    pub secret: Option<String>,
    pub url: String,
    pub embed_snippet: String,
}

/// A shared dashboard as its link shows it.
#[derive(Serialize, ToSchema)]
pub struct SharedDashboard {
    pub dashboard: SharedDashboardInfo,
    pub widgets: Vec<SharedWidget>,
}

#[derive(Serialize, ToSchema)]
pub struct SharedDashboardInfo {
    pub name: String,
    pub description: String,
    pub time_range: TimeRangeDto,
    pub tz: String,
    pub refresh_seconds: Option<u32>,
    pub layout: Vec<LayoutItemDto>,
}

#[derive(Serialize, ToSchema)]
pub struct SharedWidget {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    #[serde(rename = "type")]
    pub kind: WidgetType,
    #[schema(value_type = Object)]
    pub query: Json,
    #[schema(value_type = Object)]
    pub options: Json,
}

/// A shared widget's data request: time range, time zone, cursor; `filter` (plain links) or
/// `token` (signed links) as in the page's URL.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct SharedDataBody {
    pub from: Option<String>,
    pub to: Option<String>,
    pub tz: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub filter: Option<Json>,
    pub token: Option<String>,
    pub cursor: Option<String>,
    /// The reader's language (e.g. `fr`), for the names of verbs and activities.
    pub lang: Option<String>,
}
