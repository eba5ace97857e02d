// Saving the filter by name in the store (analysts and more), updating the saved filter that
// was loaded, or deleting it (after confirmation).
import { useState } from "react";
import { useDeleteFilter, useSaveFilter } from "../../api/filters";
import type { Filter } from "../../api/types";
import { ConfirmDialog } from "../../components/Modal";

export type Loaded = { id: string; name: string } | null;

export function SaveFilter({ store, filter, loaded, onSaved, editable }: {
  store: string;
  filter: Filter | null;
  loaded: Loaded;
  onSaved: (l: Loaded) => void;
  editable: boolean;
}) {
  const [name, setName] = useState("");
  const [confirm, setConfirm] = useState(false);
  const save = useSaveFilter(store);
  const del = useDeleteFilter(store);
  if (!editable) return <p className="muted hint">Viewers use saved filters; analysts save them.</p>;
  const error = save.error ?? del.error;
  return (
    <section className="card stack" aria-labelledby="save-title">
      <h2 id="save-title">Save this filter</h2>
      {!filter && <p className="muted hint">Add a condition first: an empty filter is not worth saving.</p>}
      <form className="row" onSubmit={(e) => {
        e.preventDefault();
        if (!filter || !name.trim()) return;
        save.mutate({ name: name.trim(), filter }, { onSuccess: (f) => { setName(""); onSaved({ id: f.id, name: f.name }); } });
      }}>
        <label className="inline">
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Completed courses" />
        </label>
        <button className="btn primary" type="submit" disabled={!filter || !name.trim() || save.isPending}>Save as new</button>
      </form>
      {loaded && (
        <div className="row">
          <span>Loaded: <strong>{loaded.name}</strong></span>
          <button className="btn" disabled={!filter || save.isPending}
            onClick={() => filter && save.mutate({ id: loaded.id, name: loaded.name, filter })}>Update “{loaded.name}”</button>
          <button className="btn danger" onClick={() => setConfirm(true)}>Delete…</button>
        </div>
      )}
      {save.isSuccess && <p role="status" className="muted">Saved.</p>}
      {error && <p className="error" role="alert">{error.message}</p>}
      {confirm && loaded && (
        <ConfirmDialog title={`Delete “${loaded.name}”?`} confirmLabel="Delete" pending={del.isPending} error={del.error}
          message="Dashboards that applied it keep their own copy of the filter."
          onClose={() => setConfirm(false)}
          onConfirm={() => del.mutate(loaded.id, { onSuccess: () => { setConfirm(false); onSaved(null); } })} />
      )}
    </section>
  );
}
