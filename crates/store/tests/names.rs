//! Names of verbs and activities read from the embedded store (what the writer keeps: merged
//! activity definitions, and verb displays under their own key), after a reopen.
use cairn_core::StoreId;
use cairn_core::activities::verb_key;
use cairn_core::analytics::names::{Name, names};
use cairn_core::ports::{LogStore, WriteSet};
use cairn_store::FjallStore;

#[test]
fn names_come_from_activity_definitions_and_verb_displays() {
    let dir = tempfile::tempdir().unwrap();
    let other = StoreId(uuid::Uuid::from_u128(9));
    let def = |j: &str| j.as_bytes().to_vec();
    {
        let s = FjallStore::open(dir.path(), 8 << 20).unwrap();
        let ws = WriteSet {
            activities: vec![
                (
                    StoreId::DEFAULT,
                    "http://a/1".into(),
                    def(r#"{"name":{"en":"Quiz","fr":"Quiz FR"},"type":"http://t"}"#),
                ),
                (
                    StoreId::DEFAULT,
                    "http://a/2".into(),
                    def(r#"{"type":"http://t"}"#),
                ),
                (
                    StoreId::DEFAULT,
                    verb_key("http://v/1"),
                    def(r#"{"display":{"en-US":"passed","de":"bestanden"}}"#),
                ),
                (
                    other,
                    verb_key("http://v/2"),
                    def(r#"{"display":{"en-US":"failed"}}"#),
                ),
            ],
            ..Default::default()
        };
        s.commit(&ws).unwrap();
    }
    let s = FjallStore::open(dir.path(), 8 << 20).unwrap();
    let ids: Vec<String> = [
        "http://v/1",
        "http://a/1",
        "http://a/2",
        "http://v/2",
        "http://a/1",
    ]
    .map(String::from)
    .to_vec();
    let name = |id: &str, name: &str| Name {
        id: id.into(),
        name: name.into(),
    };
    // No name (a definition without one, another store's verb) is left out; repeats once.
    assert_eq!(
        names(&s, StoreId::DEFAULT, &ids, Some("de")).unwrap(),
        [name("http://v/1", "bestanden"), name("http://a/1", "Quiz")]
    );
    assert_eq!(
        names(&s, StoreId::DEFAULT, &ids, Some("fr-CA")).unwrap(),
        [name("http://v/1", "passed"), name("http://a/1", "Quiz FR")]
    );
    assert_eq!(
        names(&s, other, &ids, None).unwrap(),
        [name("http://v/2", "failed")]
    );
    // A verb's key is not an activity id the Activities resource could be asked for.
    assert!(
        s.activity(StoreId::DEFAULT, "http://v/1")
            .unwrap()
            .is_none()
    );
}
