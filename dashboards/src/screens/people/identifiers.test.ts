import { describe, expect, it } from "vitest";
import { identifierSummary, identifierText } from "./identifiers";

describe("identifierText", () => {
  it("reads each kind of identifier", () => {
    expect(identifierText({ mbox: "mailto:ada@example.com" })).toEqual({
      kind: "Email", value: "ada@example.com", key: "mbox:mailto:ada@example.com",
    });
    expect(identifierText({ account: { homePage: "https://lms.example.com", name: "u42" } })).toEqual({
      kind: "Account", value: "u42 at https://lms.example.com", key: "account:https://lms.example.com|u42",
    });
    expect(identifierText({ openid: "https://id.example.com/ada" }).kind).toBe("OpenID");
    expect(identifierText({ mbox_sha1sum: "ab12" })).toEqual({ kind: "Email SHA1", value: "ab12", key: "mbox_sha1sum:ab12" });
  });
});

describe("identifierSummary", () => {
  it("lists two and counts the rest", () => {
    const l = ["a", "b", "c", "d"].map((x) => ({ mbox: `mailto:${x}@example.com` }));
    expect(identifierSummary(l.slice(0, 1))).toBe("a@example.com");
    expect(identifierSummary(l)).toBe("a@example.com, b@example.com and 2 more");
    expect(identifierSummary([])).toBe("");
  });
});
