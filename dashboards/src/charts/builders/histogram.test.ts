import { describe, expect, it } from 'vitest';
import type { BarSeriesOption, DatasetComponentOption } from 'echarts';
import { buildHistogramOption } from './histogram';
import { readOptions } from '../options';
import { agg } from '../__fixtures__/data';

describe('histogram', () => {
  it('draws every bucket from the lowest to the highest, empty ones as 0, labelled as ranges', () => {
    const q = agg({ group_by: [{ bucket: { path: 'result.score.scaled', width: 0.1 } }], measures: ['count'] });
    const opt = buildHistogramOption(
      q,
      {
        kind: 'aggregate', source: 'raw', names: {},
        rows: [
          { keys: ['0.9'], values: [14] },
          { keys: ['0.5'], values: [31] },
          { keys: ['0.6000000000000001'], values: [44] },
          { keys: ['0.3'], values: [6] },
        ],
      },
      readOptions({}),
    );
    const src = (opt.dataset as DatasetComponentOption).source as unknown[][];
    expect(src.map((r) => r[1])).toEqual([6, 0, 31, 44, 0, 0, 14]);
    const x = opt.xAxis as { name: string; axisLabel: { formatter: (v: string) => string } };
    expect(x.axisLabel.formatter('0.3')).toBe('0.3–0.4');
    expect(x.axisLabel.formatter('0.6000000000000001')).toBe('0.6–0.7');
    expect(x.name).toBe('Score (scaled)');
    const s = opt.series as BarSeriesOption[];
    expect(s).toHaveLength(1);
    expect(s[0]?.barCategoryGap).toBe('4%');
  });
});
