import { describe, expect, it } from "vitest";
import Papa from "papaparse";
import { chunks, fileErrors, parseCsv, plan, readHeader, rowProblem } from "./csvImport";

describe("parseCsv", () => {
  it("numbers rows by the line they start on, past blank lines and quoted line breaks", () => {
    const text = "\uFEFFname , mbox\r\nAda,mailto:ada@example.com\r\n\r\n\"Grace\nHopper\",mailto:g@example.com\r\nAlan,\r\n";
    const { header, rows } = parseCsv(text);
    expect(header).toEqual(["name", "mbox"]);
    expect(rows).toEqual([
      { line: 2, cells: ["Ada", "mailto:ada@example.com"] },
      { line: 4, cells: ["Grace\nHopper", "mailto:g@example.com"] },
      { line: 6, cells: ["Alan", ""] },
    ]);
  });

  it("answers no header for an empty file", () => {
    expect(parseCsv("")).toEqual({ header: [], rows: [] });
  });
});

describe("readHeader", () => {
  it("finds the columns, whatever their case", () => {
    expect(readHeader(["Team", "NAME", "Mbox", "openid", "Account_HomePage", "account_name"])).toEqual({
      name: 1,
      identifiers: [2, 3],
      account: { homePage: 4, name: 5 },
    });
  });

  it("says what is wrong with a header", () => {
    expect(readHeader(["mbox"])).toEqual({ error: "The CSV header has no name column." });
    expect(readHeader(["name", "mbox", "account_name"])).toEqual({
      error: "The CSV header needs both account_homepage and account_name, or neither.",
    });
    expect(readHeader(["name", "team"])).toHaveProperty("error");
  });
});

describe("rowProblem", () => {
  const cols = { name: 0, identifiers: [1], account: { homePage: 2, name: 3 } };

  it("accepts a row with a name and any identifier", () => {
    expect(rowProblem(cols, ["Ada", "mailto:a@example.com", "", ""])).toBeNull();
    expect(rowProblem(cols, ["Ada", "", "https://lms.example.com", "ada"])).toBeNull();
    expect(rowProblem(cols, ["Ada", "mailto:a@example.com"])).toBeNull();
  });

  it("names what is wrong", () => {
    expect(rowProblem(cols, [" ", "mailto:a@example.com", "", ""])).toBe("the name is empty");
    expect(rowProblem(cols, ["Ada", "", "", ""])).toBe("the row has no identifier");
    expect(rowProblem(cols, ["Ada", "mailto:a@example.com", "https://lms.example.com", ""])).toBe(
      "account_homepage and account_name go together",
    );
  });
});

describe("plan", () => {
  it("refuses bad rows with their line and keeps the others to send", () => {
    const p = plan("name,mbox\nAda,mailto:ada@example.com\n,mailto:x@example.com\nGrace,mailto:g@example.com\n");
    expect(p).toEqual({
      header: ["name", "mbox"],
      total: 3,
      send: [
        { line: 2, cells: ["Ada", "mailto:ada@example.com"] },
        { line: 4, cells: ["Grace", "mailto:g@example.com"] },
      ],
      refused: [{ line: 3, message: "the name is empty" }],
    });
  });

  it("says why nothing can be imported", () => {
    expect(plan("")).toEqual({ error: "The file is empty." });
    expect(plan("name,mbox\n")).toEqual({ error: "The CSV has a header but no rows." });
    expect(plan("who,mbox\nAda,mailto:a@example.com")).toEqual({ error: "The CSV header has no name column." });
  });
});

describe("chunks", () => {
  const rows = [
    { line: 2, cells: ["Ada", "mailto:a@example.com"] },
    { line: 5, cells: ["Grace\nHopper", "mailto:g@example.com"] },
    { line: 7, cells: ["Alan, T.", "mailto:t@example.com"] },
  ];

  it("cuts rows into requests that each carry the header and read back as the same rows", () => {
    const c = chunks(["name", "mbox"], rows, 2);
    expect(c.map((x) => x.rows)).toEqual([2, 1]);
    const back = c.flatMap((x) => (Papa.parse<string[]>(x.csv, { skipEmptyLines: true }).data).slice(1));
    expect(back).toEqual(rows.map((r) => r.cells));
    for (const x of c) expect(x.csv.startsWith("name,mbox\n")).toBe(true);
  });

  it("maps a chunk's lines, as the server counts them, back to the file's", () => {
    const [first, second] = chunks(["name", "mbox"], rows, 2);
    // Chunk 1: header on line 1, Ada on 2, Grace on 3-4.
    expect([...first!.lineOf]).toEqual([[2, 2], [3, 5]]);
    expect([...second!.lineOf]).toEqual([[2, 7]]);
    expect(fileErrors(first!, [{ line: 3, message: "bad mbox" }])).toEqual([{ line: 5, message: "bad mbox" }]);
  });
});
