import { describe, expect, it } from "vitest";
import { cellText, iris, shortTime } from "./columns";

const item = {
  seq: 7,
  timestamp: "2026-12-05T14:03:22.123456+01:00",
  actor: "mbox:mailto:ada@example.com",
  verb: "http://adlnet.gov/expapi/verbs/completed",
  "object.id": "https://lms.example.com/courses/safety",
  "result.success": 1,
  "result.score.scaled": 0.75,
  statement: { actor: { name: "Ada Lovelace", mbox: "mailto:ada@example.com" } },
};

describe("explorer cells", () => {
  it("shows names, people and times as people read them", () => {
    const names = { "http://adlnet.gov/expapi/verbs/completed": "completed" };
    expect(cellText("timestamp", item, names)).toBe("2026-12-05 14:03:22");
    expect(cellText("actor", item, names)).toBe("Ada Lovelace");
    expect(cellText("actor", { ...item, statement: {} }, names)).toBe("ada@example.com");
    expect(cellText("verb", item, names)).toBe("completed");
    expect(cellText("object.id", item, names)).toBe("safety");
    expect(cellText("result.success", item, names)).toBe("yes");
    expect(cellText("result.score.scaled", item, names)).toBe("0.75");
    expect(cellText("registration", item, names)).toBe("");
    expect(shortTime("not a time")).toBe("not a time");
  });

  it("lists the IRIs to name, once each", () => {
    expect(iris([item, item], ["actor", "verb", "object.id"])).toEqual([
      "http://adlnet.gov/expapi/verbs/completed",
      "https://lms.example.com/courses/safety",
    ]);
  });
});
