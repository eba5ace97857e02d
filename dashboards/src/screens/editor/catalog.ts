/**
 * What the editor offers: the widget types (label, hint, what each needs of its query), the
 * aggregate API's dimensions and measures, the numeric fields and the statement fields.
 */
import type { Dimension, Measure, TimeBucket, WidgetType } from '../../charts/types';

export interface TypeInfo {
  type: WidgetType;
  label: string;
  hint: string;
  /** Dimensions the user picks: 0 (counter), 1, or 1 plus an optional second to split series. */
  dims: 0 | 1 | 2;
  /** Measures: how many at least and at most. */
  measures: [number, number];
  order: boolean;
}

export const TYPES: TypeInfo[] = [
  { type: 'bar', label: 'Bar', hint: 'Compare groups side by side (horizontal)', dims: 2, measures: [1, 4], order: true },
  { type: 'column', label: 'Column', hint: 'Grouped or stacked vertical bars', dims: 2, measures: [1, 4], order: true },
  { type: 'line', label: 'Line', hint: 'Trends over time, several series', dims: 2, measures: [1, 4], order: false },
  { type: 'pie', label: 'Pie / donut', hint: 'Shares of a whole', dims: 1, measures: [1, 1], order: true },
  { type: 'counter', label: 'Counter', hint: 'One figure and its change', dims: 0, measures: [1, 1], order: false },
  { type: 'scatter', label: 'Scatter', hint: 'Two measures per group, x against y', dims: 2, measures: [2, 2], order: false },
  { type: 'leaderboard', label: 'Leaderboard', hint: 'Top N ranked by a measure', dims: 1, measures: [1, 3], order: true },
  { type: 'table', label: 'Statements', hint: 'A table of matching statements', dims: 0, measures: [0, 0], order: false },
  { type: 'heatmap', label: 'Heatmap', hint: 'Weekday × hour of the day', dims: 0, measures: [1, 1], order: false },
  { type: 'histogram', label: 'Histogram', hint: 'Distribution of a numeric field', dims: 0, measures: [1, 1], order: false },
  { type: 'funnel', label: 'Funnel', hint: 'Who reached each step, in order', dims: 0, measures: [0, 0], order: false },
];

export function typeInfo(t: WidgetType): TypeInfo {
  return TYPES.find((x) => x.type === t) ?? (TYPES[0] as TypeInfo);
}

/** Choices of a dimension select: a value (its JSON) and a label. */
export interface DimChoice {
  value: string;
  label: string;
  dim: Dimension;
}

const TIME: { t: TimeBucket; label: string }[] = [
  { t: 'hour', label: 'Hour' },
  { t: 'day', label: 'Day' },
  { t: 'week', label: 'Week' },
  { t: 'month', label: 'Month' },
  { t: 'weekday', label: 'Day of the week' },
  { t: 'hour_of_day', label: 'Hour of the day' },
];

/** String fields one can group by as `{path}` (the named dimensions cover verb, activity...). */
export const PATH_FIELDS: { path: string; label: string }[] = [
  { path: 'object.type', label: 'Object type' },
  { path: 'context.platform', label: 'Platform' },
  { path: 'context.language', label: 'Language' },
  { path: 'context.parent', label: 'Parent activity' },
  { path: 'context.grouping', label: 'Grouping activity' },
  { path: 'context.category', label: 'Category' },
  { path: 'result.success', label: 'Success' },
  { path: 'result.completion', label: 'Completion' },
  { path: 'version', label: 'xAPI version' },
];

export const DIMENSIONS: DimChoice[] = [
  { value: 'verb', label: 'Verb', dim: 'verb' },
  { value: 'activity', label: 'Activity', dim: 'activity' },
  { value: 'activity_type', label: 'Activity type', dim: 'activity_type' },
  { value: 'actor', label: 'Actor', dim: 'actor' },
  { value: 'persona', label: 'Person (persona)', dim: 'persona' },
  { value: 'registration', label: 'Registration', dim: 'registration' },
  ...TIME.map(({ t, label }) => ({ value: `time:${t}`, label, dim: { time: t } as Dimension })),
  ...PATH_FIELDS.map(({ path, label }) => ({ value: `path:${path}`, label, dim: { path } as Dimension })),
];

/** The select value of a dimension (`path:<p>` for any path, extension paths included). */
export function dimValue(d: Dimension): string {
  if (typeof d === 'string') return d;
  if ('time' in d) return `time:${d.time}`;
  if ('path' in d) return `path:${d.path}`;
  return `bucket:${d.bucket.path}`;
}

/** The dimension of a select value; `path:` followed by any field or extension path. */
export function dimFromValue(v: string): Dimension | null {
  const known = DIMENSIONS.find((c) => c.value === v);
  if (known) return known.dim;
  if (v.startsWith('path:') && v.length > 5) return { path: v.slice(5) };
  return null;
}

export const NUMERIC_FIELDS: { path: string; label: string }[] = [
  { path: 'result.score.scaled', label: 'Scaled score' },
  { path: 'result.score.raw', label: 'Raw score' },
  { path: 'result.score.min', label: 'Minimum score' },
  { path: 'result.score.max', label: 'Maximum score' },
  { path: 'result.duration_ms', label: 'Duration (ms)' },
];

export const SIMPLE_MEASURES: { m: Measure; label: string }[] = [
  { m: 'count', label: 'Statements' },
  { m: 'unique_actors', label: 'Unique actors' },
  { m: 'unique_personas', label: 'Unique people' },
  { m: 'successes', label: 'Successes' },
  { m: 'completions', label: 'Completions' },
];

export const NUMERIC_OPS = ['sum', 'avg', 'min', 'max'] as const;
export type NumericOp = (typeof NUMERIC_OPS)[number];

export const OP_LABELS: Record<NumericOp, string> = {
  sum: 'Sum of',
  avg: 'Average of',
  min: 'Minimum of',
  max: 'Maximum of',
};

/** A measure split into its kind (a simple one, or an operation) and its field. */
export function measureParts(m: Measure): { kind: string; field: string } {
  if (typeof m === 'string') return { kind: m, field: '' };
  const op = NUMERIC_OPS.find((o) => o in m) ?? 'avg';
  return { kind: op, field: (m as Record<string, string>)[op] ?? '' };
}

export function measureFromParts(kind: string, field: string): Measure {
  const simple = SIMPLE_MEASURES.find((s) => s.m === kind);
  if (simple) return simple.m;
  const f = field || 'result.score.scaled';
  switch (kind) {
    case 'sum':
      return { sum: f };
    case 'min':
      return { min: f };
    case 'max':
      return { max: f };
    default:
      return { avg: f };
  }
}

/** Fields a statements table can show (any filter field; extension paths typed in). */
export const TABLE_FIELDS: { path: string; label: string }[] = [
  { path: 'timestamp', label: 'Timestamp' },
  { path: 'stored', label: 'Stored' },
  { path: 'actor', label: 'Actor' },
  { path: 'persona', label: 'Person' },
  { path: 'verb', label: 'Verb' },
  { path: 'object.id', label: 'Activity' },
  { path: 'activity.type', label: 'Activity type' },
  { path: 'result.score.scaled', label: 'Scaled score' },
  { path: 'result.score.raw', label: 'Raw score' },
  { path: 'result.success', label: 'Success' },
  { path: 'result.completion', label: 'Completion' },
  { path: 'result.duration_ms', label: 'Duration (ms)' },
  { path: 'registration', label: 'Registration' },
  { path: 'context.platform', label: 'Platform' },
  { path: 'id', label: 'Statement id' },
];
