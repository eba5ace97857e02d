/**
 * Weekday × hour-of-day heatmap: hours along x, Monday to Sunday down y, every cell drawn (empty
 * ones as 0), coloured on a scale from the widget's first two colours (or a blue ramp).
 */
import type { EChartsOption } from 'echarts';
import type { AggregateData, AggregateQuery, Dimension } from '../types';
import type { WidgetOptions } from '../options';
import { WEEKDAYS, escapeHtml, formatValue, measureName } from '../labels';
import { base } from './common';

export interface HeatCell {
  hour: number;
  /** 0 = Monday. */
  day: number;
  value: number;
}

function isTime(d: Dimension | undefined, t: string): boolean {
  return d !== undefined && typeof d === 'object' && 'time' in d && d.time === t;
}

/** The 7 × 24 cells, from rows keyed by weekday (1 = Monday) and hour in either order. */
export function heatCells(query: AggregateQuery, data: AggregateData): HeatCell[] {
  const [a] = query.group_by;
  const dayFirst = isTime(a, 'weekday');
  const grid = new Map<string, number>();
  for (const r of data.rows) {
    const [k0, k1] = r.keys;
    const day = Number(dayFirst ? k0 : k1) - 1;
    const hour = Number(dayFirst ? k1 : k0);
    grid.set(`${day}:${hour}`, r.values[0] ?? 0);
  }
  const cells: HeatCell[] = [];
  for (let day = 0; day < 7; day++) {
    for (let hour = 0; hour < 24; hour++) {
      cells.push({ hour, day, value: grid.get(`${day}:${hour}`) ?? 0 });
    }
  }
  return cells;
}

export function buildHeatmapOption(
  query: AggregateQuery,
  data: AggregateData,
  o: WidgetOptions,
): EChartsOption {
  const cells = heatCells(query, data);
  const max = Math.max(1, ...cells.map((c) => c.value));
  const hours = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, '0'));
  const ramp = o.colors.length >= 2 ? o.colors.slice(0, 2) : ['#eff6ff', '#1d4ed8'];
  const measure = measureName(query.measures, 0, o);
  return {
    ...base(o),
    dataset: {
      dimensions: [
        { name: 'hour', type: 'number' },
        { name: 'day', type: 'number' },
        { name: 'value', type: 'number' },
      ],
      source: cells.map((c) => [c.hour, c.day, c.value]),
    },
    grid: { left: 8, right: 16, top: 8, bottom: 56, containLabel: true },
    tooltip: {
      trigger: 'item',
      formatter: (params: unknown) => {
        const v = (params as { value: number[] }).value;
        const [h = 0, d = 0, n = 0] = v;
        return (
          `<b>${escapeHtml(WEEKDAYS[d] ?? '')} ${hours[h] ?? ''}:00–${hours[(h + 1) % 24] ?? ''}:00</b>` +
          `<br/>${escapeHtml(measure)}: <b>${escapeHtml(formatValue(n, o))}</b>`
        );
      },
    },
    xAxis: {
      type: 'category',
      data: hours,
      name: o.xAxisName || 'Hour of day',
      nameLocation: 'middle',
      nameGap: 26,
      splitArea: { show: true },
    },
    yAxis: {
      type: 'category',
      data: WEEKDAYS.map((d) => d.slice(0, 3)),
      inverse: true,
      name: o.yAxisName,
      splitArea: { show: true },
    },
    visualMap: {
      min: 0,
      max,
      calculable: true,
      orient: 'horizontal',
      left: 'center',
      bottom: 0,
      itemHeight: 120,
      itemWidth: 12,
      inRange: { color: ramp },
      textStyle: { fontSize: 11 },
    },
    series: [
      {
        type: 'heatmap',
        datasetIndex: 0,
        encode: { x: 'hour', y: 'day', value: 'value' },
        label: {
          show: o.showValues,
          fontSize: 9,
          formatter: (params: { value?: unknown }) => {
            const v = Array.isArray(params.value) ? params.value[2] : null;
            return typeof v === 'number' && v > 0 ? formatValue(v, o) : '';
          },
        },
        emphasis: { itemStyle: { borderColor: '#0f172a', borderWidth: 1 } },
      },
    ],
  };
}
