import type { WorkerContext } from "./worker-context";

type OAuthEnv = Pick<WorkerContext["env"], "OAUTH_PROVIDER">;

/** An AI client the person allowed, as the dashboard shows it (`clientId`: its OAuth client id). */
export type ConnectedClient = {
  grantId: string;
  clientId: string;
  name: string;
  canWrite: boolean;
  connectedAt: string;
};

/**
 * Every AI client the person allowed (one OAuth grant each, across all of the provider's
 * pages), newest first, named as the consent page recorded it (else by client id).
 */
export async function connectedClients(env: OAuthEnv, userId: string): Promise<ConnectedClient[]> {
  const clients: ConnectedClient[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.OAUTH_PROVIDER.listUserGrants(userId, { limit: 1000, cursor });
    for (const grant of page.items) {
      clients.push({
        grantId: grant.id,
        clientId: grant.clientId,
        name: typeof grant.metadata?.clientName === "string" ? grant.metadata.clientName : grant.clientId,
        canWrite: grant.scope.includes("ctx:write"),
        connectedAt: new Date(grant.createdAt * 1000).toISOString(),
      });
    }
    cursor = page.cursor;
  } while (cursor);
  // Grants carry seconds: within one, by name, so the order never changes between loads.
  return clients.sort((a, b) => b.connectedAt.localeCompare(a.connectedAt) || a.name.localeCompare(b.name));
}

/**
 * Revokes one of the person's clients: its tokens stop working at once. Returns the client as
 * it was, or undefined when it is not (or no longer) theirs, in which case nothing happens.
 */
export async function revokeClient(env: OAuthEnv, userId: string, grantId: string) {
  const client = (await connectedClients(env, userId)).find((candidate) => candidate.grantId === grantId);
  // The provider revokes only a grant of this user's.
  if (client) await env.OAUTH_PROVIDER.revokeGrant(grantId, userId);
  return client;
}

/** Revokes every client of the person's; returns how many there were. */
export async function revokeAllClients(env: OAuthEnv, userId: string): Promise<number> {
  const clients = await connectedClients(env, userId);
  await Promise.all(clients.map((client) => env.OAUTH_PROVIDER.revokeGrant(client.grantId, userId)));
  return clients.length;
}
