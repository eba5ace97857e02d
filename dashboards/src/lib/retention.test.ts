import { describe, expect, it } from "vitest";
import { retentionText } from "./retention";

describe("retentionText", () => {
  it("reads forever when unset", () => {
    expect(retentionText(null)).toBe("Statements are kept forever.");
    expect(retentionText(undefined)).toBe("Statements are kept forever.");
  });
  it("names the months kept", () => {
    expect(retentionText(1)).toContain("kept for 1 whole month (");
    expect(retentionText(18)).toContain("kept for 18 whole months");
  });
});
