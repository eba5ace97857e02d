import { describe, expect, it } from 'vitest';
import type { DatasetComponentOption, FunnelSeriesOption } from 'echarts';
import { buildFunnelOption, funnelSteps } from './funnel';
import { readOptions } from '../options';

const data = {
  kind: 'funnel' as const,
  source: 'raw',
  steps: [
    { label: 'Launched', count: 200 },
    { label: 'Completed', count: 120 },
    { label: 'Passed', count: 90 },
  ],
};

describe('funnel', () => {
  it('computes conversion from the first and the previous step', () => {
    expect(funnelSteps(data, { labels: {} })).toEqual([
      { label: 'Launched', count: 200, ofFirst: 100, ofPrevious: null },
      { label: 'Completed', count: 120, ofFirst: 60, ofPrevious: 60 },
      { label: 'Passed', count: 90, ofFirst: 45, ofPrevious: 75 },
    ]);
  });

  it('has no percentages against an empty step', () => {
    const steps = funnelSteps({ kind: 'funnel', source: 'raw', steps: [{ label: 'a', count: 0 }, { label: 'b', count: 0 }] }, { labels: {} });
    expect(steps.map((s) => [s.ofFirst, s.ofPrevious])).toEqual([
      [null, null],
      [null, null],
    ]);
  });

  it('draws the steps in their order with counts and conversion in the labels', () => {
    const opt = buildFunnelOption(data, readOptions({}));
    expect((opt.dataset as DatasetComponentOption).source).toEqual([
      ['1. Launched', 200],
      ['2. Completed', 120],
      ['3. Passed', 90],
    ]);
    const s = (opt.series as FunnelSeriesOption[])[0];
    expect(s?.sort).toBe('none');
    expect(s?.max).toBe(200);
    const label = s?.label as { formatter: (p: { dataIndex: number }) => string };
    expect(label.formatter({ dataIndex: 2 })).toBe('Passed: 90 (45%)');
    const tip = (opt.tooltip as { formatter: (p: unknown) => string }).formatter;
    expect(tip({ dataIndex: 1 })).toContain('60% of the first step, 60% of the previous');
  });
});
