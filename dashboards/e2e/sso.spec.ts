// Single sign-on against a real OpenID provider (oidc-provider, started here): Cairn with
// password sign-in turned off and an allow-list of one email domain. Sign in and out; an address
// of another domain is refused; a tampered state parameter gets a clear 400 page; the provider's
// keys rotate.
import { test, expect, type Page } from "@playwright/test";
import { expectAccessible } from "./a11y";
import { shot } from "./fixtures";
import { OIDC_CLIENT, startProvider, type RunningProvider } from "./oidc";
import { freePort, startCairn, stopCairn, type Running } from "./server";

let cairn: Running;
let provider: RunningProvider;
const CALLBACK = "/api/v1/auth/oidc/callback";

test.beforeAll(async () => {
  const port = await freePort();
  provider = await startProvider(`http://127.0.0.1:${port}${CALLBACK}`);
  cairn = await startCairn({
    port,
    env: {
      CAIRN_OIDC_ISSUER_URL: provider.issuer,
      CAIRN_OIDC_CLIENT_ID: OIDC_CLIENT.id,
      CAIRN_OIDC_CLIENT_SECRET: OIDC_CLIENT.secret,
      CAIRN_OIDC_PROVIDER_NAME: "Test ID",
      CAIRN_OIDC_EMAIL_DOMAINS: "[example.com]",
      CAIRN_OIDC_DEFAULT_ROLE: "viewer",
      CAIRN_PASSWORD_LOGIN: "false",
    },
  });
});

test.afterAll(async () => {
  if (cairn) await stopCairn(cairn);
  if (provider) await provider.close();
});

/** From Cairn's sign-in screen through the provider's login form (any password) and consent. */
async function signInAtProvider(page: Page, login: string): Promise<void> {
  await page.goto(`${cairn.url}/login`);
  await page.getByRole("link", { name: "Sign in with Test ID" }).click();
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill("any password");
  await page.getByRole("button", { name: "Sign-in" }).click();
  await page.getByRole("button", { name: "Continue" }).click();
}

test("the sign-in screen offers only single sign-on, which signs in and out", async ({ page }) => {
  await page.goto(`${cairn.url}/`);
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByRole("link", { name: "Sign in with Test ID" })).toBeVisible();
  await expect(page.getByLabel("Password")).toHaveCount(0);
  await expectAccessible(page, "the single sign-on sign-in screen");
  await shot(page, "sso-signin");
  const refused = await page.request.post(`${cairn.url}/api/v1/auth/login`, {
    data: { email: "ada@example.com", password: "whatever-password" },
  });
  expect(refused.status()).toBe(403);

  await signInAtProvider(page, "ada");
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
  await expect(page.getByLabel("Store")).toBeVisible();
  await shot(page, "sso-signed-in");
  const me = await page.request.get(`${cairn.url}/api/v1/me`);
  expect(me.status()).toBe(200);
  const body = (await me.json()) as { user: { email: string; name: string }; memberships: { role: string }[] };
  expect(body.user.email).toBe("ada@example.com");
  expect(body.user.name).toBe("Ada Lovelace");
  expect(body.memberships.map((m) => m.role)).toEqual(["viewer"]);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto(`${cairn.url}/`);
  await expect(page).toHaveURL(/\/login/);
  expect((await page.request.get(`${cairn.url}/api/v1/me`)).status()).toBe(401);
});

test("an address outside the allowed domains is refused", async ({ page }) => {
  const answer = page.waitForResponse((r) => r.url().includes(CALLBACK));
  await signInAtProvider(page, "mallory");
  expect((await answer).status()).toBe(403);
  await expect(page.getByRole("heading", { name: "Sign-in failed" })).toBeVisible();
  await expect(page.getByText("addresses at elsewhere.test may not sign in")).toBeVisible();
  await expectAccessible(page, "the refused sign-in page");
  await shot(page, "sso-refused-domain");
  expect((await page.request.get(`${cairn.url}/api/v1/me`)).status()).toBe(401);
});

test("a tampered state parameter gets a clear 400 page", async ({ page }) => {
  // Cairn's redirect to the provider is changed on its way to the browser: the provider then
  // sends back a state that differs from the one this browser keeps.
  await page.route("**/api/v1/auth/oidc/start", async (route) => {
    const res = await route.fetch({ maxRedirects: 0 });
    const location = new URL(res.headers()["location"] ?? "");
    location.searchParams.set("state", `${location.searchParams.get("state") ?? ""}-tampered`);
    await route.fulfill({ response: res, headers: { ...res.headers(), location: location.toString() } });
  });
  const answer = page.waitForResponse((r) => r.url().includes(CALLBACK));
  await signInAtProvider(page, "ada");
  expect((await answer).status()).toBe(400);
  await expect(page.getByRole("heading", { name: "Sign-in failed" })).toBeVisible();
  await expect(page.getByText("state parameter does not match")).toBeVisible();
  await expectAccessible(page, "the tampered sign-in page");
  await shot(page, "sso-tampered-state");
  expect((await page.request.get(`${cairn.url}/api/v1/me`)).status()).toBe(401);
});

test("a new signing key of the provider is fetched (JWKS rotation)", async ({ page }) => {
  // The same issuer comes back with another key: Cairn's cached keys lack it.
  const before = provider.kid;
  await provider.close();
  provider = await startProvider(`${cairn.url}${CALLBACK}`, provider.port);
  expect(provider.kid).not.toBe(before);
  await signInAtProvider(page, "ada");
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
  const me = (await (await page.request.get(`${cairn.url}/api/v1/me`)).json()) as { user: { email: string } };
  expect(me.user.email).toBe("ada@example.com");
});

test("with password sign-in on, the screen offers both", async ({ page }) => {
  // This server has password sign-in off; the screen as a server with both on describes it.
  await page.route("**/api/v1/auth/options", (route) =>
    route.fulfill({ json: { password: true, sso: { name: "Test ID", start: "/api/v1/auth/oidc/start" } } }),
  );
  await page.goto(`${cairn.url}/login`);
  await expect(page.getByRole("link", { name: "Sign in with Test ID" })).toBeVisible();
  await expect(page.getByLabel("Email")).toBeVisible();
  await expect(page.getByLabel("Password")).toBeVisible();
  await expectAccessible(page, "the sign-in screen with both ways");
  await shot(page, "sso-signin-both");
});
