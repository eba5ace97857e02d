import { describe, expect, it } from "vitest";
import { customRange, dayOf, midnight, rangeLabel, resolveRange } from "./timeRange";

const now = new Date("2026-03-31T10:30:00Z");

describe("resolveRange", () => {
  it("covers today in UTC", () => {
    const r = resolveRange({ preset: "today" }, "UTC", now);
    expect(r.from.toISOString()).toBe("2026-03-31T00:00:00.000Z");
    expect(r.to.toISOString()).toBe("2026-04-01T00:00:00.000Z");
  });

  it("counts today and the 6 days before for 7d", () => {
    const r = resolveRange({ preset: "7d" }, "UTC", now);
    expect(r.from.toISOString()).toBe("2026-03-25T00:00:00.000Z");
  });

  it("resolves days in the time zone, across a DST change", () => {
    // Paris moved to summer time on 29 March 2026: midnight is 22:00Z after, 23:00Z before.
    const r = resolveRange({ preset: "7d" }, "Europe/Paris", now);
    expect(r.to.toISOString()).toBe("2026-03-31T22:00:00.000Z");
    expect(r.from.toISOString()).toBe("2026-03-24T23:00:00.000Z");
  });

  it("clamps month arithmetic to the month's last day", () => {
    const r = resolveRange({ preset: "6m" }, "UTC", now);
    expect(r.from.toISOString()).toBe("2025-09-30T00:00:00.000Z");
    const y = resolveRange({ preset: "2y" }, "UTC", now);
    expect(y.from.toISOString()).toBe("2024-03-31T00:00:00.000Z");
  });

  it("uses the day of the zone, not of UTC", () => {
    // 11:30Z on 31 March is already 1 April in Auckland (UTC+13).
    const r = resolveRange({ preset: "today" }, "Pacific/Auckland", new Date("2026-03-31T11:30:00Z"));
    expect(dayOf(r.from, "Pacific/Auckland")).toBe("2026-04-01");
  });

  it("passes custom ranges through", () => {
    const r = resolveRange({ from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z" }, "UTC", now);
    expect(r.to.toISOString()).toBe("2026-02-01T00:00:00.000Z");
  });
});

describe("customRange", () => {
  it("includes both days, in the zone", () => {
    expect(customRange("2026-01-01", "2026-01-31", "America/New_York")).toEqual({
      from: "2026-01-01T05:00:00.000Z",
      to: "2026-02-01T05:00:00.000Z",
    });
  });

  it("refuses an empty or malformed range", () => {
    expect(customRange("2026-02-01", "2026-01-01", "UTC")).toBeNull();
    expect(customRange("yesterday", "2026-01-01", "UTC")).toBeNull();
  });
});

describe("labels", () => {
  it("names presets and shows custom days inclusively", () => {
    expect(rangeLabel({ preset: "90d" }, "UTC")).toBe("Last 90 days");
    expect(rangeLabel({ from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z" }, "UTC")).toBe("1 Jan 2026 – 31 Jan 2026");
  });

  it("finds midnight in a zone", () => {
    expect(midnight(2026, 7, 1, "Asia/Tokyo").toISOString()).toBe("2026-06-30T15:00:00.000Z");
  });
});
