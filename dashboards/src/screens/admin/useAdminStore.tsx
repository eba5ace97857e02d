// The store a store-admin screen is about, and what to show instead when it cannot be managed:
// loading, no such store, or a role below admin.
import type { ReactNode } from "react";
import { Link } from "react-router";
import { useMe } from "../../api/session";
import { useOrganisations, useStores } from "../../api/stores";
import { EmptyState, Loading } from "../../components/Status";
import { atLeast, roleOnOrganisation } from "../../lib/roles";

export function useAdminStore(id: string) {
  const me = useMe();
  const stores = useStores(!!me.data);
  const orgs = useOrganisations(!!me.data);
  const store = stores.data?.find((s) => s.id === id);
  const role = store && me.data ? roleOnOrganisation(me.data, orgs.data ?? [], store.organisation) : null;
  const admin = atLeast(role, "admin");
  let gate: ReactNode = null;
  if (stores.isPending || orgs.isPending) gate = <Loading />;
  else if (!store) gate = <EmptyState title="No such store">It does not exist, or you have no role in its organisation. <Link to="/admin/stores">All stores</Link></EmptyState>;
  else if (!admin) gate = <EmptyState title={store.name}>Managing a store needs the admin role in its organisation.</EmptyState>;
  return { store, admin, gate };
}
