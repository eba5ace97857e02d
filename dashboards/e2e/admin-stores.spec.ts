// Administration, stores and clients: create a store and a client in the browser, send a
// statement with the client's credentials and see it counted; rotate the secret (the old one is
// refused, the new one works); disable the client and see its credentials refused. Axe on each
// screen; screenshots for docs/administration.md.
import { test, expect, shot, signIn, env } from "./fixtures";
import { expectAccessible } from "./a11y";
import type { Page } from "@playwright/test";

const STATEMENT = {
  actor: { mbox: "mailto:ada@example.com", name: "Ada" },
  verb: { id: "http://adlnet.gov/expapi/verbs/completed", display: { "en-US": "completed" } },
  object: { id: "https://example.com/course/admin-e2e" },
};

async function send(key: string, secret: string): Promise<number> {
  const res = await fetch(`${env.url}/xapi/statements`, {
    method: "POST",
    headers: {
      Authorization: `Basic ${Buffer.from(`${key}:${secret}`).toString("base64")}`,
      "X-Experience-API-Version": "1.0.3",
      "Content-Type": "application/json",
    },
    body: JSON.stringify(STATEMENT),
  });
  await res.text();
  return res.status;
}

async function docShot(page: Page, name: string): Promise<void> {
  await shot(page, name);
  await page.screenshot({ path: `../docs/img/${name}.png` });
}

/** Reads the key and secret from the dialog shown once, then closes it. */
async function readSecret(page: Page): Promise<{ key: string; secret: string }> {
  const dialog = page.getByRole("dialog");
  const key = (await dialog.getByTestId("client-key").textContent()) ?? "";
  const secret = (await dialog.getByTestId("client-secret").textContent()) ?? "";
  expect(key.length).toBeGreaterThan(10);
  expect(secret.length).toBeGreaterThanOrEqual(16);
  return { key, secret };
}

test("a store and a client made in the browser take statements; rotate and disable refuse old credentials", async ({ page }) => {
  await signIn(page);
  await page.getByRole("navigation", { name: "Screens" }).getByRole("link", { name: "Administration" }).click();
  await expect(page).toHaveURL(/\/admin\/stores$/);
  await expect(page.getByRole("heading", { name: "Stores" })).toBeVisible();
  await expectAccessible(page, "stores");

  // Create a store.
  await page.getByRole("button", { name: "New store" }).click();
  await page.getByLabel("Name").fill("Onboarding courses");
  await page.getByLabel("Organisation").selectOption(env.org);
  await docShot(page, "admin-new-store");
  await page.getByRole("button", { name: "Create store" }).click();
  await expect(page.getByRole("heading", { name: "Onboarding courses" })).toBeVisible();
  await expect(page.getByTestId("statement-count")).toHaveText("0");
  await expect(page.getByText("This store has no statements yet")).toBeVisible();
  await expect(page.locator("pre.code")).toContainText("curl -u CLIENT_KEY:CLIENT_SECRET");
  await expect(page.locator("pre.code")).toContainText(`${env.url}/xapi/statements`);
  await expect(page.getByText("No client yet")).toBeVisible();
  await expectAccessible(page, "empty store");
  await docShot(page, "admin-empty-store");

  // Create a client with chosen scopes; its secret is shown once.
  await page.getByRole("button", { name: "New client" }).click();
  await page.getByLabel("Name").fill("Moodle production");
  await page.getByRole("checkbox", { name: /^statements\/read read every/ }).check();
  await expectAccessible(page, "new client dialog");
  await docShot(page, "admin-new-client");
  await page.getByRole("button", { name: "Create client" }).click();
  await expect(page.getByRole("dialog", { name: "Client Moodle production created" })).toBeVisible();
  const first = await readSecret(page);
  await expect(page.getByRole("dialog").locator("pre.code")).toContainText(`curl -u ${first.key}:${first.secret}`);
  await expectAccessible(page, "client secret dialog");
  await docShot(page, "admin-client-secret");
  await page.getByRole("button", { name: "I have copied the secret" }).click();
  const row = page.getByRole("row", { name: /Moodle production/ });
  await expect(row).toContainText(first.key);
  await expect(row).toContainText("statements/read");
  await expect(row).toContainText("enabled");
  // The empty state now carries the new client's credentials.
  await expect(page.locator(".empty pre.code")).toContainText(`curl -u ${first.key}:${first.secret}`);

  // A statement sent with those credentials is counted on the store's page.
  expect(await send(first.key, first.secret)).toBe(200);
  await expect(async () => {
    await page.reload();
    await expect(page.getByTestId("statement-count")).toHaveText("1", { timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
  await expect(page.getByText("This store has no statements yet")).toHaveCount(0);
  await expectAccessible(page, "store with a client");
  await docShot(page, "admin-store");

  // Rotating asks first, shows the new secret once, and stops the old one at once.
  await page.getByRole("button", { name: "Rotate the secret of Moodle production" }).click();
  await expect(page.getByRole("dialog", { name: "Rotate the secret of Moodle production?" })).toBeVisible();
  await page.getByRole("button", { name: "Rotate secret" }).click();
  await expect(page.getByRole("dialog", { name: "New secret of Moodle production" })).toBeVisible();
  const second = await readSecret(page);
  expect(second.key).toBe(first.key);
  expect(second.secret).not.toBe(first.secret);
  await page.getByRole("button", { name: "I have copied the secret" }).click();
  expect(await send(first.key, first.secret)).toBe(401);
  expect(await send(second.key, second.secret)).toBe(200);

  // Disabling asks first, then refuses the credentials; cancelling changes nothing.
  await page.getByRole("button", { name: "Disable Moodle production" }).click();
  await page.getByRole("button", { name: "Cancel" }).click();
  await expect(row).toContainText("enabled");
  await page.getByRole("button", { name: "Disable Moodle production" }).click();
  await expectAccessible(page, "disable confirmation");
  await docShot(page, "admin-disable-client");
  await page.getByRole("button", { name: "Disable client" }).click();
  await expect(row).toContainText("disabled");
  expect(await send(second.key, second.secret)).toBe(401);
  await page.getByRole("button", { name: "Enable Moodle production" }).click();
  await expect(row).toContainText("enabled");
  expect(await send(second.key, second.secret)).toBe(200);

  // Retention: forever at first; a number of months is saved and shown; out of range is
  // refused by the server with the field named; back to forever.
  await expect(page.getByTestId("retention")).toHaveText("Statements are kept forever.");
  await page.getByRole("button", { name: "Change retention" }).click();
  await page.getByLabel("Keep statements forever").uncheck();
  await page.getByLabel("Months to keep").fill("18");
  await expectAccessible(page, "retention dialog");
  await page.getByRole("button", { name: "Save retention" }).click();
  await expect(page.getByRole("dialog")).toHaveCount(0);
  await expect(page.getByTestId("retention")).toContainText("kept for 18 whole months");
  await page.reload();
  await expect(page.getByTestId("retention")).toContainText("kept for 18 whole months");
  await page.getByRole("button", { name: "Change retention" }).click();
  await expect(page.getByLabel("Months to keep")).toHaveValue("18");
  await page.getByLabel("Keep statements forever").check();
  await page.getByRole("button", { name: "Save retention" }).click();
  await expect(page.getByTestId("retention")).toHaveText("Statements are kept forever.");

  // The stores list links the new store.
  await page.getByRole("navigation", { name: "Administration" }).getByRole("link", { name: "Stores" }).click();
  await expect(page.getByRole("link", { name: "Onboarding courses" })).toBeVisible();
  await docShot(page, "admin-stores");
});

test("a retention out of range is refused with the field named", async ({ admin }) => {
  const store = await admin.call<{ id: string; retention_months: number | null }>("POST", "/api/v1/stores", { organisation: env.org, name: "Retention store" });
  expect(store.retention_months).toBeNull();
  for (const bad of [0, 1201, -1, "12"]) {
    await expect(admin.call("PATCH", `/api/v1/stores/${store.id}`, { retention_months: bad })).rejects.toThrow(/: 400 .*retention_months/);
  }
  const ok = await admin.call<{ retention_months: number | null }>("PATCH", `/api/v1/stores/${store.id}`, { retention_months: 6 });
  expect(ok.retention_months).toBe(6);
});

test("deleting a store asks first and removes it with its clients", async ({ page, admin }) => {
  const store = await admin.call<{ id: string }>("POST", "/api/v1/stores", { organisation: env.org, name: "Scratch store" });
  const c = await admin.call<{ client: { key: string }; secret: string }>("POST", "/api/v1/clients", { store: store.id, name: "tmp" });
  expect(await send(c.client.key, c.secret)).toBe(200);
  await signIn(page);
  await page.goto(`/admin/stores/${store.id}`);
  await page.getByRole("button", { name: "Delete store" }).click();
  await expect(page.getByRole("dialog")).toContainText("1 client");
  await page.getByRole("dialog").getByRole("button", { name: "Delete store" }).click();
  await expect(page).toHaveURL(/\/admin\/stores$/);
  await expect(page.getByRole("link", { name: "Scratch store" })).toHaveCount(0);
  expect(await send(c.client.key, c.secret)).toBe(401);
});
