// The query builder on the generated store: conditions with values suggested as you type (by
// keyboard), a nested negated group on a context extension, the live count against the
// analytics API, the filter's JSON, saving by name and reopening, and axe-core.
import { test, expect, shot, signIn, env } from "./fixtures";
import { countStatements } from "./api";
import { expectAccessible } from "./a11y";
import { COHORT_EXT, VERBS } from "./generator";

const COMPLETED = VERBS.find((v) => v.display === "completed")!.id;

test("build a filter with autocomplete, see the count, copy the JSON, save it", async ({ page, admin }) => {
  await signIn(page);
  await page.goto(`/query?store=${env.store}`);
  await expect(page.getByRole("heading", { name: "Query builder" })).toBeVisible();
  // No conditions: every statement matches, and the screen says what to do.
  await expect(page.getByText("No conditions yet")).toBeVisible();
  const all = await countStatements(admin, env.store);
  await expect(page.getByTestId("match-count")).toHaveAttribute("data-count", String(all));
  await shot(page, "query-empty");
  await expectAccessible(page, "the empty query builder");

  // Verb is completed: typed, then chosen from the suggestions with the keyboard.
  await page.getByRole("button", { name: "+ Condition", exact: true }).click();
  const value = page.getByRole("combobox", { name: "Value of condition 1" });
  await value.pressSequentially("http://adlnet.gov/expapi/verbs/comp");
  const options = page.getByRole("listbox", { name: "Value of condition 1 suggestions" }).getByRole("option");
  await expect(options).toHaveCount(1);
  await expect(options.first()).toContainText("completed");
  await value.press("Enter");
  await expect(value).toHaveValue(COMPLETED);
  await expect(page.getByTestId("value-name")).toHaveText("“completed”");
  const completed = await countStatements(admin, env.store, { field: "verb", eq: COMPLETED });
  expect(completed).toBeGreaterThan(0);
  await expect(page.getByTestId("match-count")).toHaveAttribute("data-count", String(completed));

  // A nested group: none of (cohort-2, platform Moodle), on a context extension picked by IRI.
  await page.getByRole("button", { name: "+ Group", exact: true }).click();
  await page.getByLabel("Match of group 2").selectOption("not-or");
  await page.getByRole("button", { name: "+ Condition in group 2" }).click();
  await page.getByLabel("Field of condition 2.1").selectOption("context.extensions");
  const iri = page.getByRole("combobox", { name: "Extension IRI of condition 2.1" });
  await iri.pressSequentially("https://lms.example.com/ext/c");
  await page.getByRole("option", { name: new RegExp(COHORT_EXT) }).click();
  await expect(iri).toHaveValue(COHORT_EXT);
  const cohort = page.getByRole("combobox", { name: "Value of condition 2.1" });
  await cohort.pressSequentially("cohort-");
  await expect(page.getByRole("listbox", { name: "Value of condition 2.1 suggestions" }).getByRole("option")).toHaveCount(3);
  await shot(page, "query-autocomplete-extension");
  await page.getByRole("option", { name: /cohort-2/ }).click();
  await page.getByRole("button", { name: "+ Condition in group 2" }).click();
  await page.getByLabel("Field of condition 2.2").selectOption("context.platform");
  await page.getByRole("combobox", { name: "Value of condition 2.2" }).fill("Moodle");

  const filter = {
    and: [
      { field: "verb", eq: COMPLETED },
      { not: { or: [{ field: `context.extensions.${COHORT_EXT}`, eq: "cohort-2" }, { field: "context.platform", eq: "Moodle" }] } },
    ],
  };
  await expect(page.getByTestId("filter-json")).toHaveText(JSON.stringify(filter, null, 2));
  const narrowed = await countStatements(admin, env.store, filter);
  expect(narrowed).toBeGreaterThan(0);
  expect(narrowed).toBeLessThan(completed);
  await expect(page.getByTestId("match-count")).toHaveAttribute("data-count", String(narrowed));
  await expect(page.getByTestId("match-count")).toHaveText(`${narrowed.toLocaleString("en-US")} statements match`);
  await shot(page, "query-built");
  await expectAccessible(page, "the query builder with a nested group");

  // An unfinished condition names itself and does not count.
  await page.getByRole("button", { name: "+ Condition", exact: true }).click();
  await expect(page.getByRole("alert")).toHaveText("Condition 3: enter a value for Verb");
  await page.getByRole("button", { name: "Remove condition 3" }).click();

  // Saved by name; the name is unique in the store.
  await page.getByLabel("Name").fill("Completed outside cohort 2 and Moodle");
  await page.getByRole("button", { name: "Save as new" }).click();
  await expect(page.getByText("Loaded: Completed outside cohort 2 and Moodle")).toBeVisible();
  const saved = await admin.call<{ items: { name: string; filter: unknown }[] }>("GET", `/api/v1/stores/${env.store}/filters`);
  expect(saved.items.find((f) => f.name === "Completed outside cohort 2 and Moodle")?.filter).toEqual(filter);
  await page.getByLabel("Name").fill("completed outside cohort 2 and moodle");
  await page.getByRole("button", { name: "Save as new" }).click();
  await expect(page.getByRole("alert")).toContainText("already exists");

  // Starting over, then opening the saved filter, brings the same conditions and count back.
  await page.getByRole("button", { name: "Start over" }).click();
  await expect(page.getByTestId("match-count")).toHaveAttribute("data-count", String(all));
  await page.getByLabel("Open a saved filter").selectOption({ label: "Completed outside cohort 2 and Moodle" });
  await expect(page.getByTestId("filter-json")).toHaveText(JSON.stringify(filter, null, 2));
  await expect(page.getByTestId("match-count")).toHaveAttribute("data-count", String(narrowed));

  // The filter travels in the URL: a reload keeps it, and the explorer opens with it.
  await page.reload();
  await expect(page.getByTestId("filter-json")).toHaveText(JSON.stringify(filter, null, 2));
  await page.getByRole("link", { name: "Explore these statements" }).click();
  await expect(page.getByTestId("explorer-count")).toHaveText(`${narrowed.toLocaleString("en-US")} matching, most recently stored first`);
});
