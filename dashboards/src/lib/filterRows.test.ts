import { describe, expect, it } from "vitest";
import { filterToRows, rowsToFilter, summarize, type Rows } from "./filterRows";

const verb = "http://adlnet.gov/expapi/verbs/completed";

describe("rowsToFilter", () => {
  it("gives null for no rows and the condition itself for one", () => {
    expect(rowsToFilter({ join: "and", rows: [] })).toEqual({ filter: null });
    expect(rowsToFilter({ join: "and", rows: [{ field: "verb", op: "eq", value: verb }] })).toEqual({
      filter: { field: "verb", eq: verb },
    });
  });

  it("joins rows with and/or and types numbers and booleans", () => {
    const r: Rows = {
      join: "or",
      rows: [
        { field: "result.score.scaled", op: "gte", value: "0.8" },
        { field: "result.success", op: "eq", value: "true" },
        { field: "object.id", op: "in", value: "a, b" },
      ],
    };
    expect(rowsToFilter(r)).toEqual({
      filter: {
        or: [
          { field: "result.score.scaled", range: { gte: 0.8 } },
          { field: "result.success", eq: true },
          { field: "object.id", in: ["a", "b"] },
        ],
      },
    });
  });

  it("names what is missing", () => {
    expect(rowsToFilter({ join: "and", rows: [{ field: "verb", op: "eq", value: " " }] })).toEqual({
      error: "enter a value for Verb",
    });
    expect(rowsToFilter({ join: "and", rows: [{ field: "result.score.raw", op: "lt", value: "x" }] })).toEqual({
      error: "Raw score: expected a number",
    });
  });

  it("writes is-not as not, presence as exists", () => {
    const r: Rows = { join: "and", rows: [{ field: "verb", op: "neq", value: verb }, { field: "registration", op: "missing", value: "" }] };
    expect(rowsToFilter(r)).toEqual({
      filter: { and: [{ not: { field: "verb", eq: verb } }, { field: "registration", exists: false }] },
    });
  });
});

describe("filterToRows", () => {
  it("reads back what rowsToFilter writes", () => {
    const r: Rows = {
      join: "and",
      rows: [
        { field: "verb", op: "neq", value: verb },
        { field: "result.score.scaled", op: "lt", value: "0.5" },
        { field: "object.id", op: "in", value: "a, b" },
        { field: "actor", op: "prefix", value: "mbox:" },
        { field: "result.completion", op: "exists", value: "" },
      ],
    };
    const f = rowsToFilter(r);
    if (!("filter" in f)) throw new Error("no filter");
    expect(filterToRows(f.filter)).toEqual(r);
  });

  it("refuses nested shapes it cannot show as rows", () => {
    expect(filterToRows({ and: [{ or: [{ field: "verb", eq: "x" }] }] })).toBeNull();
    expect(filterToRows({ field: "verb", eq: "x", prefix: "y" })).toBeNull();
  });

  it("summarizes with names", () => {
    const s = summarize({ join: "and", rows: [{ field: "verb", op: "eq", value: verb }] }, (v) => (v === verb ? "completed" : v));
    expect(s).toBe("Verb is completed");
  });
});
