// The dashboard screen: drag and resize saved across a reload; the dashboard filter with value
// autocomplete narrows every widget; the time range; live mode redraws after new statements.
import { test, expect, shot, signIn, env } from "./fixtures";
import { postStatements, waitForCount, countStatements } from "./api";
import type { Session } from "./api";
import { expectAccessible } from "./a11y";

type Dash = { id: string; layout: { widget: string; x: number; y: number; w: number; h: number }[]; widgets: { id: string; title: string }[] };

async function counterDashboard(admin: Session, name: string): Promise<Dash> {
  const d = await admin.call<Dash>("POST", `/api/v1/stores/${env.store}/dashboards`, { name, time_range: { preset: "2y" } });
  await admin.call("POST", `/api/v1/dashboards/${d.id}/widgets`, {
    title: "All statements", type: "counter", query: { kind: "aggregate", group_by: [], measures: ["count"] },
    position: { x: 0, y: 0, w: 4, h: 3 },
  });
  await admin.call("POST", `/api/v1/dashboards/${d.id}/widgets`, {
    title: "By verb", type: "bar", query: { kind: "aggregate", group_by: ["verb"], measures: ["count"] },
    position: { x: 4, y: 0, w: 8, h: 5 },
  });
  return admin.call<Dash>("GET", `/api/v1/dashboards/${d.id}`);
}

async function counterValue(page: import("@playwright/test").Page): Promise<number> {
  const body = page.getByRole("region", { name: "All statements", exact: true }).locator(".widget-body");
  if ((await body.locator('[data-state="ready"]').count()) === 0) return -1;
  const m = /\d[\d,]*/.exec(await body.innerText());
  return Number((m?.[0] ?? "").replace(/,/g, ""));
}

test("drag and resize are saved and survive a reload", async ({ page, admin }) => {
  const d = await counterDashboard(admin, "Layout test");
  // The bar chart across the top, the counter below it.
  const bar = d.widgets.find((w) => w.title === "By verb")!;
  const cnt = d.widgets.find((w) => w.title === "All statements")!;
  await admin.call("PUT", `/api/v1/dashboards/${d.id}/layout`, {
    items: [{ widget: bar.id, x: 0, y: 0, w: 12, h: 5 }, { widget: cnt.id, x: 0, y: 5, w: 4, h: 3 }],
  });
  await signIn(page);
  await page.goto(`/dashboards/${d.id}`);
  const counter = d.widgets.find((w) => w.title === "All statements")!;
  const item = page.getByTestId(`grid-item-${counter.id}`);
  await expect(item).toBeVisible();
  const before = await item.boundingBox();
  // Drag the counter by its title bar above the bar chart.
  const head = item.locator(".widget-head h3");
  const hb = (await head.boundingBox())!;
  await page.mouse.move(hb.x + 20, hb.y + 10);
  await page.mouse.down();
  await page.mouse.move(hb.x + 30, hb.y - 150, { steps: 10 });
  await page.mouse.move(hb.x + 30, hb.y - 360, { steps: 10 });
  await page.mouse.up();
  await expect.poll(async () => {
    const saved = await admin.call<Dash>("GET", `/api/v1/dashboards/${d.id}`);
    return saved.layout.find((i) => i.widget === counter.id)?.y;
  }).toBe(0);
  await page.waitForTimeout(400); // the grid's move transition
  // Resize it from its corner handle: wider.
  const handle = item.locator(".react-resizable-handle").first();
  const rb = (await handle.boundingBox())!;
  await page.mouse.move(rb.x + rb.width / 2, rb.y + rb.height / 2);
  await page.mouse.down();
  await page.mouse.move(rb.x + 300, rb.y + 60, { steps: 10 });
  await page.mouse.up();
  await expect.poll(async () => {
    const saved = await admin.call<Dash>("GET", `/api/v1/dashboards/${d.id}`);
    const l = saved.layout.find((i) => i.widget === counter.id);
    return l ? l.y === 0 && l.w > 4 : false;
  }).toBe(true);
  const saved = (await admin.call<Dash>("GET", `/api/v1/dashboards/${d.id}`)).layout.find((l) => l.widget === counter.id)!;
  expect(saved.w).toBeGreaterThan(4);
  const barSaved = (await admin.call<Dash>("GET", `/api/v1/dashboards/${d.id}`)).layout.find((l) => l.widget === bar.id)!;
  expect(barSaved.y).toBeGreaterThanOrEqual(3);
  await page.reload();
  await expect(item).toBeVisible();
  const after = (await item.boundingBox())!;
  expect(after.y).toBeLessThan(before!.y - 100);
  expect(after.width).toBeGreaterThan(before!.width + 100);
  await shot(page, "dashboard-after-drag-resize");
  await expectAccessible(page, "dashboard");
});

test("dashboard filter with autocomplete narrows every widget", async ({ page, admin }) => {
  const d = await counterDashboard(admin, "Filter test");
  const completed = await admin.call<{ rows: { values: number[] }[] }>("POST", `/api/v1/stores/${env.store}/aggregate`, {
    group_by: [], measures: ["count"], filter: { field: "verb", eq: "http://adlnet.gov/expapi/verbs/completed" },
  });
  const want = completed.rows[0]!.values[0]!;
  await signIn(page);
  await page.goto(`/dashboards/${d.id}`);
  await expect(page.locator('[data-state="ready"]')).toHaveCount(2);
  await page.getByRole("button", { name: "Filter", exact: true }).click();
  await page.getByRole("button", { name: "+ Add condition" }).click();
  await page.getByLabel("Value 1", { exact: true }).fill("http://adlnet.gov/expapi/verbs/com");
  const suggestion = page.getByRole("listbox", { name: "Value 1 suggestions" }).getByRole("option", { name: /completed/ });
  await expect(suggestion).toBeVisible();
  await shot(page, "dashboard-filter-autocomplete");
  await expectAccessible(page, "dashboard filter");
  await suggestion.click();
  await expect(page.getByLabel("Value 1", { exact: true })).toHaveValue("http://adlnet.gov/expapi/verbs/completed");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByTestId("filter-summary")).toContainText("Verb is completed");
  await expect.poll(() => counterValue(page)).toBe(want);
  // Saved with the dashboard (an analyst's change): a reload keeps it.
  await page.reload();
  await expect(page.getByTestId("filter-summary")).toContainText("Verb is completed");
  await expect.poll(() => counterValue(page)).toBe(want);
  await shot(page, "dashboard-filtered");
});

test("time range changes what every widget counts", async ({ page, admin }) => {
  const d = await counterDashboard(admin, "Range test");
  await signIn(page);
  await page.goto(`/dashboards/${d.id}`);
  const total = await countStatements(admin, env.store);
  await expect.poll(() => counterValue(page)).toBe(total);
  await page.getByLabel("Time range").selectOption("7d");
  const now = new Date();
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - 6)).toISOString();
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)).toISOString();
  const week = await admin.call<{ rows: { values: number[] }[] }>("POST", `/api/v1/stores/${env.store}/aggregate`, { group_by: [], measures: ["count"], from, to });
  await expect.poll(() => counterValue(page)).toBe(week.rows[0]!.values[0]!);
  expect(week.rows[0]!.values[0]!).toBeLessThan(total);
  await shot(page, "dashboard-7d");

  // A custom range, both days included, in the dashboard's zone (here Tokyo, UTC+9).
  await page.getByLabel("Time zone").selectOption("Asia/Tokyo");
  await page.getByLabel("Time range").selectOption("custom");
  const day = (offset: number) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + offset));
  const ymd = (d: Date) => d.toISOString().slice(0, 10);
  await page.getByLabel("From", { exact: true }).fill(ymd(day(-20)));
  await page.getByLabel("To", { exact: true }).fill(ymd(day(-10)));
  await page.getByRole("button", { name: "Apply" }).click();
  const tokyo = (d: Date) => new Date(d.getTime() - 9 * 3600_000).toISOString();
  const custom = await admin.call<{ rows: { values: number[] }[] }>("POST", `/api/v1/stores/${env.store}/aggregate`, {
    group_by: [], measures: ["count"], from: tokyo(day(-20)), to: tokyo(day(-9)),
  });
  await expect.poll(() => counterValue(page)).toBe(custom.rows[0]!.values[0]!);
  const saved = await admin.call<{ tz: string; time_range: { from: string; to: string } }>("GET", `/api/v1/dashboards/${d.id}`);
  expect(saved.tz).toBe("Asia/Tokyo");
  expect(new Date(saved.time_range.from).toISOString()).toBe(tokyo(day(-20)));
  expect(new Date(saved.time_range.to).toISOString()).toBe(tokyo(day(-9)));
  await shot(page, "dashboard-custom-range");
});

test("live mode redraws within 2 s of new statements", async ({ page, admin }) => {
  const d = await counterDashboard(admin, "Live test");
  await signIn(page);
  await page.goto(`/dashboards/${d.id}`);
  const total = await countStatements(admin, env.store);
  await expect.poll(() => counterValue(page)).toBe(total);
  await page.getByRole("button", { name: "Live" }).click();
  await expect(page.locator(".live-dot.on")).toBeVisible();
  const stmts = Array.from({ length: 5 }, (_, i) => ({
    actor: { mbox: `mailto:live${i}@example.com`, name: `Live ${i}` },
    verb: { id: "http://adlnet.gov/expapi/verbs/experienced", display: { "en-US": "experienced" } },
    object: { id: "https://lms.example.com/courses/safety" },
  }));
  await postStatements(env.url, stmts);
  const acked = Date.now();
  await expect.poll(() => counterValue(page), { timeout: 10_000, intervals: [100] }).toBe(total + 5);
  const elapsed = Date.now() - acked;
  await shot(page, "dashboard-live");
  expect(elapsed).toBeLessThan(2000);
  await waitForCount(admin, env.store, total + 5);
});

test("Add widget opens the visualisation editor", async ({ page, admin }) => {
  const d = await admin.call<{ id: string }>("POST", `/api/v1/stores/${env.store}/dashboards`, { name: "Editor opens" });
  await signIn(page);
  await page.goto(`/dashboards/${d.id}`);
  await page.getByRole("button", { name: "Add widget" }).click();
  await expect(page.getByRole("dialog")).toBeVisible();
  await expect(page.getByText("The widget editor is not part of this build")).toHaveCount(0);
  await shot(page, "editor-open");
  await expectAccessible(page, "visualisation editor");
});
