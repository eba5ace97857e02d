import { describe, expect, it } from 'vitest';
import type { DatasetComponentOption } from 'echarts';
import { buildHeatmapOption, heatCells } from './heatmap';
import { readOptions } from '../options';
import { agg } from '../__fixtures__/data';

const rows = [
  { keys: ['1', '9'], values: [40] },
  { keys: ['1', '10'], values: [55] },
  { keys: ['5', '16'], values: [12] },
  { keys: ['7', '23'], values: [3] },
];

describe('heatmap', () => {
  it('has all 7 × 24 cells, the missing ones 0', () => {
    const q = agg({ group_by: [{ time: 'weekday' }, { time: 'hour_of_day' }], measures: ['count'] });
    const cells = heatCells(q, { kind: 'aggregate', source: 'raw', names: {}, rows });
    expect(cells).toHaveLength(168);
    expect(cells.find((c) => c.day === 0 && c.hour === 10)?.value).toBe(55);
    expect(cells.find((c) => c.day === 4 && c.hour === 16)?.value).toBe(12);
    expect(cells.find((c) => c.day === 6 && c.hour === 23)?.value).toBe(3);
    expect(cells.filter((c) => c.value > 0)).toHaveLength(4);
  });

  it('reads hour-first rows the same', () => {
    const q = agg({ group_by: [{ time: 'hour_of_day' }, { time: 'weekday' }], measures: ['count'] });
    const swapped = rows.map((r) => ({ keys: [r.keys[1] ?? '', r.keys[0] ?? ''], values: r.values }));
    const cells = heatCells(q, { kind: 'aggregate', source: 'raw', names: {}, rows: swapped });
    expect(cells.find((c) => c.day === 0 && c.hour === 9)?.value).toBe(40);
  });

  it('puts hours along x, Monday to Sunday down y, scaled to the largest cell', () => {
    const q = agg({ group_by: [{ time: 'weekday' }, { time: 'hour_of_day' }], measures: ['count'] });
    const opt = buildHeatmapOption(q, { kind: 'aggregate', source: 'raw', names: {}, rows }, readOptions({ colors: ['#ffffff', '#ff0000'] }));
    const x = opt.xAxis as { data: string[] };
    const y = opt.yAxis as { data: string[]; inverse: boolean };
    expect(x.data).toHaveLength(24);
    expect(x.data[9]).toBe('09');
    expect(y.data).toEqual(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']);
    expect(y.inverse).toBe(true);
    const vm = opt.visualMap as { max: number; inRange: { color: string[] } };
    expect(vm.max).toBe(55);
    expect(vm.inRange.color).toEqual(['#ffffff', '#ff0000']);
    const src = (opt.dataset as DatasetComponentOption).source as number[][];
    expect(src).toContainEqual([10, 0, 55]);
    const tip = (opt.tooltip as { formatter: (p: unknown) => string }).formatter;
    expect(tip({ value: [16, 4, 12] })).toContain('Friday 16:00–17:00');
  });
});
