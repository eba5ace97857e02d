/**
 * What the charts with axes share: the dataset built from a pivot, the tooltip (names, with the
 * IRI underneath, and the values), the legend and the palette.
 */
import type { DatasetComponentOption, EChartsOption, LegendComponentOption } from 'echarts';
import type { Pivot } from '../pivot';
import type { WidgetOptions } from '../options';
import { palette } from '../options';
import { escapeHtml, formatValue } from '../labels';

export const MUTED = '#64748b';
export const AXIS_LABEL_WIDTH = 140;

/** A dataset: a `key` column (the raw first-dimension keys) and one column `s<i>` per series. */
export function pivotDataset(p: Pivot): DatasetComponentOption {
  return {
    dimensions: [
      { name: 'key', type: 'ordinal' },
      ...p.series.map((_, i) => ({ name: `s${i}`, type: 'number' as const })),
    ],
    source: p.categories.map((c, i) => [c, ...p.series.map((s) => s.values[i] ?? null)]),
  };
}

/** The category axis label formatter: raw key -> display label. */
export function categoryFormatter(p: Pivot): (value: string | number) => string {
  const byKey = new Map(p.categories.map((c, i) => [c, p.labels[i] ?? c]));
  return (value) => byKey.get(String(value)) ?? String(value);
}

function detailLine(detail: string | null): string {
  return detail === null
    ? ''
    : `<br/><span style="color:${MUTED};font-size:11px">${escapeHtml(detail)}</span>`;
}

interface AxisParam {
  dataIndex?: number;
  seriesIndex?: number;
  marker?: unknown;
}

/** The tooltip of a chart with a category axis: the category (and its IRI), each series' value. */
export function axisTooltip(p: Pivot, o: WidgetOptions): (params: unknown) => string {
  return (params) => {
    const list = (Array.isArray(params) ? params : [params]) as AxisParam[];
    const i = list[0]?.dataIndex ?? 0;
    let html = `<b>${escapeHtml(p.labels[i] ?? '')}</b>${detailLine(p.details[i] ?? null)}`;
    for (const item of list) {
      const s = p.series[item.seriesIndex ?? -1];
      if (s === undefined) continue;
      const marker = typeof item.marker === 'string' ? item.marker : '';
      html += `<br/>${marker}${escapeHtml(s.label)}: <b>${escapeHtml(formatValue(s.values[i], o))}</b>`;
    }
    return html;
  };
}

/** The legend, when there is more than one series and the widget shows it. */
export function legend(names: string[], o: WidgetOptions): LegendComponentOption | undefined {
  if (!o.showLegend || names.length < 2) return undefined;
  return { type: 'scroll', top: 0, data: names, textStyle: { color: '#334155' } };
}

/** The colour of a series: the widget's per-series colour, else the palette's. */
export function seriesColour(key: string, index: number, o: WidgetOptions): string {
  const pal = palette(o);
  return o.seriesColors[key] ?? pal[index % pal.length] ?? '#2563eb';
}

/** Text of a value written on a bar or a point. */
export function valueLabel(o: WidgetOptions, column: number) {
  return {
    show: o.showValues,
    formatter: (params: { value?: unknown }) => {
      const row = params.value;
      const v = Array.isArray(row) ? row[column] : row;
      return formatValue(typeof v === 'number' ? v : null, o);
    },
  };
}

/** Options every chart starts from. */
export function base(o: WidgetOptions): EChartsOption {
  return {
    color: palette(o),
    animationDuration: 300,
    textStyle: { fontFamily: 'inherit' },
  };
}
