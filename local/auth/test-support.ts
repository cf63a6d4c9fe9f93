import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { z } from "zod";
import { type AuthEmulatorOptions, type RunningAuthEmulator, startAuthEmulator } from "./server";

export const PUBLISHABLE_KEY = "sb_publishable_local_test_key";
export const LOCAL_SECRET = "test-local-secret-0123456789";
export const SITE_URL = "http://localhost:5173";

export type TestEmulator = RunningAuthEmulator & { dataDir: string; remove(): Promise<void> };

/** An emulator on free ports with a throw-away data dir; `remove` stops it and deletes the dir. */
export async function startTestEmulator(options: Partial<AuthEmulatorOptions> = {}): Promise<TestEmulator> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "ctx4-auth-"));
  const emulator = await startAuthEmulator({
    port: 0,
    mailboxPort: 0,
    dataDir,
    localSecret: LOCAL_SECRET,
    publishableKey: PUBLISHABLE_KEY,
    siteUrl: SITE_URL,
    redirectUrls: ["http://127.0.0.1:5173/**"],
    ...options,
  });
  return {
    ...emulator,
    dataDir,
    async remove() {
      await emulator.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Node 20 has no WebSocket, and supabase-js builds its realtime client eagerly. Realtime is
 * not under test, so a transport that refuses to connect is enough.
 */
class NoWebSocket {
  constructor() {
    throw new Error("Realtime is not available in the auth emulator tests.");
  }
}

/** A server-side supabase-js client as our app configures it, with its own in-memory storage. */
export function testClient(emulator: RunningAuthEmulator, key = PUBLISHABLE_KEY) {
  const storage = new Map<string, string>();
  const client: SupabaseClient = createClient(emulator.url, key, {
    realtime: { transport: NoWebSocket as unknown as new () => never },
    auth: {
      flowType: "pkce",
      persistSession: true,
      autoRefreshToken: false,
      detectSessionInUrl: false,
      storage: {
        getItem: (name: string) => storage.get(name) ?? null,
        setItem: (name: string, value: string) => void storage.set(name, value),
        removeItem: (name: string) => void storage.delete(name),
      },
    },
  });
  return { client, storage };
}

const messageSchema = z.object({
  id: z.string(),
  to: z.string(),
  subject: z.string(),
  text: z.string(),
  html: z.string(),
  links: z.array(z.string()),
  createdAt: z.string(),
});
export type MailboxMessage = z.infer<typeof messageSchema>;

export async function messagesTo(emulator: RunningAuthEmulator, email: string): Promise<MailboxMessage[]> {
  const response = await fetch(`${emulator.mailboxUrl}/api/messages?to=${encodeURIComponent(email)}`);
  return z.array(messageSchema).parse(await response.json());
}

/** The newest link sent to `email`, as the person would click it. */
export async function latestLink(emulator: RunningAuthEmulator, email: string): Promise<string> {
  const [message] = await messagesTo(emulator, email);
  const link = message?.links[0];
  if (!link) throw new Error(`no email with a link for ${email}`);
  return link;
}

/** Opens a link without following the redirect, and returns where it points. */
export async function follow(link: string): Promise<URL> {
  const response = await fetch(link, { redirect: "manual" });
  const location = response.headers.get("location");
  if (response.status !== 303 || !location) throw new Error(`expected a 303 redirect, got ${response.status}`);
  return new URL(location);
}

/** Magic link sign-in end to end: request, read the mailbox, open the link, exchange the code. */
export async function signInByMagicLink(
  emulator: RunningAuthEmulator,
  client: SupabaseClient,
  email: string,
  redirectTo = `${SITE_URL}/auth/confirm`,
) {
  const sent = await client.auth.signInWithOtp({ email, options: { emailRedirectTo: redirectTo } });
  if (sent.error) throw sent.error;
  const code = (await follow(await latestLink(emulator, email))).searchParams.get("code");
  if (!code) throw new Error("the link did not redirect with a code");
  const exchanged = await client.auth.exchangeCodeForSession(code);
  if (exchanged.error) throw exchanged.error;
  return exchanged.data.session;
}
