import { describe, expect, it } from "vitest";
import { countConditions, emptyTree, filterToTree, newCond, treeToFilter, updateAt, type Group } from "./filterTree";
import { exportBody, exportProblem, exportUrl } from "./exportRequest";
import { filterOn, parseFilterParam, withFilter } from "./filterParam";
import { fieldLabelOf, splitExtension, suggestsValues } from "./filterFields";

const VERB = "http://adlnet.gov/expapi/verbs/completed";

describe("filter tree", () => {
  it("turns nested and / or / not groups into the filter language and back", () => {
    const tree: Group = {
      kind: "group",
      join: "and",
      negate: false,
      children: [
        { kind: "cond", field: "verb", op: "eq", value: VERB },
        {
          kind: "group",
          join: "or",
          negate: true,
          children: [
            { kind: "cond", field: "result.score.scaled", op: "gte", value: "0.8" },
            { kind: "cond", field: "result.success", op: "eq", value: "false" },
          ],
        },
        { kind: "cond", field: "context.extensions.https://x/cohort", op: "in", value: "a, b" },
        { kind: "cond", field: "timestamp", op: "lt", value: "2026-01-01T00:00:00Z" },
        { kind: "cond", field: "registration", op: "missing", value: "" },
        { kind: "cond", field: "actor", op: "neq", value: "mbox:mailto:a@b.c" },
      ],
    };
    const r = treeToFilter(tree);
    const want = {
      and: [
        { field: "verb", eq: VERB },
        { not: { or: [{ field: "result.score.scaled", range: { gte: 0.8 } }, { field: "result.success", eq: false }] } },
        { field: "context.extensions.https://x/cohort", in: ["a", "b"] },
        { field: "timestamp", range: { lt: "2026-01-01T00:00:00Z" } },
        { field: "registration", exists: false },
        { not: { field: "actor", eq: "mbox:mailto:a@b.c" } },
      ],
    };
    expect(r).toEqual({ filter: want });
    expect(filterToTree(want)).toEqual(tree);
    expect(countConditions(tree)).toBe(7);
  });

  it("names the first problem with its place", () => {
    const tree: Group = {
      kind: "group", join: "and", negate: false, children: [
        newCond(),
      ],
    };
    expect(treeToFilter(tree)).toEqual({ error: "Condition 1: enter a value for Verb" });
    const nested: Group = { kind: "group", join: "or", negate: false, children: [
      { kind: "cond", field: "verb", op: "eq", value: VERB },
      { kind: "group", join: "and", negate: false, children: [{ kind: "cond", field: "timestamp", op: "gt", value: "soon" }] },
    ] };
    expect(treeToFilter(nested)).toEqual({ error: "Condition 2.1: Timestamp expects a date and time, e.g. 2026-01-31T00:00:00Z" });
    expect(treeToFilter(emptyTree())).toEqual({ filter: null });
  });

  it("leaves to JSON what the builder cannot show", () => {
    expect(filterToTree({ field: "timestamp", range: { gte: "2026-01-01T00:00:00Z", lt: "2026-02-01T00:00:00Z" } })).toBeNull();
    expect(filterToTree(null)).toEqual(emptyTree());
    // A single negated condition becomes a negated group.
    expect(filterToTree({ not: { field: "verb", prefix: "http" } })).toEqual({
      kind: "group", join: "and", negate: true, children: [{ kind: "cond", field: "verb", op: "prefix", value: "http" }],
    });
  });

  it("edits, adds into and removes nodes by path", () => {
    let t: Group = { kind: "group", join: "and", negate: false, children: [newCond(), emptyTree()] };
    t = updateAt(t, [1], (g) => (g.kind === "group" ? { ...g, children: [...g.children, newCond()] } : g));
    t = updateAt(t, [1, 0], (c) => ({ ...c, value: "x" }) as typeof c);
    expect((t.children[1] as Group).children[0]).toMatchObject({ value: "x" });
    t = updateAt(t, [0], () => null);
    expect(t.children).toHaveLength(1);
  });
});

describe("fields", () => {
  it("knows extension paths and which fields suggest values", () => {
    expect(splitExtension("object.definition.extensions.http://x/y")).toEqual({ container: "object.definition.extensions", iri: "http://x/y" });
    expect(fieldLabelOf("result.extensions.http://x/y")).toBe("Result extension http://x/y");
    expect(suggestsValues("context.parent")).toBe(true);
    expect(suggestsValues("result.score.raw")).toBe(false);
    expect(suggestsValues("persona")).toBe(false);
  });
});

describe("filter in the URL", () => {
  it("round-trips and refuses what is not a filter", () => {
    const url = withFilter("/explorer", "s1", filterOn("verb", VERB));
    const q = new URLSearchParams(url.split("?")[1]);
    expect(q.get("store")).toBe("s1");
    expect(parseFilterParam(q.get("filter"))).toEqual({ field: "verb", eq: VERB });
    expect(parseFilterParam("[1]")).toBeNull();
    expect(parseFilterParam("{")).toBeNull();
    expect(withFilter("/exports", null, null)).toBe("/exports");
  });
});

describe("export request", () => {
  it("builds the streamed download's address", () => {
    const c = { format: "csv" as const, fields: ["actor", "timestamp"], tz: "Europe/Paris", order: "desc" as const, filter: filterOn("verb", VERB) };
    const url = new URL(exportUrl("s 1", c), "http://h");
    expect(url.pathname).toBe("/api/v1/stores/s%201/statements/export");
    expect(url.searchParams.get("format")).toBe("csv");
    expect(JSON.parse(url.searchParams.get("request")!)).toEqual({
      tz: "Europe/Paris", order: "desc", filter: { field: "verb", eq: VERB }, fields: ["actor", "timestamp"],
    });
    expect(exportBody({ ...c, format: "statements", filter: null })).toEqual({ tz: "Europe/Paris", order: "desc" });
    expect(exportProblem({ ...c, fields: [] })).toMatch(/at least one field/);
    expect(exportProblem({ ...c, format: "statements", fields: [] })).toBeNull();
  });
});
