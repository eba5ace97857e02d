// The new-store dialog: a name and the organisation it belongs to (among those the caller
// administers).
import type { Organisation } from "../../api/types";
import { Modal } from "../../components/Modal";

export function StoreForm({
  orgs,
  onSubmit,
  onClose,
  pending,
  error,
}: {
  orgs: Organisation[];
  onSubmit: (v: { name: string; organisation: string }) => void;
  onClose: () => void;
  pending: boolean;
  error: Error | null;
}) {
  return (
    <Modal
      title="New store"
      onClose={onClose}
      footer={
        <>
          <button className="btn" onClick={onClose}>Cancel</button>
          <button className="btn primary" type="submit" form="new-store" disabled={pending}>Create store</button>
        </>
      }
    >
      <form
        id="new-store"
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          const name = String(f.get("name") ?? "").trim();
          const organisation = String(f.get("organisation") ?? "");
          if (name && organisation) onSubmit({ name, organisation });
        }}
      >
        <label>
          Name
          <input name="name" required autoFocus maxLength={200} placeholder="Onboarding courses" />
        </label>
        <label>
          Organisation
          <select name="organisation" defaultValue={orgs[0]?.id}>
            {orgs.map((o) => <option key={o.id} value={o.id}>{o.name}</option>)}
          </select>
        </label>
        <p className="muted hint">
          A store is one xAPI endpoint with its own statements. Its organisation's members get their
          roles on it.
        </p>
      </form>
      {error && <p className="error" role="alert">{error.message}</p>}
    </Modal>
  );
}
