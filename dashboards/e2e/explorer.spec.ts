// The statement explorer on the generated store: newest first as the API answers, times in the
// reader's zone, a row expanded to its statement, a verb cell opening a filter on it, paging,
// a chosen column, the empty state of a filter that matches nothing, and axe-core.
import { test, expect, shot, signIn, env } from "./fixtures";
import { countStatements } from "./api";
import { expectAccessible } from "./a11y";
import { VERBS } from "./generator";

test.use({ timezoneId: "Europe/Paris" });

type Item = { seq: number; id: string; stored: string; timestamp: string; verb: string };

function shortTime(iso: string): string {
  return iso.slice(0, 19).replace("T", " ");
}

test("explore statements newest first, expand one, follow a verb, page", async ({ page, admin }) => {
  await signIn(page);
  await page.goto(`/explorer?store=${env.store}`);
  const all = await countStatements(admin, env.store);
  await expect(page.getByTestId("explorer-count")).toHaveText(`${all.toLocaleString("en-US")} matching, most recently stored first`);
  const api = await admin.call<{ items: Item[] }>("POST", `/api/v1/stores/${env.store}/statements/query?limit=25`, {
    fields: ["id", "stored", "timestamp", "verb"], order: "desc", tz: "Europe/Paris",
  });
  const table = page.getByRole("table", { name: "Statements, most recently stored first" });
  const rows = table.locator("tbody > tr:not(.detail)");
  await expect(rows).toHaveCount(25);
  // The Stored and Timestamp columns are the API's newest-first page, in Paris time.
  const stored = await rows.locator("td:nth-child(2)").allTextContents();
  expect(stored).toEqual(api.items.map((i) => shortTime(i.stored)));
  expect([...stored].sort().reverse()).toEqual(stored);
  const times = await rows.locator("td:nth-child(3)").allTextContents();
  expect(times).toEqual(api.items.map((i) => shortTime(i.timestamp)));
  expect(api.items[0]!.timestamp).toMatch(/\+0[12]:00$/);
  // Verbs and activities by name, not IRI.
  const verbs = await rows.locator("td:nth-child(5)").allTextContents();
  expect(verbs).toEqual(api.items.map((i) => VERBS.find((v) => v.id === i.verb)!.display));
  await shot(page, "explorer-list");
  await expectAccessible(page, "the explorer");

  // Expanding a row shows the whole statement.
  const first = api.items[0]!;
  await page.getByRole("button", { name: `Show statement ${first.seq}` }).click();
  const json = page.getByTestId("statement-json");
  await expect(json).toContainText(`"id": "${first.id}"`);
  await expect(json).toContainText(`"verb"`);
  await expect(page.getByRole("button", { name: `Hide statement ${first.seq}` })).toHaveAttribute("aria-expanded", "true");
  await shot(page, "explorer-expanded");
  await expectAccessible(page, "the explorer with a statement expanded");

  // Paging: older, then newer again.
  await page.getByRole("button", { name: "Older →" }).click();
  await expect(page.getByText("Page 2")).toBeVisible();
  const api2 = await admin.call<{ items: Item[] }>("POST", `/api/v1/stores/${env.store}/statements/query?limit=25&cursor=${api.items[24]!.seq}`, {
    fields: ["timestamp"], order: "desc", tz: "Europe/Paris",
  });
  await expect(rows.locator("td:nth-child(3)")).toHaveText(api2.items.map((i) => shortTime(i.timestamp)));
  await page.getByRole("button", { name: "← Newer" }).click();
  await expect(rows.locator("td:nth-child(3)")).toHaveText(times);

  // A verb cell links to a filter on that verb.
  const verb = VERBS.find((v) => v.id === first.verb)!;
  await rows.first().getByRole("link", { name: `Only statements whose verb is ${verb.display}` }).click();
  await expect(page.getByTestId("filter-text")).toHaveText(`Verb is ${verb.display}`);
  const n = await countStatements(admin, env.store, { field: "verb", eq: verb.id });
  await expect(page.getByTestId("explorer-count")).toHaveText(`${n.toLocaleString("en-US")} matching, most recently stored first`);
  await expect(rows.locator("td:nth-child(5)")).toHaveText(Array(Math.min(25, n)).fill(verb.display));

  // A chosen column.
  await page.getByText("Columns (7)").click();
  await page.getByLabel("Statement id").check();
  await expect(table.getByRole("columnheader", { name: "Statement id" })).toBeVisible();
  await shot(page, "explorer-filtered-columns");

  // A filter that matches nothing says what to do next.
  const none = JSON.stringify({ field: "verb", eq: "http://example.com/verbs/never" });
  await page.goto(`/explorer?store=${env.store}&filter=${encodeURIComponent(none)}`);
  await expect(page.getByRole("heading", { name: "No statement matches this filter" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Loosen it in the query builder" })).toBeVisible();
  await shot(page, "explorer-empty");
  await expectAccessible(page, "the explorer's empty state");

  // A store without statements shows its xAPI endpoint and a curl command.
  const empty = await admin.call<{ id: string }>("POST", "/api/v1/stores", { organisation: env.org, name: "Empty store" });
  await page.goto(`/explorer?store=${empty.id}`);
  await expect(page.getByRole("heading", { name: "This store has no statements yet" })).toBeVisible();
  await expect(page.getByText(`${env.url}/xapi/statements`)).toBeVisible();
  await shot(page, "explorer-no-statements");
  await expectAccessible(page, "the explorer of an empty store");
});
