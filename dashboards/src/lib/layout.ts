// Layout helpers: the dashboard's layout items <-> the grid's, with a place for widgets the
// layout does not list yet (below everything).
import type { LayoutItem, Widget } from "../api/types";

export type GridItem = { i: string; x: number; y: number; w: number; h: number };

export function toGrid(layout: LayoutItem[], widgets: { id: string }[]): GridItem[] {
  const byId = new Map(layout.map((l) => [l.widget, l]));
  let bottom = layout.reduce((m, l) => Math.max(m, l.y + l.h), 0);
  return widgets.map((w) => {
    const l = byId.get(w.id);
    if (l) return { i: w.id, x: l.x, y: l.y, w: Math.max(1, l.w), h: Math.max(1, l.h) };
    const item = { i: w.id, x: 0, y: bottom, w: 6, h: 4 };
    bottom += 4;
    return item;
  });
}

export function fromGrid(items: readonly GridItem[]): LayoutItem[] {
  return items.map((g) => ({ widget: g.i, x: g.x, y: g.y, w: g.w, h: g.h }));
}

/** Whether two layouts place every widget the same. */
export function sameLayout(a: LayoutItem[], b: LayoutItem[]): boolean {
  const key = (l: LayoutItem[]) => JSON.stringify([...l].sort((p, q) => p.widget.localeCompare(q.widget)).map((i) => [i.widget, i.x, i.y, i.w, i.h]));
  return key(a) === key(b);
}

export type { Widget };

/** The grid row height that fits `rows` rows (with `margin` between and around them) into a
 * frame `height` pixels high, never below `min` so widgets stay readable (the frame scrolls). */
export function fitRowHeight(height: number, rows: number, margin = 10, min = 40): number {
  const n = Math.max(1, rows);
  return Math.max(min, Math.floor((height - margin * (n + 1)) / n));
}
