// CSV import of personas, the browser's part: parse the file (papaparse), check the header and
// each row for what the server would refuse anyway (no name, no identifier, half an account),
// and cut the good rows into chunks sent one request each, so the progress bar moves. The
// server checks the rest (identifier formats, identifiers held by another persona) and answers
// with the line of its chunk; `lineOf` maps that back to the line of the file.
import Papa from "papaparse";

/** Data rows per request. */
export const CHUNK_ROWS = 200;

/** One data row and the line of the file it starts on (the header is line 1). */
export type CsvRow = { line: number; cells: string[] };

/** A problem with one row: its line in the file and what is wrong. */
export type RowError = { line: number; message: string };

const IDENTIFIER_COLUMNS = ["mbox", "mbox_sha1sum", "openid"] as const;

export type Columns = {
  name: number;
  identifiers: number[];
  account: { homePage: number; name: number } | null;
};

/** The file as header and rows with their line numbers; blank lines are skipped. */
export function parseCsv(text: string): { header: string[]; rows: CsvRow[] } {
  const src = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const rows: CsvRow[] = [];
  let header: string[] | null = null;
  let prev = 0;
  let scanned = 0;
  let line = 1;
  Papa.parse<string[]>(src, {
    skipEmptyLines: true,
    step: (r) => {
      let start = prev;
      while (start < src.length && (src[start] === "\n" || src[start] === "\r")) start++;
      for (; scanned < start; scanned++) if (src[scanned] === "\n") line++;
      prev = r.meta.cursor;
      const cells = r.data;
      if (header === null) header = cells.map((c) => c.trim());
      else rows.push({ line, cells });
    },
  });
  return { header: header ?? [], rows };
}

/** Where the columns the import knows are, or what is wrong with the header. */
export function readHeader(header: string[]): Columns | { error: string } {
  const at = (name: string) => header.findIndex((h) => h.trim().toLowerCase() === name);
  const name = at("name");
  if (name < 0) return { error: "The CSV header has no name column." };
  const homePage = at("account_homepage");
  const account = at("account_name");
  if ((homePage < 0) !== (account < 0)) {
    return { error: "The CSV header needs both account_homepage and account_name, or neither." };
  }
  const identifiers = IDENTIFIER_COLUMNS.map(at).filter((i) => i >= 0);
  if (identifiers.length === 0 && homePage < 0) {
    return { error: "The CSV header has no identifier column (mbox, mbox_sha1sum, openid, or account_homepage with account_name)." };
  }
  return { name, identifiers, account: homePage < 0 ? null : { homePage, name: account } };
}

/** What is wrong with a row before it reaches the server, or null. */
export function rowProblem(cols: Columns, cells: string[]): string | null {
  const cell = (i: number) => (cells[i] ?? "").trim();
  if (!cell(cols.name)) return "the name is empty";
  const hasIdentifier = cols.identifiers.some((i) => cell(i) !== "");
  if (cols.account) {
    const home = cell(cols.account.homePage);
    const acc = cell(cols.account.name);
    if ((home === "") !== (acc === "")) return "account_homepage and account_name go together";
    if (home) return null;
  }
  return hasIdentifier ? null : "the row has no identifier";
}

/** A request's CSV and, for each line a row starts on in it, the row's line in the file. */
export type Chunk = { csv: string; rows: number; lineOf: Map<number, number> };

/** The rows worth sending, in chunks of `size`, each with the header line. */
export function chunks(header: string[], rows: CsvRow[], size = CHUNK_ROWS): Chunk[] {
  const head = Papa.unparse([header]);
  const headLines = head.split("\n").length;
  const out: Chunk[] = [];
  for (let i = 0; i < rows.length; i += size) {
    const part = rows.slice(i, i + size);
    const lineOf = new Map<number, number>();
    const texts: string[] = [head];
    let line = headLines + 1;
    for (const r of part) {
      const t = Papa.unparse([r.cells]);
      lineOf.set(line, r.line);
      texts.push(t);
      line += t.split("\n").length;
    }
    out.push({ csv: texts.join("\n") + "\n", rows: part.length, lineOf });
  }
  return out;
}

/** What the file holds: the rows to send and the rows already refused, or a header problem. */
export type Plan =
  | { error: string }
  | { header: string[]; total: number; send: CsvRow[]; refused: RowError[] };

export function plan(text: string): Plan {
  const { header, rows } = parseCsv(text);
  if (header.length === 0) return { error: "The file is empty." };
  const cols = readHeader(header);
  if ("error" in cols) return cols;
  if (rows.length === 0) return { error: "The CSV has a header but no rows." };
  const send: CsvRow[] = [];
  const refused: RowError[] = [];
  for (const r of rows) {
    const problem = rowProblem(cols, r.cells);
    if (problem) refused.push({ line: r.line, message: problem });
    else send.push(r);
  }
  return { header, total: rows.length, send, refused };
}

/** The server's row errors of a chunk, on the lines of the file. */
export function fileErrors(chunk: Chunk, errors: RowError[]): RowError[] {
  return errors.map((e) => ({ line: chunk.lineOf.get(e.line) ?? e.line, message: e.message }));
}
