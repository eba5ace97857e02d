/**
 * From a widget and its data to what is drawn: the ECharts option of the chart types ECharts
 * draws, and for every type the figures drawn, as rows (raw keys, label, values) that the view
 * also writes into a hidden table for screen readers and tests.
 */
import type { EChartsOption } from 'echarts';
import type { AggregateData, AggregateQuery, WidgetData, WidgetSpec, WidgetType } from './types';
import { readOptions } from './options';
import type { WidgetOptions } from './options';
import { pivot } from './pivot';
import { WEEKDAYS, keyLabel, measureName } from './labels';
import { buildBarOption } from './builders/bar';
import { buildLineOption } from './builders/line';
import { buildPieOption } from './builders/pie';
import { buildScatterOption, scatterGroups } from './builders/scatter';
import { buildHeatmapOption, heatCells } from './builders/heatmap';
import { buildHistogramOption } from './builders/histogram';
import { buildFunnelOption, funnelSteps } from './builders/funnel';
import { counterModel } from './models/counter';
import { leaderboard } from './models/leaderboard';

/** The types drawn by ECharts (the others are components of their own). */
export const ECHARTS_TYPES: ReadonlySet<WidgetType> = new Set([
  'bar',
  'column',
  'line',
  'pie',
  'scatter',
  'heatmap',
  'histogram',
  'funnel',
]);

/** Which kind of data each widget type reads. */
export function dataKindOf(type: WidgetType): WidgetData['kind'] {
  if (type === 'funnel') return 'funnel';
  if (type === 'table') return 'statements';
  return 'aggregate';
}

/** Why a widget's data cannot be drawn, or null when it can. */
export function mismatch(spec: WidgetSpec, data: WidgetData): string | null {
  const want = dataKindOf(spec.type);
  if (data.kind !== want) return `a ${spec.type} widget draws ${want} data, not ${data.kind}`;
  if (want === 'aggregate' && spec.query.kind !== 'aggregate') return 'the query is not an aggregate';
  return null;
}

/** Whether there is nothing to draw. */
export function isEmpty(data: WidgetData): boolean {
  if (data.kind === 'aggregate') return data.rows.length === 0;
  if (data.kind === 'funnel') return data.steps.length === 0;
  return data.items.length === 0;
}

/** The ECharts option of a widget, or null for the types that are not drawn by ECharts. */
export function buildOption(spec: WidgetSpec, data: WidgetData): EChartsOption | null {
  if (!ECHARTS_TYPES.has(spec.type) || mismatch(spec, data) !== null) return null;
  const o = readOptions(spec.options);
  if (data.kind === 'funnel') return buildFunnelOption(data, o);
  if (data.kind !== 'aggregate' || spec.query.kind !== 'aggregate') return null;
  const q = spec.query;
  switch (spec.type) {
    case 'bar':
    case 'column':
      return buildBarOption(spec.type, q, data, o);
    case 'line':
      return buildLineOption(q, data, o);
    case 'pie':
      return buildPieOption(q, data, o);
    case 'scatter':
      return buildScatterOption(q, data, o);
    case 'heatmap':
      return buildHeatmapOption(q, data, o);
    case 'histogram':
      return buildHistogramOption(q, data, o);
    default:
      return null;
  }
}

/** One drawn figure: the raw keys (as the aggregate API answers them), its label, its values. */
export interface DrawnRow {
  keys: string[];
  label: string;
  values: (number | null)[];
}

export interface Drawn {
  columns: string[];
  rows: DrawnRow[];
}

function pivotRows(q: AggregateQuery, data: AggregateData, o: WidgetOptions, dims: number): Drawn {
  const query = { ...q, group_by: q.group_by.slice(0, dims) };
  const p = pivot(query, data, o);
  const split = query.group_by.length >= 2;
  if (split) {
    const rows = p.categories.flatMap((c, i) =>
      p.series.map((s) => ({
        keys: [c, s.key],
        label: `${p.labels[i] ?? c} · ${s.label}`,
        values: [s.values[i] ?? null],
      })),
    );
    return { columns: [measureName(q.measures, p.series[0]?.measure ?? 0, o)], rows };
  }
  return {
    columns: p.series.map((s) => s.label),
    rows: p.categories.map((c, i) => ({
      keys: query.group_by.length === 0 ? [] : [c],
      label: p.labels[i] ?? c,
      values: p.series.map((s) => s.values[i] ?? null),
    })),
  };
}

/** The figures a widget draws (for a hidden table; the statements table shows its own). */
export function drawn(spec: WidgetSpec, data: WidgetData): Drawn {
  const o = readOptions(spec.options);
  if (data.kind === 'funnel') {
    return {
      columns: ['Count'],
      rows: funnelSteps(data, o).map((s) => ({ keys: [s.label], label: s.label, values: [s.count] })),
    };
  }
  if (data.kind !== 'aggregate' || spec.query.kind !== 'aggregate') return { columns: [], rows: [] };
  const q = spec.query;
  const names = data.names ?? {};
  switch (spec.type) {
    case 'counter': {
      const c = counterModel(data);
      return {
        columns: ['Value', 'Previous period'],
        rows: [{ keys: [], label: measureName(q.measures, 0, o), values: [c.value, c.previous] }],
      };
    }
    case 'leaderboard':
      return {
        columns: [measureName(q.measures, q.order_by?.measure ?? 0, o)],
        rows: leaderboard(q, data, o).map((e) => ({ keys: [e.key], label: e.label, values: [e.value] })),
      };
    case 'scatter':
      return {
        columns: [measureName(q.measures, 0, o), measureName(q.measures, 1, o)],
        rows: scatterGroups(q, data, o).flatMap((g) =>
          g.points.map((pt) => ({
            keys: q.group_by.length >= 2 ? [pt.key, g.key] : [pt.key],
            label: q.group_by.length >= 2 ? `${pt.label} · ${keyLabel(q.group_by[1], g.key, names, o)}` : pt.label,
            values: [pt.x, pt.y],
          })),
        ),
      };
    case 'heatmap': {
      const first = q.group_by[0];
      const dayFirst = typeof first === 'object' && 'time' in first && first.time === 'weekday';
      return {
        columns: [measureName(q.measures, 0, o)],
        rows: heatCells(q, data).map((c) => {
          const day = String(c.day + 1);
          const hour = String(c.hour);
          return {
            keys: dayFirst ? [day, hour] : [hour, day],
            label: `${WEEKDAYS[c.day] ?? day} ${hour.padStart(2, '0')}:00`,
            values: [c.value],
          };
        }),
      };
    }
    case 'pie':
    case 'histogram':
      return pivotRows(q, data, o, 1);
    default:
      return pivotRows(q, data, o, 2);
  }
}
