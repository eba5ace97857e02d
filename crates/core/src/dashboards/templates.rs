//! Dashboard templates: JSON files in `dashboards/templates/`, built into the binary. Each is
//! `{"id", "name", "description", "time_range", "widgets": [{"title", "type", "query",
//! "options", "layout": {"x", "y", "w", "h"}}]}`; a test checks every one is valid.
use serde::Deserialize;
use serde_json::Value as Json;

/// Where a template widget sits.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Place {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateWidget {
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub query: Json,
    #[serde(default)]
    pub options: Json,
    pub layout: Place,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub id: String,
    pub name: String,
    pub description: String,
    pub time_range: Json,
    pub widgets: Vec<TemplateWidget>,
}

const SOURCES: [&str; 7] = [
    include_str!("../../../../dashboards/templates/activity-over-time.json"),
    include_str!("../../../../dashboards/templates/most-active-people.json"),
    include_str!("../../../../dashboards/templates/most-popular-activities.json"),
    include_str!("../../../../dashboards/templates/completion-and-success.json"),
    include_str!("../../../../dashboards/templates/score-distribution.json"),
    include_str!("../../../../dashboards/templates/weekday-hour.json"),
    include_str!("../../../../dashboards/templates/course-funnel.json"),
];

/// Every template, in the order the web app lists them.
pub fn all() -> Vec<Template> {
    SOURCES
        .iter()
        .map(|s| serde_json::from_str(s).expect("templates are checked by a test"))
        .collect()
}

/// The template with this id.
pub fn find(id: &str) -> Option<Template> {
    all().into_iter().find(|t| t.id == id)
}
