// The account screen (every role): personal tokens (shown once, work on the API, revoked after a
// confirmation) and open sessions (this browser marked; ending another signs it out). Axe.
import { test, expect, shot, signIn, env } from "./fixtures";
import { expectAccessible } from "./a11y";
import { ADMIN } from "./server";

test("personal tokens and sessions of the signed-in user", async ({ page, browser }) => {
  await signIn(page);
  const other = await browser.newContext({ baseURL: env.url });
  const otherPage = await other.newPage();
  await signIn(otherPage);
  await page.getByRole("link", { name: ADMIN.email }).click();
  await expect(page.getByRole("heading", { name: "Your account" })).toBeVisible();
  await expect(page.getByText("site administrator")).toBeVisible();

  // A token is shown once and works as a Bearer token until revoked.
  await page.getByRole("button", { name: "New token" }).click();
  await page.getByLabel("Name").fill("nightly export");
  await page.getByRole("button", { name: "Create token" }).click();
  const token = ((await page.getByTestId("token-secret").textContent()) ?? "").trim();
  expect(token).toMatch(/^cairn_pat_/);
  const me = () => fetch(`${env.url}/api/v1/me`, { headers: { Authorization: `Bearer ${token}` } }).then((r) => r.status);
  expect(await me()).toBe(200);
  await page.getByRole("button", { name: "I have copied the token" }).click();
  await expect(page.getByRole("table", { name: "Personal tokens" })).toContainText("nightly export");

  // Sessions: this browser is marked; the other one is ended after a confirmation.
  const sessions = page.getByRole("table", { name: "Sessions" });
  await expect(sessions).toContainText("this browser");
  await expect(sessions).toContainText("another browser or device");
  await expectAccessible(page, "account");
  await shot(page, "account");
  await page.screenshot({ path: "../docs/img/account.png", fullPage: true });
  const others = await sessions.getByRole("row").filter({ hasText: "another browser or device" }).count();
  expect(others).toBeGreaterThanOrEqual(1);
  await sessions.getByRole("row").filter({ hasText: "another browser or device" }).last().getByRole("button", { name: "End session" }).click();
  await page.getByRole("dialog", { name: "End this session?" }).getByRole("button", { name: "End session" }).click();
  await expect(sessions.getByRole("row").filter({ hasText: "another browser or device" })).toHaveCount(others - 1);
  await otherPage.reload();
  await expect(otherPage).toHaveURL(/\/login/);
  await other.close();

  await page.getByRole("button", { name: "Revoke nightly export" }).click();
  await page.getByRole("button", { name: "Revoke token" }).click();
  await expect(page.getByText("No token yet")).toBeVisible();
  expect(await me()).toBe(401);
});
