// One forwarder (admin): its delivery status (polled), edit, pause or resume, delete; its dead
// letters, each retried or discarded; and replay from a time or a log position. Deleting,
// discarding and replaying ask first.
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { useDeadLetters, useForwarder, useForwarderMutations, type DeadLetter } from "../../api/forwarders";
import { ConfirmDialog } from "../../components/Modal";
import { EmptyState, ErrorBox, Loading } from "../../components/Status";
import { ForwarderForm } from "./ForwarderForm";
import { LastError, StateBadge } from "./forwarderParts";
import { lagText, targetText, when } from "../../lib/forwarderForm";
import { useAdminStore } from "./useAdminStore";
import css from "./admin.module.css";

type Ask =
  | { kind: "delete" }
  | { kind: "discard"; dead: DeadLetter }
  | { kind: "replay"; from: { from_seq: number } | { from_time: string }; label: string };

export function ForwarderScreen() {
  const { id = "", fid = "" } = useParams();
  const st = useAdminStore(id);
  const f = useForwarder(id, fid);
  const dead = useDeadLetters(id, fid);
  const m = useForwarderMutations(id);
  const navigate = useNavigate();
  const [editing, setEditing] = useState(false);
  const [ask, setAsk] = useState<Ask | null>(null);
  const [replayKind, setReplayKind] = useState<"time" | "seq">("time");
  const [replayAt, setReplayAt] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  if (st.gate) return st.gate;
  if (f.isPending) return <Loading />;
  if (f.error || !f.data) return <ErrorBox error={f.error} title="The forwarder could not be loaded" />;
  const fw = f.data;
  const s = fw.status;
  const closeAsk = () => { setAsk(null); for (const x of [m.remove, m.discard, m.replay]) x.reset(); };
  const confirm = (a: Ask) => {
    if (a.kind === "delete") m.remove.mutate(fw.id, { onSuccess: () => navigate(`/admin/stores/${id}/forwarders`) });
    if (a.kind === "discard") m.discard.mutate({ id: fw.id, dead: a.dead.id }, { onSuccess: () => { closeAsk(); setNotice("The dead letter was discarded."); } });
    if (a.kind === "replay") m.replay.mutate({ id: fw.id, from: a.from }, { onSuccess: (r) => { closeAsk(); setNotice(`Replaying: statements after log position ${r.cursor} are forwarded again.`); } });
  };
  const askReplay = () => {
    setNotice(null);
    if (replayKind === "seq") {
      const n = Number(replayAt);
      if (!Number.isInteger(n) || n < 1) return setNotice("A log position is a whole number, 1 or more.");
      setAsk({ kind: "replay", from: { from_seq: n }, label: `log position ${n}` });
    } else {
      const t = new Date(replayAt);
      if (!replayAt || Number.isNaN(t.getTime())) return setNotice("Pick the time to replay from.");
      setAsk({ kind: "replay", from: { from_time: t.toISOString() }, label: t.toLocaleString() });
    }
  };
  const retry = (d: DeadLetter) => {
    setNotice(null);
    m.retry.mutate({ id: fw.id, dead: d.id }, {
      onSuccess: (r) => setNotice(r.delivered ? "Delivered: the dead letter is gone." : `Still not delivered: ${r.dead_letter?.status ?? "no answer"} ${r.dead_letter?.error ?? ""}`),
    });
  };

  return (
    <div>
      <nav aria-label="Breadcrumb" className={css.crumbs}>
        <Link to={`/admin/stores/${id}`}>{st.store?.name}</Link> › <Link to={`/admin/stores/${id}/forwarders`}>Forwarders</Link> › {fw.name}
      </nav>
      <div className={css.sectionHead} style={{ marginBottom: 12 }}>
        <h2>{fw.name}</h2>
        <StateBadge f={fw} />
        <div className="spacer" />
        <button className="btn" onClick={() => { setNotice(null); setEditing(true); }}>Edit</button>
        <button className="btn" disabled={m.update.isPending} onClick={() => { setNotice(null); m.update.mutate({ id: fw.id, body: { enabled: !fw.enabled } }); }}>
          {fw.enabled ? "Pause" : "Resume"}
        </button>
        <button className="btn danger" onClick={() => setAsk({ kind: "delete" })}>Delete forwarder</button>
      </div>
      {notice && <p className="notice" role="status">{notice}</p>}
      {m.update.error && !editing && <p className="error" role="alert">{m.update.error.message}</p>}
      {m.retry.error && <p className="error" role="alert">{m.retry.error.message}</p>}
      <section className={`card ${css.section}`} aria-labelledby="status-title">
        <h3 id="status-title">Delivery</h3>
        <dl className={css.status}>
          <div><dt>Target</dt><dd>{targetText(fw)}</dd></div>
          <div><dt>Filter</dt><dd>{fw.filter ? <code className={css.mono}>{JSON.stringify(fw.filter)}</code> : "every statement"}</dd></div>
          <div><dt>Lag</dt><dd data-testid="lag">{lagText(fw)}</dd></div>
          <div><dt>Last success</dt><dd>{when(s.last_success)}</dd></div>
          <div><dt>Last error</dt><dd><LastError f={fw} /></dd></div>
          <div><dt>Failures in a row</dt><dd>{s.consecutive_failures}</dd></div>
          <div><dt>Delivered since the server started</dt><dd data-testid="delivered">{s.delivered.toLocaleString()}</dd></div>
          <div><dt>Cursor (log position)</dt><dd>{s.cursor.toLocaleString()} of {s.head.toLocaleString()}</dd></div>
        </dl>
      </section>
      <section className={css.section} aria-labelledby="dead-title">
        <div className={css.sectionHead}>
          <h3 id="dead-title">Dead letters</h3>
          <span className="muted">Batches the target refused, or that kept failing. Fix the cause, then retry.</span>
        </div>
        {dead.isPending && <Loading />}
        {dead.error && <ErrorBox error={dead.error} title="The dead letters could not be loaded" />}
        {dead.data && dead.data.length === 0 && <EmptyState title="No dead letter">Every batch so far was acknowledged.</EmptyState>}
        {dead.data && dead.data.length > 0 && (
          <div className="card table-wrap" tabIndex={0} role="region" aria-label="Dead letters">
            <table className={css.table}>
              <thead>
                <tr><th scope="col">Since</th><th scope="col">Statements</th><th scope="col">Tries</th><th scope="col">Target's answer</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr>
              </thead>
              <tbody>
                {dead.data.map((d, i) => (
                  <tr key={d.id} data-testid="dead-letter">
                    <td>{when(d.created)}</td>
                    <td>{d.seqs.length} <span className="muted">(log {d.seqs[0]}{d.seqs.length > 1 ? `–${d.seqs[d.seqs.length - 1]}` : ""})</span></td>
                    <td>{d.attempts}</td>
                    <td className={css.excerpt}><strong>{d.status ?? "no answer"}</strong> {d.error}</td>
                    <td className={css.actions}>
                      <button className="btn small" disabled={m.retry.isPending} onClick={() => retry(d)} aria-label={`Retry dead letter ${i + 1}`}>Retry</button>
                      <button className="btn small danger" onClick={() => setAsk({ kind: "discard", dead: d })} aria-label={`Discard dead letter ${i + 1}`}>Discard</button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section className={`card ${css.section}`} aria-labelledby="replay-title">
        <h3 id="replay-title">Replay</h3>
        <p className="muted hint">
          Forward again every matching statement from a time or a log position on. Targets keep each
          statement once (LRSs by statement id), so a replay is safe; a webhook sees the statements again.
        </p>
        <form className={css.inlineForm} onSubmit={(e) => { e.preventDefault(); askReplay(); }}>
          <label>
            Replay from
            <select value={replayKind} onChange={(e) => { setReplayKind(e.target.value as "time" | "seq"); setReplayAt(""); }}>
              <option value="time">a time</option>
              <option value="seq">a log position</option>
            </select>
          </label>
          {replayKind === "time" ? (
            <label>Time<input type="datetime-local" step={1} value={replayAt} onChange={(e) => setReplayAt(e.target.value)} /></label>
          ) : (
            <label>Log position<input inputMode="numeric" value={replayAt} onChange={(e) => setReplayAt(e.target.value)} /></label>
          )}
          <button className="btn" type="submit">Replay…</button>
        </form>
      </section>
      {editing && (
        <ForwarderForm
          editing={fw}
          pending={m.update.isPending}
          error={m.update.error}
          onClose={() => { setEditing(false); m.update.reset(); }}
          onUpdate={(body) => m.update.mutate({ id: fw.id, body }, { onSuccess: () => { setEditing(false); m.update.reset(); } })}
        />
      )}
      {ask?.kind === "delete" && (
        <ConfirmDialog title={`Delete ${fw.name}?`} confirmLabel="Delete forwarder" pending={m.remove.isPending} error={m.remove.error} onClose={closeAsk} onConfirm={() => confirm(ask)}
          message={`The forwarder stops, and its cursor and ${s.dead_letters} dead letter${s.dead_letters === 1 ? "" : "s"} are deleted. Statements already delivered stay at the target.`} />
      )}
      {ask?.kind === "discard" && (
        <ConfirmDialog title="Discard this dead letter?" confirmLabel="Discard" pending={m.discard.isPending} error={m.discard.error} onClose={closeAsk} onConfirm={() => confirm(ask)}
          message={`Its ${ask.dead.seqs.length} statement${ask.dead.seqs.length === 1 ? " is" : "s are"} never sent to the target (unless you replay). They stay in this store.`} />
      )}
      {ask?.kind === "replay" && (
        <ConfirmDialog title={`Replay from ${ask.label}?`} confirmLabel="Replay" pending={m.replay.isPending} error={m.replay.error} onClose={closeAsk} onConfirm={() => confirm(ask)}
          message="The forwarder's cursor moves there and every matching statement from it on is sent again." />
      )}
    </div>
  );
}
