import { DurableObject } from "cloudflare:workers";
import { connectDatabase } from "../app/lib/db/client.server";
import { getUserGithubConfig } from "../app/lib/db/queries.server";
import type { UserGithubConfig } from "../app/lib/db/schema";

/**
 * One user's workspace, addressed by `idFromName(userId)`. It serves every MCP session of
 * that user and owns their config, installation token and sandbox, so two users never share
 * state and one user's git work runs in one place.
 */
export class UserWorkspace extends DurableObject<Env> {
  #config: UserGithubConfig | null | undefined;

  /** The user's GitHub config, read from Postgres once and kept until `forgetConfig`. */
  async config(): Promise<UserGithubConfig | null> {
    if (this.#config === undefined) {
      const database = connectDatabase(this.env.HYPERDRIVE.connectionString);
      try {
        this.#config = (await getUserGithubConfig(database.db, this.#userId())) ?? null;
      } finally {
        this.ctx.waitUntil(database.close());
      }
    }
    return this.#config;
  }

  /** Called by the web app when the user changed repo or disconnected. */
  async forgetConfig(): Promise<void> {
    this.#config = undefined;
  }

  #userId(): string {
    const name = this.ctx.id.name;
    if (!name) throw new Error("UserWorkspace must be addressed with idFromName(userId)");
    return name;
  }
}
