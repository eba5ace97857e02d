// A store's retention: how many whole months of statements it keeps (older months are archived
// to files and removed), or keep forever.
import { useState } from "react";
import { Modal } from "../../components/Modal";
import { RETENTION_MAX, RETENTION_MIN } from "../../lib/retention";

export function RetentionDialog({
  initial,
  onSubmit,
  onClose,
  pending = false,
  error,
}: {
  initial: number | null;
  onSubmit: (months: number | null) => void;
  onClose: () => void;
  pending?: boolean;
  error?: Error | null;
}) {
  const [forever, setForever] = useState(initial == null);
  return (
    <Modal
      title="Retention"
      onClose={onClose}
      footer={
        <>
          <button className="btn" onClick={onClose}>Cancel</button>
          <button className="btn primary" type="submit" form="retention-form" disabled={pending}>Save retention</button>
        </>
      }
    >
      <form
        id="retention-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (forever) return onSubmit(null);
          const months = Number(new FormData(e.currentTarget).get("months"));
          if (Number.isInteger(months)) onSubmit(months);
        }}
      >
        <label className="inline">
          <input type="checkbox" checked={forever} onChange={(e) => setForever(e.target.checked)} />
          Keep statements forever
        </label>
        {!forever && (
          <label>
            Months to keep
            <input name="months" type="number" min={RETENTION_MIN} max={RETENTION_MAX} step={1} required
              defaultValue={initial ?? 12} autoFocus />
          </label>
        )}
        <p className="muted hint">
          Each whole calendar month (UTC) older than this is written to the archive directory and then
          removed from the store. An archived month can be restored by the operator.
        </p>
      </form>
      {error && <p className="error" role="alert">{error.message}</p>}
    </Modal>
  );
}
