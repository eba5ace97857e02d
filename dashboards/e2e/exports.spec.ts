// Exports on the generated store: a CSV of chosen fields (an extension among them) with times
// in New York, downloaded through the browser and checked line by line against the export API;
// whole statements as NDJSON likewise; and axe-core.
import { readFileSync } from "node:fs";
import type { Page } from "@playwright/test";
import { test, expect, shot, signIn, env } from "./fixtures";
import { countStatements } from "./api";
import { expectAccessible } from "./a11y";
import { COHORT_EXT, VERBS } from "./generator";

const COMPLETED = VERBS.find((v) => v.display === "completed")!.id;
const FILTER = { field: "verb", eq: COMPLETED };

async function download(page: Page, link: string): Promise<string> {
  const [d] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: link }).click()]);
  expect(await d.failure()).toBeNull();
  return readFileSync((await d.path())!, "utf8");
}

test("export the filter as CSV and as whole statements, streamed by the browser", async ({ page, admin }) => {
  await signIn(page);
  await page.goto(`/exports?store=${env.store}&filter=${encodeURIComponent(JSON.stringify(FILTER))}`);
  await expect(page.getByTestId("filter-text")).toHaveText("Verb is completed");
  const n = await countStatements(admin, env.store, FILTER);
  await expect(page.getByTestId("export-count")).toHaveText(`${n.toLocaleString("en-US")} statements will be exported.`);
  await expectAccessible(page, "the exports screen");

  // CSV: id, timestamp, actor, verb and the cohort extension; times in New York; newest first.
  await page.getByLabel("CSV").check();
  for (const f of ["Activity", "Success", "Scaled score"]) await page.getByLabel(f, { exact: true }).uncheck();
  await page.getByLabel("Extension kind").selectOption("context.extensions");
  await page.getByRole("combobox", { name: "Extension IRI" }).pressSequentially("https://lms.example.com/ext/c");
  await page.getByRole("option", { name: new RegExp(COHORT_EXT) }).click();
  await page.getByRole("button", { name: "Add extension field" }).click();
  await expect(page.getByRole("list", { name: "Extension fields" })).toContainText(`context.extensions.${COHORT_EXT}`);
  await page.getByLabel("Time zone").selectOption("America/New_York");
  await page.getByLabel("Order").selectOption("desc");
  await shot(page, "exports-csv");
  const csv = await download(page, "Download CSV");
  const fields = ["id", "timestamp", "actor", "verb", `context.extensions.${COHORT_EXT}`];
  const api = await admin.text("POST", `/api/v1/stores/${env.store}/statements/export?format=csv`, {
    filter: FILTER, fields, tz: "America/New_York", order: "desc",
  });
  const lines = csv.trimEnd().split("\n");
  expect(lines).toEqual(api.trimEnd().split("\n"));
  expect(lines).toHaveLength(n + 1);
  expect(lines[0]).toBe(fields.map((f) => `"${f}"`).join(","));
  for (const line of lines.slice(1)) {
    // ISO 8601 with New York's offset, never epoch microseconds.
    expect(line).toMatch(/^"[0-9a-f-]{36}","\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}-0[45]:00","mbox:mailto:[^"]+","http:\/\/adlnet\.gov\/expapi\/verbs\/completed","cohort-[123]"$/);
  }

  // Whole statements, oldest first: the same lines as the API's.
  await page.getByLabel("Whole statements").check();
  await page.getByLabel("Order").selectOption("asc");
  await expect(page.getByRole("checkbox", { name: "Statement id" })).toBeDisabled();
  const ndjson = await download(page, "Download Whole statements");
  const apiLines = (await admin.text("POST", `/api/v1/stores/${env.store}/statements/export`, { filter: FILTER, order: "asc" }))
    .trimEnd().split("\n");
  const got = ndjson.trimEnd().split("\n");
  expect(got).toEqual(apiLines);
  expect(got).toHaveLength(n);
  for (const l of got) expect((JSON.parse(l) as { verb: { id: string } }).verb.id).toBe(COMPLETED);
  await shot(page, "exports-statements");
  await expectAccessible(page, "the exports screen, whole statements");
});
