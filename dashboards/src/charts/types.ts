/**
 * The shapes the charts read: a widget (type, query, options) and the data the server answers for
 * it (`WidgetData`). They mirror the web app's API contract; the API module's generated types are
 * structurally the same, so a widget fetched through it can be passed here as it is.
 */

export const WIDGET_TYPES = [
  'bar',
  'column',
  'line',
  'pie',
  'counter',
  'scatter',
  'leaderboard',
  'table',
  'heatmap',
  'histogram',
  'funnel',
] as const;

export type WidgetType = (typeof WIDGET_TYPES)[number];

export type TimeBucket = 'hour' | 'day' | 'week' | 'month' | 'weekday' | 'hour_of_day';

/** A `group_by` dimension of the aggregate API. */
export type Dimension =
  | 'verb'
  | 'activity'
  | 'activity_type'
  | 'actor'
  | 'persona'
  | 'registration'
  | { time: TimeBucket }
  | { path: string }
  | { bucket: { path: string; width: number; origin?: number } };

export type NumericOp = 'sum' | 'avg' | 'min' | 'max';

/** A measure of the aggregate API. */
export type Measure =
  | 'count'
  | 'unique_actors'
  | 'unique_personas'
  | 'successes'
  | 'completions'
  | { sum: string }
  | { avg: string }
  | { min: string }
  | { max: string };

/** A filter of the filter language (its JSON AST); the charts never look inside. */
export type Filter = Record<string, unknown>;

export interface AggregateQuery {
  kind: 'aggregate';
  filter?: Filter | null;
  group_by: Dimension[];
  measures: Measure[];
  order_by?: { measure: number; dir: 'asc' | 'desc' } | null;
  limit?: number | null;
  compare?: 'previous_period' | null;
}

export interface FunnelStep {
  label: string;
  filter: Filter;
}

export interface FunnelQuery {
  kind: 'funnel';
  filter?: Filter | null;
  steps: FunnelStep[];
  by?: 'actor' | 'persona';
}

export interface StatementsQuery {
  kind: 'statements';
  filter?: Filter | null;
  fields: string[];
  page_size?: number;
}

export type WidgetQuery = AggregateQuery | FunnelQuery | StatementsQuery;

/** What the editor and the views need of a widget (the stored one has ids besides). */
export interface WidgetSpec {
  type: WidgetType;
  title: string;
  description: string;
  query: WidgetQuery;
  /** Free JSON from the server: read through `readOptions`. */
  options: unknown;
}

export interface Widget extends WidgetSpec {
  id: string;
  dashboard: string;
}

export interface AggregateRow {
  keys: string[];
  values: (number | null)[];
  previous?: (number | null)[] | null;
}

export interface AggregateData {
  kind: 'aggregate';
  source?: string;
  rows: AggregateRow[];
  names?: Record<string, string>;
}

export interface FunnelData {
  kind: 'funnel';
  steps: { label: string; count: number }[];
}

export interface StatementsData {
  kind: 'statements';
  items: Record<string, unknown>[];
  next_cursor?: string | null;
}

export type WidgetData = AggregateData | FunnelData | StatementsData;
