import { describe, expect, it } from "vitest";
import { orgTree } from "./orgTree";
import type { Organisation } from "../../api/types";

const org = (id: string, parent: string | null = null, name = id): Organisation => ({
  id, name, parent, created: "", updated: "",
});

describe("orgTree", () => {
  it("puts children under their parent, by name, with their depth", () => {
    const t = orgTree([org("b"), org("a2", "a", "Zed"), org("a"), org("a1", "a", "Alpha"), org("x", "a1")]);
    expect(t.map((n) => [n.org.id, n.depth])).toEqual([
      ["a", 0], ["a1", 1], ["x", 2], ["a2", 1], ["b", 0],
    ]);
  });

  it("shows an organisation whose parent is not visible as a root", () => {
    expect(orgTree([org("c", "hidden")]).map((n) => n.depth)).toEqual([0]);
  });
});
