//! Saved filters: a filter of the filter language kept by name in a store, so the query builder,
//! the dashboards, the statement explorer and exports can reuse it. They live with the
//! dashboards (same log events, same embedded-store rows, same writer path): [`decide`] checks a
//! [`FilterCommand`] against the state, and the service methods below are what the admin API
//! calls. Viewers read, analysts and more change. Names are unique in a store, ignoring case.
use super::decide::{DashboardCommand, DashboardLimits, json_ok, text_ok};
use super::filter_ok;
use super::model::{DashboardChange, DashboardState, SavedFilter};
use super::service::{DashboardService, json_text};
use crate::error::Error;
use crate::ids::StoreId;
use crate::tenancy::{ListQuery, Listed, Subject, page};
use serde_json::Value as Json;
use uuid::Uuid;

/// What a caller asks of a store's saved filters.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterCommand {
    Create(SavedFilter),
    Update {
        id: Uuid,
        name: Option<String>,
        description: Option<String>,
        filter: Option<String>,
    },
    Delete {
        id: Uuid,
    },
}

fn name_taken(st: &DashboardState, store: StoreId, name: &str, except: Uuid) -> bool {
    let lower = name.to_lowercase();
    st.filters_of(store)
        .any(|f| f.id != except && f.name.to_lowercase() == lower)
}

fn checked(
    st: &DashboardState,
    mut f: SavedFilter,
    limits: &DashboardLimits,
) -> Result<SavedFilter, Error> {
    f.name = text_ok("name", &f.name, limits, true)?;
    f.description = text_ok("description", &f.description, limits, false)?;
    json_ok("filter", &f.filter, limits)?;
    if name_taken(st, f.store, &f.name, f.id) {
        return Err(Error::Conflict(format!(
            "a saved filter named {:?} already exists in this store",
            f.name
        )));
    }
    Ok(f)
}

/// The changes a saved-filter command makes at `at_us`, or why it cannot be done.
pub(super) fn decide(
    st: &DashboardState,
    store: StoreId,
    limits: &DashboardLimits,
    at_us: i64,
    cmd: FilterCommand,
) -> Result<Vec<DashboardChange>, Error> {
    let of_store = |id: Uuid| {
        st.filter(id)
            .filter(|f| f.store == store)
            .cloned()
            .ok_or(Error::NotFound)
    };
    Ok(match cmd {
        FilterCommand::Create(mut f) => {
            if st.filter(f.id).is_some() {
                return Err(Error::Conflict(format!(
                    "saved filter {} already exists",
                    f.id
                )));
            }
            if st.filters_of(store).count() >= limits.filters_per_store {
                return Err(Error::Conflict(format!(
                    "a store has at most {} saved filters",
                    limits.filters_per_store
                )));
            }
            f.store = store;
            f.created_us = at_us;
            f.updated_us = at_us;
            vec![DashboardChange::FilterPut(checked(st, f, limits)?)]
        }
        FilterCommand::Update {
            id,
            name,
            description,
            filter,
        } => {
            let mut f = of_store(id)?;
            if let Some(n) = name {
                f.name = n;
            }
            if let Some(d) = description {
                f.description = d;
            }
            if let Some(j) = filter {
                f.filter = j;
            }
            f.updated_us = at_us;
            vec![DashboardChange::FilterPut(checked(st, f, limits)?)]
        }
        FilterCommand::Delete { id } => {
            of_store(id)?;
            vec![DashboardChange::FilterDeleted { id }]
        }
    })
}

/// A new saved filter.
#[derive(Debug, Clone)]
pub struct NewFilter {
    pub name: String,
    pub description: Option<String>,
    pub filter: Json,
}

/// A change to a saved filter: `None` keeps a value.
#[derive(Debug, Clone, Default)]
pub struct FilterEdit {
    pub name: Option<String>,
    pub description: Option<String>,
    pub filter: Option<Json>,
}

impl DashboardService {
    /// A store's saved filters in creation order, optionally by name (viewer or more).
    pub fn list_filters(
        &self,
        s: &Subject,
        store: StoreId,
        q: &ListQuery,
    ) -> Result<Listed<SavedFilter>, Error> {
        self.can(s, store, false)?;
        let st = self.dashboards.read();
        Ok(page(
            st.filters_of(store)
                .filter(|f| q.name_matches(&f.name))
                .map(|f| (f.id, f.clone())),
            q,
        ))
    }

    /// One saved filter (viewer or more); another store's is `404`.
    pub fn get_filter(&self, s: &Subject, store: StoreId, id: Uuid) -> Result<SavedFilter, Error> {
        self.can(s, store, false)?;
        self.dashboards
            .read()
            .filter(id)
            .filter(|f| f.store == store)
            .cloned()
            .ok_or(Error::NotFound)
    }

    /// Saves a filter by name (analyst or more).
    pub async fn create_filter(
        &self,
        s: &Subject,
        store: StoreId,
        n: NewFilter,
    ) -> Result<SavedFilter, Error> {
        self.can(s, store, true)?;
        filter_ok(&n.filter, &self.limits.filter, "/filter")?;
        let id = Uuid::now_v7();
        let f = SavedFilter {
            id,
            store,
            name: n.name,
            description: n.description.unwrap_or_default(),
            filter: json_text(&n.filter),
            created_us: 0,
            updated_us: 0,
        };
        let cmd = DashboardCommand::Filter(FilterCommand::Create(f));
        self.apply(store, vec![cmd]).await?;
        self.get_filter(s, store, id)
    }

    /// Renames a saved filter, or changes its description or filter (analyst or more).
    pub async fn update_filter(
        &self,
        s: &Subject,
        store: StoreId,
        id: Uuid,
        e: FilterEdit,
    ) -> Result<SavedFilter, Error> {
        self.can(s, store, true)?;
        if let Some(f) = &e.filter {
            filter_ok(f, &self.limits.filter, "/filter")?;
        }
        let cmd = DashboardCommand::Filter(FilterCommand::Update {
            id,
            name: e.name,
            description: e.description,
            filter: e.filter.as_ref().map(json_text),
        });
        self.apply(store, vec![cmd]).await?;
        self.get_filter(s, store, id)
    }

    /// Deletes a saved filter (analyst or more). Dashboards that copied it keep their copy.
    pub async fn delete_filter(&self, s: &Subject, store: StoreId, id: Uuid) -> Result<(), Error> {
        self.can(s, store, true)?;
        let cmd = DashboardCommand::Filter(FilterCommand::Delete { id });
        self.apply(store, vec![cmd]).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved(name: &str) -> SavedFilter {
        SavedFilter {
            id: Uuid::now_v7(),
            store: StoreId::DEFAULT,
            name: name.into(),
            description: String::new(),
            filter: r#"{"field":"verb","eq":"v"}"#.into(),
            created_us: 0,
            updated_us: 0,
        }
    }

    fn run(st: &mut DashboardState, store: StoreId, cmd: FilterCommand) -> Result<(), Error> {
        let limits = DashboardLimits {
            filters_per_store: 2,
            ..Default::default()
        };
        for c in decide(st, store, &limits, 7, cmd)? {
            st.apply(&c);
        }
        Ok(())
    }

    #[test]
    fn saved_filters_are_named_uniquely_per_store_and_bounded() {
        let mut st = DashboardState::default();
        let a = saved("Completions");
        run(&mut st, StoreId::DEFAULT, FilterCommand::Create(a.clone())).unwrap();
        let got = st.filter(a.id).unwrap();
        assert_eq!((got.created_us, got.updated_us), (7, 7));
        // The same name in another case is taken in this store, free in another.
        let dup = run(
            &mut st,
            StoreId::DEFAULT,
            FilterCommand::Create(saved(" completions ")),
        );
        assert!(
            matches!(dup, Err(Error::Conflict(m)) if m.contains("\"completions\" already exists"))
        );
        let other = StoreId(Uuid::now_v7());
        run(&mut st, other, FilterCommand::Create(saved("Completions"))).unwrap();
        assert_eq!(st.filters_of(other).count(), 1);
        // At most two per store (the test's limit).
        run(&mut st, StoreId::DEFAULT, FilterCommand::Create(saved("b"))).unwrap();
        let full = run(&mut st, StoreId::DEFAULT, FilterCommand::Create(saved("c")));
        assert!(matches!(full, Err(Error::Conflict(m)) if m.contains("at most 2")));
        // Empty names are refused; renaming onto a taken name too; another store's is 404.
        let empty = FilterCommand::Update {
            id: a.id,
            name: Some("  ".into()),
            description: None,
            filter: None,
        };
        assert!(matches!(
            run(&mut st, StoreId::DEFAULT, empty),
            Err(Error::BadRequest(_))
        ));
        let onto = FilterCommand::Update {
            id: a.id,
            name: Some("B".into()),
            description: None,
            filter: None,
        };
        assert!(matches!(
            run(&mut st, StoreId::DEFAULT, onto),
            Err(Error::Conflict(_))
        ));
        let elsewhere = run(&mut st, other, FilterCommand::Delete { id: a.id });
        assert!(matches!(elsewhere, Err(Error::NotFound)));
        // A rename keeps the id and creation time; a delete removes it.
        let rename = FilterCommand::Update {
            id: a.id,
            name: Some("Done".into()),
            description: Some("finished".into()),
            filter: None,
        };
        run(&mut st, StoreId::DEFAULT, rename).unwrap();
        assert_eq!(st.filter(a.id).unwrap().name, "Done");
        run(
            &mut st,
            StoreId::DEFAULT,
            FilterCommand::Delete { id: a.id },
        )
        .unwrap();
        assert!(st.filter(a.id).is_none());
        assert_eq!(st.filters_of(StoreId::DEFAULT).count(), 1);
    }

    #[test]
    fn saved_filter_rows_round_trip() {
        let mut st = DashboardState::default();
        let a = saved("x");
        let change = DashboardChange::FilterPut(a.clone());
        let effects = st.effects(&change);
        st.apply(&change);
        let rows: Vec<_> = effects
            .into_iter()
            .filter_map(|(_, r)| r.map(|r| super::super::Record::decode(&r.encode()).unwrap()))
            .collect();
        assert_eq!(DashboardState::from_records(rows), st);
        let gone = DashboardChange::FilterDeleted { id: a.id };
        assert_eq!(
            st.effects(&gone),
            vec![(super::super::model::key(b'f', a.id), None)]
        );
    }
}
