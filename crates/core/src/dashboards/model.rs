//! Dashboards as data: the dashboard (time range, time zone, filter, layout), its widgets, its
//! share links and the store's saved filters, the changes recorded in the log, and the state they build. Every change
//! carries the whole new entity (or the id it removes), so replaying the log needs no lookups.
//! Filters, queries and options are kept as JSON text (the log's encoding cannot hold untyped
//! JSON trees).
use crate::ids::StoreId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Format version of every encoded dashboard row and event.
pub const FORMAT_VERSION: u8 = 1;

/// A time range preset, resolved in the dashboard's time zone when a widget is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Preset {
    Today,
    Days7,
    Days30,
    Days90,
    Months6,
    Year1,
    Years2,
}

impl Preset {
    pub const ALL: [Preset; 7] = [
        Preset::Today,
        Preset::Days7,
        Preset::Days30,
        Preset::Days90,
        Preset::Months6,
        Preset::Year1,
        Preset::Years2,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Preset::Today => "today",
            Preset::Days7 => "7d",
            Preset::Days30 => "30d",
            Preset::Days90 => "90d",
            Preset::Months6 => "6m",
            Preset::Year1 => "1y",
            Preset::Years2 => "2y",
        }
    }

    pub fn parse(s: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// The time range every widget of a dashboard reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimeRange {
    Preset(Preset),
    /// `[from_us, to_us)`, epoch microseconds.
    Between {
        from_us: i64,
        to_us: i64,
    },
}

impl Default for TimeRange {
    fn default() -> Self {
        TimeRange::Preset(Preset::Days30)
    }
}

/// Where a widget sits on the dashboard's grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayoutItem {
    pub widget: Uuid,
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub id: Uuid,
    pub store: StoreId,
    pub name: String,
    pub description: String,
    pub time_range: TimeRange,
    /// IANA time zone.
    pub tz: String,
    /// Filter language JSON, AND-ed into every widget's query.
    pub filter: Option<String>,
    pub refresh_seconds: Option<u32>,
    pub layout: Vec<LayoutItem>,
    pub created_us: i64,
    pub updated_us: i64,
}

/// Chart types a widget may have.
pub const WIDGET_TYPES: [&str; 11] = [
    "bar",
    "column",
    "line",
    "pie",
    "counter",
    "scatter",
    "leaderboard",
    "table",
    "heatmap",
    "histogram",
    "funnel",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Widget {
    pub id: Uuid,
    pub dashboard: Uuid,
    pub title: String,
    pub description: String,
    /// One of [`WIDGET_TYPES`].
    pub kind: String,
    /// The widget's query (JSON text; see [`super::plan`]).
    pub query: String,
    /// Free display options (JSON object text).
    pub options: String,
    pub created_us: i64,
    pub updated_us: i64,
}

/// Who may open a share link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Visibility {
    Nobody,
    Anyone,
    /// Pages embedded in the listed origins only.
    Domains,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Nobody => "nobody",
            Visibility::Anyone => "anyone",
            Visibility::Domains => "domains",
        }
    }

    pub fn parse(s: &str) -> Option<Visibility> {
        [Visibility::Nobody, Visibility::Anyone, Visibility::Domains]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// Whether a share link's URL may narrow the data with a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UrlFilter {
    Off,
    /// A `filter` parameter in plain JSON.
    Plain,
    /// A `token` parameter: a JWT (HS256) signed with the link's secret.
    Signed,
}

impl UrlFilter {
    pub fn as_str(self) -> &'static str {
        match self {
            UrlFilter::Off => "off",
            UrlFilter::Plain => "plain",
            UrlFilter::Signed => "signed",
        }
    }

    pub fn parse(s: &str) -> Option<UrlFilter> {
        [UrlFilter::Off, UrlFilter::Plain, UrlFilter::Signed]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShareLink {
    pub id: Uuid,
    pub dashboard: Uuid,
    pub name: String,
    pub visibility: Visibility,
    /// Origins (`https://lms.example.com`) that may embed the link.
    pub domains: Vec<String>,
    pub expires_us: Option<i64>,
    pub url_filter: UrlFilter,
    /// The HS256 secret of signed links (32 random bytes), never shown after creation.
    pub secret: Option<Vec<u8>>,
    pub revoked_us: Option<i64>,
    pub created_us: i64,
    pub updated_us: i64,
}

/// A filter saved by name in a store, for dashboards, the statement explorer and exports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedFilter {
    pub id: Uuid,
    pub store: StoreId,
    /// Unique in the store, ignoring case.
    pub name: String,
    pub description: String,
    /// Filter language JSON.
    pub filter: String,
    pub created_us: i64,
    pub updated_us: i64,
}

/// One change, carrying the whole new entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DashboardChange {
    DashboardPut(Dashboard),
    /// The dashboard, its widgets and its links are gone.
    DashboardDeleted {
        id: Uuid,
    },
    WidgetPut(Widget),
    WidgetDeleted {
        dashboard: Uuid,
        id: Uuid,
    },
    LinkPut(ShareLink),
    FilterPut(SavedFilter),
    FilterDeleted {
        id: Uuid,
    },
}

/// A dashboard change as appended to the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DashboardEvent {
    /// [`FORMAT_VERSION`].
    pub v: u8,
    pub store: StoreId,
    pub at_us: i64,
    pub change: DashboardChange,
}

/// A materialized row of the embedded store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Record {
    Dashboard(Dashboard),
    Widget(Widget),
    Link(ShareLink),
    Filter(SavedFilter),
}

impl Record {
    /// The row's key: a kind tag and the id.
    pub fn key(&self) -> Vec<u8> {
        match self {
            Record::Dashboard(d) => key(b'd', d.id),
            Record::Widget(w) => key(b'w', w.id),
            Record::Link(l) => key(b'l', l.id),
            Record::Filter(f) => key(b'f', f.id),
        }
    }

    /// The row's value: [`FORMAT_VERSION`] then the postcard encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![FORMAT_VERSION];
        out.extend(postcard::to_stdvec(self).expect("dashboard rows always serialize"));
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Record, String> {
        match bytes.split_first() {
            Some((&FORMAT_VERSION, rest)) => {
                postcard::from_bytes(rest).map_err(|e| format!("dashboard row: {e}"))
            }
            Some((v, _)) => Err(format!("dashboard row of unknown format version {v}")),
            None => Err("empty dashboard row".into()),
        }
    }
}

pub(crate) fn key(tag: u8, id: Uuid) -> Vec<u8> {
    let mut k = Vec::with_capacity(17);
    k.push(tag);
    k.extend_from_slice(id.as_bytes());
    k
}

/// Every dashboard, widget and share link, indexed for the reads the API makes.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct DashboardState {
    dashboards: BTreeMap<(StoreId, Uuid), Dashboard>,
    stores: BTreeMap<Uuid, StoreId>,
    widgets: BTreeMap<(Uuid, Uuid), Widget>,
    links: BTreeMap<(Uuid, Uuid), ShareLink>,
    link_dashboards: BTreeMap<Uuid, Uuid>,
    filters: BTreeMap<(StoreId, Uuid), SavedFilter>,
    filter_stores: BTreeMap<Uuid, StoreId>,
}

fn range(id: Uuid) -> std::ops::RangeInclusive<(Uuid, Uuid)> {
    (id, Uuid::nil())..=(id, Uuid::max())
}

impl DashboardState {
    /// Builds the state from materialized rows.
    pub fn from_records(all: impl IntoIterator<Item = Record>) -> Self {
        let mut s = DashboardState::default();
        for r in all {
            s.put(r);
        }
        s
    }

    fn put(&mut self, r: Record) {
        match r {
            Record::Dashboard(d) => {
                self.stores.insert(d.id, d.store);
                self.dashboards.insert((d.store, d.id), d);
            }
            Record::Widget(w) => {
                self.widgets.insert((w.dashboard, w.id), w);
            }
            Record::Link(l) => {
                self.link_dashboards.insert(l.id, l.dashboard);
                self.links.insert((l.dashboard, l.id), l);
            }
            Record::Filter(f) => {
                self.filter_stores.insert(f.id, f.store);
                self.filters.insert((f.store, f.id), f);
            }
        }
    }

    /// The rows a change writes (`None`: the row is removed), as keys and records.
    pub fn effects(&self, change: &DashboardChange) -> Vec<(Vec<u8>, Option<Record>)> {
        match change {
            DashboardChange::DashboardPut(d) => {
                let r = Record::Dashboard(d.clone());
                vec![(r.key(), Some(r))]
            }
            DashboardChange::DashboardDeleted { id } => {
                let mut out = vec![(key(b'd', *id), None)];
                out.extend(
                    self.widgets
                        .range(range(*id))
                        .map(|(_, w)| (key(b'w', w.id), None)),
                );
                out.extend(
                    self.links
                        .range(range(*id))
                        .map(|(_, l)| (key(b'l', l.id), None)),
                );
                out
            }
            DashboardChange::WidgetPut(w) => {
                let r = Record::Widget(w.clone());
                vec![(r.key(), Some(r))]
            }
            DashboardChange::WidgetDeleted { id, .. } => vec![(key(b'w', *id), None)],
            DashboardChange::LinkPut(l) => {
                let r = Record::Link(l.clone());
                vec![(r.key(), Some(r))]
            }
            DashboardChange::FilterPut(f) => {
                let r = Record::Filter(f.clone());
                vec![(r.key(), Some(r))]
            }
            DashboardChange::FilterDeleted { id } => vec![(key(b'f', *id), None)],
        }
    }

    /// Applies one logged change.
    pub fn apply(&mut self, change: &DashboardChange) {
        match change {
            DashboardChange::DashboardPut(d) => self.put(Record::Dashboard(d.clone())),
            DashboardChange::DashboardDeleted { id } => {
                if let Some(store) = self.stores.remove(id) {
                    self.dashboards.remove(&(store, *id));
                }
                let widgets: Vec<_> = self.widgets.range(range(*id)).map(|(k, _)| *k).collect();
                for k in widgets {
                    self.widgets.remove(&k);
                }
                let links: Vec<_> = self.links.range(range(*id)).map(|(k, _)| *k).collect();
                for k in links {
                    self.links.remove(&k);
                    self.link_dashboards.remove(&k.1);
                }
            }
            DashboardChange::WidgetPut(w) => self.put(Record::Widget(w.clone())),
            DashboardChange::WidgetDeleted { dashboard, id } => {
                self.widgets.remove(&(*dashboard, *id));
            }
            DashboardChange::LinkPut(l) => self.put(Record::Link(l.clone())),
            DashboardChange::FilterPut(f) => self.put(Record::Filter(f.clone())),
            DashboardChange::FilterDeleted { id } => {
                if let Some(store) = self.filter_stores.remove(id) {
                    self.filters.remove(&(store, *id));
                }
            }
        }
    }

    pub fn dashboard(&self, id: Uuid) -> Option<&Dashboard> {
        let store = self.stores.get(&id)?;
        self.dashboards.get(&(*store, id))
    }

    /// A store's dashboards in creation order (ids are UUIDv7).
    pub fn of_store(&self, store: StoreId) -> impl Iterator<Item = &Dashboard> {
        self.dashboards
            .range((store, Uuid::nil())..=(store, Uuid::max()))
            .map(|(_, d)| d)
    }

    /// A dashboard's widgets in creation order.
    pub fn widgets(&self, dashboard: Uuid) -> impl Iterator<Item = &Widget> {
        self.widgets.range(range(dashboard)).map(|(_, w)| w)
    }

    pub fn widget(&self, dashboard: Uuid, id: Uuid) -> Option<&Widget> {
        self.widgets.get(&(dashboard, id))
    }

    /// A dashboard's share links (revoked ones included) in creation order.
    pub fn links(&self, dashboard: Uuid) -> impl Iterator<Item = &ShareLink> {
        self.links.range(range(dashboard)).map(|(_, l)| l)
    }

    pub fn link(&self, id: Uuid) -> Option<&ShareLink> {
        let d = self.link_dashboards.get(&id)?;
        self.links.get(&(*d, id))
    }

    pub fn filter(&self, id: Uuid) -> Option<&SavedFilter> {
        let store = self.filter_stores.get(&id)?;
        self.filters.get(&(*store, id))
    }

    /// A store's saved filters in creation order (ids are UUIDv7).
    pub fn filters_of(&self, store: StoreId) -> impl Iterator<Item = &SavedFilter> {
        self.filters
            .range((store, Uuid::nil())..=(store, Uuid::max()))
            .map(|(_, f)| f)
    }

    /// Every row, as the embedded store should hold it.
    pub fn records(&self) -> Vec<Record> {
        let mut out: Vec<Record> = self
            .dashboards
            .values()
            .cloned()
            .map(Record::Dashboard)
            .collect();
        out.extend(self.widgets.values().cloned().map(Record::Widget));
        out.extend(self.links.values().cloned().map(Record::Link));
        out.extend(self.filters.values().cloned().map(Record::Filter));
        out
    }
}
