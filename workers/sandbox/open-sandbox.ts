import { z } from "zod";
import type { SandboxBackend } from "./backend";
import { cloudflareSandbox } from "./cloudflare";
import { type GitEgressHandler, localSandbox } from "./local";

const sandboxSettingsSchema = z.discriminatedUnion("SANDBOX_BACKEND", [
  z.object({ SANDBOX_BACKEND: z.literal("cloudflare") }),
  z.object({
    SANDBOX_BACKEND: z.literal("local"),
    SANDBOX_HOST_URL: z.url({ protocol: /^https?$/, error: "must be the sandbox host's http URL" }),
    SANDBOX_HOST_SECRET: z.string().min(16, "must be the local stack's secret"),
  }),
]);

export type SandboxEnv = Pick<Env, "SANDBOX_BACKEND" | "SANDBOX_HOST_URL" | "SANDBOX_HOST_SECRET" | "Sandbox">;

/**
 * The sandbox of one user, on the backend the Worker's configuration names. Git's requests
 * from it reach `gitEgress`: directly from the local host's relay, or in production through
 * the container runtime and the user's object (`UserSandbox`), which ends in the same place.
 */
export function openSandbox(env: SandboxEnv, userId: string, gitEgress: GitEgressHandler): SandboxBackend {
  const parsed = sandboxSettingsSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
    throw new Error(`Sandbox configuration is invalid (${problems})`);
  }
  const settings = parsed.data;
  if (settings.SANDBOX_BACKEND === "local") {
    return localSandbox(
      { hostUrl: settings.SANDBOX_HOST_URL, secret: settings.SANDBOX_HOST_SECRET },
      userId,
      gitEgress,
    );
  }
  return cloudflareSandbox(env.Sandbox, userId);
}
