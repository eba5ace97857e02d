// Share link addresses: the page URL (/s/ or /embed/) with the URL filter or token, and the
// <iframe> snippet that embeds it; and reading the filter/token back from a page URL.
import type { Filter } from "../api/types";

export type Extra = { filter?: Filter | null; token?: string | null };

/** `origin/s/<link>` or `origin/embed/<link>`, with `filter=` (plain) or `token=` (signed). */
export function shareUrl(origin: string, link: string, kind: "s" | "embed", extra: Extra = {}): string {
  const u = new URL(`/${kind}/${encodeURIComponent(link)}`, origin);
  if (extra.filter) u.searchParams.set("filter", JSON.stringify(extra.filter));
  if (extra.token) u.searchParams.set("token", extra.token);
  return u.toString();
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** An `<iframe>` embedding the URL; the dashboard scales to the frame's size. */
export function iframeSnippet(url: string, title: string, width = "100%", height = "600"): string {
  return `<iframe src="${escapeAttr(url)}" title="${escapeAttr(title)}" width="${escapeAttr(width)}" height="${escapeAttr(height)}" style="border:0" loading="lazy"></iframe>`;
}

/** The filter (JSON text) and token of a shared page's query string. */
export function readAuth(search: string): { filter?: string; token?: string } {
  const q = new URLSearchParams(search);
  const out: { filter?: string; token?: string } = {};
  const f = q.get("filter");
  const t = q.get("token");
  if (f) out.filter = f;
  if (t) out.token = t;
  return out;
}

/** Origins typed by a user (one per line or comma separated), normalised; null for a bad one. */
export function parseDomains(text: string): { domains: string[] } | { error: string } {
  const domains: string[] = [];
  for (const raw of text.split(/[\s,]+/)) {
    if (!raw) continue;
    let u: URL;
    try {
      u = new URL(raw.includes("://") ? raw : `https://${raw}`);
    } catch {
      return { error: `not a web address: ${raw}` };
    }
    if (u.protocol !== "https:" && u.protocol !== "http:") return { error: `not a web address: ${raw}` };
    if (u.pathname !== "/" || u.search || u.hash) return { error: `give the site only, without a path: ${raw}` };
    if (!domains.includes(u.origin)) domains.push(u.origin);
  }
  if (domains.length === 0) return { error: "list at least one site that may embed the dashboard" };
  return { domains };
}
