// First run: from an empty data directory (no site administrator), `cairn serve` prints a
// one-time set-up link. Opening it creates the administrator, who lands in the app and creates a
// dashboard; the same link is then refused, and so is a wrong one.
import { test, expect } from "@playwright/test";
import { expectAccessible } from "./a11y";
import { shot } from "./fixtures";
import { startCairn, stopCairn, type Running } from "./server";

let cairn: Running;

test.beforeAll(async () => {
  cairn = await startCairn({ siteAdmin: false });
});

test.afterAll(async () => {
  if (cairn) await stopCairn(cairn);
});

const OWNER = { email: "owner@example.org", name: "Olive Owner", password: "first-run-password-1" };

test("the printed link creates the administrator once; they land in the app and create a dashboard", async ({ browser }) => {
  // The link is printed once start-up is done, which may be a moment after the port answers.
  await expect
    .poll(() => /set-up link:\s+(\S+)/.exec(cairn.output()), { message: "cairn serve prints the set-up link", timeout: 15_000 })
    .not.toBeNull();
  const printed = /set-up link:\s+(\S+)/.exec(cairn.output());
  const link = printed?.[1] ?? "";
  expect(link.startsWith(`${cairn.url}/setup#token=`)).toBe(true);

  const first = await browser.newContext();
  const page = await first.newPage();
  await page.goto(`${cairn.url}/setup#token=${"0".repeat(64)}`);
  await expect(page.getByRole("heading", { name: "This set-up link cannot be used" })).toBeVisible();
  await expect(page.getByRole("alert")).toContainText("not valid");
  await shot(page, "first-run-link-wrong");
  await page.goto(`${cairn.url}/setup`);
  await expect(page.getByRole("alert")).toContainText("no set-up token");

  await page.goto("about:blank");
  await page.goto(link);
  await expect(page.getByRole("heading", { name: "Set up Cairn" })).toBeVisible();
  await expectAccessible(page, "the set-up screen");
  await page.getByLabel("Email").fill(OWNER.email);
  await page.getByLabel("Name (optional)").fill(OWNER.name);
  await page.getByLabel("Password", { exact: true }).fill(OWNER.password);
  await page.getByLabel("Confirm password").fill(OWNER.password);
  await shot(page, "first-run-setup");
  await page.getByLabel("Confirm password").fill("not-the-same-password");
  await page.getByRole("button", { name: "Create administrator and sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("The two passwords differ.");
  await page.getByLabel("Confirm password").fill(OWNER.password);
  await page.getByRole("button", { name: "Create administrator and sign in" }).click();

  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "No dashboards yet" })).toBeVisible();
  await page.getByRole("button", { name: "Blank dashboard" }).click();
  await page.getByRole("dialog").getByLabel("Name").fill("First steps");
  await page.getByRole("dialog").getByRole("button", { name: "Create" }).click();
  await expect(page.getByRole("heading", { name: "First steps" })).toBeVisible();
  await expect(page.getByText("This dashboard has no widgets yet")).toBeVisible();
  await shot(page, "first-run-dashboard");
  await first.close();

  // The link worked once: a second opening is refused, in the browser and by the API.
  const second = await browser.newContext();
  const again = await second.newPage();
  await again.goto(link);
  await expect(again.getByRole("heading", { name: "This set-up link cannot be used" })).toBeVisible();
  await expect(again.getByRole("alert")).toContainText("already set up");
  await expectAccessible(again, "the refused set-up link");
  await shot(again, "first-run-link-used");
  const token = link.split("#token=")[1];
  const res = await again.request.post(`${cairn.url}/api/v1/setup`, {
    data: { token, email: "intruder@example.org", password: "intruder-password-1" },
  });
  expect(res.status()).toBe(409);

  // The administrator signs in with the password they chose.
  await again.goto(`${cairn.url}/login`);
  await again.getByLabel("Email").fill(OWNER.email);
  await again.getByLabel("Password").fill(OWNER.password);
  await again.getByRole("button", { name: "Sign in" }).click();
  await expect(again.getByRole("link", { name: "First steps" })).toBeVisible();
  await second.close();
});
