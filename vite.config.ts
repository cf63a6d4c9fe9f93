import { cloudflare } from "@cloudflare/vite-plugin";
import { reactRouter } from "@react-router/dev/vite";
import tailwindcss from "@tailwindcss/vite";
import { defineConfig } from "vite";
import { flushEventStreamHeadersPlugin } from "./local/flush-event-stream.ts";

export default defineConfig(({ command }) => ({
  plugins: [
    // Dev only: SSE headers leave at once, as under wrangler dev (issue 13, case 11).
    flushEventStreamHeadersPlugin(),
    cloudflare({
      viteEnvironment: { name: "ssr" },
      // Dev only: the Worker also exports ContainerProxy, a WorkerEntrypoint (the Sandbox SDK's,
      // workers/app.ts). The plugin expects only the exports wrangler.toml names; at start it loads
      // the Worker to see them all, and on finding one more it restarts workerd, which loads the
      // whole Worker again on the first request (about 2 s of CPU per `npm run dev`). A binding
      // to that entrypoint names it; the built Worker, and so production, has no such binding.
      config:
        command === "serve"
          ? ({ name = "ctx4-ai", services = [] }) => ({
              services: [...services, { binding: "CONTAINER_PROXY", service: name, entrypoint: "ContainerProxy" }],
            })
          : undefined,
    }),
    tailwindcss(),
    reactRouter(),
  ],
}));
