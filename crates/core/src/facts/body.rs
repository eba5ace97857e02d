//! [`StatementFacts`] from a stored statement's JSON: the parts the row needs, parsed in one
//! typed, borrowing pass (strings without escapes are not copied; everything else is skipped
//! without building a tree). The writer stored the body, so it is valid xAPI: a body that does
//! not fit these types (never expected) yields empty facts.
use super::{Extracted, StatementFacts, actor_key, duration_ms};
use serde::Deserialize;
use serde::de::Deserializer;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::BTreeMap;

type Str<'a> = Option<Cow<'a, str>>;
/// An `extensions` object: IRI → the value's raw JSON (IRIs in sorted order).
type Extensions<'a> = Option<BTreeMap<String, &'a RawValue>>;

#[derive(Deserialize, Default)]
#[serde(default)]
struct Doc<'a> {
    #[serde(borrow)]
    version: Str<'a>,
    #[serde(borrow)]
    timestamp: Str<'a>,
    #[serde(borrow)]
    actor: Option<&'a RawValue>,
    #[serde(borrow)]
    authority: Option<&'a RawValue>,
    #[serde(borrow)]
    verb: Option<IdOnly<'a>>,
    #[serde(borrow)]
    object: Option<&'a RawValue>,
    #[serde(borrow)]
    context: Option<Context<'a>>,
    #[serde(borrow)]
    result: Option<Outcome<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct IdOnly<'a> {
    #[serde(borrow)]
    id: Str<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ObjectHead<'a> {
    #[serde(borrow)]
    object_type: Str<'a>,
    #[serde(borrow)]
    id: Str<'a>,
    #[serde(borrow)]
    definition: Option<DefinitionHead<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DefinitionHead<'a> {
    #[serde(borrow, rename = "type")]
    kind: Str<'a>,
    #[serde(borrow)]
    extensions: Extensions<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Context<'a> {
    #[serde(borrow)]
    registration: Str<'a>,
    #[serde(borrow)]
    platform: Str<'a>,
    #[serde(borrow)]
    language: Str<'a>,
    #[serde(borrow)]
    context_activities: Option<ContextActivities<'a>>,
    #[serde(borrow)]
    extensions: Extensions<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ContextActivities<'a> {
    #[serde(borrow, deserialize_with = "ids")]
    parent: Vec<Cow<'a, str>>,
    #[serde(borrow, deserialize_with = "ids")]
    grouping: Vec<Cow<'a, str>>,
    #[serde(borrow, deserialize_with = "ids")]
    category: Vec<Cow<'a, str>>,
    #[serde(borrow, deserialize_with = "ids")]
    other: Vec<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Outcome<'a> {
    score: Option<Score>,
    success: Option<bool>,
    completion: Option<bool>,
    #[serde(borrow)]
    duration: Str<'a>,
    #[serde(borrow)]
    extensions: Extensions<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Score {
    scaled: Option<f64>,
    raw: Option<f64>,
    min: Option<f64>,
    max: Option<f64>,
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

/// The facts of a stored body (see [`StatementFacts::from_body`]).
pub(super) fn facts(body: &[u8]) -> StatementFacts {
    let doc: Doc = serde_json::from_slice(body).unwrap_or_default();
    let own = |v: &Str<'_>| v.as_deref().unwrap_or_default().to_owned();
    let object: ObjectHead = doc
        .object
        .and_then(|r| serde_json::from_str(r.get()).ok())
        .unwrap_or_default();
    let object_type = match object.object_type.as_deref() {
        None | Some("Activity") => Cow::Borrowed("Activity"),
        Some("Agent") => Cow::Borrowed("Agent"),
        Some("Group") => Cow::Borrowed("Group"),
        Some("StatementRef") => Cow::Borrowed("StatementRef"),
        Some("SubStatement") => Cow::Borrowed("SubStatement"),
        Some(other) => Cow::Owned(other.to_owned()),
    };
    let result = doc.result.unwrap_or_default();
    let context = doc.context.unwrap_or_default();
    let definition = object.definition.unwrap_or_default();
    let mut ext = Extracted::default();
    for (container, map) in [
        ("result.extensions", &result.extensions),
        ("context.extensions", &context.extensions),
        ("object.definition.extensions", &definition.extensions),
    ] {
        if container.starts_with("object.") && object_type != "Activity" {
            continue;
        }
        for (iri, raw) in map.iter().flatten() {
            ext.push(container, iri, raw.get());
        }
    }
    let object_id = match &*object_type {
        "Agent" | "Group" => doc.object.map(ifi).unwrap_or_default(),
        "SubStatement" => String::new(),
        "StatementRef" => uuid_text(&object.id),
        _ => own(&object.id),
    };
    let lists = context.context_activities.unwrap_or_default();
    let strings = |v: Vec<Cow<'_, str>>| v.into_iter().map(Cow::into_owned).collect();
    let score = result.score.unwrap_or_default();
    StatementFacts {
        version: own(&doc.version),
        timestamp_us: doc.timestamp.as_deref().and_then(crate::time_fmt::parse_us),
        actor_ifi: doc.actor.map(ifi).unwrap_or_default(),
        verb: doc.verb.map(|v| own(&v.id)).unwrap_or_default(),
        object_type,
        object_id,
        activity_type: own(&definition.kind),
        registration: uuid_text(&context.registration),
        context_parent: strings(lists.parent),
        context_grouping: strings(lists.grouping),
        context_category: strings(lists.category),
        context_other: strings(lists.other),
        score_scaled: score.scaled,
        score_raw: score.raw,
        score_min: score.min,
        score_max: score.max,
        success: result.success,
        completion: result.completion,
        duration_ms: result.duration.as_deref().and_then(duration_ms),
        platform: own(&context.platform),
        language: own(&context.language),
        authority: doc.authority.map(ifi).unwrap_or_default(),
        ext_keys: ext.keys,
        ext_values: ext.values,
    }
}

/// A UUID as the typed model writes it (lowercase, hyphenated), whatever form the body holds;
/// text that is not a UUID as it is.
fn uuid_text(v: &Str<'_>) -> String {
    let text = v.as_deref().unwrap_or_default();
    uuid::Uuid::parse_str(text)
        .map(|u| u.to_string())
        .unwrap_or_else(|_| text.to_owned())
}

/// The actor's key as [`actor_key`] gives it for the typed actor; for JSON that is not an actor
/// (never stored), its compact text.
fn ifi(agent: &RawValue) -> String {
    if agent.get() == "null" {
        return String::new();
    }
    match serde_json::from_str::<cairn_xapi::Actor>(agent.get()) {
        Ok(actor) => actor_key(&actor),
        Err(_) => serde_json::from_str::<serde_json::Value>(agent.get())
            .map(|v| v.to_string())
            .unwrap_or_else(|_| agent.get().to_owned()),
    }
}
