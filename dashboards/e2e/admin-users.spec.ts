// Administration, users: a site administrator creates users with a role in the browser; each
// signs in in a fresh browser context and sees only the screens its role may use (navigation
// and administration tabs); a site administrator ends a user's session and disables a user,
// each after a confirmation. Axe on the screens; screenshots for docs/administration.md.
import { test, expect, shot, signIn, env } from "./fixtures";
import { expectAccessible } from "./a11y";
import type { Browser, Page } from "@playwright/test";

const PASSWORD = "role-test-password-1";

async function createUser(page: Page, email: string, role: string | null, siteAdmin = false): Promise<void> {
  await page.getByRole("button", { name: "New user" }).click();
  const d = page.getByRole("dialog", { name: "New user" });
  await d.getByLabel("Email").fill(email);
  await d.getByLabel("Name").fill(email.split("@")[0] ?? email);
  await d.getByLabel("First password").fill(PASSWORD);
  if (siteAdmin) await d.getByLabel(/Site administrator/).check();
  if (role) {
    await d.getByRole("combobox", { name: "Role in organisation", exact: true }).selectOption(env.org);
    await d.getByRole("combobox", { name: "Role", exact: true }).selectOption(role);
  }
  await d.getByRole("button", { name: "Create user" }).click();
  await expect(d).toHaveCount(0);
  await expect(page.getByRole("row", { name: new RegExp(email) })).toBeVisible();
}

/** Signs in as a user in a fresh context; answers the page. */
async function freshSignIn(browser: Browser, email: string): Promise<Page> {
  const ctx = await browser.newContext({ baseURL: env.url });
  const page = await ctx.newPage();
  await signIn(page, email, PASSWORD);
  return page;
}

/** The links of a navigation are exactly these, in order (waits for the page to settle). */
async function expectLinks(page: Page, nav: string, names: string[]): Promise<void> {
  await expect(page.getByRole("navigation", { name: nav }).getByRole("link")).toHaveText(names);
}

test("each role sees only the screens it may use", async ({ page, browser }) => {
  const stamp = Date.now();
  const users = {
    viewer: `viewer-${stamp}@example.com`,
    analyst: `analyst-${stamp}@example.com`,
    admin: `admin-${stamp}@example.com`,
    site: `site-${stamp}@example.com`,
  };
  await signIn(page);
  await page.goto("/admin/users");
  await expect(page.getByRole("heading", { name: "Users" })).toBeVisible();
  await createUser(page, users.viewer, "viewer");
  await createUser(page, users.analyst, "analyst");
  await createUser(page, users.admin, "admin");
  await createUser(page, users.site, null, true);
  await expect(page.getByRole("row", { name: new RegExp(users.site) })).toContainText("site administrator");
  await expectAccessible(page, "users");
  await shot(page, "admin-users");
  await page.screenshot({ path: "../docs/img/admin-users.png" });

  const analytics = ["Dashboards", "Query builder", "Explorer", "Exports", "People"];
  for (const role of ["viewer", "analyst"] as const) {
    const p = await freshSignIn(browser, users[role]);
    await expectLinks(p, "Screens", analytics);
    // Opened by its address, administration says it is not for this role, and offers nothing.
    await p.goto("/admin/stores");
    await expect(p.getByRole("heading", { name: "Administration is for administrators" })).toBeVisible();
    await expect(p.getByRole("button", { name: /New/ })).toHaveCount(0);
    await expectAccessible(p, `administration refused to a ${role}`);
    // Every role has its account.
    await p.getByRole("link", { name: users[role].split("@")[0] }).click();
    await expect(p.getByRole("heading", { name: "Your account" })).toBeVisible();
    await expect(p.getByText(`${role} in Default organisation`)).toBeVisible();
    await p.context().close();
  }

  const a = await freshSignIn(browser, users.admin);
  await expectLinks(a, "Screens", [...analytics, "Administration"]);
  await a.getByRole("link", { name: "Administration" }).click();
  const tabs = a.getByRole("navigation", { name: "Administration" });
  await expectLinks(a, "Administration", ["Organisations", "Stores"]);
  // An admin (not owner, not site administrator) is offered no top-level organisation, no
  // deletion of the organisation, and not the owner role.
  await tabs.getByRole("link", { name: "Organisations" }).click();
  await expect(a.getByRole("button", { name: "New organisation", exact: true })).toHaveCount(0);
  await expect(a.getByRole("button", { name: "Delete Default organisation" })).toHaveCount(0);
  await a.getByRole("button", { name: "Members of Default organisation" }).click();
  await expect(a.getByRole("option", { name: /^owner/ })).toHaveCount(0);
  await a.goto("/admin/users");
  await expect(a.getByRole("heading", { name: "Managing users is for administrators" })).toBeVisible();
  await a.context().close();

  const s = await freshSignIn(browser, users.site);
  await expectLinks(s, "Screens", [...analytics, "Administration"]);
  await s.getByRole("link", { name: "Administration" }).click();
  await expectLinks(s, "Administration", ["Organisations", "Stores", "Users"]);
  await s.context().close();
});

test("a site administrator ends a user's session and disables a user, after confirming", async ({ page, browser }) => {
  const email = `sessions-${Date.now()}@example.com`;
  await signIn(page);
  await page.goto("/admin/users");
  await createUser(page, email, "viewer");
  const other = await freshSignIn(browser, email);

  await page.getByRole("button", { name: `Sessions of ${email}` }).click();
  const d = page.getByRole("dialog", { name: /Sessions of/ });
  await expect(d.getByRole("row")).toHaveCount(2);
  await expect(d).toContainText("another browser or device");
  await expectAccessible(page, "sessions of a user");
  await d.getByRole("button", { name: "End session" }).click();
  await page.getByRole("dialog", { name: "End this session?" }).getByRole("button", { name: "End session" }).click();
  await expect(d).toContainText("No open session");
  await page.getByRole("button", { name: "Close" }).click();
  await other.reload();
  await expect(other).toHaveURL(/\/login/);

  // Disabling asks first and signs the user out everywhere; sign-in is then refused.
  await signIn(other, email, PASSWORD);
  await page.getByRole("button", { name: `Disable ${email}` }).click();
  await expect(page.getByRole("dialog")).toContainText("signed out everywhere");
  await page.getByRole("button", { name: "Disable user" }).click();
  await expect(page.getByRole("row", { name: new RegExp(email) })).toContainText("disabled");
  await other.reload();
  await expect(other).toHaveURL(/\/login/);
  await other.getByLabel("Email").fill(email);
  await other.getByLabel("Password").fill(PASSWORD);
  await other.getByRole("button", { name: "Sign in" }).click();
  await expect(other.getByRole("alert")).toBeVisible();
  await other.context().close();

  // Deleting asks first.
  await page.getByRole("button", { name: `Delete ${email}` }).click();
  await page.getByRole("button", { name: "Delete user" }).click();
  await expect(page.getByRole("row", { name: new RegExp(email) })).toHaveCount(0);
});
