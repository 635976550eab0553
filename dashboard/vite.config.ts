import { defineConfig } from "vite";

// `npm run dev` serves the dashboard with hot reload and sends API calls to a service started by scripts/run.
export default defineConfig({
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 1000 },
  server: {
    proxy: {
      "/api": process.env.CASTVAULT_URL ?? "http://127.0.0.1:8080",
      "/health": process.env.CASTVAULT_URL ?? "http://127.0.0.1:8080",
    },
  },
});
