// The visualisation editor: one widget of every type added through the editor (live preview
// first) on the generated store, then the figures each widget draws compared with the analytics
// API asked the same question over the same period.
import type { Page } from "@playwright/test";
import { test, expect, shot, signIn, env } from "./fixtures";
import type { Session } from "./api";
import { expectAccessible } from "./a11y";

type Query = { kind: string; [k: string]: unknown };
type Widget = { id: string; title: string; type: string; query: Query };
type Row = { keys: string[]; values: (number | null)[]; previous?: (number | null)[] };

const TYPES = ["bar", "column", "line", "pie", "counter", "scatter", "leaderboard", "table", "heatmap", "histogram", "funnel"];

const DAY = 86_400_000;
const now = Date.now();
const FROM = new Date(now - 100 * DAY).toISOString();
const TO = new Date(now + DAY).toISOString();

/** The figures a widget draws (its hidden table): raw keys and values per row. */
async function drawn(page: Page, title: string): Promise<Row[]> {
  const card = page.locator("section.widget", { has: page.getByRole("heading", { name: title, exact: true }) });
  const view = card.locator('[data-testid^="widget-"][data-state]');
  await expect(view).toHaveAttribute("data-state", "ready");
  return card.locator('[data-testid="widget-values"] tbody tr').evaluateAll((trs) =>
    trs.map((tr) => ({
      keys: JSON.parse(tr.getAttribute("data-keys") ?? "[]") as string[],
      values: JSON.parse(tr.getAttribute("data-values") ?? "[]") as (number | null)[],
    })),
  );
}

function close(a: number | null | undefined, b: number | null | undefined): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

async function aggregate(admin: Session, q: Query): Promise<Row[]> {
  const body: Record<string, unknown> = { ...q };
  delete body.kind;
  const a = await admin.call<{ rows: Row[] }>("POST", `/api/v1/stores/${env.store}/aggregate`, { ...body, from: FROM, to: TO, tz: "UTC" });
  return a.rows;
}

/** Every row the API answers is drawn with the same values; what else is drawn is an empty bucket. */
async function expectSameAsApi(admin: Session, w: Widget, rows: Row[]): Promise<void> {
  const api = await aggregate(admin, w.query);
  expect(api.length, `${w.type}: the API has rows`).toBeGreaterThan(0);
  const byKey = new Map(rows.map((r) => [JSON.stringify(r.keys), r]));
  const measure = w.type === "leaderboard" || w.type === "pie" || w.type === "histogram" || w.type === "heatmap" ? 1 : undefined;
  for (const a of api) {
    const d = byKey.get(JSON.stringify(a.keys));
    expect(d, `${w.type}: ${JSON.stringify(a.keys)} is drawn`).toBeDefined();
    const want = measure === undefined ? a.values : a.values.slice(0, measure);
    const got = (d?.values ?? []).slice(0, want.length);
    expect(got.every((v, i) => close(v, want[i])), `${w.type} ${JSON.stringify(a.keys)}: drawn ${JSON.stringify(got)}, API ${JSON.stringify(want)}`).toBe(true);
  }
  const apiKeys = new Set(api.map((a) => JSON.stringify(a.keys)));
  for (const d of rows) {
    if (apiKeys.has(JSON.stringify(d.keys))) continue;
    expect(d.values.every((v) => v === 0 || v === null), `${w.type}: ${JSON.stringify(d.keys)} drawn without data`).toBe(true);
  }
  if (w.type === "leaderboard") expect(rows.map((r) => r.keys)).toEqual(api.map((a) => a.keys));
}

test("one widget of every type, drawn as the aggregate API answers", async ({ page, admin }) => {
  test.setTimeout(300_000);
  const dash = await admin.call<{ id: string }>("POST", `/api/v1/stores/${env.store}/dashboards`, {
    name: "Every visualisation",
    time_range: { from: FROM, to: TO },
    tz: "UTC",
  });
  await signIn(page);
  await page.goto(`/dashboards/${dash.id}`);
  await expect(page.getByRole("heading", { name: "Every visualisation" })).toBeVisible();

  for (const type of TYPES) {
    const title = `My ${type}`;
    await page.getByRole("button", { name: "Add widget" }).first().click();
    const dialog = page.getByRole("dialog");
    await dialog.getByTestId(`type-${type}`).click();
    await dialog.getByLabel("Title", { exact: true }).fill(title);
    if (type === "line") await dialog.getByLabel("Trend line (least squares)").check();
    if (type === "column") await dialog.getByLabel("Stack the series").check();
    const preview = dialog.getByTestId("editor-preview").locator('[data-testid="widget-preview"]');
    await expect(preview).toHaveAttribute("data-state", "ready");
    await shot(page, `editor-${type}`);
    await dialog.getByRole("button", { name: "Add widget" }).click();
    await expect(dialog).toHaveCount(0);
  }
  await page.setViewportSize({ width: 1440, height: 2400 });
  await shot(page, "editor-dashboard");
  await expectAccessible(page, "dashboard with every widget type");

  const d = await admin.call<{ widgets: Widget[] }>("GET", `/api/v1/dashboards/${dash.id}`);
  expect(d.widgets.map((w) => w.type).sort()).toEqual([...TYPES].sort());
  for (const w of d.widgets) {
    if (w.type === "table") {
      const card = page.locator("section.widget", { has: page.getByRole("heading", { name: w.title, exact: true }) });
      const pageSize = (w.query.page_size as number | undefined) ?? 20;
      const api = await admin.call<{ items: unknown[] }>("POST", `/api/v1/stores/${env.store}/statements/query?limit=${pageSize}`, {
        fields: w.query.fields,
        filter: { and: [{ field: "timestamp", range: { gte: FROM, lt: TO } }] },
      });
      await expect(card.locator('[data-testid="statements-table"] tbody tr')).toHaveCount(api.items.length);
      continue;
    }
    const rows = await drawn(page, w.title);
    if (w.type === "funnel") {
      const steps = w.query.steps as { filter: unknown }[];
      const api = await admin.call<{ steps: { count: number }[] }>("POST", `/api/v1/stores/${env.store}/funnel`, {
        steps: steps.map((s) => s.filter),
        by: w.query.by,
        from: FROM,
        to: TO,
        tz: "UTC",
      });
      expect(rows.map((r) => r.values[0])).toEqual(api.steps.map((s) => s.count));
      expect(api.steps[0]?.count ?? 0).toBeGreaterThan(0);
    } else if (w.type === "counter") {
      const [api] = await aggregate(admin, w.query);
      expect(rows[0]?.values[0]).toBe(api?.values[0]);
      expect(rows[0]?.values[1]).toBe(api?.previous?.[0] ?? null);
    } else {
      await expectSameAsApi(admin, w, rows);
    }
  }
});

test("editing a widget changes it in place; names, not IRIs, on the axis", async ({ page, admin }) => {
  const dash = await admin.call<{ id: string }>("POST", `/api/v1/stores/${env.store}/dashboards`, {
    name: "Edit me",
    time_range: { from: FROM, to: TO },
  });
  const w = await admin.call<Widget>("POST", `/api/v1/dashboards/${dash.id}/widgets`, {
    title: "Verbs",
    type: "bar",
    query: { kind: "aggregate", group_by: ["verb"], measures: ["count"] },
  });
  await signIn(page);
  await page.goto(`/dashboards/${dash.id}`);
  await page.getByRole("button", { name: "Edit Verbs" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Title", { exact: true }).fill("Activities");
  await dialog.getByLabel("Group by", { exact: true }).selectOption("activity");
  await expect(dialog.locator('[data-testid="widget-values"] th[scope="row"]').first()).not.toContainText("http");
  await dialog.getByRole("button", { name: "Save widget" }).click();
  await expect(dialog).toHaveCount(0);
  const rows = await drawn(page, "Activities");
  expect(rows.length).toBeGreaterThan(0);
  const labels = await page.locator('section.widget [data-testid="widget-values"] th[scope="row"]').allTextContents();
  expect(labels.some((l) => l === "Workplace Safety")).toBe(true);
  const d = await admin.call<{ widgets: Widget[] }>("GET", `/api/v1/dashboards/${dash.id}`);
  expect(d.widgets).toHaveLength(1);
  expect(d.widgets[0]?.id).toBe(w.id);
  expect(d.widgets[0]?.query).toMatchObject({ group_by: ["activity"] });
});
