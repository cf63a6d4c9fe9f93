import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

const userSchema = z.object({
  id: z.uuid(),
  identityId: z.uuid(),
  email: z.string(),
  userMetadata: z.record(z.string(), z.unknown()),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  emailConfirmedAt: z.iso.datetime().nullable(),
  confirmationSentAt: z.iso.datetime().nullable(),
  recoverySentAt: z.iso.datetime().nullable(),
  lastSignInAt: z.iso.datetime().nullable(),
});
export type User = z.infer<typeof userSchema>;

const USERS_FILE = "users.json";

/**
 * Users, kept in the data dir: the app keys its rows by the Supabase user id, so the same
 * email must get the same id after the emulator restarts. Sessions are not kept.
 */
export class UserStore {
  readonly #file: string;
  readonly #users = new Map<string, User>();

  constructor(
    dataDir: string,
    private readonly now: () => number,
  ) {
    mkdirSync(dataDir, { recursive: true });
    this.#file = join(dataDir, USERS_FILE);
    if (!existsSync(this.#file)) return;
    const parsed = z.array(userSchema).safeParse(JSON.parse(readFileSync(this.#file, "utf8")));
    if (!parsed.success) throw new Error(`${this.#file} is not a user list written by the auth emulator; delete it.`);
    for (const user of parsed.data) this.#users.set(user.id, user);
  }

  get(id: string): User | undefined {
    return this.#users.get(id);
  }

  findByEmail(email: string): User | undefined {
    for (const user of this.#users.values()) if (user.email === email) return user;
    return undefined;
  }

  list(): User[] {
    return [...this.#users.values()];
  }

  create(email: string, userMetadata: Record<string, unknown>): User {
    const at = this.#timestamp();
    const user: User = {
      id: randomUUID(),
      identityId: randomUUID(),
      email,
      userMetadata,
      createdAt: at,
      updatedAt: at,
      emailConfirmedAt: null,
      confirmationSentAt: null,
      recoverySentAt: null,
      lastSignInAt: null,
    };
    this.#users.set(user.id, user);
    this.#save();
    return user;
  }

  /** Records what happened to a user; `change` names the fields GoTrue stamps with the time. */
  touch(user: User, change: "confirmationSent" | "recoverySent" | "confirmed" | "signedIn"): User {
    const at = this.#timestamp();
    const updated: User = { ...user, updatedAt: at };
    if (change === "confirmationSent") updated.confirmationSentAt = at;
    if (change === "recoverySent") updated.recoverySentAt = at;
    if (change === "confirmed" || change === "signedIn") updated.emailConfirmedAt ??= at;
    if (change === "signedIn") updated.lastSignInAt = at;
    this.#users.set(user.id, updated);
    this.#save();
    return updated;
  }

  remove(id: string): void {
    this.#users.delete(id);
    this.#save();
  }

  clear(): void {
    this.#users.clear();
    this.#save();
  }

  #timestamp(): string {
    return new Date(this.now()).toISOString();
  }

  #save(): void {
    writeFileSync(`${this.#file}.tmp`, JSON.stringify(this.list(), null, 2));
    renameSync(`${this.#file}.tmp`, this.#file);
  }
}

/** The user object GoTrue returns from `/user` and inside token responses. */
export function userJson(user: User): Record<string, unknown> {
  const identityData = {
    email: user.email,
    email_verified: user.emailConfirmedAt !== null,
    phone_verified: false,
    sub: user.id,
  };
  return {
    id: user.id,
    aud: "authenticated",
    role: "authenticated",
    email: user.email,
    email_confirmed_at: user.emailConfirmedAt ?? undefined,
    phone: "",
    confirmation_sent_at: user.confirmationSentAt ?? undefined,
    confirmed_at: user.emailConfirmedAt ?? undefined,
    recovery_sent_at: user.recoverySentAt ?? undefined,
    last_sign_in_at: user.lastSignInAt ?? undefined,
    app_metadata: { provider: "email", providers: ["email"] },
    user_metadata: { ...user.userMetadata, ...identityData },
    identities: [
      {
        identity_id: user.identityId,
        id: user.id,
        user_id: user.id,
        identity_data: identityData,
        provider: "email",
        last_sign_in_at: user.lastSignInAt ?? user.createdAt,
        created_at: user.createdAt,
        updated_at: user.updatedAt,
        email: user.email,
      },
    ],
    created_at: user.createdAt,
    updated_at: user.updatedAt,
    is_anonymous: false,
  };
}
