/** The counter widget's figures: the value, and its change against the previous period. */
import type { AggregateData } from '../types';

export interface CounterModel {
  value: number | null;
  previous: number | null;
  /** value - previous, when both are known. */
  change: number | null;
  /** The change in percent of the previous value (null when it is 0 or unknown). */
  changePct: number | null;
  direction: 'up' | 'down' | 'flat' | 'unknown';
}

function sum(xs: (number | null | undefined)[]): number | null {
  const known = xs.filter((x): x is number => typeof x === 'number');
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0);
}

/**
 * Reads the first measure of the answer (a query without group_by has one row; with groups, the
 * counter shows their sum, which is right for counts and sums), and its `previous` when compared.
 */
export function counterModel(data: AggregateData): CounterModel {
  const value = data.rows.length === 1 ? (data.rows[0]?.values[0] ?? null) : sum(data.rows.map((r) => r.values[0]));
  const hasPrevious = data.rows.some((r) => Array.isArray(r.previous));
  const previous = !hasPrevious
    ? null
    : data.rows.length === 1
      ? (data.rows[0]?.previous?.[0] ?? null)
      : sum(data.rows.map((r) => r.previous?.[0]));
  const change = value !== null && previous !== null ? Number((value - previous).toPrecision(12)) : null;
  const changePct =
    change !== null && previous !== null && previous !== 0
      ? Math.round((change / Math.abs(previous)) * 1000) / 10
      : null;
  const direction =
    change === null ? 'unknown' : change > 0 ? 'up' : change < 0 ? 'down' : 'flat';
  return { value, previous, change, changePct, direction };
}
