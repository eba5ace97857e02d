// People on the generated store: search, a persona's page (identifiers, attributes, statement
// count and recent statements by name), rename, merging a persona in and splitting an
// identifier out (each confirmed), a CSV import with a bad row listed by row number and the
// good rows imported, the empty state of a store without personas, axe-core, and a viewer who
// reads but sees no action that changes a persona.
import { test, expect, shot, signIn, env } from "./fixtures";
import { countStatements } from "./api";
import { expectAccessible } from "./a11y";
import { ACTORS, VERBS } from "./generator";

type Persona = { id: string; name: string; identifiers: Record<string, unknown>[]; attributes: Record<string, string> };

test("find, rename, merge and split personas, and import them from CSV", async ({ page, admin }) => {
  const path = `/api/v1/stores/${env.store}/personas`;
  const actor = ACTORS.find((a) => a.name === "Grace Hopper")!;
  const grace = await admin.call<Persona>("POST", path, {
    name: "G. Hopper", attributes: { team: "Compilers" }, identifiers: [{ mbox: actor.mbox }],
  });
  const home = await admin.call<Persona>("POST", path, {
    name: "Grace at home",
    identifiers: [{ mbox: "mailto:grace@home.example.com" }, { account: { homePage: "https://lms.example.com", name: "grace-h" } }],
  });
  const other = ACTORS.find((a) => a.name === "Alan Turing")!;
  await admin.call<Persona>("POST", path, { name: "Alan Turing", identifiers: [{ mbox: other.mbox }] });
  // The persona mapping reaches ClickHouse shortly after: wait for the API to count by persona.
  const mine = { field: "persona", eq: grace.id };
  const actorCount = await countStatements(admin, env.store, { field: "actor", eq: `mbox:${actor.mbox}` });
  expect(actorCount).toBeGreaterThan(0);
  await expect.poll(() => countStatements(admin, env.store, mine), { timeout: 30_000 }).toBe(actorCount);

  // The list, then a server-side search by part of an email address.
  await signIn(page);
  await page.goto(`/people?store=${env.store}`);
  const table = page.getByRole("table", { name: "Personas" });
  await expect(table.getByRole("link", { name: "G. Hopper" })).toBeVisible();
  await expect(table.locator("tbody tr")).toHaveCount(3);
  await shot(page, "people-list");
  await expectAccessible(page, "the people list");
  await page.getByLabel("Search people").fill("grace.hopper@");
  await expect(table.locator("tbody tr")).toHaveCount(1);
  await expect(table.locator("tbody tr").first()).toContainText("grace.hopper@example.com");
  await expect(page).toHaveURL(/q=grace.hopper%40/);
  await page.getByLabel("Search people").fill("compilers");
  await expect(table.locator("tbody tr")).toHaveCount(1);
  await page.getByLabel("Search people").fill("nobody-at-all");
  await expect(page.getByRole("heading", { name: "No persona matches “nobody-at-all”" })).toBeVisible();
  await page.getByLabel("Search people").fill("hopper");
  await table.getByRole("link", { name: "G. Hopper" }).click();

  // The persona's page: identifiers, attributes, statement count, recent statements by name.
  await expect(page.getByRole("heading", { level: 1, name: "G. Hopper" })).toBeVisible();
  await expect(page.getByRole("region", { name: "Identifiers" })).toContainText(actor.mbox.replace("mailto:", ""));
  await expect(page.getByRole("region", { name: "Attributes" })).toContainText("Compilers");
  await expect(page.getByTestId("persona-count")).toHaveText(`${actorCount.toLocaleString("en-US")} statements`);
  const recent = page.getByRole("table", { name: "Most recent statements of this persona" });
  const api = await admin.call<{ items: { verb: string }[] }>("POST", `/api/v1/stores/${env.store}/statements/query?limit=10`, {
    filter: mine, fields: ["verb"], order: "desc",
  });
  await expect(recent.locator("tbody tr")).toHaveCount(Math.min(10, actorCount));
  await expect(recent.locator("tbody td:nth-child(3)")).toHaveText(api.items.map((i) => VERBS.find((v) => v.id === i.verb)!.display));
  await shot(page, "persona-page");
  await expectAccessible(page, "a persona's page");

  // Rename.
  await page.getByRole("button", { name: "Rename" }).click();
  const rename = page.getByRole("dialog", { name: "Rename persona" });
  await rename.getByLabel("Name").fill("Grace Hopper");
  await rename.getByRole("button", { name: "Rename" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Grace Hopper" })).toBeVisible();
  expect((await admin.call<Persona>("GET", `${path}/${grace.id}`)).name).toBe("Grace Hopper");

  // Merge "Grace at home" in: found by search, then confirmed.
  await page.getByRole("button", { name: "Merge another persona in…" }).click();
  const merge = page.getByRole("dialog", { name: "Merge another persona into Grace Hopper" });
  await merge.getByLabel("Find the persona to merge in").fill("home");
  await merge.getByRole("radio", { name: /Grace at home/ }).check();
  await shot(page, "persona-merge-pick");
  await expectAccessible(page, "the merge dialog");
  await merge.getByRole("button", { name: "Merge…" }).click();
  const confirm = page.getByRole("dialog", { name: "Merge personas" });
  await expect(confirm).toContainText("Merge Grace at home into Grace Hopper?");
  await shot(page, "persona-merge-confirm");
  await confirm.getByRole("button", { name: "Merge", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Grace at home was merged into Grace Hopper." })).toBeVisible();
  const ids = page.getByRole("region", { name: "Identifiers" }).getByRole("listitem");
  await expect(ids).toHaveCount(3);
  await expect(page.getByRole("region", { name: "Identifiers" })).toContainText("grace-h at https://lms.example.com");
  await expect(admin.call("GET", `${path}/${home.id}`)).rejects.toThrow(/404/);

  // Split the LMS account out into a new persona.
  await page.getByRole("button", { name: "Split identifiers out…" }).click();
  const split = page.getByRole("dialog", { name: "Split identifiers out of Grace Hopper" });
  await split.getByRole("checkbox", { name: /grace-h at https:\/\/lms.example.com/ }).check();
  await split.getByLabel("Name of the new persona").fill("Grace (LMS)");
  await shot(page, "persona-split-pick");
  await expectAccessible(page, "the split dialog");
  await split.getByRole("button", { name: "Split…" }).click();
  const confirmSplit = page.getByRole("dialog", { name: "Split identifiers out" });
  await expect(confirmSplit).toContainText("into a new persona Grace (LMS)?");
  await confirmSplit.getByRole("button", { name: "Split", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "moved to the new persona Grace (LMS)" })).toBeVisible();
  await expect(ids).toHaveCount(2);
  await shot(page, "persona-after-split");
  const found = await admin.call<{ items: Persona[] }>("GET", `${path}?q=${encodeURIComponent("Grace (LMS)")}`);
  expect(found.items.map((p) => [p.name, p.identifiers])).toEqual([
    ["Grace (LMS)", [{ account: { homePage: "https://lms.example.com", name: "grace-h" } }]],
  ]);
  // The new persona's page opens from the notice.
  await page.getByRole("link", { name: "Open Grace (LMS)" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Grace (LMS)" })).toBeVisible();
  await expect(page.getByTestId("persona-count")).toHaveText("0 statements");

  // CSV import: row 3 has an address without mailto:, row 5 has no name; the others import.
  await page.goto(`/people?store=${env.store}`);
  await page.getByRole("button", { name: "Import CSV…" }).click();
  const dialog = page.getByRole("dialog", { name: "Import personas from CSV" });
  const csv = [
    "name,mbox,team",
    "Barbara Liskov,mailto:barbara.liskov@example.com,Types",
    "Bad Address,barbara@example.com,Nobody",
    "Ken Thompson,mailto:ken.thompson@example.com,Unix",
    ",mailto:nameless@example.com,Nobody",
    "Ken Thompson,mailto:ken@bell-labs.example.com,",
  ].join("\n");
  await dialog.getByLabel("CSV file").setInputFiles({ name: "people.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await dialog.getByRole("button", { name: "Import" }).click();
  const bar = dialog.getByRole("progressbar", { name: "Import progress" });
  await expect(bar).toHaveAttribute("max", "5");
  await expect(bar).toHaveAttribute("value", "5");
  await expect(dialog.getByTestId("import-summary")).toHaveText(
    "2 personas created, 1 row added to existing personas, 2 rows not imported.",
  );
  const errors = dialog.getByRole("table", { name: "Rows not imported" }).locator("tbody tr");
  await expect(errors).toHaveCount(2);
  await expect(errors.nth(0).locator("td").first()).toHaveText("3");
  await expect(errors.nth(0).locator("td").nth(1)).toContainText("mailto");
  await expect(errors.nth(1).locator("td")).toHaveText(["5", "the name is empty"]);
  await shot(page, "people-import");
  await expectAccessible(page, "the import report");
  await dialog.getByRole("button", { name: "Done" }).click();
  await page.getByLabel("Search people").fill("ken");
  await expect(table.locator("tbody tr")).toHaveCount(1);
  await expect(table.locator("tbody tr").first()).toContainText("ken.thompson@example.com, ken@bell-labs.example.com");
  const ken = await admin.call<{ items: Persona[] }>("GET", `${path}?q=Thompson`);
  expect(ken.items.map((p) => [p.name, p.attributes])).toEqual([["Ken Thompson", { team: "Unix" }]]);
  const bad = await admin.call<{ items: Persona[] }>("GET", `${path}?q=${encodeURIComponent("Bad Address")}`);
  expect(bad.items).toEqual([]);

  // A store without personas says how they come to exist and offers the import.
  const empty = await admin.call<{ id: string }>("POST", "/api/v1/stores", { organisation: env.org, name: "No personas" });
  await page.goto(`/people?store=${empty.id}`);
  await expect(page.getByRole("heading", { name: "No personas yet" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Import a CSV file" })).toBeVisible();
  await shot(page, "people-empty");
  await expectAccessible(page, "the people screen of a store without personas");
});

test("a viewer reads people but changes nothing", async ({ page, admin }) => {
  const email = "people-viewer@example.com";
  const password = "people-viewer-password-1";
  const user = await admin.call<{ id: string }>("POST", "/api/v1/users", { email, name: "Pia Viewer", password });
  await admin.call("PUT", `/api/v1/organisations/${env.org}/members/${user.id}`, { role: "viewer" });
  const p = await admin.call<Persona>("POST", `/api/v1/stores/${env.store}/personas`, {
    name: "Read Only", identifiers: [{ mbox: "mailto:read.only@example.com" }],
  });

  await signIn(page, email, password);
  await page.goto(`/people?store=${env.store}&q=read.only`);
  await expect(page.getByRole("table", { name: "Personas" }).locator("tbody tr")).toHaveCount(1);
  await expect(page.getByRole("button", { name: "Import CSV…" })).toHaveCount(0);
  await page.getByRole("link", { name: "Read Only" }).click();
  await expect(page.getByRole("heading", { level: 1, name: p.name })).toBeVisible();
  await expect(page.getByTestId("persona-count")).toHaveText("0 statements");
  await expect(page.getByRole("button", { name: /Rename|Merge|Split|Delete/ })).toHaveCount(0);
});
