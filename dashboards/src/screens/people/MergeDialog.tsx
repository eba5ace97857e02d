// Merging another persona into this one: find it by name or identifier, pick it, then confirm
// (the other persona is removed; its identifiers move here).
import { useState } from "react";
import { usePersonas } from "../../api/personas";
import type { Persona } from "../../api/types";
import { ConfirmDialog, Modal } from "../../components/Modal";
import { identifierSummary } from "./identifiers";

export function MergeDialog({ store, into, onMerge, onClose, pending, error }: {
  store: string;
  into: Persona;
  onMerge: (from: Persona) => void;
  onClose: () => void;
  pending: boolean;
  error: Error | null;
}) {
  const [q, setQ] = useState("");
  const [chosen, setChosen] = useState<Persona | null>(null);
  const [confirming, setConfirming] = useState(false);
  const found = usePersonas(store, { q, cursor: null, limit: 11 });
  const others = (found.data?.items ?? []).filter((p) => p.id !== into.id).slice(0, 10);

  if (confirming && chosen) {
    return (
      <ConfirmDialog title="Merge personas" confirmLabel="Merge" pending={pending} error={error}
        onClose={onClose} onConfirm={() => onMerge(chosen)}
        message={<>
          Merge <strong>{chosen.name}</strong> into <strong>{into.name}</strong>? {chosen.name} is removed and
          its {chosen.identifiers.length} {chosen.identifiers.length === 1 ? "identifier moves" : "identifiers move"} to {into.name};
          {" "}every count by persona changes at once. Splitting them apart later is possible, but the name and
          attributes of {chosen.name} are lost.
        </>} />
    );
  }
  return (
    <Modal title={`Merge another persona into ${into.name}`} onClose={onClose}
      footer={<>
        <button className="btn" onClick={onClose}>Cancel</button>
        <button className="btn primary" disabled={!chosen} onClick={() => setConfirming(true)}>Merge…</button>
      </>}>
      <div className="stack">
        <label>
          Find the persona to merge in
          <input type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="Name or identifier" autoFocus />
        </label>
        <fieldset className="choices">
          <legend className="visually-hidden">Persona to merge in</legend>
          {others.length === 0 && !found.isPending && <p className="muted">No other persona matches.</p>}
          {others.map((p) => (
            <label key={p.id} className="inline">
              <input type="radio" name="merge-from" checked={chosen?.id === p.id} onChange={() => setChosen(p)} />
              <span><strong>{p.name}</strong> <span className="muted">{identifierSummary(p.identifiers)}</span></span>
            </label>
          ))}
        </fieldset>
      </div>
    </Modal>
  );
}
