/**
 * Line charts: the first dimension (usually time, its gaps filled) along x, one line per
 * second-dimension key or else per measure, and optionally a dashed least-squares trend per line.
 */
import type { EChartsOption, LineSeriesOption } from 'echarts';
import type { AggregateData, AggregateQuery } from '../types';
import type { WidgetOptions } from '../options';
import { pivot } from '../pivot';
import { trendValues } from '../trend';
import { dimensionLabel, formatValue } from '../labels';
import {
  axisTooltip,
  base,
  categoryFormatter,
  legend,
  pivotDataset,
  seriesColour,
  valueLabel,
} from './common';

export function buildLineOption(
  query: AggregateQuery,
  data: AggregateData,
  o: WidgetOptions,
): EChartsOption {
  const p = pivot(query, data, o);
  const lines: LineSeriesOption[] = p.series.map((s, i) => ({
    type: 'line',
    name: s.label,
    datasetIndex: 0,
    encode: { x: 'key', y: `s${i}` },
    showSymbol: p.categories.length <= 60,
    connectNulls: false,
    itemStyle: { color: seriesColour(s.key, i, o) },
    lineStyle: { width: 2 },
    areaStyle: o.area ? { opacity: 0.15 } : undefined,
    label: { ...valueLabel(o, i + 1), position: 'top' },
  }));
  const trends: LineSeriesOption[] = [];
  if (o.trend) {
    p.series.forEach((s, i) => {
      const fitted = trendValues(s.values);
      if (fitted === null) return;
      trends.push({
        type: 'line',
        name: `${s.label} (trend)`,
        // Pairs with the category key: bare numbers on a category axis fed by a dataset would
        // be read as new categories, drawing the trend past the last point.
        data: fitted.map((v, j) => [p.categories[j] ?? String(j), v]),
        showSymbol: false,
        silent: true,
        tooltip: { show: false },
        itemStyle: { color: seriesColour(s.key, i, o) },
        lineStyle: { type: 'dashed', width: 1.5, opacity: 0.8 },
      });
    });
  }
  const lg = legend(
    p.series.map((s) => s.label),
    o,
  );
  return {
    ...base(o),
    dataset: pivotDataset(p),
    legend: lg,
    grid: { left: 8, right: 24, top: lg ? 36 : 16, bottom: 8, containLabel: true },
    tooltip: { trigger: 'axis', formatter: axisTooltip(p, o) },
    xAxis: {
      type: 'category',
      boundaryGap: false,
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
    series: [...lines, ...trends],
  };
}
