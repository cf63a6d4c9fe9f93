import { parseArgs } from "node:util";
import { z } from "zod";

/** What one smoke run checks, read from the command line and the environment by {@link readOptions}. */
export interface SmokeOptions {
  /** The deployment's origin (`https://host[:port]`), exactly what `APP_ORIGIN` must be. */
  origin: string;
  /** For the full run: a refresh token of a test account's grant, and the client it was issued to. */
  account?: { refreshToken: string; clientId: string };
  /** Also commit a smoke file to the test account's memory and remove it again (needs `ctx:write`). */
  write: boolean;
  /** Instead of the checks: get a test account's first refresh token through its consent (./authorize.ts). */
  authorize: boolean;
}

export const USAGE = `usage: npm run smoke -- <origin> [--client-id <id> --refresh-token <token>] [--write]
       npm run smoke -- <origin> --authorize

  <origin>          the deployment, e.g. https://ctx4-ai.example.workers.dev
  --client-id       the OAuth client the refresh token was issued to
  --refresh-token   a test account's refresh token (or env CTX4_SMOKE_REFRESH_TOKEN);
                    with it, the run also calls the MCP tools and prints the refresh token
                    to use next time (each one works once)
  --write           also commit a smoke file to the test account's memory and remove it
  --authorize       get a test account's first client id and refresh token: prints a URL to
                    open in a browser signed in as that account, then both`;

/** The origin: http(s), no path, query, fragment or credentials (it is compared with the server's own). */
const Origin = z
  .string()
  .refine((value) => URL.canParse(value), "is not a URL")
  .transform((value) => new URL(value))
  .refine((url) => url.protocol === "https:" || url.protocol === "http:", "must be http or https")
  .refine(
    (url) => url.pathname === "/" && !url.search && !url.hash && !url.username && !url.password,
    "must be an origin only (no path, query or credentials)",
  )
  .transform((url) => url.origin);

const Args = z
  .object({
    origin: Origin,
    clientId: z.string().min(1).optional(),
    refreshToken: z.string().min(1).optional(),
    write: z.boolean(),
    authorize: z.boolean(),
  })
  .refine((args) => (args.clientId === undefined) === (args.refreshToken === undefined), {
    message: "--client-id and a refresh token go together (a refresh token works only for its own client)",
  })
  .refine((args) => !args.write || args.refreshToken !== undefined, {
    message: "--write needs --client-id and a refresh token",
  })
  .refine((args) => !args.authorize || (args.clientId === undefined && !args.write), {
    message: "--authorize gets a new client id and refresh token: give it neither, nor --write",
  });

/**
 * The run's options from `argv` (the arguments after the script) and `env`
 * (`CTX4_SMOKE_REFRESH_TOKEN`, used when `--refresh-token` is not given).
 * @throws Error with a message for the person, and the usage, on anything else
 */
export function readOptions(argv: string[], env: NodeJS.ProcessEnv): SmokeOptions {
  const { values, positionals } = parseCommandLine(argv);
  if (positionals.length !== 1) throw new Error(`give exactly one origin\n${USAGE}`);
  const parsed = Args.safeParse({
    origin: positionals[0],
    clientId: values["client-id"],
    refreshToken: values["refresh-token"] ?? (env.CTX4_SMOKE_REFRESH_TOKEN || undefined),
    write: values.write,
    authorize: values.authorize,
  });
  if (!parsed.success) {
    // Never echo the input: it may hold the refresh token.
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "arguments"}: ${issue.message}`);
    throw new Error(`${problems.join("\n")}\n${USAGE}`);
  }
  const { origin, clientId, refreshToken, write, authorize } = parsed.data;
  return { origin, account: clientId && refreshToken ? { clientId, refreshToken } : undefined, write, authorize };
}

/** node's parseArgs with our options; its errors (an unknown option, a missing value) with the usage. */
function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        "client-id": { type: "string" },
        "refresh-token": { type: "string" },
        write: { type: "boolean", default: false },
        authorize: { type: "boolean", default: false },
      },
    });
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  }
}
