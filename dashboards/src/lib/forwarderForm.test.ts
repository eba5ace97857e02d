import { describe, expect, it } from "vitest";
import type { Forwarder } from "../api/forwarders";
import { EMPTY_VALUES, createBody, formatLag, updateBody, valuesOf } from "./forwarderForm";

const stored: Forwarder = {
  id: "f1",
  store: "s1",
  name: "Consortium",
  filter: { field: "verb", eq: "http://adlnet.gov/expapi/verbs/completed" } as unknown as Record<string, never>,
  batch_size: 50,
  enabled: true,
  created: "2026-01-01T00:00:00Z",
  updated: "2026-01-01T00:00:00Z",
  target: { type: "xapi", url: "https://lrs.example.org/xapi/", version: "1.0.3", auth: "basic", user: "key", header_names: ["X-Tenant"] },
  status: {
    cursor: 0, head: 0, lag_statements: 0, lag_capped: false, lag_seconds: 0,
    consecutive_failures: 0, dead_letters: 0, delivered: 0,
  },
};

describe("forwarder form", () => {
  it("starts an edit from the stored forwarder without any secret", () => {
    const v = valuesOf(stored);
    expect(v).toMatchObject({ name: "Consortium", kind: "xapi", url: "https://lrs.example.org/xapi/", version: "1.0.3", auth: "basic", user: "key", password: "", batchSize: "50" });
    expect(v.headers).toEqual([{ name: "X-Tenant", value: "" }]);
    expect(JSON.parse(v.filter)).toEqual(stored.filter);
  });

  it("leaves blank secrets out of a change, so that the stored ones are kept", () => {
    const r = updateBody(valuesOf(stored));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.body.target).toEqual({
      type: "xapi", endpoint: "https://lrs.example.org/xapi/", version: "1.0.3",
      auth: { type: "basic", user: "key", password: undefined }, headers: [{ name: "X-Tenant", value: undefined }],
    });
    const typed = updateBody({ ...valuesOf(stored), password: "new-password" });
    expect(typed.ok && typed.body.target).toMatchObject({ auth: { type: "basic", user: "key", password: "new-password" } });
  });

  it("builds a webhook target with its secret, and drops header rows without a name", () => {
    const r = createBody({
      ...EMPTY_VALUES, name: " Hook ", kind: "webhook", url: " https://hooks.example.org/in ", secret: "0123456789abcdef",
      headers: [{ name: "", value: "x" }, { name: "X-A", value: "1" }],
    });
    expect(r).toEqual({
      ok: true,
      body: { name: "Hook", filter: null, batch_size: 100, target: { type: "webhook", url: "https://hooks.example.org/in", secret: "0123456789abcdef", headers: [{ name: "X-A", value: "1" }] } },
    });
  });

  it("names a filter that is not JSON, or not an object, and a bad batch size", () => {
    expect(createBody({ ...EMPTY_VALUES, filter: "{nope" })).toMatchObject({ ok: false, field: "filter" });
    expect(createBody({ ...EMPTY_VALUES, filter: "[1]" })).toMatchObject({ ok: false, field: "filter" });
    expect(createBody({ ...EMPTY_VALUES, batchSize: "0" })).toMatchObject({ ok: false, field: "batch" });
    expect(createBody({ ...EMPTY_VALUES, batchSize: "2.5" })).toMatchObject({ ok: false, field: "batch" });
  });

  it("sends a bearer token or no auth at all", () => {
    const bearer = createBody({ ...EMPTY_VALUES, auth: "bearer", token: "t0k" });
    expect(bearer.ok && bearer.body.target).toMatchObject({ auth: { type: "bearer", token: "t0k" } });
    const none = createBody({ ...EMPTY_VALUES, auth: "none", user: "ignored" });
    expect(none.ok && none.body.target).toMatchObject({ auth: { type: "none" } });
  });

  it("writes lags for people", () => {
    expect(formatLag(0.4)).toBe("0 s");
    expect(formatLag(185)).toBe("3 min 5 s");
    expect(formatLag(7440)).toBe("2 h 4 min");
  });
});
