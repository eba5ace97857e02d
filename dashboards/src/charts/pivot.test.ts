import { describe, expect, it } from 'vitest';
import { pivot, orderKeys } from './pivot';
import { readOptions } from './options';
import { A, NAMES, V, agg, byDayVerb, byVerb } from './__fixtures__/data';

const o = readOptions({});

describe('pivot', () => {
  it('orders unordered categories by size and names them', () => {
    const p = pivot(agg({ group_by: ['verb'], measures: ['count'] }), byVerb, o);
    expect(p.categories).toEqual([V.answered, V.launched, V.completed, V.passed]);
    expect(p.labels).toEqual(['answered', 'launched', 'completed', 'passed']);
    expect(p.details[1]).toBe(V.launched);
    expect(p.series).toHaveLength(1);
    expect(p.series[0]?.values).toEqual([1208, 412, 230, 190]);
  });

  it('keeps the server order when the query orders by a measure', () => {
    const q = agg({ group_by: ['verb'], measures: ['count'], order_by: { measure: 0, dir: 'asc' } });
    const p = pivot(q, byVerb, o);
    expect(p.categories).toEqual([V.launched, V.completed, V.answered, V.passed]);
  });

  it('splits series by the second dimension and fills missing days with zeros', () => {
    const q = agg({ group_by: [{ time: 'day' }, 'verb'], measures: ['count'] });
    const p = pivot(q, byDayVerb, o);
    expect(p.categories).toEqual(['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04']);
    expect(p.series.map((s) => s.key)).toEqual([V.completed, V.passed]);
    expect(p.series.map((s) => s.label)).toEqual(['completed', 'passed']);
    expect(p.series[0]?.values).toEqual([12, 15, 0, 20]);
    expect(p.series[1]?.values).toEqual([9, 0, 0, 14]);
  });

  it('leaves averages of empty buckets empty, not zero', () => {
    const q = agg({ group_by: [{ time: 'day' }], measures: ['count', { avg: 'result.score.scaled' }] });
    const data = {
      kind: 'aggregate' as const, source: 'raw', names: {},
      rows: [
        { keys: ['2026-11-01'], values: [3, 0.5] },
        { keys: ['2026-11-03'], values: [2, 0.75] },
      ],
    };
    const p = pivot(q, data, o);
    expect(p.series[0]?.values).toEqual([3, 0, 2]);
    expect(p.series[1]?.values).toEqual([0.5, null, 0.75]);
    expect(p.series[1]?.label).toBe('Average score (scaled)');
  });

  it('uses the widget labels before the LRS names', () => {
    const p = pivot(
      agg({ group_by: ['activity'], measures: ['count'] }),
      { kind: 'aggregate', source: 'raw', names: NAMES, rows: [{ keys: [A.final], values: [3] }] },
      readOptions({ labels: { [A.final]: 'The big one' } }),
    );
    expect(p.labels).toEqual(['The big one']);
  });
});

describe('orderKeys', () => {
  it('fills hours, weeks and months', () => {
    expect(orderKeys({ time: 'hour' }, ['2026-03-01 23:00:00', '2026-03-02 01:00:00'], () => 0, false)).toEqual([
      '2026-03-01 23:00:00',
      '2026-03-02 00:00:00',
      '2026-03-02 01:00:00',
    ]);
    expect(orderKeys({ time: 'week' }, ['2026-11-16', '2026-11-02'], () => 0, false)).toEqual([
      '2026-11-02',
      '2026-11-09',
      '2026-11-16',
    ]);
    expect(orderKeys({ time: 'month' }, ['2026-12-01', '2027-02-01'], () => 0, false)).toEqual([
      '2026-12-01',
      '2027-01-01',
      '2027-02-01',
    ]);
  });

  it('gives every weekday and hour of the day', () => {
    expect(orderKeys({ time: 'weekday' }, ['3'], () => 0, false)).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    expect(orderKeys({ time: 'hour_of_day' }, [], () => 0, false)).toHaveLength(24);
  });

  it('fills numeric buckets, keeping the server text of the ones it has', () => {
    const keys = orderKeys(
      { bucket: { path: 'result.score.scaled', width: 0.1 } },
      ['0.9', '0.30000000000000004', '0.5'],
      () => 0,
      false,
    );
    expect(keys).toEqual(['0.30000000000000004', '0.4', '0.5', '0.6', '0.7', '0.8', '0.9']);
  });
});
