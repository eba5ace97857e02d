//! The parts of a stored statement's JSON that the `statements` row needs, parsed in one typed,
//! borrowing pass (strings without escapes are not copied; everything else is skipped without
//! building a tree). The writer stored the body, so it is valid xAPI: a body that does not fit
//! these types (never expected) yields an empty [`Doc`].
use serde::Deserialize;
use serde::de::Deserializer;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::BTreeMap;

type Str<'a> = Option<Cow<'a, str>>;
/// An `extensions` object: IRI → the value's raw JSON (IRIs in sorted order).
pub type Extensions<'a> = Option<BTreeMap<String, &'a RawValue>>;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Doc<'a> {
    #[serde(borrow)]
    pub version: Str<'a>,
    #[serde(borrow)]
    pub timestamp: Str<'a>,
    #[serde(borrow)]
    pub actor: Option<&'a RawValue>,
    #[serde(borrow)]
    pub authority: Option<&'a RawValue>,
    #[serde(borrow)]
    pub verb: Option<IdOnly<'a>>,
    #[serde(borrow)]
    pub object: Option<&'a RawValue>,
    #[serde(borrow)]
    pub context: Option<Context<'a>>,
    #[serde(borrow)]
    pub result: Option<Outcome<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct IdOnly<'a> {
    #[serde(borrow)]
    pub id: Str<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub struct ObjectHead<'a> {
    #[serde(borrow)]
    pub object_type: Str<'a>,
    #[serde(borrow)]
    pub id: Str<'a>,
    #[serde(borrow)]
    pub definition: Option<DefinitionHead<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DefinitionHead<'a> {
    #[serde(borrow, rename = "type")]
    pub kind: Str<'a>,
    #[serde(borrow)]
    pub extensions: Extensions<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub struct Context<'a> {
    #[serde(borrow)]
    pub registration: Str<'a>,
    #[serde(borrow)]
    pub platform: Str<'a>,
    #[serde(borrow)]
    pub language: Str<'a>,
    #[serde(borrow)]
    pub context_activities: Option<ContextActivities<'a>>,
    #[serde(borrow)]
    pub extensions: Extensions<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ContextActivities<'a> {
    #[serde(borrow, deserialize_with = "ids")]
    pub parent: Vec<Cow<'a, str>>,
    #[serde(borrow, deserialize_with = "ids")]
    pub grouping: Vec<Cow<'a, str>>,
    #[serde(borrow, deserialize_with = "ids")]
    pub category: Vec<Cow<'a, str>>,
    #[serde(borrow, deserialize_with = "ids")]
    pub other: Vec<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Outcome<'a> {
    pub score: Option<Score>,
    pub success: Option<bool>,
    pub completion: Option<bool>,
    #[serde(borrow)]
    pub duration: Str<'a>,
    #[serde(borrow)]
    pub extensions: Extensions<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Score {
    pub scaled: Option<f64>,
    pub raw: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// Activity ids of a context-activities list: an array of activities, or one activity.
fn ids<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Cow<'de, str>>, D::Error> {
    let raw: &'de RawValue = Deserialize::deserialize(d)?;
    let text = raw.get();
    let list: Vec<IdOnly<'de>> = if text.starts_with('[') {
        serde_json::from_str(text).map_err(serde::de::Error::custom)?
    } else {
        vec![serde_json::from_str(text).map_err(serde::de::Error::custom)?]
    };
    Ok(list.into_iter().filter_map(|a| a.id).collect())
}

impl<'a> Doc<'a> {
    pub fn parse(body: &'a [u8]) -> Self {
        serde_json::from_slice(body).unwrap_or_default()
    }
}

impl<'a> ObjectHead<'a> {
    pub fn parse(raw: Option<&'a RawValue>) -> Self {
        raw.and_then(|r| serde_json::from_str(r.get()).ok())
            .unwrap_or_default()
    }
}
