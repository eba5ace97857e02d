// The new-user dialog (site administrators): email, name, a first password, site administrator
// or not, and optionally a first role in an organisation.
import type { FirstRole, NewUser } from "../../api/accounts";
import type { Organisation } from "../../api/types";
import { Modal } from "../../components/Modal";
import { ROLE_HELP } from "./roleHelp";

export function UserForm({
  orgs,
  onSubmit,
  onClose,
  pending,
  error,
}: {
  orgs: Organisation[];
  onSubmit: (v: { user: NewUser; role: FirstRole | null }) => void;
  onClose: () => void;
  pending: boolean;
  error: Error | null;
}) {
  return (
    <Modal
      title="New user"
      onClose={onClose}
      footer={
        <>
          <button className="btn" onClick={onClose}>Cancel</button>
          <button className="btn primary" type="submit" form="new-user" disabled={pending}>Create user</button>
        </>
      }
    >
      <form
        id="new-user"
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          const get = (k: string) => String(f.get(k) ?? "").trim();
          const organisation = get("organisation");
          onSubmit({
            user: { email: get("email"), name: get("name") || undefined, password: String(f.get("password") ?? ""), site_admin: f.get("site_admin") === "on" },
            role: organisation ? { organisation, role: get("role") } : null,
          });
        }}
      >
        <label>Email<input name="email" type="email" required autoFocus autoComplete="off" /></label>
        <label>Name<input name="name" maxLength={200} autoComplete="off" /></label>
        <label>
          First password
          <input name="password" type="password" required minLength={10} maxLength={1024} autoComplete="new-password" />
          <span className="muted hint">At least 10 characters. Give it to the person; they can change it.</span>
        </label>
        <label className="inline"><input name="site_admin" type="checkbox" /> Site administrator (manages users and everything else)</label>
        <div className="row">
          <label style={{ flex: 1 }}>
            Role in organisation
            <select name="organisation" defaultValue="" aria-label="Role in organisation">
              <option value="">No role yet</option>
              {orgs.map((o) => <option key={o.id} value={o.id}>{o.name}</option>)}
            </select>
          </label>
          <label style={{ flex: 1 }}>
            Role
            <select name="role" defaultValue="viewer" aria-label="Role">
              {(["viewer", "analyst", "admin", "owner"] as const).map((r) => <option key={r} value={r}>{r} ({ROLE_HELP[r]})</option>)}
            </select>
          </label>
        </div>
      </form>
      {error && <p className="error" role="alert">{error.message}</p>}
    </Modal>
  );
}
