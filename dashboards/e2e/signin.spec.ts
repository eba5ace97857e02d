// Sign-in: wrong password is refused with the server's message; the right one opens the app;
// sign-out returns to the sign-in screen; a viewer sees no edit actions.
import { test, expect, shot, signIn, env } from "./fixtures";
import { ADMIN } from "./server";
import { expectAccessible } from "./a11y";

test("wrong password is refused, right one signs in, sign-out signs out", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/login/);
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toBeVisible();
  await shot(page, "signin-refused");
  await expectAccessible(page, "sign-in");

  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
  await expect(page.getByLabel("Store")).toBeVisible();
  await shot(page, "signin-home");
  await expectAccessible(page, "home");

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto("/");
  await expect(page).toHaveURL(/\/login/);
});

test("a viewer sees dashboards but no edit actions", async ({ page, admin }) => {
  const email = "viewer@example.com";
  const password = "viewer-password-1";
  const user = await admin.call<{ id: string }>("POST", "/api/v1/users", { email, name: "Vera Viewer", password });
  await admin.call("PUT", `/api/v1/organisations/${env.org}/members/${user.id}`, { role: "viewer" });
  await admin.call("POST", `/api/v1/stores/${env.store}/dashboards`, { name: "Viewer can read this" });

  await signIn(page, email, password);
  await expect(page.getByRole("link", { name: "Viewer can read this" })).toBeVisible();
  await expect(page.getByRole("button", { name: /New dashboard/ })).toHaveCount(0);
  await expect(page.getByRole("button", { name: /Delete/ })).toHaveCount(0);
  await page.getByRole("link", { name: "Viewer can read this" }).click();
  await expect(page.getByRole("heading", { name: "Viewer can read this" })).toBeVisible();
  await expect(page.getByRole("button", { name: /Add widget|Share/ })).toHaveCount(0);
  await shot(page, "signin-viewer-dashboard");
});
