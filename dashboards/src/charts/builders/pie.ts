/** Pie and donut charts: one slice per first-dimension key, sized by the first measure. */
import type { EChartsOption } from 'echarts';
import type { AggregateData, AggregateQuery } from '../types';
import type { WidgetOptions } from '../options';
import { palette } from '../options';
import { pivot } from '../pivot';
import { escapeHtml, formatValue } from '../labels';
import { MUTED, base } from './common';

export function buildPieOption(
  query: AggregateQuery,
  data: AggregateData,
  o: WidgetOptions,
): EChartsOption {
  const p = pivot({ ...query, group_by: query.group_by.slice(0, 1) }, data, o);
  const values = p.series[0]?.values ?? [];
  const label = new Map(p.categories.map((c, i) => [c, p.labels[i] ?? c]));
  const detail = new Map(p.categories.map((c, i) => [c, p.details[i] ?? null]));
  const pal = palette(o);
  const show = (k: unknown): string => label.get(String(k)) ?? String(k);
  return {
    ...base(o),
    // One colour per slice, in slice order: the widget's colour for a key, else the palette's.
    color: p.categories.map((c, i) => o.seriesColors[c] ?? pal[i % pal.length] ?? MUTED),
    dataset: {
      dimensions: [
        { name: 'key', type: 'ordinal' },
        { name: 'value', type: 'number' },
      ],
      source: p.categories.map((c, i) => [c, values[i] ?? null]),
    },
    legend: o.showLegend
      ? { type: 'scroll', orient: 'vertical', right: 0, top: 'middle', formatter: show }
      : undefined,
    tooltip: {
      trigger: 'item',
      formatter: (params: unknown) => {
        const { name, value, percent, marker } = params as {
          name: string;
          value: unknown[];
          percent: number;
          marker: string;
        };
        const d = detail.get(name);
        const v = Array.isArray(value) ? value[1] : value;
        return (
          `${marker}<b>${escapeHtml(show(name))}</b>` +
          (d ? `<br/><span style="color:${MUTED};font-size:11px">${escapeHtml(d)}</span>` : '') +
          `<br/>${escapeHtml(formatValue(typeof v === 'number' ? v : null, o))} (${percent}%)`
        );
      },
    },
    series: [
      {
        type: 'pie',
        name: p.series[0]?.label ?? '',
        datasetIndex: 0,
        encode: { itemName: 'key', value: 'value' },
        radius: o.donut ? ['45%', '72%'] : [0, '72%'],
        center: o.showLegend ? ['40%', '50%'] : ['50%', '50%'],
        avoidLabelOverlap: true,
        label: {
          show: true,
          formatter: (params: { name: string; percent?: number; value?: unknown }) => {
            const v = Array.isArray(params.value) ? params.value[1] : params.value;
            const text = o.showValues
              ? formatValue(typeof v === 'number' ? v : null, o)
              : `${params.percent ?? 0}%`;
            return `${show(params.name)}: ${text}`;
          },
          width: 120,
          overflow: 'truncate',
        },
        itemStyle: { borderColor: '#fff', borderWidth: 1 },
      },
    ],
  };
}
