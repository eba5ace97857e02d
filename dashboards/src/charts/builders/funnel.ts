/**
 * Funnel: the ordered steps with the actors who reached each, and the conversion from the first
 * step and from the step before.
 */
import type { EChartsOption } from 'echarts';
import type { FunnelData } from '../types';
import type { WidgetOptions } from '../options';
import { escapeHtml, formatValue } from '../labels';
import { base } from './common';

export interface FunnelStepView {
  label: string;
  count: number;
  /** Percent of the first step's count (100 for the first step; null when it is 0). */
  ofFirst: number | null;
  /** Percent of the previous step's count (null for the first step or when it is 0). */
  ofPrevious: number | null;
}

function pct(n: number, d: number): number | null {
  return d > 0 ? Math.round((n / d) * 1000) / 10 : null;
}

export function funnelSteps(data: FunnelData, o: Pick<WidgetOptions, 'labels'>): FunnelStepView[] {
  const first = data.steps[0]?.count ?? 0;
  return data.steps.map((s, i) => ({
    label: o.labels[s.label] ?? s.label,
    count: s.count,
    ofFirst: pct(s.count, first),
    ofPrevious: i === 0 ? null : pct(s.count, data.steps[i - 1]?.count ?? 0),
  }));
}

function pctText(p: number | null): string {
  return p === null ? '–' : `${p}%`;
}

export function buildFunnelOption(data: FunnelData, o: WidgetOptions): EChartsOption {
  const steps = funnelSteps(data, o);
  const max = Math.max(1, steps[0]?.count ?? 0, ...steps.map((s) => s.count));
  return {
    ...base(o),
    dataset: {
      dimensions: [
        { name: 'step', type: 'ordinal' },
        { name: 'count', type: 'number' },
      ],
      source: steps.map((s, i) => [`${i + 1}. ${s.label}`, s.count]),
    },
    tooltip: {
      trigger: 'item',
      formatter: (params: unknown) => {
        const i = (params as { dataIndex: number }).dataIndex;
        const s = steps[i];
        if (s === undefined) return '';
        return (
          `<b>${escapeHtml(s.label)}</b><br/>${escapeHtml(formatValue(s.count, o))} ` +
          `(${pctText(s.ofFirst)} of the first step` +
          (i > 0 ? `, ${pctText(s.ofPrevious)} of the previous` : '') +
          ')'
        );
      },
    },
    series: [
      {
        type: 'funnel',
        datasetIndex: 0,
        encode: { itemName: 'step', value: 'count' },
        sort: 'none',
        min: 0,
        max,
        minSize: '8%',
        left: '8%',
        width: '60%',
        gap: 2,
        label: {
          show: true,
          position: 'right',
          color: '#0f172a',
          formatter: (params: { dataIndex: number }) => {
            const s = steps[params.dataIndex];
            return s ? `${s.label}: ${formatValue(s.count, o)} (${pctText(s.ofFirst)})` : '';
          },
        },
        labelLine: { show: true },
        itemStyle: { borderColor: '#fff', borderWidth: 1 },
      },
    ],
  };
}
