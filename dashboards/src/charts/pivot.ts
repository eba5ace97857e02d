/**
 * Aggregate rows to a table of categories (the first dimension's keys, in reading order, with the
 * gaps of time and bucket axes filled) by series (the second dimension's keys, or else the
 * measures). Every chart with axes draws from it.
 */
import type { AggregateData, AggregateQuery, Dimension, Measure } from './types';
import type { WidgetOptions } from './options';
import { isAdditive, keyDetail, keyLabel, measureName } from './labels';

/** The most categories a gap fill may create; past it, the keys are drawn as they come. */
export const MAX_FILLED = 2000;

export interface PivotSeries {
  /** Raw key: the second dimension's value, or `m<index>` for a measure. */
  key: string;
  label: string;
  /** The raw key behind the label when they differ (an IRI), for tooltips. */
  detail: string | null;
  measure: number;
  values: (number | null)[];
}

export interface Pivot {
  dim: Dimension | undefined;
  splitDim: Dimension | undefined;
  /** Raw keys of the first dimension. */
  categories: string[];
  labels: string[];
  details: (string | null)[];
  series: PivotSeries[];
}

const DAY = 86_400_000;

function parseUtc(key: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}))?/.exec(key);
  if (!m) return null;
  const [, y, mo, d, h, mi] = m;
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0));
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function formatDay(t: number): string {
  const d = new Date(t);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

function formatHour(t: number): string {
  return `${formatDay(t)} ${pad(new Date(t).getUTCHours())}:00:00`;
}

function stepTime(bucket: 'hour' | 'day' | 'week' | 'month', t: number): number {
  if (bucket === 'hour') return t + 3_600_000;
  if (bucket === 'day') return t + DAY;
  if (bucket === 'week') return t + 7 * DAY;
  const d = new Date(t);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

function fillTime(bucket: 'hour' | 'day' | 'week' | 'month', keys: string[]): string[] {
  const sorted = [...keys].sort();
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (first === undefined || last === undefined) return sorted;
  const start = parseUtc(first);
  const end = parseUtc(last);
  if (start === null || end === null) return sorted;
  const fmt = bucket === 'hour' ? formatHour : formatDay;
  const have = new Map(sorted.map((k) => [fmt(parseUtc(k) ?? 0), k]));
  const out: string[] = [];
  for (let t = start; t <= end; t = stepTime(bucket, t)) {
    if (out.length > MAX_FILLED) return sorted;
    const k = fmt(t);
    out.push(have.get(k) ?? k);
  }
  return out;
}

function fillBuckets(width: number, keys: string[]): string[] {
  const nums = keys.filter((k) => k !== '' && Number.isFinite(Number(k)));
  const rest = keys.filter((k) => !nums.includes(k));
  nums.sort((a, b) => Number(a) - Number(b));
  const first = nums[0];
  const last = nums[nums.length - 1];
  if (first === undefined || last === undefined || !(width > 0)) return [...nums, ...rest];
  const lo = Number(first);
  const n = Math.round((Number(last) - lo) / width);
  if (n > MAX_FILLED) return [...nums, ...rest];
  const have = new Map(nums.map((k) => [Math.round((Number(k) - lo) / width), k]));
  const out: string[] = [];
  for (let i = 0; i <= n; i++) out.push(have.get(i) ?? String(Number((lo + i * width).toPrecision(12))));
  return [...out, ...rest];
}

function range(from: number, to: number): string[] {
  const out: string[] = [];
  for (let i = from; i <= to; i++) out.push(String(i));
  return out;
}

/** Whether a dimension has a natural order (time, buckets) rather than an order by size. */
export function isOrdinal(d: Dimension | undefined): boolean {
  return d !== undefined && typeof d === 'object' && ('time' in d || 'bucket' in d);
}

/**
 * The keys of a dimension in reading order: times and buckets ascending with their gaps filled
 * (weekdays and hours of the day complete), others as the server ordered them when the query asks
 * an order, else by `total` descending.
 */
export function orderKeys(
  dim: Dimension | undefined,
  keys: string[],
  total: (k: string) => number,
  serverOrder: boolean,
): string[] {
  if (dim !== undefined && typeof dim === 'object') {
    if ('time' in dim) {
      if (dim.time === 'weekday') return range(1, 7);
      if (dim.time === 'hour_of_day') return range(0, 23);
      return fillTime(dim.time, keys);
    }
    if ('bucket' in dim) return fillBuckets(dim.bucket.width, keys);
  }
  if (serverOrder) return keys;
  return [...keys].sort((a, b) => total(b) - total(a));
}

function distinct(xs: string[]): string[] {
  return [...new Set(xs)];
}

function emptyValue(m: Measure | undefined): number | null {
  return isAdditive(m) ? 0 : null;
}

/** Pivots aggregate rows for a chart with a category axis. */
export function pivot(query: AggregateQuery, data: AggregateData, o: WidgetOptions): Pivot {
  const names = data.names ?? {};
  const [dim, splitDim] = query.group_by;
  const rows = data.rows;
  const serverOrder = query.order_by !== undefined && query.order_by !== null;
  const split = query.group_by.length >= 2;
  const measureIndex = split ? Math.min(o.measure, Math.max(query.measures.length - 1, 0)) : 0;
  const cell = new Map<string, (number | null)[]>();
  const totals = new Map<string, number>();
  const splitTotals = new Map<string, number>();
  for (const r of rows) {
    const c = query.group_by.length === 0 ? '' : (r.keys[0] ?? '');
    const s = split ? (r.keys[1] ?? '') : '';
    cell.set(`${c}\u0000${s}`, r.values);
    const v = r.values[measureIndex] ?? 0;
    totals.set(c, (totals.get(c) ?? 0) + v);
    splitTotals.set(s, (splitTotals.get(s) ?? 0) + v);
  }
  const rawCats = distinct(rows.map((r) => (query.group_by.length === 0 ? '' : (r.keys[0] ?? ''))));
  const categories = orderKeys(dim, rawCats, (k) => totals.get(k) ?? 0, serverOrder);
  const labels = categories.map((k) =>
    dim === undefined ? (o.labels[''] ?? 'Total') : keyLabel(dim, k, names, o),
  );
  const details = categories.map((k, i) => keyDetail(labels[i] ?? k, k));
  let series: PivotSeries[];
  if (split) {
    const rawSplit = distinct(rows.map((r) => r.keys[1] ?? ''));
    const splitKeys = orderKeys(splitDim, rawSplit, (k) => splitTotals.get(k) ?? 0, false);
    const m = query.measures[measureIndex];
    series = splitKeys.map((s) => {
      const label = keyLabel(splitDim, s, names, o);
      return {
        key: s,
        label,
        detail: keyDetail(label, s),
        measure: measureIndex,
        values: categories.map((c) => {
          const vs = cell.get(`${c}\u0000${s}`);
          return vs ? (vs[measureIndex] ?? null) : emptyValue(m);
        }),
      };
    });
  } else {
    const count = Math.max(query.measures.length, 1);
    series = Array.from({ length: count }, (_, i) => ({
      key: `m${i}`,
      label: measureName(query.measures, i, o),
      detail: null,
      measure: i,
      values: categories.map((c) => {
        const vs = cell.get(`${c}\u0000`);
        return vs ? (vs[i] ?? null) : emptyValue(query.measures[i]);
      }),
    }));
  }
  return { dim, splitDim, categories, labels, details, series };
}
