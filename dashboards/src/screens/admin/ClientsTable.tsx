// A store's clients: key, scopes, state; rotate the secret, disable or enable, delete. Every
// action that breaks working credentials asks first.
import { useState } from "react";
import type { Client, ClientWithSecret } from "../../api/admin";
import { useClientMutations } from "../../api/admin";
import { ConfirmDialog } from "../../components/Modal";
import css from "./admin.module.css";

type Ask = { kind: "rotate" | "disable" | "delete"; client: Client };

const ASK: Record<Ask["kind"], { title: (n: string) => string; message: string; label: string }> = {
  rotate: {
    title: (n) => `Rotate the secret of ${n}?`,
    message: "A new secret is made and shown once. The current secret stops working at once: every app using it must be given the new one.",
    label: "Rotate secret",
  },
  disable: {
    title: (n) => `Disable ${n}?`,
    message: "Requests with this client's credentials are refused until you enable it again. Its statements stay.",
    label: "Disable client",
  },
  delete: {
    title: (n) => `Delete ${n}?`,
    message: "The client and its credentials are deleted for good. Its statements stay in the store.",
    label: "Delete client",
  },
};

export function ClientsTable({ store, clients, onSecret }: { store: string; clients: Client[]; onSecret: (c: ClientWithSecret) => void }) {
  const m = useClientMutations(store);
  const [ask, setAsk] = useState<Ask | null>(null);
  const close = () => { setAsk(null); for (const x of [m.rotate, m.update, m.remove]) x.reset(); };
  const confirm = (a: Ask) => {
    if (a.kind === "rotate") m.rotate.mutate(a.client.id, { onSuccess: (c) => { close(); onSecret(c); } });
    if (a.kind === "disable") m.update.mutate({ id: a.client.id, disabled: true }, { onSuccess: close });
    if (a.kind === "delete") m.remove.mutate(a.client.id, { onSuccess: close });
  };
  const pending = m.rotate.isPending || m.update.isPending || m.remove.isPending;
  return (
    <>
      <div className="card table-wrap">
        <table className={css.table}>
          <thead>
            <tr><th scope="col">Name</th><th scope="col">Key</th><th scope="col">Scopes</th><th scope="col">State</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr>
          </thead>
          <tbody>
            {clients.map((c) => (
              <tr key={c.id}>
                <td>{c.name}</td>
                <td><code>{c.key}</code></td>
                <td>{c.scopes.map((s) => <span key={s} className={css.badge}>{s}</span>)}</td>
                <td>
                  <span className={`${css.badge} ${c.disabled ? css.off : css.on}`}>{c.disabled ? "disabled" : "enabled"}</span>
                </td>
                <td className={css.actions}>
                  <button className="btn small" onClick={() => setAsk({ kind: "rotate", client: c })} aria-label={`Rotate the secret of ${c.name}`}>Rotate secret</button>
                  {c.disabled ? (
                    <button className="btn small" disabled={m.update.isPending} onClick={() => m.update.mutate({ id: c.id, disabled: false })} aria-label={`Enable ${c.name}`}>Enable</button>
                  ) : (
                    <button className="btn small" onClick={() => setAsk({ kind: "disable", client: c })} aria-label={`Disable ${c.name}`}>Disable</button>
                  )}
                  <button className="btn small danger" onClick={() => setAsk({ kind: "delete", client: c })} aria-label={`Delete ${c.name}`}>Delete</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {m.update.error && !ask && <p className="error" role="alert">{m.update.error.message}</p>}
      {ask && (
        <ConfirmDialog
          title={ASK[ask.kind].title(ask.client.name)}
          message={ASK[ask.kind].message}
          confirmLabel={ASK[ask.kind].label}
          pending={pending}
          error={m.rotate.error ?? m.update.error ?? m.remove.error}
          onClose={close}
          onConfirm={() => confirm(ask)}
        />
      )}
    </>
  );
}
