/**
 * X-vs-y scatter: one point per first-dimension key, the first measure along x and the second
 * along y; a second dimension splits the points into series (one dataset each).
 */
import type { DatasetComponentOption, EChartsOption, ScatterSeriesOption } from 'echarts';
import type { AggregateData, AggregateQuery } from '../types';
import type { WidgetOptions } from '../options';
import { escapeHtml, formatValue, keyDetail, keyLabel, measureName } from '../labels';
import { MUTED, base, legend, seriesColour } from './common';

export interface ScatterPoint {
  key: string;
  label: string;
  detail: string | null;
  x: number;
  y: number;
}

export interface ScatterGroup {
  key: string;
  label: string;
  points: ScatterPoint[];
}

/** The points, grouped by the second dimension (one group `''` without it); rows lacking x or y are left out. */
export function scatterGroups(
  query: AggregateQuery,
  data: AggregateData,
  o: WidgetOptions,
): ScatterGroup[] {
  const names = data.names ?? {};
  const [dim, splitDim] = query.group_by;
  const groups = new Map<string, ScatterGroup>();
  for (const r of data.rows) {
    const x = r.values[0];
    const y = r.values[1];
    if (typeof x !== 'number' || typeof y !== 'number') continue;
    const g = query.group_by.length >= 2 ? (r.keys[1] ?? '') : '';
    let group = groups.get(g);
    if (group === undefined) {
      const label =
        query.group_by.length >= 2 ? keyLabel(splitDim, g, names, o) : measureName(query.measures, 1, o);
      group = { key: g, label, points: [] };
      groups.set(g, group);
    }
    const key = r.keys[0] ?? '';
    const label = keyLabel(dim, key, names, o);
    group.points.push({ key, label, detail: keyDetail(label, key), x, y });
  }
  return [...groups.values()];
}

export function buildScatterOption(
  query: AggregateQuery,
  data: AggregateData,
  o: WidgetOptions,
): EChartsOption {
  const groups = scatterGroups(query, data, o);
  const xName = o.xAxisName || measureName(query.measures, 0, o);
  const yName = o.yAxisName || measureName(query.measures, 1, o);
  const datasets: DatasetComponentOption[] = groups.map((g) => ({
    dimensions: [
      { name: 'x', type: 'number' },
      { name: 'y', type: 'number' },
      { name: 'key', type: 'ordinal' },
    ],
    source: g.points.map((pt) => [pt.x, pt.y, pt.key]),
  }));
  const series: ScatterSeriesOption[] = groups.map((g, i) => ({
    type: 'scatter',
    name: g.label,
    datasetIndex: i,
    encode: { x: 'x', y: 'y', itemName: 'key', tooltip: ['x', 'y'] },
    symbolSize: 10,
    itemStyle: { color: seriesColour(g.key, i, o), opacity: 0.85 },
    label: {
      show: o.showValues,
      position: 'right',
      formatter: (params: { dataIndex: number }) => g.points[params.dataIndex]?.label ?? '',
    },
  }));
  const lg = groups.length > 1 ? legend(groups.map((g) => g.label), o) : undefined;
  return {
    ...base(o),
    dataset: datasets,
    legend: lg,
    grid: { left: 16, right: 32, top: lg ? 40 : 24, bottom: 24, containLabel: true },
    tooltip: {
      trigger: 'item',
      formatter: (params: unknown) => {
        const { seriesIndex, dataIndex, marker } = params as {
          seriesIndex: number;
          dataIndex: number;
          marker: string;
        };
        const pt = groups[seriesIndex]?.points[dataIndex];
        if (pt === undefined) return '';
        return (
          `${marker}<b>${escapeHtml(pt.label)}</b>` +
          (pt.detail ? `<br/><span style="color:${MUTED};font-size:11px">${escapeHtml(pt.detail)}</span>` : '') +
          `<br/>${escapeHtml(xName)}: <b>${escapeHtml(formatValue(pt.x, o))}</b>` +
          `<br/>${escapeHtml(yName)}: <b>${escapeHtml(formatValue(pt.y, o))}</b>`
        );
      },
    },
    xAxis: { type: 'value', name: xName, nameLocation: 'middle', nameGap: 28, scale: true },
    yAxis: { type: 'value', name: yName, nameLocation: 'middle', nameGap: 44, scale: true },
    series,
  };
}
