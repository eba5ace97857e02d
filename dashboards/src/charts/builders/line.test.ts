import { describe, expect, it } from 'vitest';
import type { DatasetComponentOption, LineSeriesOption } from 'echarts';
import { buildLineOption } from './line';
import { readOptions } from '../options';
import { agg, byDayVerb } from '../__fixtures__/data';

const q = agg({ group_by: [{ time: 'day' }, 'verb'], measures: ['count'] });

describe('line', () => {
  it('draws one line per second-dimension key over filled days', () => {
    const opt = buildLineOption(q, byDayVerb, readOptions({}));
    const series = opt.series as LineSeriesOption[];
    expect(series.map((s) => s.name)).toEqual(['completed', 'passed']);
    expect(series.map((s) => s.encode)).toEqual([
      { x: 'key', y: 's0' },
      { x: 'key', y: 's1' },
    ]);
    const ds = opt.dataset as DatasetComponentOption;
    expect((ds.source as unknown[][]).map((r) => r[0])).toEqual([
      '2026-11-01',
      '2026-11-02',
      '2026-11-03',
      '2026-11-04',
    ]);
  });

  it('adds a dashed least-squares trend per line when asked', () => {
    const opt = buildLineOption(q, byDayVerb, readOptions({ trend: true }));
    const series = opt.series as LineSeriesOption[];
    expect(series).toHaveLength(4);
    const trend = series[2];
    expect(trend?.name).toBe('completed (trend)');
    expect(trend?.lineStyle?.type).toBe('dashed');
    // completed: 12, 15, 0, 20 -> slope 0.9, intercept 10.4
    // Each point names its category, so the trend spans the same four days as the lines.
    const data = trend?.data as [string, number][];
    expect(data.map((d) => d[0])).toEqual(['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04']);
    expect(data[0]?.[1]).toBeCloseTo(10.4, 6);
    expect(data[3]?.[1]).toBeCloseTo(13.1, 6);
    expect(series[3]?.itemStyle?.color).toBe(series[1]?.itemStyle?.color);
  });

  it('draws one line per measure without a second dimension', () => {
    const opt = buildLineOption(
      agg({ group_by: [{ time: 'month' }], measures: ['count', 'unique_actors'] }),
      {
        kind: 'aggregate', source: 'raw', names: {},
        rows: [
          { keys: ['2026-09-01'], values: [120, 30] },
          { keys: ['2026-10-01'], values: [160, 41] },
        ],
      },
      readOptions({ area: true }),
    );
    const series = opt.series as LineSeriesOption[];
    expect(series.map((s) => s.name)).toEqual(['Statements', 'Actors']);
    expect(series[0]?.areaStyle).toBeDefined();
    const x = opt.xAxis as { axisLabel: { formatter: (v: string) => string } };
    expect(x.axisLabel.formatter('2026-10-01')).toBe('Oct 2026');
  });
});
