//! JSON shapes of dashboards, widgets, share links and widget data (typed for the OpenAPI
//! document, from which the web app generates its types).
use cairn_core::dashboards::{Dashboard, LayoutItem, Widget, time_range_json};
use cairn_core::time_fmt::format_us;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// `Some(None)` when the field is present and null.
pub(super) fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A time range preset, in whole days of the dashboard's time zone.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy)]
pub enum PresetDto {
    #[serde(rename = "today")]
    Today,
    #[serde(rename = "7d")]
    D7,
    #[serde(rename = "30d")]
    D30,
    #[serde(rename = "90d")]
    D90,
    #[serde(rename = "6m")]
    M6,
    #[serde(rename = "1y")]
    Y1,
    #[serde(rename = "2y")]
    Y2,
}

/// `{"preset": …}` or `{"from", "to"}` (RFC 3339, `[from, to)`).
#[derive(Serialize, Deserialize, ToSchema, Clone)]
#[serde(untagged)]
pub enum TimeRangeDto {
    Preset { preset: PresetDto },
    Between { from: String, to: String },
}

impl TimeRangeDto {
    pub fn core(&self) -> Result<cairn_core::dashboards::TimeRange, cairn_core::Error> {
        cairn_core::dashboards::time_range_from_json(
            &serde_json::to_value(self).unwrap_or_default(),
        )
    }

    fn of(t: &cairn_core::dashboards::TimeRange) -> Self {
        serde_json::from_value(time_range_json(t)).expect("time ranges round-trip")
    }
}

/// A widget's place on the grid.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub struct LayoutItemDto {
    pub widget: Uuid,
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

impl From<&LayoutItem> for LayoutItemDto {
    fn from(i: &LayoutItem) -> Self {
        LayoutItemDto {
            widget: i.widget,
            x: i.x,
            y: i.y,
            w: i.w,
            h: i.h,
        }
    }
}

impl From<LayoutItemDto> for LayoutItem {
    fn from(i: LayoutItemDto) -> Self {
        LayoutItem {
            widget: i.widget,
            x: i.x,
            y: i.y,
            w: i.w,
            h: i.h,
        }
    }
}

/// Chart types.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum WidgetType {
    Bar,
    Column,
    Line,
    Pie,
    Counter,
    Scatter,
    Leaderboard,
    Table,
    Heatmap,
    Histogram,
    Funnel,
}

impl WidgetType {
    pub fn as_str(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default()
    }

    fn of(s: &str) -> Self {
        serde_json::from_value(Json::from(s)).unwrap_or(WidgetType::Table)
    }
}

/// A chart of a dashboard. `query`: `{"kind": "aggregate", "filter"?, "group_by", "measures",
/// "limit"?}` (the aggregate API's body without from/to/tz), `{"kind": "statements", "filter"?,
/// "fields", "page_size"?}` or `{"kind": "funnel", "filter"?, "steps": [{"label", "filter"}],
/// "by"?}`.
#[derive(Serialize, ToSchema)]
pub struct WidgetDto {
    pub id: Uuid,
    pub dashboard: Uuid,
    pub title: String,
    pub description: String,
    #[serde(rename = "type")]
    pub kind: WidgetType,
    #[schema(value_type = Object)]
    pub query: Json,
    #[schema(value_type = Object)]
    pub options: Json,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Widget> for WidgetDto {
    fn from(w: &Widget) -> Self {
        WidgetDto {
            id: w.id,
            dashboard: w.dashboard,
            title: w.title.clone(),
            description: w.description.clone(),
            kind: WidgetType::of(&w.kind),
            query: serde_json::from_str(&w.query).unwrap_or_default(),
            options: serde_json::from_str(&w.options).unwrap_or_default(),
            created_at: format_us(w.created_us),
            updated_at: format_us(w.updated_us),
        }
    }
}

/// A dashboard with its widgets.
#[derive(Serialize, ToSchema)]
pub struct DashboardDto {
    pub id: Uuid,
    pub store: Uuid,
    pub name: String,
    pub description: String,
    pub time_range: TimeRangeDto,
    /// IANA time zone of the time range and of time buckets.
    pub tz: String,
    /// Filter language JSON AND-ed into every widget.
    #[schema(value_type = Option<Object>)]
    pub filter: Option<Json>,
    pub refresh_seconds: Option<u32>,
    pub layout: Vec<LayoutItemDto>,
    pub widgets: Vec<WidgetDto>,
    pub created_at: String,
    pub updated_at: String,
}

impl DashboardDto {
    pub fn of(d: &Dashboard, widgets: &[Widget]) -> Self {
        DashboardDto {
            id: d.id,
            store: d.store.0,
            name: d.name.clone(),
            description: d.description.clone(),
            time_range: TimeRangeDto::of(&d.time_range),
            tz: d.tz.clone(),
            filter: d
                .filter
                .as_deref()
                .and_then(|f| serde_json::from_str(f).ok()),
            refresh_seconds: d.refresh_seconds,
            layout: d.layout.iter().map(LayoutItemDto::from).collect(),
            widgets: widgets.iter().map(WidgetDto::from).collect(),
            created_at: format_us(d.created_us),
            updated_at: format_us(d.updated_us),
        }
    }
}

/// A dashboard in a list (without its widgets).
#[derive(Serialize, ToSchema)]
pub struct DashboardSummary {
    pub id: Uuid,
    pub store: Uuid,
    pub name: String,
    pub description: String,
    pub time_range: TimeRangeDto,
    pub tz: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Dashboard> for DashboardSummary {
    fn from(d: Dashboard) -> Self {
        DashboardSummary {
            id: d.id,
            store: d.store.0,
            time_range: TimeRangeDto::of(&d.time_range),
            name: d.name,
            description: d.description,
            tz: d.tz,
            created_at: format_us(d.created_us),
            updated_at: format_us(d.updated_us),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DashboardPage {
    pub items: Vec<DashboardSummary>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDashboard {
    pub name: String,
    pub description: Option<String>,
    /// Default `{"preset": "30d"}`.
    pub time_range: Option<TimeRangeDto>,
    /// Default `UTC`.
    pub tz: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub filter: Option<Json>,
    pub refresh_seconds: Option<u32>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDashboard {
    pub name: Option<String>,
    pub description: Option<String>,
    pub time_range: Option<TimeRangeDto>,
    pub tz: Option<String>,
    /// null clears the filter.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Object>)]
    pub filter: Option<Option<Json>>,
    /// null turns automatic refresh off.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>)]
    pub refresh_seconds: Option<Option<u32>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LayoutBody {
    pub items: Vec<LayoutItemDto>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DuplicateBody {
    /// Default: the name with " (copy)".
    pub name: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FromTemplateBody {
    /// A template id from `GET /api/v1/dashboard-templates`.
    pub template: String,
    pub name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TemplateDto {
    pub id: String,
    pub name: String,
    pub description: String,
}

#[derive(Serialize, ToSchema)]
pub struct TemplateList {
    pub items: Vec<TemplateDto>,
}

/// x, y, w, h on the grid.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PositionDto {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWidget {
    pub title: String,
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub kind: WidgetType,
    #[schema(value_type = Object)]
    pub query: Json,
    #[schema(value_type = Option<Object>)]
    pub options: Option<Json>,
    /// Default: below the other widgets.
    pub position: Option<PositionDto>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWidget {
    pub title: Option<String>,
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<WidgetType>,
    #[schema(value_type = Option<Object>)]
    pub query: Option<Json>,
    #[schema(value_type = Option<Object>)]
    pub options: Option<Json>,
}

/// What a reader of a widget's data may add: another time range or time zone, a filter
/// (AND-ed), the `next_cursor` of a statements page.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct DataBody {
    pub from: Option<String>,
    pub to: Option<String>,
    pub tz: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub filter: Option<Json>,
    pub cursor: Option<String>,
    /// The reader's language (e.g. `fr`), for the names of verbs and activities.
    pub lang: Option<String>,
}

/// An unsaved widget's query, read in a store.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewBody {
    #[serde(rename = "type")]
    pub kind: WidgetType,
    #[schema(value_type = Object)]
    pub query: Json,
    pub time_range: Option<TimeRangeDto>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub tz: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub filter: Option<Json>,
    pub cursor: Option<String>,
    /// The reader's language (e.g. `fr`), for the names of verbs and activities.
    pub lang: Option<String>,
}

/// One group of an aggregate widget.
#[derive(Serialize, ToSchema)]
pub struct DataRow {
    pub keys: Vec<String>,
    pub values: Vec<Option<f64>>,
    /// With `compare`: the same measures over the previous period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<Vec<Option<f64>>>,
}

/// One step of a funnel widget: its label and how many reached it.
#[derive(Serialize, ToSchema)]
pub struct FunnelStepData {
    pub label: String,
    pub count: u64,
}

/// A widget's data.
#[derive(Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum WidgetData {
    Aggregate {
        /// `aggregate` or `raw`: the table that answered.
        source: String,
        rows: Vec<DataRow>,
        /// Display names of the IRIs among the keys, when known.
        names: BTreeMap<String, String>,
    },
    Statements {
        #[schema(value_type = Vec<Object>)]
        items: Vec<Json>,
        next_cursor: Option<String>,
    },
    Funnel {
        /// `raw`: funnels are read from the statements.
        source: String,
        steps: Vec<FunnelStepData>,
    },
}
