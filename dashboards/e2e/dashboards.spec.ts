// Dashboards list: create blank, rename, duplicate, delete with confirmation; one dashboard from
// each template, whose widgets the server created.
import { test, expect, shot, signIn, env } from "./fixtures";
import { expectAccessible } from "./a11y";

test("empty state, create, rename, duplicate, delete", async ({ page, admin }) => {
  const existing = await admin.call<{ items: { id: string }[] }>("GET", `/api/v1/stores/${env.store}/dashboards`);
  for (const d of existing.items) await admin.call("DELETE", `/api/v1/dashboards/${d.id}`);
  await signIn(page);
  await expect(page.getByRole("heading", { name: "No dashboards yet" })).toBeVisible();
  await shot(page, "dashboards-empty");
  await expectAccessible(page, "dashboards, empty");

  await page.getByRole("button", { name: "Blank dashboard" }).click();
  await page.getByRole("dialog").getByLabel("Name").fill("Quarterly review");
  await page.getByRole("dialog").getByRole("button", { name: "Create" }).click();
  await expect(page.getByRole("heading", { name: "Quarterly review" })).toBeVisible();
  await expect(page.getByText("This dashboard has no widgets yet")).toBeVisible();

  await page.getByRole("link", { name: "← Dashboards" }).click();
  await page.getByRole("button", { name: "Rename Quarterly review" }).click();
  await page.getByRole("dialog").getByLabel("Name").fill("Q3 review");
  await page.getByRole("dialog").getByRole("button", { name: "Rename" }).click();
  await expect(page.getByRole("link", { name: "Q3 review" })).toBeVisible();

  await page.getByRole("button", { name: "Duplicate Q3 review" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Duplicate" }).click();
  await expect(page.getByRole("link", { name: "Q3 review (copy)" })).toBeVisible();
  await shot(page, "dashboards-list");
  await expectAccessible(page, "dashboards");

  await page.getByRole("button", { name: "Delete Q3 review (copy)" }).click();
  await expect(page.getByRole("dialog")).toContainText("Delete Q3 review (copy)");
  await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
  await expect(page.getByRole("link", { name: "Q3 review (copy)" })).toHaveCount(0);
  const after = await admin.call<{ items: { name: string }[] }>("GET", `/api/v1/stores/${env.store}/dashboards`);
  expect(after.items.map((d) => d.name)).toEqual(["Q3 review"]);
});

test("one dashboard from each template", async ({ page, admin }) => {
  const templates = await admin.call<{ items: { id: string; name: string }[] }>("GET", "/api/v1/dashboard-templates");
  expect(templates.items.length).toBeGreaterThanOrEqual(7);
  await signIn(page);
  for (const t of templates.items) {
    await page.goto(`/?store=${env.store}`);
    await page.getByRole("button", { name: /From a template|Start from a template/ }).first().click();
    await page.getByRole("option", { name: new RegExp(t.name) }).click();
    await page.getByRole("dialog").getByLabel(/^Name/).fill(`From ${t.name}`);
    if (t.id === templates.items[0]?.id) await shot(page, "template-picker");
    await page.getByRole("button", { name: "Create dashboard" }).click();
    await page.waitForURL(/\/dashboards\/[0-9a-f-]+$/);
    await expect(page.getByRole("heading", { level: 1, name: `From ${t.name}` })).toBeVisible();
    const id = page.url().split("/dashboards/")[1] ?? "";
    const d = await admin.call<{ widgets: { id: string; title: string }[] }>("GET", `/api/v1/dashboards/${id}`);
    expect(d.widgets.length).toBeGreaterThan(0);
    for (const w of d.widgets) await expect(page.getByTestId(`grid-item-${w.id}`).getByRole("region", { name: w.title, exact: true })).toBeVisible();
    // Every widget settles (drawn, empty or an error the server explained).
    await expect(page.locator('[data-state="loading"]')).toHaveCount(0, { timeout: 30_000 });
    await shot(page, `template-${t.id}`);
  }
});
