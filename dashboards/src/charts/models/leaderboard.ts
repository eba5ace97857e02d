/** The leaderboard: the top N groups by a measure, ranked, with names instead of IRIs. */
import type { AggregateData, AggregateQuery } from '../types';
import type { WidgetOptions } from '../options';
import { keyDetail, keyLabel } from '../labels';

export interface LeaderboardEntry {
  rank: number;
  key: string;
  label: string;
  detail: string | null;
  value: number | null;
  /** The other measures of the row. */
  values: (number | null)[];
  /** value / the largest value (0..1), for the bar behind the entry. */
  ratio: number;
}

/**
 * Ranks the rows by the query's order measure (the first when it names none) in its direction,
 * keeping the top N (the query's limit, else the widget's topN). Equal values share a rank.
 */
export function leaderboard(
  query: AggregateQuery,
  data: AggregateData,
  o: WidgetOptions,
): LeaderboardEntry[] {
  const names = data.names ?? {};
  const m = query.order_by?.measure ?? 0;
  const dir = query.order_by?.dir ?? 'desc';
  const n = query.limit ?? o.topN;
  const val = (vs: (number | null)[]): number | null => vs[m] ?? null;
  const rows = data.rows
    .map((r, i) => ({ r, i }))
    .sort((a, b) => {
      const x = val(a.r.values);
      const y = val(b.r.values);
      if (x === null || y === null) return x === null ? (y === null ? a.i - b.i : 1) : -1;
      return (dir === 'desc' ? y - x : x - y) || a.i - b.i;
    })
    .slice(0, n);
  const max = Math.max(0, ...rows.map(({ r }) => Math.abs(val(r.values) ?? 0)));
  let rank = 0;
  let last: number | null | undefined;
  return rows.map(({ r }, i) => {
    const key = r.keys[0] ?? '';
    const label = keyLabel(query.group_by[0], key, names, o);
    const value = val(r.values);
    if (value !== last) rank = i + 1;
    last = value;
    return {
      rank,
      key,
      label,
      detail: keyDetail(label, key),
      value,
      values: r.values,
      ratio: max > 0 ? Math.abs(value ?? 0) / max : 0,
    };
  });
}
