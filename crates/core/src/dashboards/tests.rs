use super::model::{FORMAT_VERSION, key};
use super::*;
use crate::error::Error;
use crate::ids::StoreId;
use std::collections::BTreeMap;
use uuid::Uuid;

const S: StoreId = StoreId::DEFAULT;

/// Decides commands as the writer does: changes applied to a scratch state, rows written, and
/// events kept; answers the events.
fn run(
    st: &mut DashboardState,
    rows: &mut BTreeMap<Vec<u8>, Vec<u8>>,
    cmds: Vec<DashboardCommand>,
) -> Result<Vec<DashboardChange>, Error> {
    let limits = DashboardLimits {
        widgets_per_dashboard: 3,
        links_per_dashboard: 1,
        ..DashboardLimits::default()
    };
    let mut scratch = st.clone();
    let mut out = Vec::new();
    let mut written = Vec::new();
    for c in cmds {
        for ch in decide(&scratch, S, &limits, 7, c)? {
            written.extend(scratch.effects(&ch));
            scratch.apply(&ch);
            out.push(ch);
        }
    }
    for (k, r) in written {
        match r {
            Some(r) => rows.insert(k, r.encode()),
            None => rows.remove(&k),
        };
    }
    *st = scratch;
    Ok(out)
}

fn dashboard(name: &str) -> Dashboard {
    Dashboard {
        id: Uuid::now_v7(),
        store: S,
        name: name.into(),
        description: String::new(),
        time_range: TimeRange::default(),
        tz: "UTC".into(),
        filter: None,
        refresh_seconds: None,
        layout: vec![],
        created_us: 0,
        updated_us: 0,
    }
}

fn widget(d: Uuid) -> Widget {
    Widget {
        id: Uuid::now_v7(),
        dashboard: d,
        title: "Verbs".into(),
        description: String::new(),
        kind: "bar".into(),
        query: r#"{"kind":"aggregate","group_by":["verb"]}"#.into(),
        options: "{}".into(),
        created_us: 0,
        updated_us: 0,
    }
}

fn link(d: Uuid) -> ShareLink {
    ShareLink {
        id: Uuid::now_v7(),
        dashboard: d,
        name: "public".into(),
        visibility: Visibility::Anyone,
        domains: vec![],
        expires_us: None,
        url_filter: UrlFilter::Off,
        secret: None,
        revoked_us: None,
        created_us: 0,
        updated_us: 0,
    }
}

#[test]
fn rows_equal_a_replay_and_delete_cascades() {
    let mut st = DashboardState::default();
    let mut rows = BTreeMap::new();
    let mut log = Vec::new();
    let (a, b) = (dashboard("A"), dashboard("B"));
    let (w1, w2, l) = (widget(a.id), widget(a.id), link(a.id));
    log.extend(
        run(
            &mut st,
            &mut rows,
            vec![
                DashboardCommand::CreateDashboard(a.clone()),
                DashboardCommand::CreateDashboard(b.clone()),
                DashboardCommand::CreateWidget(w1.clone(), None),
                DashboardCommand::CreateWidget(w2.clone(), None),
                DashboardCommand::CreateLink(l.clone()),
            ],
        )
        .unwrap(),
    );
    assert_eq!(st.dashboard(a.id).unwrap().layout.len(), 2);
    let copy = Uuid::now_v7();
    log.extend(
        run(
            &mut st,
            &mut rows,
            vec![DashboardCommand::Duplicate {
                from: a.id,
                id: copy,
                name: "A2".into(),
                widgets: vec![(w1.id, Uuid::now_v7()), (w2.id, Uuid::now_v7())],
            }],
        )
        .unwrap(),
    );
    assert_eq!(st.widgets(copy).count(), 2);
    assert_eq!(st.dashboard(copy).unwrap().layout.len(), 2);
    assert!(st.links(copy).next().is_none(), "links are not copied");
    log.extend(
        run(
            &mut st,
            &mut rows,
            vec![DashboardCommand::DeleteWidget {
                dashboard: a.id,
                id: w2.id,
            }],
        )
        .unwrap(),
    );
    assert_eq!(
        st.dashboard(a.id).unwrap().layout.len(),
        1,
        "the layout forgets it"
    );
    log.extend(
        run(
            &mut st,
            &mut rows,
            vec![DashboardCommand::DeleteDashboard { id: a.id }],
        )
        .unwrap(),
    );
    assert!(st.dashboard(a.id).is_none());
    assert!(st.widget(a.id, w1.id).is_none());
    assert!(st.link(l.id).is_none());

    let from_rows = DashboardState::from_records(rows.values().map(|v| Record::decode(v).unwrap()));
    let mut replayed = DashboardState::default();
    for c in &log {
        replayed.apply(c);
    }
    assert_eq!(from_rows, st);
    assert_eq!(replayed, st);
    assert_eq!(st.of_store(S).count(), 2);
}

#[test]
fn limits_and_references_are_checked_against_the_group() {
    let mut st = DashboardState::default();
    let mut rows = BTreeMap::new();
    let d = dashboard("D");
    run(
        &mut st,
        &mut rows,
        vec![DashboardCommand::CreateDashboard(d.clone())],
    )
    .unwrap();
    // Four widgets in one request: the fourth breaks the limit of three, and nothing applies.
    let four: Vec<_> = (0..4)
        .map(|_| DashboardCommand::CreateWidget(widget(d.id), None))
        .collect();
    assert!(matches!(
        run(&mut st, &mut rows, four),
        Err(Error::Conflict(_))
    ));
    assert_eq!(st.widgets(d.id).count(), 0);
    // One live link at most; a revoked one does not count.
    let l = link(d.id);
    run(
        &mut st,
        &mut rows,
        vec![DashboardCommand::CreateLink(l.clone())],
    )
    .unwrap();
    assert!(
        run(
            &mut st,
            &mut rows,
            vec![DashboardCommand::CreateLink(link(d.id))]
        )
        .is_err()
    );
    run(
        &mut st,
        &mut rows,
        vec![
            DashboardCommand::RevokeLink {
                dashboard: d.id,
                id: l.id,
            },
            DashboardCommand::CreateLink(link(d.id)),
        ],
    )
    .unwrap();
    // A layout naming an unknown widget is refused, naming the item.
    let bad = vec![LayoutItem {
        widget: Uuid::now_v7(),
        x: 0,
        y: 0,
        w: 1,
        h: 1,
    }];
    let e = run(
        &mut st,
        &mut rows,
        vec![DashboardCommand::SetLayout {
            id: d.id,
            layout: bad,
        }],
    )
    .unwrap_err();
    assert!(e.to_string().starts_with("items/0/widget"), "{e}");
    // Another store's dashboard is not found.
    let other = decide(
        &st,
        StoreId(Uuid::now_v7()),
        &DashboardLimits::default(),
        1,
        DashboardCommand::DeleteDashboard { id: d.id },
    );
    assert!(matches!(other, Err(Error::NotFound)));
    // Names are required and bounded.
    let mut long = dashboard(&"x".repeat(201));
    assert!(matches!(
        run(
            &mut st,
            &mut rows,
            vec![DashboardCommand::CreateDashboard(long.clone())]
        ),
        Err(Error::BadRequest(_))
    ));
    long.name = "  ".into();
    assert!(matches!(
        run(
            &mut st,
            &mut rows,
            vec![DashboardCommand::CreateDashboard(long)]
        ),
        Err(Error::BadRequest(_))
    ));
    // A duplicate of a dashboard whose widgets changed meanwhile is refused.
    run(
        &mut st,
        &mut rows,
        vec![DashboardCommand::CreateWidget(widget(d.id), None)],
    )
    .unwrap();
    let stale = DashboardCommand::Duplicate {
        from: d.id,
        id: Uuid::now_v7(),
        name: "c".into(),
        widgets: vec![],
    };
    assert!(matches!(
        run(&mut st, &mut rows, vec![stale]),
        Err(Error::Conflict(_))
    ));
}

/// Frozen bytes of a version-1 row: a later version must still read them.
#[test]
fn a_frozen_row_decodes() {
    let d = Dashboard {
        id: Uuid::from_u128(0x0102),
        store: StoreId(Uuid::from_u128(1)),
        name: "N".into(),
        description: "".into(),
        time_range: TimeRange::Preset(Preset::Days7),
        tz: "UTC".into(),
        filter: Some("{}".into()),
        refresh_seconds: Some(60),
        layout: vec![LayoutItem {
            widget: Uuid::from_u128(3),
            x: 1,
            y: 2,
            w: 3,
            h: 4,
        }],
        created_us: 5,
        updated_us: 6,
    };
    let r = Record::Dashboard(d);
    let frozen = "01001000000000000000000000000000000102100000000000000000000000000000000101\
                  4e0000010355544301027b7d013c011000000000000000000000000000000003010203040a0c";
    assert_eq!(hex::encode(r.encode()), frozen);
    assert_eq!(Record::decode(&hex::decode(frozen).unwrap()).unwrap(), r);
    assert_eq!(r.key(), key(b'd', Uuid::from_u128(0x0102)));
    assert!(Record::decode(&[9, 0]).unwrap_err().contains("version 9"));
    assert_eq!(FORMAT_VERSION, 1);
}

#[test]
fn every_template_is_valid() {
    let ts = templates::all();
    assert_eq!(ts.len(), 7);
    for t in ts {
        let tr = time_range_from_json(&t.time_range).unwrap();
        let d = Dashboard {
            time_range: tr,
            ..dashboard(&t.name)
        };
        for w in &t.widgets {
            let p = plan::plan(
                &context(&d, None, &Default::default()),
                &w.query,
                &plan::DataRequest::default(),
            );
            assert!(p.is_ok(), "{} / {}: {:?}", t.id, w.title, p.err());
            assert!(WIDGET_TYPES.contains(&w.kind.as_str()));
        }
    }
    assert!(templates::find("course-funnel").is_some());
}
