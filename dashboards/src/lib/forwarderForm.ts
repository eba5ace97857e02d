// The forwarder form's values and the request body they make. Secrets are write-only: a
// forwarder being edited starts with empty secret fields, and an empty field means "keep the
// stored one" (the API keeps a secret left out). The filter is the filter language's JSON text.
import type { CreateForwarder, Forwarder, TargetBody, UpdateForwarder } from "../api/forwarders";

export type AuthKind = "none" | "basic" | "bearer";

export type ForwarderValues = {
  name: string;
  /** The filter as JSON text; blank: every statement of the store. */
  filter: string;
  batchSize: string;
  kind: "xapi" | "webhook";
  url: string;
  version: "1.0.3" | "2.0.0";
  auth: AuthKind;
  user: string;
  password: string;
  token: string;
  secret: string;
  /** Extra request headers; a blank value keeps the stored one. */
  headers: { name: string; value: string }[];
};

export const EMPTY_VALUES: ForwarderValues = {
  name: "",
  filter: "",
  batchSize: "100",
  kind: "xapi",
  url: "",
  version: "2.0.0",
  auth: "basic",
  user: "",
  password: "",
  token: "",
  secret: "",
  headers: [],
};

/** The form's values for a stored forwarder: everything but its secrets. */
export function valuesOf(f: Forwarder): ForwarderValues {
  const t = f.target;
  return {
    ...EMPTY_VALUES,
    name: f.name,
    filter: f.filter ? JSON.stringify(f.filter, null, 2) : "",
    batchSize: String(f.batch_size),
    kind: t.type === "webhook" ? "webhook" : "xapi",
    url: t.url,
    version: t.version === "1.0.3" ? "1.0.3" : "2.0.0",
    auth: t.auth === "basic" || t.auth === "bearer" ? t.auth : "none",
    user: t.user ?? "",
    headers: t.header_names.map((name) => ({ name, value: "" })),
  };
}

export type Built<T> = { ok: true; body: T } | { ok: false; field: string; error: string };

function target(v: ForwarderValues): TargetBody {
  const blankToUndefined = (s: string) => (s === "" ? undefined : s);
  const headers = v.headers
    .filter((h) => h.name.trim() !== "")
    .map((h) => ({ name: h.name.trim(), value: blankToUndefined(h.value) }));
  if (v.kind === "webhook") {
    return { type: "webhook", url: v.url.trim(), secret: blankToUndefined(v.secret), headers };
  }
  const auth =
    v.auth === "basic"
      ? { type: "basic" as const, user: v.user, password: blankToUndefined(v.password) }
      : v.auth === "bearer"
        ? { type: "bearer" as const, token: blankToUndefined(v.token) }
        : { type: "none" as const };
  return { type: "xapi", endpoint: v.url.trim(), version: v.version, auth, headers };
}

function filterOf(text: string): Built<Record<string, never> | null> {
  if (text.trim() === "") return { ok: true, body: null };
  try {
    const parsed: unknown = JSON.parse(text);
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
      return { ok: false, field: "filter", error: "The filter must be a JSON object of the filter language." };
    }
    return { ok: true, body: parsed as Record<string, never> };
  } catch (e) {
    return { ok: false, field: "filter", error: `The filter is not valid JSON: ${(e as Error).message}` };
  }
}

function batchOf(text: string): Built<number> {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) return { ok: false, field: "batch", error: "The batch size must be a whole number, 1 or more." };
  return { ok: true, body: n };
}

/** The body that creates a forwarder; the server checks the rest (URL, filter fields, secrets). */
export function createBody(v: ForwarderValues): Built<CreateForwarder> {
  const filter = filterOf(v.filter);
  if (!filter.ok) return filter;
  const batch = batchOf(v.batchSize);
  if (!batch.ok) return batch;
  return { ok: true, body: { name: v.name.trim(), filter: filter.body, batch_size: batch.body, target: target(v) } };
}

/** The body that changes a forwarder: every field, secrets only when typed in. */
export function updateBody(v: ForwarderValues): Built<UpdateForwarder> {
  const filter = filterOf(v.filter);
  if (!filter.ok) return filter;
  const batch = batchOf(v.batchSize);
  if (!batch.ok) return batch;
  return { ok: true, body: { name: v.name.trim(), filter: filter.body, batch_size: batch.body, target: target(v) } };
}

/** "12 s", "3 min 5 s", "2 h 4 min": a lag for people. */
export function formatLag(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** A time from the API in the reader's format; "never" when absent. */
export function when(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : "never";
}

/** "caught up", or "12 statements, 3 s" (a "+" when the count stopped at its cap). */
export function lagText(f: Forwarder): string {
  const s = f.status;
  const n = `${s.lag_statements.toLocaleString()}${s.lag_capped ? "+" : ""} statement${s.lag_statements === 1 ? "" : "s"}`;
  return s.lag_statements === 0 ? "caught up" : `${n}, ${formatLag(s.lag_seconds)}`;
}

export function targetText(f: Forwarder): string {
  return `${f.target.type === "webhook" ? "Webhook" : `LRS (xAPI ${f.target.version ?? ""})`}: ${f.target.url}`;
}
