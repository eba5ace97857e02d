import { describe, expect, it } from 'vitest';
import type { DatasetComponentOption, PieSeriesOption } from 'echarts';
import { buildPieOption } from './pie';
import { readOptions } from '../options';
import { DEFAULT_PALETTE } from '../options';
import { V, agg, byVerb } from '../__fixtures__/data';

const q = agg({ group_by: ['verb'], measures: ['count'] });

describe('pie', () => {
  it('draws a slice per key with names in labels and legend', () => {
    const opt = buildPieOption(q, byVerb, readOptions({}));
    expect((opt.dataset as DatasetComponentOption).source).toEqual([
      [V.answered, 1208],
      [V.launched, 412],
      [V.completed, 230],
      [V.passed, 190],
    ]);
    const s = (opt.series as PieSeriesOption[])[0];
    expect(s?.radius).toEqual([0, '72%']);
    const label = s?.label as { formatter: (p: { name: string; percent: number }) => string };
    expect(label.formatter({ name: V.completed, percent: 11.5 })).toBe('completed: 11.5%');
    const lg = opt.legend as { formatter: (n: string) => string };
    expect(lg.formatter(V.answered)).toBe('answered');
  });

  it('draws a ring for a donut and colours the slices the widget chose', () => {
    const opt = buildPieOption(q, byVerb, readOptions({ donut: true, seriesColors: { [V.passed]: '#000000' } }));
    expect((opt.series as PieSeriesOption[])[0]?.radius).toEqual(['45%', '72%']);
    expect(opt.color).toEqual([DEFAULT_PALETTE[0], DEFAULT_PALETTE[1], DEFAULT_PALETTE[2], '#000000']);
  });

  it('puts the IRI and the value in the tooltip', () => {
    const opt = buildPieOption(q, byVerb, readOptions({}));
    const tip = (opt.tooltip as { formatter: (p: unknown) => string }).formatter;
    const html = tip({ name: V.launched, value: [V.launched, 412], percent: 20.6, marker: '' });
    expect(html).toContain('<b>launched</b>');
    expect(html).toContain(V.launched);
    expect(html).toContain('412 (20.6%)');
  });
});
