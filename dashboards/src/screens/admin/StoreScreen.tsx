// One store (admin): its statement count and xAPI endpoint, its retention, its clients (create
// with scopes, rotate, disable, delete), rename and delete. A store without statements shows how to send
// one, with the credentials of a client just created here when there is one.
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { useClientMutations, useClients, useStoreMutations, type ClientWithSecret } from "../../api/admin";
import { useMe } from "../../api/session";
import { useStatementCount } from "../../api/statements";
import { useOrganisations, useStores } from "../../api/stores";
import { ConfirmDialog, NameDialog } from "../../components/Modal";
import { NoStatements } from "../../components/NoStatements";
import { EmptyState, ErrorBox, Loading } from "../../components/Status";
import { xapiEndpoint } from "../../lib/curl";
import { retentionText } from "../../lib/retention";
import { atLeast, roleOnOrganisation } from "../../lib/roles";
import { ClientForm } from "./ClientForm";
import { ClientsTable } from "./ClientsTable";
import { RetentionDialog } from "./RetentionDialog";
import { SecretDialog } from "./SecretDialog";
import css from "./admin.module.css";

type Dialog = "client" | "rename" | "retention" | "delete" | null;

export function StoreScreen() {
  const { id = "" } = useParams();
  const me = useMe();
  const stores = useStores(!!me.data);
  const orgs = useOrganisations(!!me.data);
  const store = stores.data?.find((s) => s.id === id);
  const role = store && me.data ? roleOnOrganisation(me.data, orgs.data ?? [], store.organisation) : null;
  const admin = atLeast(role, "admin");
  const clients = useClients(id, admin);
  const count = useStatementCount(id, null, admin);
  const cm = useClientMutations(id);
  const sm = useStoreMutations();
  const navigate = useNavigate();
  const [dialog, setDialog] = useState<Dialog>(null);
  const [secret, setSecret] = useState<{ c: ClientWithSecret; rotated: boolean } | null>(null);
  const [lastCreated, setLastCreated] = useState<ClientWithSecret | null>(null);

  if (stores.isPending || orgs.isPending) return <Loading />;
  if (!store) return <EmptyState title="No such store">It does not exist, or you have no role in its organisation. <Link to="/admin/stores">All stores</Link></EmptyState>;
  if (!admin) return <EmptyState title={store.name}>Managing a store needs the admin role in its organisation.</EmptyState>;
  const close = () => { setDialog(null); for (const x of [cm.create, sm.rename, sm.retention, sm.remove]) x.reset(); };
  const orgName = orgs.data?.find((o) => o.id === store.organisation)?.name ?? "";
  const n = clients.data?.length ?? 0;
  const usable = lastCreated && clients.data?.some((c) => c.id === lastCreated.client.id && !c.disabled) ? lastCreated : null;

  return (
    <div>
      <div className={css.sectionHead} style={{ marginBottom: 12 }}>
        <h2>{store.name}</h2>
        <span className="muted">{orgName}</span>
        <div className="spacer" />
        <button className="btn" onClick={() => setDialog("rename")}>Rename</button>
        <button className="btn danger" onClick={() => setDialog("delete")}>Delete store</button>
      </div>
      <section className={`card ${css.section}`} aria-labelledby="stmts-title">
        <div className={css.sectionHead}>
          <h3 id="stmts-title">Statements</h3>
          <div className="spacer" />
          <Link className="btn small" to={`/explorer?store=${store.id}`}>Explore statements</Link>
        </div>
        {count.isPending ? <Loading /> : count.error ? (
          <ErrorBox error={count.error} title="The statements could not be counted" />
        ) : (
          <p className={css.count} data-testid="statement-count">{count.data?.toLocaleString()}</p>
        )}
        <p className="muted hint">
          xAPI endpoint: <code>{xapiEndpoint()}</code>. Statements count here once stored and indexed,
          normally within a second.
        </p>
      </section>
      <section className={`card ${css.section}`} aria-labelledby="retention-title">
        <div className={css.sectionHead}>
          <h3 id="retention-title">Retention</h3>
          <span className="muted" data-testid="retention">{retentionText(store.retention_months)}</span>
          <div className="spacer" />
          <button className="btn small" onClick={() => setDialog("retention")}>Change retention</button>
        </div>
      </section>
      <section className={`card ${css.section}`} aria-labelledby="forwarding-title">
        <div className={css.sectionHead}>
          <h3 id="forwarding-title">Forwarding</h3>
          <span className="muted">Send this store's statements on to another LRS or a webhook.</span>
          <div className="spacer" />
          <Link className="btn small" to={`/admin/stores/${store.id}/forwarders`}>Forwarders</Link>
        </div>
      </section>
      {count.data === 0 && <NoStatements credentials={usable ? { key: usable.client.key, secret: usable.secret } : undefined} />}
      <section className={css.section} aria-labelledby="clients-title" style={{ marginTop: 16 }}>
        <div className={css.sectionHead}>
          <h3 id="clients-title">Clients</h3>
          <span className="muted">Credentials your LMS or learning apps send statements with.</span>
          <div className="spacer" />
          <button className="btn primary" onClick={() => setDialog("client")}>New client</button>
        </div>
        {clients.isPending && <Loading />}
        {clients.error && <ErrorBox error={clients.error} title="The clients could not be loaded" />}
        {clients.data && n === 0 && (
          <EmptyState title="No client yet">Create a client to get a key and secret for this store's xAPI endpoint.</EmptyState>
        )}
        {clients.data && n > 0 && (
          <ClientsTable store={store.id} clients={clients.data} onSecret={(c) => { setLastCreated(c); setSecret({ c, rotated: true }); }} />
        )}
      </section>
      {dialog === "client" && (
        <ClientForm
          pending={cm.create.isPending}
          error={cm.create.error}
          onClose={close}
          onSubmit={(v) => cm.create.mutate(v, { onSuccess: (c) => { close(); setLastCreated(c); setSecret({ c, rotated: false }); } })}
        />
      )}
      {dialog === "rename" && (
        <NameDialog title={`Rename ${store.name}`} initial={store.name} submitLabel="Rename" pending={sm.rename.isPending}
          error={sm.rename.error} onClose={close} onSubmit={(name) => sm.rename.mutate({ id: store.id, name }, { onSuccess: close })} />
      )}
      {dialog === "retention" && (
        <RetentionDialog initial={store.retention_months ?? null} pending={sm.retention.isPending} error={sm.retention.error}
          onClose={close} onSubmit={(months) => sm.retention.mutate({ id: store.id, months }, { onSuccess: close })} />
      )}
      {dialog === "delete" && (
        <ConfirmDialog
          title={`Delete ${store.name}?`}
          message={`The store and its ${n} client${n === 1 ? "" : "s"} are deleted: their credentials stop working. Its statements can no longer be read by anyone.`}
          confirmLabel="Delete store"
          pending={sm.remove.isPending}
          error={sm.remove.error}
          onClose={close}
          onConfirm={() => sm.remove.mutate(store.id, { onSuccess: () => { close(); navigate("/admin/stores"); } })}
        />
      )}
      {secret && <SecretDialog created={secret.c} rotated={secret.rotated} onClose={() => setSecret(null)} />}
    </div>
  );
}
