// The dashboard load scenario (load/dashboard.load.ts), run by `load-tests/run.sh dashboard`
// against a server it started: Debian's chromium, one worker, no global setup.
import { defineConfig } from "@playwright/test";
import base from "./playwright.config";

export default defineConfig({
  ...base,
  testDir: "load",
  testMatch: "*.load.ts",
  globalSetup: undefined,
  timeout: 30 * 60_000,
});
