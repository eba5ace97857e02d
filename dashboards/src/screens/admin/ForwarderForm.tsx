// The forwarder dialog (create and edit): name, filter (filter language JSON, checked by the
// server, whose message is shown), batch size, and the target: another LRS (URL, xAPI version,
// Basic or Bearer auth, headers) or a webhook (URL, signing secret, headers). Secrets are
// write-only: when editing, a stored secret reads "set" and a blank field keeps it.
import { useState } from "react";
import type { CreateForwarder, Forwarder, UpdateForwarder } from "../../api/forwarders";
import { Modal } from "../../components/Modal";
import { EMPTY_VALUES, createBody, updateBody, valuesOf, type ForwarderValues } from "../../lib/forwarderForm";
import css from "./admin.module.css";

type Props = {
  editing?: Forwarder;
  pending: boolean;
  error: Error | null;
  onClose: () => void;
  onCreate?: (b: CreateForwarder) => void;
  onUpdate?: (b: UpdateForwarder) => void;
};

function SetBadge({ show }: { show: boolean }) {
  return show ? <span className={`${css.badge} ${css.on}`} title="Stored; leave blank to keep it">set</span> : null;
}

export function ForwarderForm({ editing, pending, error, onClose, onCreate, onUpdate }: Props) {
  const [v, setV] = useState<ForwarderValues>(editing ? valuesOf(editing) : EMPTY_VALUES);
  const [local, setLocal] = useState<{ field: string; error: string } | null>(null);
  const set = <K extends keyof ForwarderValues>(k: K, value: ForwarderValues[K]) => setV((o) => ({ ...o, [k]: value }));
  const stored = editing?.target;
  const keepHint = editing ? "leave blank to keep" : undefined;
  const submit = () => {
    const built = editing ? updateBody(v) : createBody(v);
    if (!built.ok) return setLocal(built);
    setLocal(null);
    if (editing) onUpdate?.(built.body as UpdateForwarder);
    else onCreate?.(built.body as CreateForwarder);
  };
  const title = editing ? `Edit ${editing.name}` : "New forwarder";
  return (
    <Modal
      title={title}
      onClose={onClose}
      wide
      footer={
        <>
          <button className="btn" onClick={onClose}>Cancel</button>
          <button className="btn primary" type="submit" form="forwarder-form" disabled={pending}>
            {editing ? "Save forwarder" : "Create forwarder"}
          </button>
        </>
      }
    >
      <form id="forwarder-form" className="stack" onSubmit={(e) => { e.preventDefault(); submit(); }}>
        <label>
          Name
          <input value={v.name} onChange={(e) => set("name", e.target.value)} required autoFocus maxLength={200} placeholder="Consortium LRS" />
        </label>
        <label>
          Filter <span className="muted">(filter language JSON; blank: every statement of the store)</span>
          <textarea
            rows={4}
            value={v.filter}
            onChange={(e) => set("filter", e.target.value)}
            placeholder='{"field": "verb", "eq": "http://adlnet.gov/expapi/verbs/completed"}'
            aria-invalid={local?.field === "filter"}
            spellCheck={false}
            className={css.mono}
          />
        </label>
        <fieldset className={css.fieldset}>
          <legend>Target</legend>
          <div className="row">
            <label className="inline">
              <input type="radio" name="kind" checked={v.kind === "xapi"} onChange={() => set("kind", "xapi")} /> Another LRS (xAPI)
            </label>
            <label className="inline">
              <input type="radio" name="kind" checked={v.kind === "webhook"} onChange={() => set("kind", "webhook")} /> Webhook
            </label>
          </div>
          <label>
            {v.kind === "xapi" ? "xAPI endpoint" : "Webhook URL"}
            <input
              value={v.url}
              onChange={(e) => set("url", e.target.value)}
              required
              placeholder={v.kind === "xapi" ? "https://lrs.example.org/xapi/" : "https://hooks.example.org/cairn"}
            />
          </label>
          {v.kind === "xapi" ? (
            <>
              <div className={css.formGrid}>
                <label>
                  xAPI version
                  <select value={v.version} onChange={(e) => set("version", e.target.value as ForwarderValues["version"])}>
                    <option value="2.0.0">2.0.0</option>
                    <option value="1.0.3">1.0.3</option>
                  </select>
                </label>
                <label>
                  Authentication
                  <select value={v.auth} onChange={(e) => set("auth", e.target.value as ForwarderValues["auth"])}>
                    <option value="basic">Basic (key and secret)</option>
                    <option value="bearer">Bearer token</option>
                    <option value="none">None</option>
                  </select>
                </label>
              </div>
              {v.auth === "basic" && (
                <div className={css.formGrid}>
                  <label>
                    User (key)
                    <input value={v.user} onChange={(e) => set("user", e.target.value)} autoComplete="off" />
                  </label>
                  <label>
                    <span>Password (secret) <SetBadge show={stored?.auth === "basic"} /></span>
                    <input type="password" value={v.password} onChange={(e) => set("password", e.target.value)} autoComplete="new-password" placeholder={stored?.auth === "basic" ? keepHint : undefined} />
                  </label>
                </div>
              )}
              {v.auth === "bearer" && (
                <label>
                  <span>Token <SetBadge show={stored?.auth === "bearer"} /></span>
                  <input type="password" value={v.token} onChange={(e) => set("token", e.target.value)} autoComplete="new-password" placeholder={stored?.auth === "bearer" ? keepHint : undefined} />
                </label>
              )}
            </>
          ) : (
            <label>
              <span>Signing secret <span className="muted">(at least 16 characters)</span> <SetBadge show={stored?.type === "webhook"} /></span>
              <input type="password" value={v.secret} onChange={(e) => set("secret", e.target.value)} autoComplete="new-password" placeholder={stored?.type === "webhook" ? keepHint : undefined} />
            </label>
          )}
          <div className="stack">
            <span>Extra headers <span className="muted">(values are secret)</span></span>
            {v.headers.map((h, i) => (
              <div className="row" key={i}>
                <input aria-label={`Header ${i + 1} name`} value={h.name} placeholder="X-Tenant"
                  onChange={(e) => set("headers", v.headers.map((x, j) => (j === i ? { ...x, name: e.target.value } : x)))} />
                <input aria-label={`Header ${i + 1} value`} type="password" value={h.value} autoComplete="new-password"
                  placeholder={editing && stored?.header_names.includes(h.name) ? "set — leave blank to keep" : "value"}
                  onChange={(e) => set("headers", v.headers.map((x, j) => (j === i ? { ...x, value: e.target.value } : x)))} />
                <button type="button" className="btn small" aria-label={`Remove header ${i + 1}`} onClick={() => set("headers", v.headers.filter((_, j) => j !== i))}>Remove</button>
              </div>
            ))}
            <div>
              <button type="button" className="btn small" onClick={() => set("headers", [...v.headers, { name: "", value: "" }])}>Add header</button>
            </div>
          </div>
        </fieldset>
        <label className={css.narrow}>
          Batch size <span className="muted">(statements per request)</span>
          <input inputMode="numeric" value={v.batchSize} onChange={(e) => set("batchSize", e.target.value)} aria-invalid={local?.field === "batch"} />
        </label>
      </form>
      {local && <p className="error" role="alert">{local.error}</p>}
      {error && !local && <p className="error" role="alert">The server refused it: {error.message}</p>}
    </Modal>
  );
}
