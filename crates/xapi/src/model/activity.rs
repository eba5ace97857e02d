//! Activity definitions and interaction components.

use super::{Extensions, LanguageMap, nn};
use serde::{Deserialize, Serialize};

/// The kinds of interaction an activity definition may describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum InteractionType {
    /// `"true-false"`
    #[serde(rename = "true-false")]
    TrueFalse,
    /// `"choice"`
    #[serde(rename = "choice")]
    Choice,
    /// `"fill-in"`
    #[serde(rename = "fill-in")]
    FillIn,
    /// `"long-fill-in"`
    #[serde(rename = "long-fill-in")]
    LongFillIn,
    /// `"matching"`
    #[serde(rename = "matching")]
    Matching,
    /// `"performance"`
    #[serde(rename = "performance")]
    Performance,
    /// `"sequencing"`
    #[serde(rename = "sequencing")]
    Sequencing,
    /// `"likert"`
    #[serde(rename = "likert")]
    Likert,
    /// `"numeric"`
    #[serde(rename = "numeric")]
    Numeric,
    /// `"other"`
    #[serde(rename = "other")]
    Other,
}

/// One choice/scale/source/target/step of an interaction.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InteractionComponent {
    /// Identifier, unique within its list.
    pub id: String,
    /// Human-readable description.
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<LanguageMap>,
}

/// Metadata about an activity.
#[derive(Debug, Clone, Default, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityDefinition {
    /// Human-readable name.
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<LanguageMap>,
    /// Human-readable description.
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<LanguageMap>,
    /// Activity type IRI.
    #[serde(
        rename = "type",
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub activity_type: Option<String>,
    /// IRL with more information.
    #[serde(
        rename = "moreInfo",
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub more_info: Option<String>,
    /// Interaction type (cmi.interactions).
    #[serde(
        rename = "interactionType",
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub interaction_type: Option<InteractionType>,
    /// Correct response patterns.
    #[serde(
        rename = "correctResponsesPattern",
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub correct_responses_pattern: Option<Vec<String>>,
    /// Choices (choice, sequencing).
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub choices: Option<Vec<InteractionComponent>>,
    /// Scale (likert).
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub scale: Option<Vec<InteractionComponent>>,
    /// Source (matching).
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub source: Option<Vec<InteractionComponent>>,
    /// Target (matching).
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub target: Option<Vec<InteractionComponent>>,
    /// Steps (performance).
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub steps: Option<Vec<InteractionComponent>>,
    /// Extensions.
    #[serde(
        default,
        deserialize_with = "nn",
        skip_serializing_if = "Option::is_none"
    )]
    pub extensions: Option<Extensions>,
}

impl ActivityDefinition {
    /// The interaction component lists that are present, by property name.
    pub fn component_lists(&self) -> impl Iterator<Item = (&'static str, &[InteractionComponent])> {
        [
            ("choices", &self.choices),
            ("scale", &self.scale),
            ("source", &self.source),
            ("target", &self.target),
            ("steps", &self.steps),
        ]
        .into_iter()
        .filter_map(|(n, l)| l.as_deref().map(|l| (n, l)))
    }
}
