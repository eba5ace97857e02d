import { describe, expect, it } from 'vitest';
import type { DatasetComponentOption, ScatterSeriesOption } from 'echarts';
import { buildScatterOption } from './scatter';
import { readOptions } from '../options';
import { A, NAMES, agg } from '../__fixtures__/data';

const q = agg({ group_by: ['activity'], measures: ['unique_actors', { avg: 'result.score.scaled' }] });
const data = {
  kind: 'aggregate' as const, source: 'raw',
  names: NAMES,
  rows: [
    { keys: [A.quiz], values: [120, 0.64] },
    { keys: [A.final], values: [85, 0.71] },
    { keys: [A.intro], values: [150, null] },
  ],
};

describe('scatter', () => {
  it('draws a point per group, x the first measure and y the second', () => {
    const opt = buildScatterOption(q, data, readOptions({}));
    const ds = opt.dataset as DatasetComponentOption[];
    expect(ds).toHaveLength(1);
    // the intro has no score: no point
    expect(ds[0]?.source).toEqual([
      [120, 0.64, A.quiz],
      [85, 0.71, A.final],
    ]);
    expect((opt.xAxis as { name: string }).name).toBe('Actors');
    expect((opt.yAxis as { name: string }).name).toBe('Average score (scaled)');
    const tip = (opt.tooltip as { formatter: (p: unknown) => string }).formatter;
    const html = tip({ seriesIndex: 0, dataIndex: 1, marker: '' });
    expect(html).toContain('<b>Final exam</b>');
    expect(html).toContain(A.final);
    expect(html).toContain('Average score (scaled): <b>0.71</b>');
  });

  it('splits the points into a series per second-dimension key', () => {
    const split = agg({ group_by: ['actor', 'verb'], measures: ['count', 'successes'] });
    const opt = buildScatterOption(
      split,
      {
        kind: 'aggregate', source: 'raw',
        names: { 'http://adlnet.gov/expapi/verbs/passed': 'passed' },
        rows: [
          { keys: ['mailto:ana@example.com', 'http://adlnet.gov/expapi/verbs/passed'], values: [4, 4] },
          { keys: ['mailto:bo@example.com', 'http://adlnet.gov/expapi/verbs/passed'], values: [2, 2] },
          { keys: ['mailto:ana@example.com', 'http://adlnet.gov/expapi/verbs/failed'], values: [3, 0] },
        ],
      },
      readOptions({}),
    );
    const series = opt.series as ScatterSeriesOption[];
    expect(series.map((s) => s.name)).toEqual(['passed', 'failed']);
    expect(series.map((s) => s.datasetIndex)).toEqual([0, 1]);
    expect((opt.dataset as DatasetComponentOption[])[1]?.source).toEqual([[3, 0, 'mailto:ana@example.com']]);
    expect((opt.legend as { data: string[] }).data).toEqual(['passed', 'failed']);
  });
});
