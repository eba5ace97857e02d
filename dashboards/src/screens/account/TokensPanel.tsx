// The caller's personal tokens for scripts: create (shown once), revoke with confirmation.
import { useState } from "react";
import { useTokenMutations, useTokens, type Token } from "../../api/accounts";
import { ConfirmDialog, Modal, NameDialog } from "../../components/Modal";
import { ErrorBox, Loading } from "../../components/Status";
import css from "../admin/admin.module.css";

export function TokensPanel() {
  const tokens = useTokens();
  const m = useTokenMutations();
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<Token | null>(null);
  const list = tokens.data ?? [];
  return (
    <section className={css.section} aria-labelledby="tokens-title">
      <div className={css.sectionHead}>
        <h2 id="tokens-title">Personal tokens</h2>
        <div className="spacer" />
        <button className="btn primary" onClick={() => setCreating(true)}>New token</button>
      </div>
      <p className="muted hint">
        A token lets a script call the admin API as you: send it as <code>Authorization: Bearer &lt;token&gt;</code>.
      </p>
      {tokens.isPending && <Loading />}
      {tokens.error && <ErrorBox error={tokens.error} title="The tokens could not be loaded" />}
      {tokens.data && list.length === 0 && <p className="muted">No token yet. Create one for each script, so you can revoke it alone.</p>}
      {list.length > 0 && (
        <div className="card table-wrap">
          <table className={css.table} aria-label="Personal tokens">
            <thead><tr><th scope="col">Name</th><th scope="col">Created</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
            <tbody>
              {list.map((t) => (
                <tr key={t.id}>
                  <td>{t.name}</td>
                  <td>{new Date(t.created).toLocaleString()}</td>
                  <td className={css.actions}>
                    <button className="btn small danger" onClick={() => setRevoking(t)} aria-label={`Revoke ${t.name}`}>Revoke</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {creating && (
        <NameDialog title="New personal token" submitLabel="Create token" pending={m.create.isPending} error={m.create.error}
          onClose={() => { setCreating(false); m.create.reset(); }}
          onSubmit={(name) => m.create.mutate(name, { onSuccess: (t) => { setCreating(false); setSecret(t.secret); } })} />
      )}
      {secret && (
        <Modal title="Your new token" onClose={() => setSecret(null)}
          footer={<button className="btn primary" onClick={() => setSecret(null)}>I have copied the token</button>}>
          <p className="notice" role="status">Copy the token now: it is shown this once.</p>
          <pre className="code" data-testid="token-secret">{secret}</pre>
        </Modal>
      )}
      {revoking && (
        <ConfirmDialog title={`Revoke ${revoking.name}?`} message="Scripts using this token are refused at once."
          confirmLabel="Revoke token" pending={m.revoke.isPending} error={m.revoke.error}
          onClose={() => { setRevoking(null); m.revoke.reset(); }}
          onConfirm={() => m.revoke.mutate(revoking.id, { onSuccess: () => setRevoking(null) })} />
      )}
    </section>
  );
}
