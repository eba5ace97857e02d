// Test fixtures: the server's address from the global setup, a signed-in page, screenshots.
import { test as base, expect, type Page } from "@playwright/test";
import { Session } from "./api";
import { ADMIN } from "./server";

export const env = {
  get url(): string {
    const u = process.env.CAIRN_E2E_URL;
    if (!u) throw new Error("CAIRN_E2E_URL is unset: the global setup did not run");
    return u;
  },
  get store(): string {
    return process.env.CAIRN_E2E_STORE ?? "";
  },
  get org(): string {
    return process.env.CAIRN_E2E_ORG ?? "";
  },
};

/** Signs in through the sign-in screen. */
export async function signIn(page: Page, email = ADMIN.email, password = ADMIN.password): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
}

/** A screenshot under test-results/screens/ to look at. */
export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `test-results/screens/${name}.png`, fullPage: true });
}

export const test = base.extend<{ admin: Session }>({
  baseURL: async ({}, use) => use(env.url),
  admin: async ({}, use) => use(await Session.login(env.url)),
});

export { expect };
