// The new share link form: name, visibility (nobody / anyone / listed sites), expiry, URL filter.
import { useState } from "react";
import type { NewLink } from "../../api/links";
import type { UrlFilterMode, Visibility } from "../../api/types";
import { parseDomains } from "../../lib/shareUrl";

const VIS: { v: Visibility; label: string }[] = [
  { v: "anyone", label: "Anyone with the link" },
  { v: "domains", label: "Only on listed sites" },
  { v: "nobody", label: "Nobody (prepare, publish later)" },
];
const MODES: { m: UrlFilterMode; label: string; help: string }[] = [
  { m: "off", label: "Off", help: "The link shows the dashboard as it is." },
  { m: "plain", label: "Plain", help: "The page address may add a filter (?filter=…); viewers can change it." },
  { m: "signed", label: "Signed", help: "Your site signs a token (?token=…) carrying the filter: viewers cannot change it." },
];

export function LinkForm({ onCreate, pending, error }: { onCreate: (l: NewLink) => void; pending: boolean; error: Error | null }) {
  const [name, setName] = useState("");
  const [visibility, setVisibility] = useState<Visibility>("anyone");
  const [domains, setDomains] = useState("");
  const [expires, setExpires] = useState("");
  const [mode, setMode] = useState<UrlFilterMode>("off");
  const [problem, setProblem] = useState<string | null>(null);
  const submit = () => {
    const body: NewLink = { visibility, url_filter: mode };
    if (name.trim()) body.name = name.trim();
    if (visibility === "domains") {
      const d = parseDomains(domains);
      if ("error" in d) return setProblem(d.error);
      body.domains = d.domains;
    }
    if (expires) {
      const t = new Date(expires);
      if (Number.isNaN(t.getTime()) || t.getTime() <= Date.now()) return setProblem("the expiry must be in the future");
      body.expires_at = t.toISOString();
    }
    setProblem(null);
    onCreate(body);
  };
  return (
    <div className="stack" role="form" aria-label="New link">
      <div className="row" style={{ alignItems: "flex-end" }}>
        <label style={{ flex: 1 }}>Name <input value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Intranet page" /></label>
        <label>Who can open it
          <select aria-label="Visibility" value={visibility} onChange={(e) => setVisibility(e.target.value as Visibility)}>
            {VIS.map((o) => <option key={o.v} value={o.v}>{o.label}</option>)}
          </select>
        </label>
        <label>Expires <input type="datetime-local" aria-label="Expires" value={expires} onChange={(e) => setExpires(e.target.value)} /></label>
      </div>
      {visibility === "domains" && (
        <label>Sites that may embed it (one per line, e.g. https://lms.example.com)
          <textarea aria-label="Sites" rows={2} value={domains} onChange={(e) => setDomains(e.target.value)} />
        </label>
      )}
      <div className="row">
        <span>Filter in the URL</span>
        <div className="segmented" role="group" aria-label="URL filter">
          {MODES.map((o) => (
            <button key={o.m} aria-pressed={mode === o.m} onClick={() => setMode(o.m)}>{o.label}</button>
          ))}
        </div>
        <span className="muted">{MODES.find((o) => o.m === mode)?.help}</span>
      </div>
      {(problem || error) && <p className="error" role="alert">{problem ?? error?.message}</p>}
      <div><button className="btn primary" onClick={submit} disabled={pending}>Create link</button></div>
    </div>
  );
}
