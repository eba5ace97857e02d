//! The format of every postcard record Cairn stores (log entries, tenancy entities, personas,
//! documents): one leading format-version byte, then postcard.
//!
//! Records written before versioning have no such byte. Each of them starts with a postcard
//! enum tag or a length, all below `0x80` for every record type stored so far, so a first byte
//! with the high bit set is a format version ([`V1`] = `0xC1`, [`V2`] = `0xC2`) and anything
//! else is an unversioned (version 0) record, decoded as it always was.
//!
//! Version 2 added fields to stored types (a store's `retention_months`). Such a field is
//! marked `#[serde(default, serialize_with = "codec::v2_field", deserialize_with =
//! "codec::since_v2")]`: a record holding one is written as version 2, every other record
//! keeps its version-1 bytes, and in a record of an earlier version the field reads no bytes
//! and takes its default, so every older record decodes as before.
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cell::Cell;

/// The first byte of a version-1 record.
pub const V1: u8 = 0xC1;
/// The first byte of a version-2 record (one that holds a field added in version 2).
pub const V2: u8 = 0xC2;

thread_local! {
    /// The format version of the record [`decode`] is reading on this thread (2 otherwise).
    static DECODING: Cell<u8> = const { Cell::new(2) };
    /// Whether the record [`encode`] is writing holds a version-2 field.
    static HOLDS_V2: Cell<bool> = const { Cell::new(false) };
}

/// Sets [`DECODING`] for one decode, and back when dropped.
struct Decoding(u8);

impl Decoding {
    fn set(version: u8) -> Self {
        Decoding(DECODING.with(|d| d.replace(version)))
    }
}

impl Drop for Decoding {
    fn drop(&mut self) {
        DECODING.with(|d| d.set(self.0));
    }
}

/// The format version byte, then the postcard encoding of `value`: [`V2`] when it holds a
/// version-2 field, else [`V1`].
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let before = HOLDS_V2.with(|h| h.replace(false));
    let mut out = postcard::to_extend(value, vec![V1]).expect("stored records always serialize");
    if HOLDS_V2.with(|h| h.replace(before)) {
        out[0] = V2;
    }
    out
}

fn postcard_at<T: DeserializeOwned>(version: u8, bytes: &[u8]) -> Result<T, String> {
    let _v = Decoding::set(version);
    postcard::from_bytes(bytes).map_err(|e| e.to_string())
}

/// Decodes a record of any known format version.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    match bytes.split_first() {
        Some((&V2, rest)) => postcard_at(2, rest),
        Some((&V1, rest)) => postcard_at(1, rest),
        Some((v, _)) if v & 0x80 != 0 => Err(format!(
            "record of unknown format version {v:#04x} (written by a newer Cairn?)"
        )),
        Some(_) => postcard_at(0, bytes),
        None => Err("empty record".into()),
    }
}

/// Writes a field added in format version 2 (and marks the record as version 2).
pub fn v2_field<T: Serialize, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    HOLDS_V2.with(|h| h.set(true));
    value.serialize(s)
}

/// Reads a field added in format version 2: absent (its default) in older records, read
/// otherwise (and always outside [`decode`], e.g. from JSON).
pub fn since_v2<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    if DECODING.with(Cell::get) < 2 {
        Ok(T::default())
    } else {
        T::deserialize(d)
    }
}

/// Frozen bytes: records as written before versioning (version 0) and as written now
/// (version 1) must both decode to the same value, and encoding must keep producing version 1
/// byte for byte. A change to a stored type that breaks these needs a new format version.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::{DocumentKey, DocumentKind, DocumentRecord};
    use crate::event::{Event, FilterKeys, StatementRecord};
    use crate::ids::StoreId;
    use crate::personas::model::Persona;
    use crate::tenancy::{Entity, OrgId, Organisation};
    use std::sync::Arc;
    use uuid::Uuid;

    fn event() -> Event {
        Event::Statement(Arc::new(StatementRecord {
            store: StoreId::DEFAULT,
            id: Uuid::from_u128(7),
            stored_us: 1_700_000_000_000_000,
            keys: FilterKeys {
                verbs: vec!["v".into()],
                ..Default::default()
            },
            voids: None,
            attachments: vec![],
            body: br#"{"id":"x"}"#.to_vec(),
            facts: None,
        }))
    }

    fn document() -> DocumentRecord {
        DocumentRecord::new(
            DocumentKey {
                kind: DocumentKind::State,
                activity_id: Some("a".into()),
                agent: Some("mbox:mailto:a@b".into()),
                registration: None,
                id: "s".into(),
            },
            "application/json".into(),
            b"{}".to_vec(),
            5,
        )
    }

    fn entity() -> Entity {
        Entity::Organisation(Organisation {
            id: OrgId(Uuid::from_u128(2)),
            name: "Org".into(),
            parent: None,
            created_us: 3,
            updated_us: 4,
        })
    }

    fn persona() -> Persona {
        Persona {
            id: Uuid::from_u128(9),
            store: StoreId::DEFAULT,
            name: "P".into(),
            attributes: [("k".to_owned(), "v".to_owned())].into(),
            identifiers: vec!["mbox:mailto:p@q".into()],
            created_us: 1,
            updated_us: 2,
        }
    }

    fn check<T: Serialize + DeserializeOwned + std::fmt::Debug>(value: T, v0: &str, v1: &str) {
        let v0 = hex::decode(v0).unwrap();
        let v1 = hex::decode(v1).unwrap();
        let want = format!("{value:?}");
        assert_eq!(
            hex::encode(encode(&value)),
            hex::encode(&v1),
            "version 1 encoding"
        );
        assert_eq!(
            format!("{:?}", decode::<T>(&v1).unwrap()),
            want,
            "version 1 decodes"
        );
        assert_eq!(
            format!("{:?}", decode::<T>(&v0).unwrap()),
            want,
            "version 0 decodes"
        );
        assert!(
            v0[0] < 0x80,
            "an unversioned record never starts with a version byte"
        );
    }

    #[test]
    fn frozen_log_entries() {
        check(
            event(),
            "00100000000000000000000000000000000110000000000000000000000000000000078080f28183898506000001017600000000000a7b226964223a2278227d",
            "c100100000000000000000000000000000000110000000000000000000000000000000078080f28183898506000001017600000000000a7b226964223a2278227d",
        );
    }

    #[test]
    fn frozen_documents() {
        check(
            document(),
            "00010161010f6d626f783a6d61696c746f3a614062000173106170706c69636174696f6e2f6a736f6e28626632316139653866626335613338343666623035623466613038353965303931376232323032660a027b7d",
            "c100010161010f6d626f783a6d61696c746f3a614062000173106170706c69636174696f6e2f6a736f6e28626632316139653866626335613338343666623035623466613038353965303931376232323032660a027b7d",
        );
    }

    #[test]
    fn frozen_tenancy_entities() {
        check(
            entity(),
            "001000000000000000000000000000000002034f7267000608",
            "c1001000000000000000000000000000000002034f7267000608",
        );
    }

    #[test]
    fn frozen_personas() {
        check(
            persona(),
            "10000000000000000000000000000000091000000000000000000000000000000001015001016b0176010f6d626f783a6d61696c746f3a7040710204",
            "c110000000000000000000000000000000091000000000000000000000000000000001015001016b0176010f6d626f783a6d61696c746f3a7040710204",
        );
    }

    /// The entities of signing in (the set-up link, single sign-on identities), added later:
    /// new variants at the end of `Entity`, so every earlier record keeps its bytes.
    #[test]
    fn frozen_sign_in_entities() {
        use crate::tenancy::{Identity, IdentityId, SetupLink, UserId};
        let setup = Entity::Setup(SetupLink {
            token_hash: vec![1, 2],
            expires_us: 5,
            created_us: 1,
            updated_us: 2,
        });
        check(setup, "070201020a0204", "c1070201020a0204");
        let identity = Entity::Identity(Identity {
            id: IdentityId(Uuid::from_u128(3)),
            issuer: "i".into(),
            subject: "s".into(),
            user: UserId(Uuid::from_u128(4)),
            created_us: 1,
            updated_us: 2,
        });
        check(
            identity,
            "0610000000000000000000000000000000030169017310000000000000000000000000000000040204",
            "c10610000000000000000000000000000000030169017310000000000000000000000000000000040204",
        );
    }

    /// The index of `Event::Audit` in the enum: appended after `Forwarder` (5). When another
    /// variant is appended before it, change this one constant: the record's bytes after the
    /// tag stay the same.
    const AUDIT_VARIANT: u8 = 7;

    #[test]
    fn frozen_audit_entries() {
        use crate::audit::{AuditKind, AuditRecord};
        use crate::tenancy::UserId;
        let e = Event::Audit(Arc::new(AuditRecord {
            at_us: 1_700_000_000_000_000,
            actor: UserId(Uuid::from_u128(4)),
            kind: AuditKind::ShareLink,
            method: "POST".into(),
            route: "/api/v1/dashboards/{id}/links".into(),
            targets: vec!["d".into()],
            org: Some(OrgId(Uuid::from_u128(2))),
            status: 201,
        }));
        // at_us, actor, kind (ShareLink = 3), method, route, targets, org, status.
        let record = "8080f2818389850610000000000000000000000000000000040304504f53541d2f6170692f76312f64617368626f617264732f7b69647d2f6c696e6b73010164011000000000000000000000000000000002c901";
        check(
            e,
            &format!("{AUDIT_VARIANT:02x}{record}"),
            &format!("c1{AUDIT_VARIANT:02x}{record}"),
        );
    }

    /// Version 2: a store's `retention_months`. A store record is written as version 2; one
    /// written before (version 0 or 1, without the field) decodes with no retention.
    #[test]
    fn frozen_store_retention() {
        use crate::tenancy::Store;
        let store = |retention_months| {
            Entity::Store(Store {
                id: StoreId(Uuid::from_u128(5)),
                org: OrgId(Uuid::from_u128(2)),
                name: "S".into(),
                created_us: 3,
                updated_us: 4,
                retention_months,
            })
        };
        // Store (1), id, org, name, created, updated.
        let old = "011000000000000000000000000000000005100000000000000000000000000000000201530608";
        let v2 = format!("c2{old}0118");
        assert_eq!(hex::encode(encode(&store(Some(24)))), v2);
        assert_eq!(
            decode::<Entity>(&hex::decode(&v2).unwrap()),
            Ok(store(Some(24)))
        );
        assert_eq!(hex::encode(encode(&store(None))), format!("c2{old}00"));
        for before in [old.to_owned(), format!("c1{old}")] {
            assert_eq!(
                decode::<Entity>(&hex::decode(&before).unwrap()),
                Ok(store(None)),
                "{before}"
            );
        }
        // A record without a version-2 field keeps its version-1 bytes.
        assert_eq!(encode(&entity())[0], V1);
    }

    #[test]
    fn unknown_versions_and_empty_records_are_errors() {
        let e = decode::<Persona>(&[0xC3, 0, 0]).unwrap_err();
        assert!(e.contains("unknown format version 0xc3"), "{e}");
        assert!(decode::<Persona>(&[]).is_err());
    }
}
