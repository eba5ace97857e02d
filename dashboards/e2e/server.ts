// Starts and stops the cairn debug binary for the end-to-end tests: a free loopback port, a
// temporary data directory, a fresh ClickHouse database, the built app (dist/) as web_dir, and a
// site administrator created before `serve` (unless asked not to: the first run). The server's
// standard output is kept (the set-up link is printed there).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ADMIN = { email: "admin@example.com", password: "e2e-admin-password-1" };
export const CLIENT = { key: "e2ee2ee2ee2ee2ee2ee2ee2ee2ee2ee2", secret: "5ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2" };

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => ok(port));
    });
  });
}

export type Running = {
  url: string;
  child: ChildProcess;
  dataDir: string;
  database: string;
  clickhouse: string;
  /** What the server printed on its standard output so far. */
  output: () => string;
};

export type StartOptions = {
  /** Create the site administrator before `serve` (default true). */
  siteAdmin?: boolean;
  /** More settings, as CAIRN_* variables. */
  env?: Record<string, string>;
  /** Listen on this port (default: a free one). */
  port?: number;
};

export async function startCairn(opts: StartOptions = {}): Promise<Running> {
  const bin = resolve(process.env.CAIRN_BIN ?? join(import.meta.dirname, "../../target/debug/cairn"));
  const clickhouse = process.env.CAIRN_TEST_CLICKHOUSE_URL;
  if (!clickhouse) {
    throw new Error("set CAIRN_TEST_CLICKHOUSE_URL to a ClickHouse server (scripts/clickhouse.sh start --port 18400 --dir var/ch)");
  }
  const port = opts.port ?? (await freePort());
  const dataDir = mkdtempSync(join(tmpdir(), "cairn-e2e-"));
  const database = `cairn_e2e_${process.pid}_${port}`;
  // Only the settings below reach the server: the test's own CAIRN_BIN and
  // CAIRN_TEST_CLICKHOUSE_URL are not settings of cairn.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("CAIRN_")),
  );
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    CAIRN_DATA_DIR: dataDir,
    CAIRN_HTTP_ADDR: `127.0.0.1:${port}`,
    CAIRN_CLICKHOUSE_URL: clickhouse,
    CAIRN_CLICKHOUSE_DATABASE: database,
    CAIRN_WEB_DIR: resolve(import.meta.dirname, "../dist"),
    CAIRN_DEFAULT_CLIENT_KEY: CLIENT.key,
    CAIRN_DEFAULT_CLIENT_SECRET: CLIENT.secret,
    CAIRN_RATE_LIMIT_USER_PER_SECOND: "0",
    CAIRN_LOGIN_ATTEMPTS_PER_MINUTE: "0",
    CAIRN_LOG: process.env.CAIRN_LOG ?? "warn",
    // Servers run side by side: no shared /metrics port.
    CAIRN_METRICS_ADDR: "off",
    ...opts.env,
  };
  const run = (args: string[], input?: string) => {
    const r = spawnSync(bin, args, { env, input, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`cairn ${args.join(" ")} failed: ${r.error?.message ?? ""}${r.stderr}`);
  };
  run(["migrate"]);
  if (opts.siteAdmin ?? true) {
    run(["admin", "site-admin", "--email", ADMIN.email, "--password-stdin"], ADMIN.password);
  }
  const child = spawn(bin, ["serve"], { env, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout?.setEncoding("utf8");
  child.stdout?.on("data", (chunk: string) => {
    out += chunk;
    process.stdout.write(chunk);
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`cairn serve exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/api/v1/me`);
      if (res.status === 401) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error("cairn serve did not answer within 60 s");
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, child, dataDir, database, clickhouse, output: () => out };
}

export async function stopCairn(r: Running): Promise<void> {
  if (r.child.exitCode === null) {
    const exited = new Promise((ok) => r.child.once("exit", ok));
    r.child.kill("SIGTERM");
    await Promise.race([exited, new Promise((ok) => setTimeout(ok, 10_000))]);
    if (r.child.exitCode === null) r.child.kill("SIGKILL");
  }
  await fetch(`${r.clickhouse}/?query=${encodeURIComponent(`DROP DATABASE IF EXISTS ${r.database}`)}`, { method: "POST" }).catch(() => undefined);
  rmSync(r.dataDir, { recursive: true, force: true });
}
