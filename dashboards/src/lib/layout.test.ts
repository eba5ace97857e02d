import { describe, expect, it } from "vitest";
import { fromGrid, sameLayout, toGrid } from "./layout";

describe("layout", () => {
  it("keeps listed places and puts unlisted widgets below", () => {
    const g = toGrid([{ widget: "a", x: 6, y: 0, w: 6, h: 3 }], [{ id: "a" }, { id: "b" }, { id: "c" }]);
    expect(g).toEqual([
      { i: "a", x: 6, y: 0, w: 6, h: 3 },
      { i: "b", x: 0, y: 3, w: 6, h: 4 },
      { i: "c", x: 0, y: 7, w: 6, h: 4 },
    ]);
    expect(fromGrid(g)[1]).toEqual({ widget: "b", x: 0, y: 3, w: 6, h: 4 });
  });

  it("compares layouts regardless of order", () => {
    const a = [{ widget: "a", x: 0, y: 0, w: 1, h: 1 }, { widget: "b", x: 1, y: 0, w: 1, h: 1 }];
    expect(sameLayout(a, [...a].reverse())).toBe(true);
    expect(sameLayout(a, [{ ...a[0]!, w: 2 }, a[1]!])).toBe(false);
  });
});

import { fitRowHeight } from "./layout";

describe("fitRowHeight", () => {
  it("shares the frame's height between the rows and margins", () => {
    // 8 rows and 9 margins of 10 px in 600 px: (600 - 90) / 8 = 63.75.
    expect(fitRowHeight(600, 8)).toBe(63);
    expect(fitRowHeight(600, 0)).toBe(580);
  });

  it("keeps rows readable in a small frame", () => {
    expect(fitRowHeight(200, 10)).toBe(40);
  });
});
