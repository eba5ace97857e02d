/**
 * Bar (horizontal: long labels read well, the largest on top) and column (vertical, grouped or
 * stacked) charts: one category per first-dimension key, one series per second-dimension key or
 * else per measure.
 */
import type { BarSeriesOption, EChartsOption } from 'echarts';
import type { AggregateData, AggregateQuery } from '../types';
import type { WidgetOptions } from '../options';
import { pivot } from '../pivot';
import { dimensionLabel, formatValue } from '../labels';
import {
  AXIS_LABEL_WIDTH,
  axisTooltip,
  base,
  categoryFormatter,
  legend,
  pivotDataset,
  seriesColour,
  valueLabel,
} from './common';

export function buildBarOption(
  orientation: 'bar' | 'column',
  query: AggregateQuery,
  data: AggregateData,
  o: WidgetOptions,
): EChartsOption {
  const p = pivot(query, data, o);
  const horizontal = orientation === 'bar';
  const series: BarSeriesOption[] = p.series.map((s, i) => ({
    type: 'bar',
    name: s.label,
    datasetIndex: 0,
    encode: horizontal ? { y: 'key', x: `s${i}` } : { x: 'key', y: `s${i}` },
    stack: o.stacked ? 'total' : undefined,
    itemStyle: { color: seriesColour(s.key, i, o) },
    label: { ...valueLabel(o, i + 1), position: o.stacked ? 'inside' : horizontal ? 'right' : 'top' },
    barMaxWidth: 48,
  }));
  const categoryAxis = {
    type: 'category' as const,
    name: horizontal ? o.yAxisName : o.xAxisName || (p.dim ? dimensionLabel(p.dim) : ''),
    nameLocation: 'middle' as const,
    nameGap: horizontal ? AXIS_LABEL_WIDTH + 8 : 32,
    inverse: horizontal,
    axisLabel: {
      formatter: categoryFormatter(p),
      width: horizontal ? AXIS_LABEL_WIDTH : 90,
      overflow: 'truncate' as const,
      interval: horizontal ? 0 : ('auto' as const),
      hideOverlap: true,
    },
    axisTick: { alignWithLabel: true },
  };
  const valueAxis = {
    type: 'value' as const,
    name: horizontal ? o.xAxisName : o.yAxisName,
    nameLocation: 'middle' as const,
    nameGap: 36,
    axisLabel: { formatter: (v: number) => formatValue(v, { ...o, decimals: null }) },
  };
  const names = p.series.map((s) => s.label);
  const lg = legend(names, o);
  return {
    ...base(o),
    dataset: pivotDataset(p),
    legend: lg,
    grid: { left: 8, right: 24, top: lg ? 36 : 16, bottom: 8, containLabel: true },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, formatter: axisTooltip(p, o) },
    xAxis: horizontal ? valueAxis : categoryAxis,
    yAxis: horizontal ? categoryAxis : valueAxis,
    series,
  };
}
