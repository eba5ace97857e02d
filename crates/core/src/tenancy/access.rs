//! Who may do what in the admin API. A [`Subject`] is a logged-in user (session or personal
//! token). Site administrators may do everything; everyone else acts through their role in an
//! organisation, which also covers its descendants.
//!
//! Refusals never hint at what exists: an entity the subject cannot see is `NotFound`, exactly
//! like one that does not exist; `Forbidden` only answers a subject who can see the entity but
//! whose role is too weak for the action.
use super::model::*;
use super::state::TenancyState;
use crate::error::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject {
    pub user: UserId,
    pub site_admin: bool,
}

impl Subject {
    /// The subject's effective role in an organisation (site administrators: owner everywhere).
    pub fn role(&self, st: &TenancyState, org: OrgId) -> Option<Role> {
        if !st.orgs.contains_key(&org) {
            return None;
        }
        if self.site_admin {
            return Some(Role::Owner);
        }
        st.role_in(self.user, org)
    }

    /// Requires at least `min` in `org`: NotFound when the subject has no role there (or it does
    /// not exist), Forbidden when the role is too weak.
    pub fn require(&self, st: &TenancyState, org: OrgId, min: Role) -> Result<Role, Error> {
        match self.role(st, org) {
            None => Err(Error::NotFound),
            Some(r) if r < min => Err(Error::Forbidden(format!(
                "this needs the {} role in the organisation",
                min.as_str()
            ))),
            Some(r) => Ok(r),
        }
    }

    pub fn require_site_admin(&self) -> Result<(), Error> {
        if self.site_admin {
            Ok(())
        } else {
            Err(Error::Forbidden("this needs a site administrator".into()))
        }
    }
}

/// Roles needed for each kind of action (one table, documented in docs/api.md).
pub mod needs {
    use super::Role;
    pub const VIEW_ORG: Role = Role::Viewer;
    pub const EDIT_ORG: Role = Role::Admin;
    pub const DELETE_ORG: Role = Role::Owner;
    pub const VIEW_STORE: Role = Role::Viewer;
    pub const MANAGE_STORE: Role = Role::Admin;
    pub const MANAGE_CLIENTS: Role = Role::Admin;
    pub const MANAGE_MEMBERS: Role = Role::Admin;
    /// Creating, changing, merging, splitting and importing personas.
    pub const EDIT_PERSONAS: Role = Role::Analyst;
    /// Creating, changing and deleting dashboards, widgets and share links.
    pub const EDIT_DASHBOARDS: Role = Role::Analyst;
    /// Creating, changing, pausing, replaying and deleting forwarders; their dead letters.
    pub const MANAGE_FORWARDERS: Role = Role::Admin;
    /// Granting or revoking the owner role.
    pub const MANAGE_OWNERS: Role = Role::Owner;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenancy::state::Change;

    #[test]
    fn refusals_distinguish_unseen_from_too_weak() {
        let mut st = TenancyState::default();
        let (a, b) = (OrgId::generate(), OrgId::generate());
        let u = UserId::generate();
        for o in [a, b] {
            st.apply(&Change::Put(Entity::Organisation(Organisation {
                id: o,
                name: "o".into(),
                parent: None,
                created_us: 0,
                updated_us: 0,
            })));
        }
        st.apply(&Change::Put(Entity::Membership(Membership {
            org: a,
            user: u,
            role: Role::Viewer,
            created_us: 0,
            updated_us: 0,
        })));
        let s = Subject {
            user: u,
            site_admin: false,
        };
        assert!(s.require(&st, a, Role::Viewer).is_ok());
        assert!(matches!(
            s.require(&st, a, Role::Admin),
            Err(Error::Forbidden(_))
        ));
        assert!(matches!(
            s.require(&st, b, Role::Viewer),
            Err(Error::NotFound)
        ));
        let root = Subject {
            user: UserId::generate(),
            site_admin: true,
        };
        assert_eq!(root.require(&st, b, Role::Owner).unwrap(), Role::Owner);
        assert!(matches!(
            root.require(&st, OrgId::generate(), Role::Viewer),
            Err(Error::NotFound)
        ));
    }
}
