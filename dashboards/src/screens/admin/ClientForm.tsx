// The new-client dialog: a name and the xAPI scopes it holds (the server's default checked).
import { DEFAULT_SCOPES, SCOPES } from "../../api/admin";
import { Modal } from "../../components/Modal";
import css from "./admin.module.css";

const HELP: Record<(typeof SCOPES)[number], string> = {
  "statements/write": "send statements",
  "statements/read": "read every statement of the store",
  "statements/read/mine": "read the statements it sent",
  state: "read and write activity state",
  define: "define activities",
  profile: "read and write profiles",
  "all/read": "read everything",
  all: "do everything",
};

export function ClientForm({
  onSubmit,
  onClose,
  pending,
  error,
}: {
  onSubmit: (v: { name: string; scopes: string[] }) => void;
  onClose: () => void;
  pending: boolean;
  error: Error | null;
}) {
  return (
    <Modal
      title="New client"
      onClose={onClose}
      footer={
        <>
          <button className="btn" onClick={onClose}>Cancel</button>
          <button className="btn primary" type="submit" form="new-client" disabled={pending}>Create client</button>
        </>
      }
    >
      <form
        id="new-client"
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          const name = String(f.get("name") ?? "").trim();
          const scopes = f.getAll("scope").map(String);
          if (name) onSubmit({ name, scopes });
        }}
      >
        <label>
          Name
          <input name="name" required autoFocus maxLength={200} placeholder="Moodle production" />
        </label>
        <fieldset className={css.scopes}>
          <legend>Scopes</legend>
          {SCOPES.map((s) => (
            <label key={s} className="inline">
              <input type="checkbox" name="scope" value={s} defaultChecked={DEFAULT_SCOPES.includes(s)} />
              <span><code>{s}</code> <span className="muted">{HELP[s]}</span></span>
            </label>
          ))}
        </fieldset>
      </form>
      {error && <p className="error" role="alert">{error.message}</p>}
    </Modal>
  );
}
