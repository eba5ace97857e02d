// Forwarders, against a real second Cairn as the target LRS (its address is on loopback, so the
// forwarding Cairn runs with the operator setting that allows private targets). In the browser:
// a filter the server refuses is named; a forwarder made with a wrong password dead-letters its
// batch with the target's 401; the password is changed (shown as "set", never echoed) and the
// dead letter retried; pause holds statements back and resume sends them; a second dead letter
// is discarded; a replay from log position 1 sends every matching statement again, and the
// target still holds each one once and none of the filtered-out ones. Axe on each screen;
// screenshots for docs/forwarding.md.
import { test, expect, type Page } from "@playwright/test";
import { expectAccessible } from "./a11y";
import { Session, countStatements, postStatements } from "./api";
import { shot } from "./fixtures";
import { ADMIN, CLIENT, startCairn, stopCairn, type Running } from "./server";

let source: Running;
let target: Running;

test.beforeAll(async () => {
  source = await startCairn({
    env: {
      CAIRN_FORWARD_ALLOW_PRIVATE_TARGETS: "true",
      CAIRN_FORWARD_BACKOFF_INITIAL_MS: "100",
      CAIRN_FORWARD_BACKOFF_MAX_MS: "500",
    },
  });
  target = await startCairn();
});

test.afterAll(async () => {
  if (source) await stopCairn(source);
  if (target) await stopCairn(target);
});

const COMPLETED = "http://adlnet.gov/expapi/verbs/completed";
let n = 0;
function statement(verb: string) {
  n += 1;
  return {
    id: crypto.randomUUID(),
    actor: { mbox: `mailto:learner${n}@example.com`, name: `Learner ${n}` },
    verb: { id: verb, display: { "en-US": verb.split("/").pop() } },
    object: { id: `https://example.com/course/fwd-${n}` },
  };
}

async function docShot(page: Page, name: string): Promise<void> {
  await shot(page, name);
  await page.screenshot({ path: `../docs/img/${name}.png`, fullPage: true });
}

async function storeOf(s: Session): Promise<string> {
  const stores = await s.call<{ items: { id: string }[] }>("GET", "/api/v1/stores");
  return stores.items[0]?.id ?? "";
}

/** Waits until the target's store holds exactly `want` statements, and still does a moment later. */
async function expectAtTarget(s: Session, store: string, want: number): Promise<void> {
  await expect.poll(() => countStatements(s, store), { timeout: 30_000 }).toBe(want);
  await new Promise((r) => setTimeout(r, 1500));
  expect(await countStatements(s, store)).toBe(want);
}

test("forwarders: create, dead letters retried and discarded, pause, replay — each statement once at the target", async ({ page }) => {
  const at = await Session.login(target.url);
  const targetStore = await storeOf(at);
  const store = await storeOf(await Session.login(source.url));

  await page.goto(`${source.url}/login`);
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
  await page.goto(`${source.url}/admin/stores/${store}`);
  await page.getByRole("link", { name: "Forwarders" }).click();
  await expect(page.getByRole("heading", { name: "No forwarder yet" })).toBeVisible();
  await expectAccessible(page, "the empty forwarders list");

  // The form: a filter on a field the filter language does not know is refused by the server.
  await page.getByRole("button", { name: "New forwarder" }).click();
  const form = page.getByRole("dialog", { name: "New forwarder" });
  await form.getByLabel("Name").fill("Consortium LRS");
  await form.getByLabel(/^Filter/).fill(JSON.stringify({ field: "no-such-field", eq: "x" }));
  await form.getByLabel("xAPI endpoint").fill(`${target.url}/xapi/`);
  await form.getByLabel("User (key)").fill(CLIENT.key);
  await form.getByLabel(/^Password/).fill("a-wrong-password");
  await form.getByRole("button", { name: "Add header" }).click();
  await form.getByLabel("Header 1 name").fill("X-Tenant");
  await form.getByLabel("Header 1 value").fill("acme-secret-header");
  await form.getByRole("button", { name: "Create forwarder" }).click();
  await expect(form.getByRole("alert")).toContainText("The server refused it");
  await expect(form.getByRole("alert")).toContainText("/filter");
  await expectAccessible(page, "the forwarder form");
  await docShot(page, "forwarders-form");
  await form.getByLabel(/^Filter/).fill(JSON.stringify({ field: "verb", eq: COMPLETED }));
  await form.getByRole("button", { name: "Create forwarder" }).click();
  await expect(form).toBeHidden();
  const row = page.getByTestId("forwarder-Consortium LRS");
  await expect(row).toContainText("running");
  expect(await page.content()).not.toContain("acme-secret-header");

  // Wrong credentials: the target answers 401, which retrying cannot fix: a dead letter.
  await postStatements(source.url, [statement(COMPLETED), statement(COMPLETED), statement("http://example.com/verbs/viewed")]);
  await expect(row.getByTestId("dead-letters")).toHaveText("1", { timeout: 30_000 });
  await expect(row).toContainText("401");
  await expectAccessible(page, "the forwarders list");

  await row.getByRole("link", { name: "Consortium LRS" }).click();
  const deadRows = page.getByTestId("dead-letter");
  await expect(deadRows).toHaveCount(1);
  await expect(deadRows.first()).toContainText("401");
  await expect(deadRows.first()).toContainText("2");

  // The password is changed: stored secrets read "set" and are never shown.
  await page.getByRole("button", { name: "Edit" }).click();
  const edit = page.getByRole("dialog", { name: "Edit Consortium LRS" });
  await expect(edit.getByText("set", { exact: true })).toBeVisible();
  await expect(edit.getByLabel(/^Password/)).toHaveValue("");
  await expect(edit.getByLabel("Header 1 value")).toHaveValue("");
  await edit.getByLabel(/^Password/).fill(CLIENT.secret);
  await edit.getByRole("button", { name: "Save forwarder" }).click();
  await expect(edit).toBeHidden();

  await page.getByRole("button", { name: "Retry dead letter 1" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Delivered" })).toBeVisible();
  await expect(deadRows).toHaveCount(0);
  await expectAtTarget(at, targetStore, 2);

  // Paused: statements wait, and the lag shows them; resumed: they go.
  await page.getByRole("button", { name: "Pause" }).click();
  await expect(page.getByText("paused", { exact: true })).toBeVisible();
  await postStatements(source.url, [statement(COMPLETED)]);
  await expect(page.getByTestId("lag")).toContainText("1 statement", { timeout: 15_000 });
  await page.getByRole("button", { name: "Resume" }).click();
  await expect(page.getByTestId("lag")).toHaveText("caught up", { timeout: 30_000 });
  await expectAtTarget(at, targetStore, 3);

  // A second dead letter, discarded after confirming.
  await page.getByRole("button", { name: "Edit" }).click();
  await edit.getByLabel(/^Password/).fill("wrong-again");
  await edit.getByRole("button", { name: "Save forwarder" }).click();
  await expect(edit).toBeHidden();
  await postStatements(source.url, [statement(COMPLETED)]);
  await expect(deadRows).toHaveCount(1, { timeout: 30_000 });
  await expectAccessible(page, "a forwarder with a dead letter");
  await docShot(page, "forwarders-detail");
  await page.getByRole("button", { name: "Discard dead letter 1" }).click();
  const discard = page.getByRole("dialog", { name: "Discard this dead letter?" });
  await expect(discard).toContainText("never sent");
  await discard.getByRole("button", { name: "Discard" }).click();
  await expect(deadRows).toHaveCount(0);
  await expectAtTarget(at, targetStore, 3);

  // Fixed again, then replayed from log position 1 (after confirming): the discarded statement
  // arrives, every other matching one is already there and is kept once.
  await page.getByRole("button", { name: "Edit" }).click();
  await edit.getByLabel(/^Password/).fill(CLIENT.secret);
  await edit.getByRole("button", { name: "Save forwarder" }).click();
  await expect(edit).toBeHidden();
  await page.getByLabel("Replay from").selectOption("seq");
  await page.getByRole("textbox", { name: "Log position" }).fill("1");
  await page.getByRole("button", { name: "Replay…" }).click();
  const replay = page.getByRole("dialog", { name: "Replay from log position 1?" });
  await expectAccessible(page, "the replay confirmation");
  await replay.getByRole("button", { name: "Replay" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Replaying" })).toBeVisible();
  await expect(page.getByTestId("lag")).toHaveText("caught up", { timeout: 30_000 });
  await expectAtTarget(at, targetStore, 4);

  await page.getByRole("link", { name: "Forwarders" }).click();
  await expect(row).toContainText("running");
  await docShot(page, "forwarders-list");

  // Deleting asks first.
  await row.getByRole("link", { name: "Consortium LRS" }).click();
  await page.getByRole("button", { name: "Delete forwarder" }).click();
  const del = page.getByRole("dialog", { name: "Delete Consortium LRS?" });
  await del.getByRole("button", { name: "Delete forwarder" }).click();
  await expect(page.getByRole("heading", { name: "No forwarder yet" })).toBeVisible();
});
