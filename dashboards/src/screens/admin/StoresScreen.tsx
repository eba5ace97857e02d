// The stores the caller can see, with their organisation and the caller's role; admins open a
// store to manage it and its clients, and create stores in the organisations they administer.
import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { useStoreMutations } from "../../api/admin";
import { useMe } from "../../api/session";
import { useOrganisations, useStores } from "../../api/stores";
import { EmptyState, ErrorBox, Loading } from "../../components/Status";
import { atLeast, roleOnOrganisation } from "../../lib/roles";
import { StoreForm } from "./StoreForm";
import css from "./admin.module.css";

export function StoresScreen() {
  const me = useMe();
  const stores = useStores(!!me.data);
  const orgs = useOrganisations(!!me.data);
  const m = useStoreMutations();
  const navigate = useNavigate();
  const [creating, setCreating] = useState(false);
  if (!me.data || stores.isPending || orgs.isPending) return <Loading />;
  if (stores.error || orgs.error) return <ErrorBox error={stores.error ?? orgs.error} title="The stores could not be loaded" />;
  const orgList = orgs.data ?? [];
  const role = (org: string) => (me.data ? roleOnOrganisation(me.data, orgList, org) : null);
  const orgName = new Map(orgList.map((o) => [o.id, o.name]));
  const adminOrgs = orgList.filter((o) => atLeast(role(o.id), "admin"));
  const list = [...(stores.data ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  const close = () => { setCreating(false); m.create.reset(); };

  return (
    <section className={css.section} aria-labelledby="stores-title">
      <div className={css.sectionHead}>
        <h2 id="stores-title">Stores</h2>
        <div className="spacer" />
        {adminOrgs.length > 0 && <button className="btn primary" onClick={() => setCreating(true)}>New store</button>}
      </div>
      {list.length === 0 ? (
        <EmptyState title="No store yet">
          Create a store to get an xAPI endpoint, then a client to get the credentials your LMS or
          learning app sends statements with.
        </EmptyState>
      ) : (
        <div className="card table-wrap">
          <table className={css.table}>
            <thead>
              <tr><th scope="col">Store</th><th scope="col">Organisation</th><th scope="col">Your role</th><th scope="col">Created</th></tr>
            </thead>
            <tbody>
              {list.map((s) => {
                const r = role(s.organisation);
                return (
                  <tr key={s.id}>
                    <td>{atLeast(r, "admin") ? <Link to={`/admin/stores/${s.id}`}>{s.name}</Link> : s.name}</td>
                    <td>{orgName.get(s.organisation) ?? "—"}</td>
                    <td><span className={css.badge}>{r ?? "none"}</span></td>
                    <td>{s.created.slice(0, 10)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {creating && (
        <StoreForm
          orgs={adminOrgs}
          pending={m.create.isPending}
          error={m.create.error}
          onClose={close}
          onSubmit={(v) => m.create.mutate(v, { onSuccess: (s) => { close(); navigate(`/admin/stores/${s.id}`); } })}
        />
      )}
    </section>
  );
}
