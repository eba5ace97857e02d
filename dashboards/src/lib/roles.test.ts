import { describe, expect, it } from "vitest";
import { canEdit, roleOnOrganisation } from "./roles";
import type { Me, Organisation } from "../api/types";

const org = (id: string, parent: string | null = null): Organisation => ({
  id, name: id, parent, created: "", updated: "",
});
const me = (site_admin: boolean, memberships: [string, string][]): Me => ({
  user: { id: "u", email: "u@example.com", name: "U", site_admin, disabled: false, created: "", updated: "" } as Me["user"],
  memberships: memberships.map(([organisation, role]) => ({ organisation, role, user: "u", created: "", updated: "" })),
});

describe("roleOnOrganisation", () => {
  const orgs = [org("root"), org("child", "root"), org("leaf", "child"), org("other")];

  it("inherits a role from an ancestor and keeps the strongest", () => {
    const m = me(false, [["root", "viewer"], ["child", "analyst"]]);
    expect(roleOnOrganisation(m, orgs, "leaf")).toBe("analyst");
    expect(roleOnOrganisation(m, orgs, "root")).toBe("viewer");
  });

  it("has no role outside its organisations", () => {
    expect(roleOnOrganisation(me(false, [["child", "owner"]]), orgs, "other")).toBeNull();
    expect(roleOnOrganisation(me(false, [["child", "owner"]]), orgs, "root")).toBeNull();
  });

  it("makes site administrators owners everywhere", () => {
    expect(roleOnOrganisation(me(true, []), orgs, "other")).toBe("owner");
  });

  it("lets analysts and more edit, not viewers", () => {
    expect(canEdit("viewer")).toBe(false);
    expect(canEdit(null)).toBe(false);
    expect(canEdit("analyst")).toBe(true);
    expect(canEdit("owner")).toBe(true);
  });
});
