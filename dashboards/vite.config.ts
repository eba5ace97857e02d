/// <reference types="vitest/config" />
// Vite builds the app into dist/ (served by `cairn serve` at `/`); `npm run dev` proxies the
// server's routes to a Cairn running on CAIRN_DEV_SERVER (default http://127.0.0.1:8080).
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

const target = process.env.CAIRN_DEV_SERVER ?? "http://127.0.0.1:8080";
const proxied = ["/api", "/xapi", "/s/", "/embed/"];

export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 1500 },
  server: {
    port: 5173,
    proxy: Object.fromEntries(proxied.map((p) => [p, { target, changeOrigin: false }])),
  },
  test: {
    include: ["src/**/*.test.ts", "src/**/*.test.tsx"],
    environment: "node",
  },
});
