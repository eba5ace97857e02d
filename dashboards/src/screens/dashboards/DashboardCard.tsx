// One dashboard in the list: its name (opens it), description, last change, and actions.
import { Link } from "react-router";
import type { DashboardSummary } from "../../api/types";

export function DashboardCard({
  d,
  editable,
  onRename,
  onDuplicate,
  onDelete,
}: {
  d: DashboardSummary;
  editable: boolean;
  onRename: () => void;
  onDuplicate: () => void;
  onDelete: () => void;
}) {
  const updated = new Date(d.updated_at);
  return (
    <article className="card dash-card" aria-label={d.name}>
      <h3>
        <Link to={`/dashboards/${d.id}`}>{d.name}</Link>
      </h3>
      {d.description && <p className="muted" style={{ margin: 0 }}>{d.description}</p>}
      <span className="muted" style={{ fontSize: 12 }}>
        Changed {Number.isNaN(updated.getTime()) ? "" : updated.toLocaleString()}
      </span>
      {editable && (
        <div className="actions">
          <button className="btn small" onClick={onRename} aria-label={`Rename ${d.name}`}>Rename</button>
          <button className="btn small" onClick={onDuplicate} aria-label={`Duplicate ${d.name}`}>Duplicate</button>
          <div className="spacer" />
          <button className="btn small danger" onClick={onDelete} aria-label={`Delete ${d.name}`}>Delete</button>
        </div>
      )}
    </article>
  );
}
