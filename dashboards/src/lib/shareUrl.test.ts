import { describe, expect, it } from "vitest";
import { iframeSnippet, parseDomains, readAuth, shareUrl } from "./shareUrl";

describe("shareUrl", () => {
  it("builds page and embed addresses", () => {
    expect(shareUrl("https://lrs.example.com", "abc", "s")).toBe("https://lrs.example.com/s/abc");
    expect(shareUrl("https://lrs.example.com/", "abc", "embed")).toBe("https://lrs.example.com/embed/abc");
  });

  it("carries a plain filter or a token, and reads them back", () => {
    const f = { field: "actor", eq: "mbox:mailto:a@example.com" };
    const url = shareUrl("http://127.0.0.1:8080", "l1", "embed", { filter: f });
    expect(JSON.parse(readAuth(new URL(url).search).filter ?? "")).toEqual(f);
    const t = shareUrl("http://127.0.0.1:8080", "l1", "s", { token: "a.b.c" });
    expect(readAuth(new URL(t).search)).toEqual({ token: "a.b.c" });
  });
});

describe("iframeSnippet", () => {
  it("escapes the address and the title", () => {
    expect(iframeSnippet('https://x/embed/l?filter={"a":1}&b', 'Q3 "sales"')).toBe(
      '<iframe src="https://x/embed/l?filter={&quot;a&quot;:1}&amp;b" title="Q3 &quot;sales&quot;" width="100%" height="600" style="border:0" loading="lazy"></iframe>',
    );
  });
});

describe("parseDomains", () => {
  it("normalises sites to origins", () => {
    expect(parseDomains("lms.example.com, http://127.0.0.1:5000\nhttps://lms.example.com")).toEqual({
      domains: ["https://lms.example.com", "http://127.0.0.1:5000"],
    });
  });

  it("refuses paths, other schemes and an empty list", () => {
    expect(parseDomains("https://lms.example.com/courses")).toEqual({
      error: "give the site only, without a path: https://lms.example.com/courses",
    });
    expect(parseDomains("ftp://x.example.com")).toEqual({ error: "not a web address: ftp://x.example.com" });
    expect(parseDomains(" ")).toEqual({ error: "list at least one site that may embed the dashboard" });
  });
});
