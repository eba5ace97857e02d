// The explorer's columns: which fields can be shown, how a cell reads (names, not IRIs; people
// by name or address; times in the reader's zone) and which cells link to a filter on their
// value.
import { shortIri } from "../../charts/labels";
import type { StatementItem } from "../../api/statements";

export type Column = { field: string; label: string; link: boolean };

export const COLUMNS: Column[] = [
  { field: "stored", label: "Stored", link: false },
  { field: "timestamp", label: "Timestamp", link: false },
  { field: "actor", label: "Actor", link: true },
  { field: "verb", label: "Verb", link: true },
  { field: "object.id", label: "Activity", link: true },
  { field: "activity.type", label: "Activity type", link: true },
  { field: "result.success", label: "Success", link: false },
  { field: "result.completion", label: "Completion", link: false },
  { field: "result.score.scaled", label: "Scaled score", link: false },
  { field: "result.duration_ms", label: "Duration (ms)", link: false },
  { field: "registration", label: "Registration", link: true },
  { field: "context.platform", label: "Platform", link: true },
  { field: "id", label: "Statement id", link: false },
];

export const DEFAULT_COLUMNS = ["stored", "timestamp", "actor", "verb", "object.id", "result.success", "result.score.scaled"];

const TIMES = new Set(["timestamp", "stored"]);

/** `2026-12-05T14:03:22.123456+01:00` → `2026-12-05 14:03:22`. */
export function shortTime(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]}` : iso;
}

function actorName(item: StatementItem): string | null {
  const actor = item.statement?.actor as { name?: unknown; mbox?: unknown; account?: { name?: unknown } } | undefined;
  if (actor && typeof actor.name === "string" && actor.name) return actor.name;
  if (actor?.account && typeof actor.account.name === "string") return actor.account.name;
  return null;
}

/** The text of a cell. `names` maps IRIs to the names the store knows. */
export function cellText(field: string, item: StatementItem, names: Record<string, string>): string {
  const v = item[field];
  if (v === null || v === undefined || v === "") return "";
  if (TIMES.has(field) && typeof v === "string") return shortTime(v);
  if (field === "actor" && typeof v === "string") return actorName(item) ?? shortIri(v.replace(/^mbox:/, ""));
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (field === "result.success" || field === "result.completion") return v === 1 ? "yes" : v === 0 ? "no" : String(v);
  if (typeof v === "string") return names[v] ?? (v.includes(":") ? shortIri(v) : v);
  if (typeof v === "number") return v.toLocaleString();
  return JSON.stringify(v);
}

/** The IRIs of a page whose names to look up (verbs, activities, types). */
export function iris(items: StatementItem[], fields: string[]): string[] {
  const wanted = fields.filter((f) => ["verb", "object.id", "activity.type"].includes(f));
  return [...new Set(items.flatMap((i) => wanted.map((f) => i[f]).filter((v): v is string => typeof v === "string" && v !== "")))];
}
