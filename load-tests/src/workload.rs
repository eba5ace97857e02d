//! The seeded statement generator. Everything random comes from one `StdRng` seeded by `--seed`,
//! so the same seed gives the same actors, activities, registrations and statement pool.
//!
//! Statements are pre-rendered into a pool of JSON templates whose first property is `"id"`;
//! a request copies templates and writes a fresh id over the placeholder, so the generator costs
//! a memcpy per statement while the server sees realistic, varied ~2 KB statements.
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use uuid::Uuid;

/// The ADL verb vocabulary (http://adlnet.gov/expapi/verbs/…), weighted towards the common ones
/// by repetition.
pub const VERBS: &[&str] = &[
    "experienced",
    "experienced",
    "experienced",
    "attempted",
    "attempted",
    "completed",
    "completed",
    "answered",
    "answered",
    "answered",
    "passed",
    "failed",
    "interacted",
    "interacted",
    "launched",
    "initialized",
    "terminated",
    "progressed",
    "progressed",
    "scored",
    "suspended",
    "resumed",
    "commented",
    "imported",
    "registered",
    "shared",
    "mastered",
    "preferred",
    "asked",
    "attended",
    "exited",
    "logged-in",
    "logged-out",
];

const ACTIVITY_TYPES: &[&str] = &[
    "http://adlnet.gov/expapi/activities/course",
    "http://adlnet.gov/expapi/activities/module",
    "http://adlnet.gov/expapi/activities/assessment",
    "http://adlnet.gov/expapi/activities/cmi.interaction",
    "http://adlnet.gov/expapi/activities/lesson",
    "http://adlnet.gov/expapi/activities/media",
    "http://adlnet.gov/expapi/activities/question",
];
const PLATFORMS: &[&str] = &[
    "Moodle 4.3",
    "Canvas",
    "Articulate Rise",
    "iOS app",
    "Unity sim",
];
const LANGUAGES: &[&str] = &["en-US", "en-GB", "fr-FR", "de-DE", "es-ES"];
const WORDS: &[&str] = &[
    "water",
    "cycle",
    "energy",
    "safety",
    "induction",
    "customer",
    "service",
    "compliance",
    "fractions",
    "algebra",
    "history",
    "europe",
    "leadership",
    "coaching",
    "privacy",
    "data",
    "welding",
    "hygiene",
    "negotiation",
    "spreadsheet",
    "physics",
    "grammar",
    "ethics",
    "risk",
];
/// 2026-01-01T00:00:00Z; statement timestamps fall in the six months before it.
pub const EPOCH_END_S: i64 = 1_767_225_600;
pub const SPAN_S: i64 = 182 * 86_400;

/// The fixed universe statements are drawn from; queries draw their filters from it too.
pub struct Universe {
    pub actors: Vec<Value>,
    /// The `agent` query parameter value of each actor.
    pub actor_params: Vec<String>,
    pub activities: Vec<Value>,
    pub activity_ids: Vec<String>,
    pub courses: Vec<String>,
    pub registrations: Vec<Uuid>,
    pub verbs: Vec<String>,
}

fn words(rng: &mut StdRng, n: usize) -> String {
    (0..n)
        .map(|_| WORDS[rng.random_range(0..WORDS.len())])
        .collect::<Vec<_>>()
        .join(" ")
}

fn hex(rng: &mut StdRng, n: usize) -> String {
    (0..n)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap())
        .collect()
}

impl Universe {
    pub fn new(seed: u64, actors: usize, activities: usize, registrations: usize) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut actor_values = Vec::with_capacity(actors);
        for i in 0..actors {
            let name = format!("Learner {i} {}", words(&mut rng, 1));
            let a = match i % 4 {
                0 => {
                    json!({"objectType": "Agent", "name": name, "mbox": format!("mailto:learner{i}@example.org")})
                }
                1 => {
                    json!({"objectType": "Agent", "name": name, "mbox_sha1sum": hex(&mut rng, 40)})
                }
                2 => {
                    json!({"objectType": "Agent", "name": name, "openid": format!("https://openid.example.org/u/{i}")})
                }
                _ => json!({"objectType": "Agent", "name": name,
                            "account": {"homePage": "https://lms.example.org", "name": format!("user{i}")}}),
            };
            actor_values.push(a);
        }
        let actor_params = actor_values
            .iter()
            .map(|a| {
                let mut m = a.as_object().unwrap().clone();
                m.remove("name");
                Value::Object(m).to_string()
            })
            .collect();
        let courses: Vec<String> = (0..60)
            .map(|c| format!("https://courses.example.org/c{c}"))
            .collect();
        let mut activity_values = Vec::with_capacity(activities);
        let mut activity_ids = Vec::with_capacity(activities);
        for i in 0..activities {
            let course = &courses[i % courses.len()];
            let id = format!("{course}/m{}/a{i}", (i / courses.len()) % 8);
            let ty = ACTIVITY_TYPES[rng.random_range(0..ACTIVITY_TYPES.len())];
            let title = words(&mut rng, 3);
            let mut def = json!({
                "name": {"en-US": format!("Activity {i}: {title}"), "fr-FR": format!("Activité {i} : {title}")},
                "description": {"en-US": format!("{} {}.", words(&mut rng, 14), words(&mut rng, 10))},
                "type": ty,
                "moreInfo": format!("https://courses.example.org/info/{i}"),
                "extensions": {"https://w3id.org/xapi/cmi5/context/extensions/moveon": "CompletedOrPassed",
                               "https://example.org/ext/difficulty": rng.random_range(1..6)}
            });
            if ty.ends_with("cmi.interaction") || ty.ends_with("question") {
                let d = def.as_object_mut().unwrap();
                d.insert("interactionType".into(), json!("choice"));
                d.insert("correctResponsesPattern".into(), json!(["a[,]c"]));
                d.insert(
                    "choices".into(),
                    json!([
                        {"id": "a", "description": {"en-US": words(&mut rng, 3)}},
                        {"id": "b", "description": {"en-US": words(&mut rng, 3)}},
                        {"id": "c", "description": {"en-US": words(&mut rng, 3)}},
                        {"id": "d", "description": {"en-US": words(&mut rng, 3)}}
                    ]),
                );
            }
            activity_values.push(json!({"objectType": "Activity", "id": id, "definition": def}));
            activity_ids.push(id);
        }
        let registrations = (0..registrations).map(|_| uuid_from(&mut rng)).collect();
        Universe {
            actors: actor_values,
            actor_params,
            activities: activity_values,
            activity_ids,
            courses,
            registrations,
            verbs: VERBS
                .iter()
                .map(|v| format!("http://adlnet.gov/expapi/verbs/{v}"))
                .collect(),
        }
    }

    /// The IFI key of each actor, as the projection stores it (`actor_ifi`: `mbox:mailto:…`,
    /// `mbox_sha1sum:…`, `openid:…`, `account:homePage|name`).
    pub fn actor_ifis(&self) -> Vec<String> {
        self.actors
            .iter()
            .map(|a| {
                let s = |k: &str| a[k].as_str().unwrap_or_default();
                if a.get("mbox").is_some() {
                    format!("mbox:{}", s("mbox"))
                } else if a.get("mbox_sha1sum").is_some() {
                    format!("mbox_sha1sum:{}", s("mbox_sha1sum"))
                } else if a.get("openid").is_some() {
                    format!("openid:{}", s("openid"))
                } else {
                    let acc = &a["account"];
                    let f = |k: &str| acc[k].as_str().unwrap_or_default();
                    format!("account:{}|{}", f("homePage"), f("name"))
                }
            })
            .collect()
    }

    /// One statement (without `id`), as a JSON object.
    pub fn statement(&self, rng: &mut StdRng) -> Value {
        let actor = &self.actors[zipf_ish(rng, self.actors.len())];
        let verb_name = VERBS[rng.random_range(0..VERBS.len())];
        let ai = zipf_ish(rng, self.activities.len());
        let activity = &self.activities[ai];
        let course = &self.courses[ai % self.courses.len()];
        let ts = EPOCH_END_S - rng.random_range(0..SPAN_S);
        let ms = rng.random_range(0..1000);
        let timestamp = format!("{}.{ms:03}Z", format_rfc3339(ts));
        let raw = rng.random_range(0..=20);
        let mut st = json!({
            "actor": actor,
            "verb": {"id": format!("http://adlnet.gov/expapi/verbs/{verb_name}"),
                     "display": {"en-US": verb_name}},
            "object": activity,
            "context": {
                "registration": self.registrations[rng.random_range(0..self.registrations.len())].to_string(),
                "contextActivities": {
                    "parent": [{"objectType": "Activity", "id": course}],
                    "grouping": [{"objectType": "Activity", "id": format!("https://programmes.example.org/p{}", ai % 10)}],
                    "category": [{"objectType": "Activity", "id": "https://w3id.org/xapi/cmi5/context/categories/moveon"}]
                },
                "platform": PLATFORMS[rng.random_range(0..PLATFORMS.len())],
                "language": LANGUAGES[rng.random_range(0..LANGUAGES.len())],
                "extensions": {
                    "https://w3id.org/xapi/cmi5/context/extensions/sessionid": uuid_from(rng).to_string(),
                    "https://example.org/ext/device": {"os": "linux", "browser": "chromium", "screen": [1920, 1080]}
                }
            },
            "timestamp": timestamp
        });
        if rng.random_bool(0.3) {
            st["context"]["instructor"] = json!({"objectType": "Agent", "name": "Instructor",
                "mbox": format!("mailto:teacher{}@example.org", rng.random_range(0..40))});
        }
        if rng.random_bool(0.7) {
            st["result"] = json!({
                "score": {"scaled": raw as f64 / 20.0, "raw": raw, "min": 0, "max": 20},
                "success": raw >= 12,
                "completion": rng.random_bool(0.8),
                "response": "a[,]c",
                "duration": format!("PT{}M{}.{}S", rng.random_range(0..50), rng.random_range(0..60), rng.random_range(0..10)),
                "extensions": {"https://example.org/ext/attempt": rng.random_range(1..4)}
            });
        }
        st
    }
}

/// Skewed choice in `0..n`: a few popular items, a long tail.
fn zipf_ish(rng: &mut StdRng, n: usize) -> usize {
    let u: f64 = rng.random();
    ((u * u) * n as f64) as usize % n
}

pub fn uuid_from(rng: &mut StdRng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.random()).into_uuid()
}

/// Statement ids for a run: deterministic in (salt, counter), valid v4 UUIDs.
pub fn statement_id(salt: u64, counter: u64) -> Uuid {
    let a = splitmix(salt ^ counter.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let b = splitmix(a ^ counter);
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_be_bytes());
    bytes[8..].copy_from_slice(&b.to_be_bytes());
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// `YYYY-MM-DDTHH:MM:SS` for epoch seconds (UTC), without a time crate.
pub fn format_rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Pre-rendered statements with an id placeholder at a fixed offset.
pub struct Pool {
    templates: Vec<Vec<u8>>,
}

/// Where the id's 36 characters start in every template (`{"id":"` is 7 bytes).
const ID_AT: usize = 7;

impl Pool {
    pub fn new(universe: &Universe, seed: u64, size: usize) -> Self {
        let mut rng = StdRng::seed_from_u64(seed ^ 0x5EED);
        let templates = (0..size)
            .map(|_| {
                let body = universe.statement(&mut rng).to_string();
                let mut t = Vec::with_capacity(body.len() + 48);
                t.extend_from_slice(b"{\"id\":\"");
                t.extend_from_slice(Uuid::nil().hyphenated().to_string().as_bytes());
                t.extend_from_slice(b"\",");
                t.extend_from_slice(&body.as_bytes()[1..]);
                t
            })
            .collect();
        Pool { templates }
    }

    pub fn mean_len(&self) -> usize {
        self.templates.iter().map(Vec::len).sum::<usize>() / self.templates.len().max(1)
    }

    /// Appends statement `counter` (template `counter % size`, id from `salt`) to `out`.
    pub fn write(&self, out: &mut Vec<u8>, salt: u64, counter: u64) {
        let t = &self.templates[(counter % self.templates.len() as u64) as usize];
        let start = out.len();
        out.extend_from_slice(t);
        let id = statement_id(salt, counter);
        id.hyphenated()
            .encode_lower(&mut out[start + ID_AT..start + ID_AT + 36]);
    }

    /// A POST body: one statement as an object when `n == 1`, else an array of `n`.
    pub fn body(&self, salt: u64, first: u64, n: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(n * (self.mean_len() + 64) + 2);
        if n == 1 {
            self.write(&mut out, salt, first);
            return out;
        }
        out.push(b'[');
        for i in 0..n as u64 {
            if i > 0 {
                out.push(b',');
            }
            self.write(&mut out, salt, first + i);
        }
        out.push(b']');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_bodies_are_valid_json_with_fresh_ids() {
        let u = Universe::new(7, 100, 50, 20);
        let p = Pool::new(&u, 7, 10);
        let body = p.body(1, 5, 3);
        let v: Value = serde_json::from_slice(&body).unwrap();
        let ids: Vec<&str> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids[0], statement_id(1, 5).to_string());
        assert_eq!(ids[2], statement_id(1, 7).to_string());
        let one: Value = serde_json::from_slice(&p.body(1, 9, 1)).unwrap();
        assert!(one.is_object());
    }

    #[test]
    fn same_seed_same_pool() {
        let a = Pool::new(&Universe::new(3, 50, 20, 10), 3, 5);
        let b = Pool::new(&Universe::new(3, 50, 20, 10), 3, 5);
        assert_eq!(a.body(0, 0, 5), b.body(0, 0, 5));
    }

    #[test]
    fn formats_dates() {
        assert_eq!(format_rfc3339(EPOCH_END_S), "2026-01-01T00:00:00");
        assert_eq!(format_rfc3339(951_782_400 + 3661), "2000-02-29T01:01:01");
    }
}
