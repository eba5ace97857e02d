import { describe, expect, it } from 'vitest';
import { counterModel } from './counter';
import { leaderboard } from './leaderboard';
import { cellText, tableColumns, tableRows } from './table';
import { readOptions } from '../options';
import { agg } from '../__fixtures__/data';

describe('counter', () => {
  it('gives the value and its change against the previous period', () => {
    const c = counterModel({ kind: 'aggregate', source: 'raw', names: {}, rows: [{ keys: [], values: [1250], previous: [1000] }] });
    expect(c).toEqual({ value: 1250, previous: 1000, change: 250, changePct: 25, direction: 'up' });
    const down = counterModel({ kind: 'aggregate', source: 'raw', names: {}, rows: [{ keys: [], values: [0.62], previous: [0.7] }] });
    expect(down.change).toBe(-0.08);
    expect(down.changePct).toBe(-11.4);
    expect(down.direction).toBe('down');
  });

  it('has no change without a previous period, and no percentage against 0', () => {
    expect(counterModel({ kind: 'aggregate', source: 'raw', names: {}, rows: [{ keys: [], values: [7] }] })).toMatchObject({
      value: 7,
      previous: null,
      change: null,
      direction: 'unknown',
    });
    expect(counterModel({ kind: 'aggregate', source: 'raw', names: {}, rows: [{ keys: [], values: [7], previous: [0] }] })).toMatchObject({
      change: 7,
      changePct: null,
      direction: 'up',
    });
    expect(counterModel({ kind: 'aggregate', source: 'raw', names: {}, rows: [] }).value).toBeNull();
  });
});

describe('leaderboard', () => {
  // Actor keys as the server gives them; people are shown by their address.
  const names = {};
  const data = {
    kind: 'aggregate' as const, source: 'raw',
    names,
    rows: [
      { keys: ['mbox:mailto:bo@example.com'], values: [12, 3] },
      { keys: ['mbox:mailto:ana@example.com'], values: [40, 9] },
      { keys: ['mbox:mailto:cy@example.com'], values: [12, 5] },
      { keys: ['mbox:mailto:di@example.com'], values: [2, 1] },
    ],
  };

  it('ranks by the order measure, keeps the top N, ties share a rank', () => {
    const q = agg({ group_by: ['actor'], measures: ['count', 'completions'], order_by: { measure: 0, dir: 'desc' }, limit: 3 });
    const e = leaderboard(q, data, readOptions({}));
    expect(e.map((x) => [x.rank, x.label, x.value])).toEqual([
      [1, 'ana@example.com', 40],
      [2, 'bo@example.com', 12],
      [2, 'cy@example.com', 12],
    ]);
    expect(e[0]?.detail).toBe('mbox:mailto:ana@example.com');
    expect(e[1]?.ratio).toBeCloseTo(0.3, 10);
  });

  it('ranks by another measure ascending and takes topN from the options', () => {
    const q = agg({ group_by: ['actor'], measures: ['count', 'completions'], order_by: { measure: 1, dir: 'asc' } });
    const e = leaderboard(q, data, readOptions({ topN: 2 }));
    expect(e.map((x) => [x.key, x.value])).toEqual([
      ['mbox:mailto:di@example.com', 1],
      ['mbox:mailto:bo@example.com', 3],
    ]);
  });
});

describe('statements table', () => {
  it('labels the chosen fields and formats times', () => {
    expect(tableColumns(['timestamp', 'verb', 'result.score.scaled'], { verb: 'Did' })).toEqual([
      { field: 'timestamp', label: 'Timestamp' },
      { field: 'verb', label: 'Did' },
      { field: 'result.score.scaled', label: 'Score (scaled)' },
    ]);
    const rows = tableRows(['timestamp', 'verb', 'result.success'], {
      kind: 'statements',
      next_cursor: null,
      items: [{ seq: 1, timestamp: 1_764_590_400_000_000, verb: 'http://adlnet.gov/expapi/verbs/passed', 'result.success': true }],
    });
    expect(rows).toEqual([['2025-12-01 12:00:00 UTC', 'http://adlnet.gov/expapi/verbs/passed', 'true']]);
    expect(cellText('result.score.raw', null)).toBe('');
    expect(cellText('context.extensions.http://x/e', { a: 1 })).toBe('{"a":1}');
  });
});
