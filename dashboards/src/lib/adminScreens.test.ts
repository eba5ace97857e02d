import { describe, expect, it } from "vitest";
import { adminScreens, atLeast } from "./roles";
import type { Me } from "../api/types";

const me = (site_admin: boolean, roles: string[]): Me => ({
  user: { id: "u", email: "u@example.com", name: "U", site_admin, disabled: false, created: "", updated: "" } as Me["user"],
  memberships: roles.map((role, i) => ({ organisation: `o${i}`, role, user: "u", created: "", updated: "" })),
});

describe("adminScreens", () => {
  it("offers no administration to viewers and analysts", () => {
    expect(adminScreens(me(false, ["viewer", "analyst"]))).toEqual({ organisations: false, stores: false, users: false });
    expect(adminScreens(me(false, []))).toEqual({ organisations: false, stores: false, users: false });
  });

  it("offers organisations and stores to admins and owners, users to site administrators only", () => {
    expect(adminScreens(me(false, ["viewer", "admin"]))).toEqual({ organisations: true, stores: true, users: false });
    expect(adminScreens(me(false, ["owner"]))).toEqual({ organisations: true, stores: true, users: false });
    expect(adminScreens(me(true, []))).toEqual({ organisations: true, stores: true, users: true });
  });

  it("ignores roles it does not know", () => {
    expect(adminScreens(me(false, ["superuser"])).stores).toBe(false);
  });
});

describe("atLeast", () => {
  it("orders roles", () => {
    expect(atLeast("owner", "admin")).toBe(true);
    expect(atLeast("admin", "owner")).toBe(false);
    expect(atLeast(null, "viewer")).toBe(false);
  });
});
