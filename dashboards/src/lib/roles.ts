// The caller's role on a store: the strongest role held on the store's organisation or any of its
// ancestors; site administrators act as owners everywhere (docs/api.md, Roles).
import type { Me, Organisation, Role } from "../api/types";

const RANK: Record<Role, number> = { viewer: 1, analyst: 2, admin: 3, owner: 4 };

function isRole(r: string): r is Role {
  return r in RANK;
}

/** The strongest role `me` holds on organisation `org` (through its ancestors), or null. */
export function roleOnOrganisation(me: Me, orgs: Organisation[], org: string): Role | null {
  if (me.user.site_admin) return "owner";
  const parent = new Map(orgs.map((o) => [o.id, o.parent ?? null]));
  const held = new Map<string, Role>();
  for (const m of me.memberships) if (isRole(m.role)) held.set(m.organisation, m.role);
  let best: Role | null = null;
  const seen = new Set<string>();
  let cur: string | null = org;
  while (cur && !seen.has(cur)) {
    seen.add(cur);
    const r = held.get(cur);
    if (r && (!best || RANK[r] > RANK[best])) best = r;
    cur = parent.get(cur) ?? null;
  }
  return best;
}

/** Analysts and more create, change and delete dashboards, widgets and share links. */
export function canEdit(role: Role | null): boolean {
  return role !== null && RANK[role] >= RANK.analyst;
}

/** `role` is at least `min`. */
export function atLeast(role: Role | null, min: Role): boolean {
  return role !== null && RANK[role] >= RANK[min];
}

/**
 * Which administration screens the caller may use, as the admin API allows (docs/api.md, Roles):
 * organisations and stores for admins and owners of some organisation (their roles cover its
 * descendants) and site administrators; users for site administrators alone.
 */
export function adminScreens(me: Me): { organisations: boolean; stores: boolean; users: boolean } {
  const site = me.user.site_admin;
  const admin = site || me.memberships.some((m) => isRole(m.role) && RANK[m.role] >= RANK.admin);
  return { organisations: admin, stores: admin, users: site };
}
