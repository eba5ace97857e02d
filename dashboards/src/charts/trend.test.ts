import { describe, expect, it } from 'vitest';
import { leastSquares, trendValues } from './trend';

describe('least squares', () => {
  it('finds the line through points on a line', () => {
    expect(leastSquares([1, 3, 5, 7])).toEqual({ slope: 2, intercept: 1 });
  });

  it('fits noisy points and skips missing ones', () => {
    const fit = leastSquares([2, null, 4, 7]);
    // points (0,2) (2,4) (3,7): slope 22/14, intercept (13 - slope*5)/3
    expect(fit?.slope).toBeCloseTo(11 / 7, 10);
    expect(fit?.intercept).toBeCloseTo((13 - (11 / 7) * 5) / 3, 10);
    expect(trendValues([2, null, 4, 7])?.[1]).toBeCloseTo((13 - (11 / 7) * 5) / 3 + 11 / 7, 8);
  });

  it('has no line under two points', () => {
    expect(leastSquares([null, 5])).toBeNull();
    expect(trendValues([])).toBeNull();
  });
});
