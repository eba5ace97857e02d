// A store's forwarders (admin): each with its target, state, lag, last success, last error and
// dead letters, polled; create one, pause or resume it, open it for its dead letters and replay.
import { useState } from "react";
import { Link, useParams } from "react-router";
import { useForwarderMutations, useForwarders } from "../../api/forwarders";
import { EmptyState, ErrorBox, Loading } from "../../components/Status";
import { useAdminStore } from "./useAdminStore";
import { ForwarderForm } from "./ForwarderForm";
import { LastError, StateBadge } from "./forwarderParts";
import { lagText, targetText, when } from "../../lib/forwarderForm";
import css from "./admin.module.css";

export function ForwardersScreen() {
  const { id = "" } = useParams();
  const st = useAdminStore(id);
  const list = useForwarders(id, st.admin);
  const m = useForwarderMutations(id);
  const [creating, setCreating] = useState(false);
  if (st.gate) return st.gate;
  const close = () => { setCreating(false); m.create.reset(); };
  const items = list.data ?? [];

  return (
    <section className={css.section} aria-labelledby="forwarders-title">
      <nav aria-label="Breadcrumb" className={css.crumbs}><Link to={`/admin/stores/${id}`}>{st.store?.name}</Link> › Forwarders</nav>
      <div className={css.sectionHead}>
        <h2 id="forwarders-title">Forwarders</h2>
        <span className="muted">Send this store's statements on to another LRS or a webhook as they arrive.</span>
        <div className="spacer" />
        <button className="btn primary" onClick={() => setCreating(true)}>New forwarder</button>
      </div>
      {list.isPending && <Loading />}
      {list.error && <ErrorBox error={list.error} title="The forwarders could not be loaded" />}
      {list.data && items.length === 0 && (
        <EmptyState title="No forwarder yet">
          A forwarder sends the statements its filter keeps, in order and at least once, and shows
          when its target fails.
        </EmptyState>
      )}
      {items.length > 0 && (
        <div className="card table-wrap" tabIndex={0} role="region" aria-label="Forwarders">
          <table className={css.table}>
            <thead>
              <tr>
                <th scope="col">Name</th><th scope="col">Target</th><th scope="col">State</th><th scope="col">Lag</th>
                <th scope="col">Last success</th><th scope="col">Last error</th><th scope="col">Dead letters</th>
                <th scope="col"><span className="visually-hidden">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {items.map((f) => (
                <tr key={f.id} data-testid={`forwarder-${f.name}`}>
                  <td><Link to={`/admin/stores/${id}/forwarders/${f.id}`}>{f.name}</Link></td>
                  <td className={css.excerpt}>{targetText(f)}</td>
                  <td><StateBadge f={f} /></td>
                  <td data-testid="lag">{lagText(f)}</td>
                  <td>{when(f.status.last_success)}</td>
                  <td><LastError f={f} /></td>
                  <td data-testid="dead-letters">{f.status.dead_letters}</td>
                  <td className={css.actions}>
                    <button className="btn small" disabled={m.update.isPending} aria-label={`${f.enabled ? "Pause" : "Resume"} ${f.name}`}
                      onClick={() => m.update.mutate({ id: f.id, body: { enabled: !f.enabled } })}>
                      {f.enabled ? "Pause" : "Resume"}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {m.update.error && <p className="error" role="alert">{m.update.error.message}</p>}
      {creating && (
        <ForwarderForm
          pending={m.create.isPending}
          error={m.create.error}
          onClose={close}
          onCreate={(body) => m.create.mutate(body, { onSuccess: close })}
        />
      )}
    </section>
  );
}
