import { describe, expect, it } from 'vitest';
import type { BarSeriesOption, DatasetComponentOption } from 'echarts';
import { buildBarOption } from './bar';
import { readOptions } from '../options';
import { V, agg, byDayVerb, byVerb } from '../__fixtures__/data';

type Axis = { type?: string; inverse?: boolean; name?: string; axisLabel?: { formatter?: (v: string) => string } };

describe('bar and column', () => {
  it('draws horizontal bars, largest on top, with names on the axis', () => {
    const opt = buildBarOption('bar', agg({ group_by: ['verb'], measures: ['count'] }), byVerb, readOptions({}));
    const ds = opt.dataset as DatasetComponentOption;
    expect(ds.source).toEqual([
      [V.answered, 1208],
      [V.launched, 412],
      [V.completed, 230],
      [V.passed, 190],
    ]);
    const y = opt.yAxis as Axis;
    expect(y.type).toBe('category');
    expect(y.inverse).toBe(true);
    expect(y.axisLabel?.formatter?.(V.launched)).toBe('launched');
    expect((opt.xAxis as Axis).type).toBe('value');
    const series = opt.series as BarSeriesOption[];
    expect(series).toHaveLength(1);
    expect(series[0]?.encode).toEqual({ y: 'key', x: 's0' });
    expect(series[0]?.name).toBe('Statements');
    expect(opt.legend).toBeUndefined();
  });

  it('groups or stacks columns per second-dimension key', () => {
    const q = agg({ group_by: [{ time: 'day' }, 'verb'], measures: ['count'] });
    const grouped = buildBarOption('column', q, byDayVerb, readOptions({}));
    const gs = grouped.series as BarSeriesOption[];
    expect(gs.map((s) => s.name)).toEqual(['completed', 'passed']);
    expect(gs.every((s) => s.stack === undefined)).toBe(true);
    expect((grouped.xAxis as Axis).type).toBe('category');
    expect((grouped.legend as { data: string[] }).data).toEqual(['completed', 'passed']);
    const ds = grouped.dataset as DatasetComponentOption;
    expect(ds.source).toEqual([
      ['2026-11-01', 12, 9],
      ['2026-11-02', 15, 0],
      ['2026-11-03', 0, 0],
      ['2026-11-04', 20, 14],
    ]);
    const stacked = buildBarOption('column', q, byDayVerb, readOptions({ stacked: true }));
    expect((stacked.series as BarSeriesOption[]).map((s) => s.stack)).toEqual(['total', 'total']);
  });

  it('takes colours, axis names and measure labels from the options', () => {
    const o = readOptions({
      seriesColors: { [V.passed]: '#16a34a' },
      colors: ['#111111', '#222222'],
      xAxisName: 'Day',
      yAxisName: 'Statements per day',
    });
    const opt = buildBarOption('column', agg({ group_by: [{ time: 'day' }, 'verb'], measures: ['count'] }), byDayVerb, o);
    const s = opt.series as BarSeriesOption[];
    expect(s[0]?.itemStyle?.color).toBe('#111111');
    expect(s[1]?.itemStyle?.color).toBe('#16a34a');
    expect((opt.xAxis as Axis).name).toBe('Day');
    expect((opt.yAxis as Axis).name).toBe('Statements per day');
    const two = buildBarOption(
      'column',
      agg({ group_by: ['verb'], measures: ['count', 'unique_actors'] }),
      { kind: 'aggregate', source: 'raw', names: {}, rows: [{ keys: [V.passed], values: [10, 4] }] },
      readOptions({ measureLabels: ['', 'Learners'] }),
    );
    expect((two.series as BarSeriesOption[]).map((x) => x.name)).toEqual(['Statements', 'Learners']);
  });

  it('shows the name and the IRI in the tooltip, escaped', () => {
    const data = {
      kind: 'aggregate' as const, source: 'raw',
      names: { 'http://x/a': '<b>Bold</b> name' },
      rows: [{ keys: ['http://x/a'], values: [5] }],
    };
    const opt = buildBarOption('bar', agg({ group_by: ['activity'], measures: ['count'] }), data, readOptions({}));
    const tip = (opt.tooltip as { formatter: (p: unknown) => string }).formatter;
    const html = tip([{ dataIndex: 0, seriesIndex: 0, marker: '' }]);
    expect(html).toContain('&lt;b&gt;Bold&lt;/b&gt; name');
    expect(html).toContain('http://x/a');
    expect(html).toContain('Statements: <b>5</b>');
  });
});
