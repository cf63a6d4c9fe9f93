import { cloudflare } from "@cloudflare/vite-plugin";
import { reactRouter } from "@react-router/dev/vite";
import tailwindcss from "@tailwindcss/vite";
import { defineConfig } from "vite";
import { flushEventStreamHeadersPlugin } from "./local/flush-event-stream";

export default defineConfig({
  plugins: [
    // Dev only: SSE headers leave at once, as under wrangler dev (issue 13, case 11).
    flushEventStreamHeadersPlugin(),
    cloudflare({ viteEnvironment: { name: "ssr" } }),
    tailwindcss(),
    reactRouter(),
  ],
});
