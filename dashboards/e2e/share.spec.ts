// Share links: each visibility (anyone, listed sites, nobody) and URL filter mode (off, plain,
// signed), created in the share dialog; embedding in a page served from another origin (a listed
// origin renders, an unlisted one is refused); a tampered token and a revoked link are refused.
import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import { test, expect, shot, signIn, env } from "./fixtures";
import type { Session } from "./api";
import { freePort } from "./server";
import { expectAccessible } from "./a11y";

const COMPLETED = { field: "verb", eq: "http://adlnet.gov/expapi/verbs/completed" };

async function dashboard(admin: Session, name: string): Promise<string> {
  const d = await admin.call<{ id: string }>("POST", `/api/v1/stores/${env.store}/dashboards`, { name, time_range: { preset: "2y" } });
  await admin.call("POST", `/api/v1/dashboards/${d.id}/widgets`, {
    title: "All statements", type: "counter", query: { kind: "aggregate", group_by: [], measures: ["count"] },
    position: { x: 0, y: 0, w: 4, h: 3 },
  });
  await admin.call("POST", `/api/v1/dashboards/${d.id}/widgets`, {
    title: "By verb", type: "bar", query: { kind: "aggregate", group_by: ["verb"], measures: ["count"] },
    position: { x: 4, y: 0, w: 8, h: 4 },
  });
  return d.id;
}

async function count(admin: Session, filter?: unknown): Promise<number> {
  const a = await admin.call<{ rows: { values: number[] }[] }>("POST", `/api/v1/stores/${env.store}/aggregate`, {
    group_by: [], measures: ["count"], ...(filter ? { filter } : {}),
  });
  return a.rows[0]!.values[0]!;
}

function counterIn(root: import("@playwright/test").Page | import("@playwright/test").FrameLocator) {
  return root.getByRole("region", { name: "All statements", exact: true }).locator('[data-state="ready"]');
}

/** Creates a link in the share dialog; answers its id and the secret shown (signed links). */
async function createInDialog(page: import("@playwright/test").Page, opts: { visibility: string; sites?: string; mode: string }) {
  await page.getByRole("button", { name: "Share" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Visibility").selectOption(opts.visibility);
  if (opts.sites) await dialog.getByLabel("Sites").fill(opts.sites);
  await dialog.getByRole("group", { name: "URL filter" }).getByRole("button", { name: opts.mode }).click();
  await dialog.getByRole("button", { name: "Create link" }).click();
  const created = dialog.getByTestId("created-link");
  await expect(created).toBeVisible();
  const url = await created.getByTestId("copy-link").innerText();
  const snippet = await created.getByTestId("copy-embed-code").innerText();
  expect(snippet).toMatch(/^<iframe src="http:\/\/127\.0\.0\.1:\d+\/embed\//);
  const secret = opts.mode === "Signed" ? await created.getByTestId("copy-secret").innerText() : null;
  await shot(page, `share-created-${opts.visibility}-${opts.mode.toLowerCase()}`);
  await page.keyboard.press("Escape");
  const id = url.split("/s/")[1]!.split("?")[0]!;
  return { id, url, secret };
}

function hostPage(port: number, src: string): Promise<Server> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "text/html" });
    res.end(`<!doctype html><title>Host site</title><h1>Our learning portal</h1>
<iframe id="dash" src="${src}" width="1000" height="600" style="border:1px solid #ccc"></iframe>`);
  });
  return new Promise((ok) => server.listen(port, "127.0.0.1", () => ok(server)));
}

function sign(secret: string, claims: object): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const body = `${b64({ alg: "HS256", typ: "JWT" })}.${b64(claims)}`;
  return `${body}.${createHmac("sha256", secret).update(body).digest("base64url")}`;
}

test("anyone with the link sees the dashboard; revoking refuses it", async ({ page, admin }) => {
  const id = await dashboard(admin, "Shared with anyone");
  const total = await count(admin);
  await signIn(page);
  await page.goto(`/dashboards/${id}`);
  const link = await createInDialog(page, { visibility: "anyone", mode: "Off" });
  const visitor = await (await page.context().browser()!.newContext()).newPage();
  await visitor.goto(link.url);
  await expect(visitor.getByRole("heading", { name: "Shared with anyone" })).toBeVisible();
  await expect(counterIn(visitor)).toContainText(total.toLocaleString("en-US"));
  await expect(visitor.getByRole("button", { name: "Sign out" })).toHaveCount(0);
  await shot(visitor, "share-page-anyone");
  await expectAccessible(visitor, "shared dashboard");

  await page.getByRole("button", { name: "Share" }).click();
  await page.getByRole("button", { name: "Revoke…" }).click();
  await page.getByRole("button", { name: "Revoke", exact: true }).click();
  await expect(page.getByTestId("link-item")).toHaveCount(0);
  const res = await visitor.goto(link.url);
  expect(res?.status()).toBe(403);
  await shot(visitor, "share-page-revoked");
  await visitor.close();
});

test("a link shared with nobody shows nothing", async ({ page, admin }) => {
  const id = await dashboard(admin, "Shared with nobody");
  await signIn(page);
  await page.goto(`/dashboards/${id}`);
  const link = await createInDialog(page, { visibility: "nobody", mode: "Off" });
  const res = await page.goto(link.url);
  expect(res?.status()).toBe(403);
  const api = await page.request.get(`/api/v1/shared/${link.id}`);
  expect(api.status()).toBe(403);
});

test("plain URL filter narrows the shared dashboard", async ({ page, admin }) => {
  const id = await dashboard(admin, "Plain filter");
  const want = await count(admin, COMPLETED);
  await signIn(page);
  await page.goto(`/dashboards/${id}`);
  const link = await createInDialog(page, { visibility: "anyone", mode: "Plain" });
  await page.goto(`${link.url}?filter=${encodeURIComponent(JSON.stringify(COMPLETED))}`);
  await expect(counterIn(page)).toContainText(want.toLocaleString("en-US"));
  await shot(page, "share-plain-filter");
});

test("embedded on a listed site with a signed token; other sites and tampered tokens are refused", async ({ page, admin }) => {
  const id = await dashboard(admin, "Embedded");
  const want = await count(admin, COMPLETED);
  const allowedPort = await freePort();
  const otherPort = await freePort();
  await signIn(page);
  await page.goto(`/dashboards/${id}`);
  const link = await createInDialog(page, { visibility: "domains", sites: `http://127.0.0.1:${allowedPort}`, mode: "Signed" });
  expect(link.secret).toMatch(/\S{32,}/);
  const token = sign(link.secret!, { filter: COMPLETED, exp: Math.floor(Date.now() / 1000) + 3600 });
  const embed = `${env.url}/embed/${link.id}?token=${token}`;
  const allowed = await hostPage(allowedPort, embed);
  const other = await hostPage(otherPort, embed);
  const tampered = `${env.url}/embed/${link.id}?token=${token.slice(0, -3)}${token.endsWith("AAA") ? "BBB" : "AAA"}`;
  try {
    await page.goto(`http://127.0.0.1:${allowedPort}/`);
    const frame = page.frameLocator("#dash");
    await expect(counterIn(frame)).toContainText(want.toLocaleString("en-US"));
    await expect(frame.getByTestId("embed")).toBeVisible();
    await shot(page, "embed-allowed");

    await page.goto(`http://127.0.0.1:${otherPort}/`);
    await expect(page.frameLocator("#dash").locator("body")).toContainText("may only be embedded in the sites it lists");
    await expect(page.frameLocator("#dash").getByRole("region", { name: "All statements" })).toHaveCount(0);
    await shot(page, "embed-other-origin-refused");

    allowed.close();
    const withTampered = await hostPage(allowedPort, tampered);
    await page.goto(`http://127.0.0.1:${allowedPort}/`);
    await expect(page.frameLocator("#dash").getByTestId("shared-error")).toContainText("access token is not valid");
    await expect(page.frameLocator("#dash").getByRole("region", { name: "All statements" })).toHaveCount(0);
    await shot(page, "embed-tampered-token");
    withTampered.close();
  } finally {
    allowed.close();
    other.close();
  }
});
