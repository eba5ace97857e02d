// Splitting identifiers out of a persona into a new one: choose the identifiers and the new
// persona's name, then confirm.
import { useState } from "react";
import type { Persona } from "../../api/types";
import { ConfirmDialog, Modal } from "../../components/Modal";
import { identifierText, type Identifier } from "./identifiers";

export function SplitDialog({ from, onSplit, onClose, pending, error }: {
  from: Persona;
  onSplit: (name: string, identifiers: Identifier[]) => void;
  onClose: () => void;
  pending: boolean;
  error: Error | null;
}) {
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [name, setName] = useState("");
  const [confirming, setConfirming] = useState(false);
  const list = from.identifiers.map((i) => ({ i, t: identifierText(i) }));
  const moving = list.filter((x) => picked.has(x.t.key));
  const ready = moving.length > 0 && name.trim() !== "";

  if (confirming) {
    return (
      <ConfirmDialog title="Split identifiers out" confirmLabel="Split" pending={pending} error={error}
        onClose={onClose} onConfirm={() => onSplit(name.trim(), moving.map((x) => x.i))}
        message={<>
          Move {moving.map((x) => x.t.value).join(", ")} out of <strong>{from.name}</strong> into a new
          persona <strong>{name.trim()}</strong>? Their statements count for {name.trim()} from now on.
        </>} />
    );
  }
  return (
    <Modal title={`Split identifiers out of ${from.name}`} onClose={onClose}
      footer={<>
        <button className="btn" onClick={onClose}>Cancel</button>
        <button className="btn primary" disabled={!ready} onClick={() => setConfirming(true)}>Split…</button>
      </>}>
      <form className="stack" onSubmit={(e) => {
        e.preventDefault();
        if (ready) setConfirming(true);
      }}>
        <fieldset className="choices">
          <legend>Identifiers that move to the new persona</legend>
          {list.map(({ t }) => (
            <label key={t.key} className="inline">
              <input type="checkbox" checked={picked.has(t.key)} onChange={(e) => setPicked((s) => {
                const n = new Set(s);
                if (e.target.checked) n.add(t.key);
                else n.delete(t.key);
                return n;
              })} />
              <span><span className="chip">{t.kind}</span> {t.value}</span>
            </label>
          ))}
        </fieldset>
        <label>
          Name of the new persona
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={200} required />
        </label>
      </form>
    </Modal>
  );
}
