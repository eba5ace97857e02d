// Node-side helpers for the end-to-end tests: the admin API with a session cookie, and the xAPI
// with the default client's credentials.
import { ADMIN, CLIENT } from "./server";

export class Session {
  constructor(readonly base: string, private cookie = "") {}

  static async login(base: string, email = ADMIN.email, password = ADMIN.password): Promise<Session> {
    const res = await fetch(`${base}/api/v1/auth/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email, password }),
    });
    if (!res.ok) throw new Error(`login ${email}: ${res.status} ${await res.text()}`);
    const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    return new Session(base, cookie);
  }

  /** The body of an answer as text (exports). */
  async text(method: string, path: string, body?: unknown): Promise<string> {
    const headers: Record<string, string> = { Cookie: this.cookie, Origin: this.base };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const res = await fetch(`${this.base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text;
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    // As the web app in a browser: the cookie and the page's origin (cookie writes need both).
    const headers: Record<string, string> = { Cookie: this.cookie, Origin: this.base };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

export async function postStatements(base: string, statements: unknown[]): Promise<string[]> {
  const res = await fetch(`${base}/xapi/statements`, {
    method: "POST",
    headers: {
      Authorization: `Basic ${Buffer.from(`${CLIENT.key}:${CLIENT.secret}`).toString("base64")}`,
      "X-Experience-API-Version": "2.0.0",
      "Content-Type": "application/json",
    },
    body: JSON.stringify(statements),
  });
  if (!res.ok) throw new Error(`POST /xapi/statements: ${res.status} ${await res.text()}`);
  return (await res.json()) as string[];
}

/** The number of statements ClickHouse answers for the store (once projected). */
export async function countStatements(s: Session, store: string, filter?: unknown): Promise<number> {
  const a = await s.call<{ rows: { values: (number | null)[] }[] }>("POST", `/api/v1/stores/${store}/aggregate`, {
    group_by: [],
    measures: ["count"],
    ...(filter ? { filter } : {}),
  });
  return a.rows[0]?.values[0] ?? 0;
}

export async function waitForCount(s: Session, store: string, want: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = await countStatements(s, store);
    if (n >= want) return;
    if (Date.now() > deadline) throw new Error(`only ${n} of ${want} statements projected`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
