// Time ranges: the presets, their labels, and their resolution to `[from, to)` in a time zone
// (whole days: `7d` is today and the 6 days before, `6m` from this day six months ago, up to the
// end of today), the same rule as the server's.
import type { TimePreset, TimeRange } from "../api/types";

export const PRESETS: { id: TimePreset; label: string }[] = [
  { id: "today", label: "Today" },
  { id: "7d", label: "Last 7 days" },
  { id: "30d", label: "Last 30 days" },
  { id: "90d", label: "Last 90 days" },
  { id: "6m", label: "Last 6 months" },
  { id: "1y", label: "Last year" },
  { id: "2y", label: "Last 2 years" },
];

type Parts = { y: number; m: number; d: number; h: number; min: number; s: number };

/** The wall-clock date and time of `t` in `tz`. */
export function wallClock(t: Date, tz: string): Parts {
  const f = new Intl.DateTimeFormat("en-US", {
    timeZone: tz,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(t)) if (part.type !== "literal") p[part.type] = Number(part.value);
  return { y: p.year ?? 0, m: p.month ?? 1, d: p.day ?? 1, h: (p.hour ?? 0) % 24, min: p.minute ?? 0, s: p.second ?? 0 };
}

/** The instant at which the wall clock of `tz` reads y-m-d 00:00 (the first one after a gap). */
export function midnight(y: number, m: number, d: number, tz: string): Date {
  const guess = Date.UTC(y, m - 1, d);
  let t = guess;
  // Converge on the offset (two rounds cover DST changes).
  for (let i = 0; i < 3; i++) {
    const w = wallClock(new Date(t), tz);
    const asUtc = Date.UTC(w.y, w.m - 1, w.d, w.h, w.min, w.s);
    t = t - (asUtc - guess);
  }
  return new Date(t);
}

function addDays(y: number, m: number, d: number, days: number): [number, number, number] {
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return [t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate()];
}

function addMonths(y: number, m: number, d: number, months: number): [number, number, number] {
  const idx = y * 12 + (m - 1) + months;
  const ny = Math.floor(idx / 12);
  const nm = (idx % 12) + 1;
  const last = new Date(Date.UTC(ny, nm, 0)).getUTCDate();
  return [ny, nm, Math.min(d, last)];
}

/** `[from, to)` of a range at `now`, as Dates. */
export function resolveRange(range: TimeRange, tz: string, now: Date = new Date()): { from: Date; to: Date } {
  if ("from" in range) return { from: new Date(range.from), to: new Date(range.to) };
  const w = wallClock(now, tz);
  const end = midnight(...addDays(w.y, w.m, w.d, 1), tz);
  const back: Record<TimePreset, [number, number, number]> = {
    today: [w.y, w.m, w.d],
    "7d": addDays(w.y, w.m, w.d, -6),
    "30d": addDays(w.y, w.m, w.d, -29),
    "90d": addDays(w.y, w.m, w.d, -89),
    "6m": addMonths(w.y, w.m, w.d, -6),
    "1y": addMonths(w.y, w.m, w.d, -12),
    "2y": addMonths(w.y, w.m, w.d, -24),
  };
  return { from: midnight(...back[range.preset], tz), to: end };
}

/** A short label: the preset's name, or "3 Oct 2026 – 2 Nov 2026" for a custom range. */
export function rangeLabel(range: TimeRange, tz: string): string {
  if ("preset" in range) return PRESETS.find((p) => p.id === range.preset)?.label ?? range.preset;
  const f = new Intl.DateTimeFormat("en-GB", { timeZone: tz, day: "numeric", month: "short", year: "numeric" });
  // `to` is exclusive: show the last day included.
  return `${f.format(new Date(range.from))} – ${f.format(new Date(new Date(range.to).getTime() - 1))}`;
}

/** A custom range from two dates (`YYYY-MM-DD`, inclusive) in `tz`. */
export function customRange(fromDay: string, toDay: string, tz: string): TimeRange | null {
  const a = parseDay(fromDay);
  const b = parseDay(toDay);
  if (!a || !b) return null;
  const from = midnight(...a, tz);
  const to = midnight(...addDays(...b, 1), tz);
  if (to <= from) return null;
  return { from: from.toISOString(), to: to.toISOString() };
}

/** The `YYYY-MM-DD` (in `tz`) of an instant, for date inputs. */
export function dayOf(t: Date, tz: string): string {
  const w = wallClock(t, tz);
  return `${w.y}-${String(w.m).padStart(2, "0")}-${String(w.d).padStart(2, "0")}`;
}

function parseDay(s: string): [number, number, number] | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return null;
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}
