/**
 * A widget's display options. The server keeps them as free JSON; `readOptions` reads what it
 * understands and leaves the rest at its default, so an old or hand-made widget still draws.
 */

export interface WidgetOptions {
  /** Palette, in series (or slice) order; empty: the default palette. */
  colors: string[];
  /** Colour of one series, by its raw key (a second-dimension value, or `m<index>` for a measure). */
  seriesColors: Record<string, string>;
  /** Display label of a key (an IRI, a value), taking precedence over the names the LRS knows. */
  labels: Record<string, string>;
  /** Display label of each measure, by index. */
  measureLabels: string[];
  xAxisName: string;
  yAxisName: string;
  /** Column and bar: stack the series instead of grouping them. */
  stacked: boolean;
  /** Pie: draw a ring. */
  donut: boolean;
  /** Line: add a least-squares trend line per series. */
  trend: boolean;
  /** Line: fill the area under each line. */
  area: boolean;
  showLegend: boolean;
  /** Write each value on its bar, slice or cell. */
  showValues: boolean;
  /** Digits after the decimal point (null: as many as the value needs, up to 2). */
  decimals: number | null;
  /** Appended to the values shown (e.g. `%`, ` pts`). */
  unit: string;
  /** Leaderboard: how many entries (when the query has no limit). */
  topN: number;
  /** Line and column: measure drawn when a second dimension splits the series. */
  measure: number;
}

export const DEFAULT_OPTIONS: WidgetOptions = {
  colors: [],
  seriesColors: {},
  labels: {},
  measureLabels: [],
  xAxisName: '',
  yAxisName: '',
  stacked: false,
  donut: false,
  trend: false,
  area: false,
  showLegend: true,
  showValues: false,
  decimals: null,
  unit: '',
  topN: 10,
  measure: 0,
};

/** The palette when a widget chooses none: distinct on white and for the common colour blindnesses. */
export const DEFAULT_PALETTE = [
  '#2563eb',
  '#f59e0b',
  '#10b981',
  '#ef4444',
  '#8b5cf6',
  '#06b6d4',
  '#ec4899',
  '#84cc16',
  '#64748b',
  '#b45309',
];

const COLOUR = /^(#[0-9a-fA-F]{3,8}|rgba?\([\d\s.,%]+\)|hsla?\([\d\s.,%deg]+\)|[a-zA-Z]{3,20})$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringMap(v: unknown, valid: (s: string) => boolean): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(v)) return out;
  for (const [k, x] of Object.entries(v)) {
    if (typeof x === 'string' && valid(x)) out[k] = x;
  }
  return out;
}

function stringList(v: unknown, valid: (s: string) => boolean): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && valid(x)) : [];
}

function bool(v: unknown, dflt: boolean): boolean {
  return typeof v === 'boolean' ? v : dflt;
}

function str(v: unknown, max = 200): string {
  return typeof v === 'string' ? v.slice(0, max) : '';
}

function int(v: unknown, min: number, max: number): number | null {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : null;
}

export function isColour(s: string): boolean {
  return COLOUR.test(s.trim());
}

/** Reads a widget's options, ignoring what is not understood. */
export function readOptions(raw: unknown): WidgetOptions {
  if (!isRecord(raw)) return { ...DEFAULT_OPTIONS };
  return {
    colors: stringList(raw.colors, isColour),
    seriesColors: stringMap(raw.seriesColors, isColour),
    labels: stringMap(raw.labels, (s) => s.length > 0),
    measureLabels: Array.isArray(raw.measureLabels)
      ? raw.measureLabels.map((x) => (typeof x === 'string' ? x : ''))
      : [],
    xAxisName: str(raw.xAxisName),
    yAxisName: str(raw.yAxisName),
    stacked: bool(raw.stacked, DEFAULT_OPTIONS.stacked),
    donut: bool(raw.donut, DEFAULT_OPTIONS.donut),
    trend: bool(raw.trend, DEFAULT_OPTIONS.trend),
    area: bool(raw.area, DEFAULT_OPTIONS.area),
    showLegend: bool(raw.showLegend, DEFAULT_OPTIONS.showLegend),
    showValues: bool(raw.showValues, DEFAULT_OPTIONS.showValues),
    decimals: int(raw.decimals, 0, 10),
    unit: str(raw.unit, 20),
    topN: int(raw.topN, 1, 1000) ?? DEFAULT_OPTIONS.topN,
    measure: int(raw.measure, 0, 50) ?? DEFAULT_OPTIONS.measure,
  };
}

/** The colours to draw with: the widget's palette, else the default one. */
export function palette(o: WidgetOptions): string[] {
  return o.colors.length > 0 ? o.colors : DEFAULT_PALETTE;
}
