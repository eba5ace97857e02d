/**
 * The shapes the charts read: a widget (type, query, options) and the data the server answers for
 * it (`WidgetData`), from the API module's types.
 */

import type {
  AggregateQuery,
  Dimension,
  FunnelQuery,
  Measure,
  StatementsQuery,
  Widget as ApiWidget,
  WidgetData,
  WidgetQuery,
  WidgetType,
} from '../api/types';

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
] as const satisfies readonly WidgetType[];


export type {
  AggregateQuery,
  Dimension,
  FunnelQuery,
  Measure,
  StatementsQuery,
  WidgetData,
  WidgetQuery,
  WidgetType,
};

export type Widget = ApiWidget;
export type TimeBucket = Extract<Dimension, { time: unknown }>['time'];
export type AggregateData = Extract<WidgetData, { kind: 'aggregate' }>;
export type FunnelData = Extract<WidgetData, { kind: 'funnel' }>;
export type StatementsData = Extract<WidgetData, { kind: 'statements' }>;
export type AggregateRow = AggregateData['rows'][number];

/** What the editor and the views need of a widget (the stored one has ids besides). */
export interface WidgetSpec {
  type: WidgetType;
  title: string;
  description: string;
  query: WidgetQuery;
  /** Free JSON from the server: read through `readOptions`. */
  options: unknown;
}
