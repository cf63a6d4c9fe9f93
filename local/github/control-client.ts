import { LOCAL_SECRET_HEADER } from "../secret-header";
import type { Delivery } from "./delivery";

/**
 * A typed client for the emulator's control API (`/_emulator/...`), for tests and the dev
 * launcher in other processes. Throws on any non-2xx answer, with the emulator's message.
 */

export type RepoSelection = { repository_selection?: "all" | "selected"; repositories?: string[] };
export type InstallationJson = {
  id: number;
  account: { login: string; id: number; type: string };
  repository_selection: "all" | "selected";
  suspended_at: string | null;
  [field: string]: unknown;
};
export type RepoJson = { id: number; name: string; full_name: string; clone_url: string; [field: string]: unknown };
export type CommitJson = {
  sha: string;
  message: string;
  author: { name: string; email: string; date: string };
  committer: { name: string; email: string; date: string };
  added: string[];
  removed: string[];
  modified: string[];
};
export type WebCommit = {
  branch?: string;
  /** For a new branch: the branch it starts from (else it starts with a root commit). */
  from?: string;
  message: string;
  author: { name: string; email: string };
  files: Record<string, string | null>;
  sender?: string;
};

export function emulatorControl(baseUrl: string, localSecret: string) {
  const call = async (method: string, path: string, body?: unknown): Promise<Response> => {
    const response = await fetch(`${baseUrl}/_emulator${path}`, {
      method,
      headers: {
        [LOCAL_SECRET_HEADER]: localSecret,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) {
      const text = await response.text();
      throw new Error(`${method} /_emulator${path}: ${response.status} ${text}`);
    }
    return response;
  };
  const json = async <T>(method: string, path: string, body?: unknown) =>
    (await (await call(method, path, body)).json()) as T;
  const repoPath = (fullName: string) => `/repos/${fullName.split("/").map(encodeURIComponent).join("/")}`;

  return {
    createAccount: (account: {
      login: string;
      type?: "User" | "Organization";
      owners?: string[];
      members?: string[];
    }) => json<{ login: string; id: number; type: string }>("POST", "/accounts", account),
    createRepo: (owner: string, name: string, content: "ctx" | "readme" | "empty" = "empty") =>
      json<RepoJson>("POST", "/repos", { owner, name, content }),
    deleteRepo: async (fullName: string) => {
      await call("DELETE", repoPath(fullName));
    },
    /** Gives `login` access to one repo (an organisation's plain members have none of their own). */
    addCollaborator: async (fullName: string, login: string) => {
      await call("PUT", `${repoPath(fullName)}/collaborators/${encodeURIComponent(login)}`);
    },
    removeCollaborator: async (fullName: string, login: string) => {
      await call("DELETE", `${repoPath(fullName)}/collaborators/${encodeURIComponent(login)}`);
    },
    installations: () => json<InstallationJson[]>("GET", "/installations"),
    createInstallation: (account: string, selection: RepoSelection & { sender?: string } = {}) =>
      json<InstallationJson>("POST", "/installations", { account, ...selection }),
    setRepositories: (installationId: number, selection: RepoSelection & { sender?: string }) =>
      json<{ installation: InstallationJson; added: string[]; removed: string[] }>(
        "PUT",
        `/installations/${installationId}/repositories`,
        selection,
      ),
    suspend: (installationId: number) => json<InstallationJson>("POST", `/installations/${installationId}/suspend`, {}),
    unsuspend: (installationId: number) =>
      json<InstallationJson>("POST", `/installations/${installationId}/unsuspend`, {}),
    deleteInstallation: async (installationId: number) => {
      await call("DELETE", `/installations/${installationId}`);
    },
    revokeToken: (token: string) => json<{ revoked: boolean }>("POST", "/tokens/revoke", { token }),
    oauthCode: (login: string) => json<{ code: string }>("POST", "/oauth/codes", { login }),
    commitFromWeb: (fullName: string, commit: WebCommit) =>
      json<{ sha: string; branch: string }>("POST", `${repoPath(fullName)}/commits`, commit),
    branchHead: async (fullName: string, branch = "main"): Promise<string | undefined> => {
      const response = await fetch(`${baseUrl}/_emulator${repoPath(fullName)}/branches/${encodeURIComponent(branch)}`, {
        headers: { [LOCAL_SECRET_HEADER]: localSecret },
      });
      if (response.status === 404) return undefined;
      if (!response.ok) throw new Error(`branch head of ${fullName}: ${response.status}`);
      return ((await response.json()) as { sha: string }).sha;
    },
    readFile: async (fullName: string, path: string, ref = "main"): Promise<string | undefined> => {
      const encoded = path.split("/").map(encodeURIComponent).join("/");
      const response = await fetch(
        `${baseUrl}/_emulator${repoPath(fullName)}/contents/${encoded}?ref=${encodeURIComponent(ref)}`,
        { headers: { [LOCAL_SECRET_HEADER]: localSecret } },
      );
      if (response.status === 404) return undefined;
      if (!response.ok) throw new Error(`file ${path} of ${fullName}: ${response.status}`);
      return response.text();
    },
    commits: (fullName: string, ref = "main", limit = 20) =>
      json<CommitJson[]>("GET", `${repoPath(fullName)}/commits?ref=${encodeURIComponent(ref)}&limit=${limit}`),
    deliveries: () => json<Delivery[]>("GET", "/deliveries"),
  };
}

export type EmulatorControl = ReturnType<typeof emulatorControl>;
