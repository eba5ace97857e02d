// Pieces the forwarder screens share: the state badge and the last error.
import type { Forwarder } from "../../api/forwarders";
import { when } from "../../lib/forwarderForm";
import css from "./admin.module.css";

/** Paused, failing (tries failing now) or running. */
export function StateBadge({ f }: { f: Forwarder }) {
  if (!f.enabled) return <span className={`${css.badge} ${css.off}`}>paused</span>;
  if (f.status.consecutive_failures > 0) return <span className={`${css.badge} ${css.warn}`}>failing ({f.status.consecutive_failures})</span>;
  return <span className={`${css.badge} ${css.on}`}>running</span>;
}

export function LastError({ f }: { f: Forwarder }) {
  const e = f.status.last_error;
  if (!e) return <span className="muted">none</span>;
  return (
    <span className={css.excerpt}>
      {e.status ? <strong>{e.status}</strong> : <strong>no answer</strong>} {e.message}{" "}
      <span className="muted">({when(e.at)})</span>
    </span>
  );
}
