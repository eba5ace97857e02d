/**
 * Histogram: the counts per bucket of a numeric field (e.g. result.score.scaled), buckets side by
 * side from the lowest to the highest with the empty ones in between drawn as 0.
 */
import type { EChartsOption } from 'echarts';
import type { AggregateData, AggregateQuery } from '../types';
import type { WidgetOptions } from '../options';
import { pivot } from '../pivot';
import { dimensionLabel, formatValue } from '../labels';
import { axisTooltip, base, categoryFormatter, pivotDataset, seriesColour, valueLabel } from './common';

export function buildHistogramOption(
  query: AggregateQuery,
  data: AggregateData,
  o: WidgetOptions,
): EChartsOption {
  const p = pivot({ ...query, group_by: query.group_by.slice(0, 1) }, data, o);
  const s = p.series[0];
  return {
    ...base(o),
    dataset: pivotDataset(p),
    grid: { left: 8, right: 24, top: 16, bottom: 8, containLabel: true },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, formatter: axisTooltip(p, o) },
    xAxis: {
      type: 'category',
      name: o.xAxisName || (p.dim ? dimensionLabel(p.dim) : ''),
      nameLocation: 'middle',
      nameGap: 32,
      axisLabel: { formatter: categoryFormatter(p), hideOverlap: true },
    },
    yAxis: {
      type: 'value',
      name: o.yAxisName,
      nameLocation: 'middle',
      nameGap: 40,
      axisLabel: { formatter: (v: number) => formatValue(v, { ...o, decimals: null }) },
    },
    series: s
      ? [
          {
            type: 'bar',
            name: s.label,
            datasetIndex: 0,
            encode: { x: 'key', y: 's0' },
            barCategoryGap: '4%',
            itemStyle: { color: seriesColour(s.key, 0, o) },
            label: { ...valueLabel(o, 1), position: 'top' },
          },
        ]
      : [],
  };
}
