// Administration, organisations: create an organisation and one under it, add a member by email
// with a role, change the role, remove the member and delete the organisation, each removal
// after a confirmation; an email without an account gets the server's message. Axe; screenshots.
import { test, expect, shot, signIn } from "./fixtures";
import { expectAccessible } from "./a11y";

test("organisations and their members are managed in the browser", async ({ page, admin }) => {
  const email = `member-${Date.now()}@example.com`;
  await admin.call("POST", "/api/v1/users", { email, name: "Grace Member", password: "member-password-1" });
  await signIn(page);
  await page.goto("/admin/organisations");
  await expect(page.getByRole("heading", { name: "Organisations" })).toBeVisible();
  await expectAccessible(page, "organisations");

  await page.getByRole("button", { name: "New organisation", exact: true }).click();
  await page.getByRole("textbox", { name: "Name" }).fill("Northwind Learning");
  await page.getByRole("button", { name: "Create", exact: true }).click();
  await page.getByRole("button", { name: "New sub-organisation of Northwind Learning" }).click();
  await page.getByRole("textbox", { name: "Name" }).fill("Sales academy");
  await page.getByRole("button", { name: "Create", exact: true }).click();
  await expect(page.getByRole("row", { name: /Sales academy/ })).toContainText("└");

  // Members: add by email with a role, change it, remove it.
  await page.getByRole("button", { name: "Members of Northwind Learning" }).click();
  await expect(page.getByText("Nobody has a role here yet")).toBeVisible();
  await page.getByLabel("Email of the user").fill("nobody-here@example.com");
  await page.getByRole("button", { name: "Add member" }).click();
  await expect(page.getByRole("alert")).toContainText("no user has the email");
  await page.getByLabel("Email of the user").fill(email);
  await page.getByRole("combobox", { name: "Role", exact: true }).selectOption("analyst");
  await page.getByRole("button", { name: "Add member" }).click();
  const row = page.getByRole("row", { name: new RegExp(email) });
  await expect(row).toContainText("Grace Member");
  await expect(row.getByRole("combobox")).toHaveValue("analyst");
  await row.getByRole("combobox").selectOption("admin");
  await expect(row.getByRole("combobox")).toHaveValue("admin");
  const members = await admin.call<{ items: { email: string; role: string }[] }>(
    "GET",
    `/api/v1/organisations/${await orgId(admin, "Northwind Learning")}/members`,
  );
  expect(members.items).toEqual([expect.objectContaining({ email, role: "admin" })]);
  await expectAccessible(page, "members");
  await shot(page, "admin-organisations");
  await page.screenshot({ path: "../docs/img/admin-organisations.png", fullPage: true });

  await page.getByRole("button", { name: `Remove ${email}` }).click();
  await expect(page.getByRole("dialog")).toContainText("Their account stays");
  await page.getByRole("dialog").getByRole("button", { name: "Remove member" }).click();
  await expect(page.getByText("Nobody has a role here yet")).toBeVisible();

  // An organisation with one under it cannot be deleted: the server's message is shown.
  await page.getByRole("button", { name: "Delete Northwind Learning" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete organisation" }).click();
  await expect(page.getByRole("dialog").getByRole("alert")).toBeVisible();
  await page.getByRole("button", { name: "Cancel" }).click();
  await page.getByRole("button", { name: "Delete Sales academy" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete organisation" }).click();
  await expect(page.getByRole("row", { name: /Sales academy/ })).toHaveCount(0);
  await page.getByRole("button", { name: "Delete Northwind Learning" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete organisation" }).click();
  await expect(page.getByRole("row", { name: /Northwind Learning/ })).toHaveCount(0);
});

async function orgId(admin: { call: <T>(m: string, p: string) => Promise<T> }, name: string): Promise<string> {
  const l = await admin.call<{ items: { id: string; name: string }[] }>("GET", "/api/v1/organisations");
  const o = l.items.find((x) => x.name === name);
  if (!o) throw new Error(`no organisation ${name}`);
  return o.id;
}
