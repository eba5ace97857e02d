// Playwright global setup: starts cairn (see server.ts), fills the default store with generated
// statements through the xAPI and waits until ClickHouse has them; passes the server's address
// and the store to the tests in the environment. Builds nothing: run `npm run build` first.
import type { FullConfig } from "@playwright/test";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { Session, postStatements, waitForCount } from "./api";
import { generateStatements } from "./generator";
import { startCairn, stopCairn } from "./server";

export const SEED_COUNT = 3000;

export default async function globalSetup(_config: FullConfig): Promise<() => Promise<void>> {
  if (!existsSync(resolve(import.meta.dirname, "../dist/index.html"))) {
    throw new Error("dashboards/dist is missing: run `npm run build` before the end-to-end tests");
  }
  const running = await startCairn();
  try {
    const admin = await Session.login(running.url);
    const stores = await admin.call<{ items: { id: string; organisation: string }[] }>("GET", "/api/v1/stores");
    const store = stores.items[0];
    if (!store) throw new Error("the server has no default store");
    const statements = generateStatements(SEED_COUNT, 42, new Date());
    for (let i = 0; i < statements.length; i += 500) await postStatements(running.url, statements.slice(i, i + 500));
    await waitForCount(admin, store.id, SEED_COUNT);
    process.env.CAIRN_E2E_URL = running.url;
    process.env.CAIRN_E2E_STORE = store.id;
    process.env.CAIRN_E2E_ORG = store.organisation;
  } catch (e) {
    await stopCairn(running);
    throw e;
  }
  return () => stopCairn(running);
}
