// Share links of a dashboard: create one (visibility, sites, expiry, URL filter mode), show the
// signed secret once, copy the link and the <iframe> snippet, revoke.
import { useState } from "react";
import { useLinkMutations, useLinks } from "../../api/links";
import type { CreatedShareLink, Dashboard, ShareLink } from "../../api/types";
import { Modal } from "../../components/Modal";
import { ErrorBox, Loading } from "../../components/Status";
import { iframeSnippet, shareUrl } from "../../lib/shareUrl";
import { LinkForm } from "./LinkForm";

export function ShareDialog({ dashboard, onClose }: { dashboard: Dashboard; onClose: () => void }) {
  const links = useLinks(dashboard.id);
  const m = useLinkMutations(dashboard.id);
  const [created, setCreated] = useState<CreatedShareLink | null>(null);
  const active = (links.data ?? []).filter((l) => !l.revoked_at);
  return (
    <Modal title={`Share “${dashboard.name}”`} wide onClose={onClose}>
      {created && <Created c={created} title={dashboard.name} onDone={() => setCreated(null)} />}
      {!created && (
        <LinkForm pending={m.create.isPending} error={m.create.error}
          onCreate={(body) => m.create.mutate(body, { onSuccess: setCreated })} />
      )}
      <h3>Links</h3>
      {links.isPending && <Loading />}
      {links.error && <ErrorBox error={links.error} />}
      {links.data && active.length === 0 && <p className="muted">No links yet: create one above to publish this dashboard.</p>}
      <div className="links">
        {active.map((l) => (
          <LinkRow key={l.id} l={l} title={dashboard.name} onRevoke={() => m.revoke.mutate(l.id)} revoking={m.revoke.isPending} />
        ))}
      </div>
    </Modal>
  );
}

function Created({ c, title, onDone }: { c: CreatedShareLink; title: string; onDone: () => void }) {
  return (
    <div className="notice stack" data-testid="created-link">
      <strong>Link created</strong>
      {c.secret && (
        <div className="stack">
          <span>
            Signing secret (shown only now: keep it on your server to sign tokens for this link):
          </span>
          <Copyable text={c.secret} label="secret" />
        </div>
      )}
      <Copyable text={absolute(c.url)} label="link" />
      <Copyable text={c.embed_snippet ? absoluteSnippet(c.embed_snippet) : iframeSnippet(shareUrl(location.origin, c.link.id, "embed"), title)} label="embed code" />
      <div><button className="btn small" onClick={onDone}>Done</button></div>
    </div>
  );
}

function absolute(url: string): string {
  return new URL(url, location.origin).toString();
}

function absoluteSnippet(s: string): string {
  return s.replace(/src="\//, `src="${location.origin}/`);
}

function LinkRow({ l, title, onRevoke, revoking }: { l: ShareLink; title: string; onRevoke: () => void; revoking: boolean }) {
  const page = shareUrl(location.origin, l.id, "s");
  const embed = shareUrl(location.origin, l.id, "embed");
  const [confirm, setConfirm] = useState(false);
  return (
    <div className="link-item" data-testid="link-item">
      <div className="row">
        <strong>{l.name || "Unnamed link"}</strong>
        <span className="chip">{visibilityLabel(l)}</span>
        <span className="chip">URL filter: {l.url_filter}</span>
        {l.expires_at && <span className="chip">expires {new Date(l.expires_at).toLocaleString()}</span>}
        <div className="spacer" />
        {confirm ? (
          <>
            <span>Revoke? Embedded copies stop working.</span>
            <button className="btn small danger solid" disabled={revoking} onClick={onRevoke}>Revoke</button>
            <button className="btn small" onClick={() => setConfirm(false)}>Keep</button>
          </>
        ) : (
          <button className="btn small danger" onClick={() => setConfirm(true)}>Revoke…</button>
        )}
      </div>
      <Copyable text={page} label="link" />
      <Copyable text={iframeSnippet(embed, title)} label="embed code" />
    </div>
  );
}

function visibilityLabel(l: ShareLink): string {
  if (l.visibility === "nobody") return "nobody (disabled)";
  if (l.visibility === "anyone") return "anyone with the link";
  return `only on ${l.domains.join(", ")}`;
}

export function Copyable({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="row" style={{ flexWrap: "nowrap", alignItems: "flex-start" }}>
      <div className="code" style={{ flex: 1 }} data-testid={`copy-${label.replace(/\s+/g, "-")}`}>{text}</div>
      <button className="btn small" aria-label={`Copy ${label}`} onClick={() => {
        void navigator.clipboard?.writeText(text).then(() => setCopied(true), () => setCopied(false));
      }}>{copied ? "Copied" : "Copy"}</button>
    </div>
  );
}
