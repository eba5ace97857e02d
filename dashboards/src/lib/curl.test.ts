import { describe, expect, it } from "vitest";
import { curlCommand, xapiEndpoint } from "./curl";

describe("curlCommand", () => {
  it("uses placeholders without credentials", () => {
    const c = curlCommand(undefined, "https://lrs.example.com");
    expect(c).toContain("curl -u CLIENT_KEY:CLIENT_SECRET ");
    expect(c).toContain("https://lrs.example.com/xapi/statements");
  });

  it("fills in a client's key and secret, quoted for the shell when needed", () => {
    expect(curlCommand({ key: "abc", secret: "def" }, "http://x")).toContain("curl -u abc:def ");
    expect(curlCommand({ key: "a b", secret: "it's" }, "http://x")).toContain(`curl -u 'a b:it'\\''s' `);
  });

  it("names the endpoint with a trailing slash", () => {
    expect(xapiEndpoint("http://127.0.0.1:8080")).toBe("http://127.0.0.1:8080/xapi/");
  });
});
