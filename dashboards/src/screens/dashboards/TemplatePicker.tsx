// Create a dashboard from a starter template: pick one, optionally name it, create.
import { useState } from "react";
import { useTemplates } from "../../api/dashboards";
import { Modal } from "../../components/Modal";
import { ErrorBox, Loading } from "../../components/Status";

export function TemplatePicker({
  onCreate,
  onClose,
  pending,
  error,
}: {
  onCreate: (template: string, name: string | undefined) => void;
  onClose: () => void;
  pending: boolean;
  error: Error | null;
}) {
  const templates = useTemplates();
  const [chosen, setChosen] = useState<string | null>(null);
  const [name, setName] = useState("");
  return (
    <Modal
      title="Create from a template"
      wide
      onClose={onClose}
      footer={
        <>
          <button className="btn" onClick={onClose}>Cancel</button>
          <button
            className="btn primary"
            disabled={!chosen || pending}
            onClick={() => chosen && onCreate(chosen, name.trim() || undefined)}
          >
            Create dashboard
          </button>
        </>
      }
    >
      {templates.isPending && <Loading />}
      {templates.error && <ErrorBox error={templates.error} />}
      <div className="templates" role="listbox" aria-label="Templates">
        {templates.data?.map((t) => (
          <button
            key={t.id}
            role="option"
            aria-selected={chosen === t.id}
            className={chosen === t.id ? "template selected" : "template"}
            onClick={() => setChosen(t.id)}
          >
            <strong>{t.name}</strong>
            <span className="muted">{t.description}</span>
          </button>
        ))}
      </div>
      <label>
        Name <span className="muted">(optional: the template's name otherwise)</span>
        <input value={name} onChange={(e) => setName(e.target.value)} maxLength={200} />
      </label>
      {error && <p className="error" role="alert">{error.message}</p>}
    </Modal>
  );
}
