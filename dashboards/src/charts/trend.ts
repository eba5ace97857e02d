/** Least-squares trend lines over evenly spaced points (the categories of a filled axis). */

export interface Fit {
  slope: number;
  intercept: number;
}

/** The least-squares line through the points (index, value) that have a value; null under two. */
export function leastSquares(values: (number | null)[]): Fit | null {
  let n = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  values.forEach((v, x) => {
    if (v === null || !Number.isFinite(v)) return;
    n += 1;
    sx += x;
    sy += v;
    sxx += x * x;
    sxy += x * v;
  });
  if (n < 2) return null;
  const den = n * sxx - sx * sx;
  if (den === 0) return null;
  const slope = (n * sxy - sx * sy) / den;
  return { slope, intercept: (sy - slope * sx) / n };
}

/** The trend line's value at each index, or null when no line fits. */
export function trendValues(values: (number | null)[]): number[] | null {
  const fit = leastSquares(values);
  if (fit === null) return null;
  return values.map((_, x) => Number((fit.intercept + fit.slope * x).toPrecision(12)));
}
