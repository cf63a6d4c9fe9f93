import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installationToken, startTestStack, type TestStack } from "./test-support";

let stack: TestStack;
let ids: { alice: number; acme: number; bob: number };
beforeAll(async () => {
  stack = await startTestStack();
  const control = stack.emulator.control;
  ids = {
    alice: (await control.createInstallation("alice", { repositories: ["ctx", "empty"] })).id,
    acme: (await control.createInstallation("acme", { repository_selection: "all" })).id,
    bob: (await control.createInstallation("bob", { repositories: ["ctx"] })).id,
  };
});
afterAll(() => stack.stop());

const get = (path: string, token?: string) =>
  fetch(`${stack.emulator.url}${path}`, { headers: token ? { authorization: `token ${token}` } : {} });

async function userToken(login: string): Promise<string> {
  const { code } = await stack.emulator.control.oauthCode(login);
  const { authentication } = await stack.app.oauth.createToken({ code });
  return authentication.token;
}

describe("installation repositories", () => {
  it("pages through more than 100 repos: per_page, page, Link and total_count", async () => {
    const token = await installationToken(stack.app, ids.acme);
    const seen: string[] = [];
    let next: string | undefined = `${stack.emulator.url}/installation/repositories?per_page=50`;
    const pages: { size: number; link: string | null; total: number }[] = [];
    while (next) {
      const response = await fetch(next, { headers: { authorization: `token ${token}` } });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { total_count: number; repositories: { full_name: string }[] };
      const link = response.headers.get("link");
      pages.push({ size: body.repositories.length, link, total: body.total_count });
      seen.push(...body.repositories.map((repo) => repo.full_name));
      next = link?.match(/<([^>]+)>; rel="next"/)?.[1];
    }
    expect(pages.map((page) => page.size)).toEqual([50, 50, 21]);
    expect(pages.every((page) => page.total === 121)).toBe(true);
    expect(pages[0]?.link).toContain('rel="last"');
    expect(pages[0]?.link).toContain("page=3");
    expect(pages[2]?.link).toContain('rel="prev"');
    expect(pages[2]?.link).not.toContain('rel="next"');
    expect(new Set(seen).size).toBe(121);
    expect(seen).toContain("acme/service-120");
  });

  it("is followed to the end by @octokit/app's eachRepository", async () => {
    const names: string[] = [];
    for await (const { repository } of stack.app.eachRepository.iterator({ installationId: ids.acme })) {
      names.push(repository.full_name);
    }
    expect(names).toHaveLength(121);
  });

  it("defaults to 30 per page and caps per_page at 100", async () => {
    const token = await installationToken(stack.app, ids.acme);
    const byDefault = (await (await get("/installation/repositories", token)).json()) as { repositories: unknown[] };
    expect(byDefault.repositories).toHaveLength(30);
    const capped = (await (await get("/installation/repositories?per_page=500", token)).json()) as {
      repositories: unknown[];
    };
    expect(capped.repositories).toHaveLength(100);
  });

  it("lists only what a narrowed token reaches, with the token's permissions", async () => {
    const token = await installationToken(stack.app, ids.alice, {
      repositoryNames: ["empty"],
      permissions: { contents: "read" },
    });
    const body = (await (await get("/installation/repositories", token)).json()) as {
      total_count: number;
      repositories: { full_name: string; permissions: { push: boolean; pull: boolean } }[];
    };
    expect(body.total_count).toBe(1);
    expect(body.repositories[0]).toMatchObject({ full_name: "alice/empty", permissions: { push: false, pull: true } });
  });
});

describe("GET /repos/{owner}/{repo}", () => {
  it("answers for a repo the token reaches, with what our app stores", async () => {
    const octokit = await stack.app.getInstallationOctokit(ids.alice);
    const { data } = await octokit.request("GET /repos/{owner}/{repo}", { owner: "alice", repo: "ctx" });
    expect(data).toMatchObject({
      id: 500_001,
      full_name: "alice/ctx",
      private: true,
      default_branch: "main",
      clone_url: `${stack.emulator.url}/alice/ctx.git`,
      owner: { login: "alice" },
      permissions: { push: true, pull: true },
    });
  });

  it("is 404 for a repo of another installation, one outside the selection, or one that does not exist", async () => {
    const octokit = await stack.app.getInstallationOctokit(ids.alice);
    for (const [owner, repo] of [
      ["bob", "ctx"],
      ["alice", "notes"],
      ["alice", "missing"],
    ] as const) {
      await expect(octokit.request("GET /repos/{owner}/{repo}", { owner, repo })).rejects.toMatchObject({
        status: 404,
        response: { data: { message: "Not Found" } },
      });
    }
  });

  it("is 401 Bad credentials for a revoked, unknown or missing token", async () => {
    const token = await installationToken(stack.app, ids.bob);
    expect((await get("/repos/bob/ctx", token)).status).toBe(200);
    const revoke = await fetch(`${stack.emulator.url}/installation/token`, {
      method: "DELETE",
      headers: { authorization: `token ${token}` },
    });
    expect(revoke.status).toBe(204);
    const revoked = await get("/repos/bob/ctx", token);
    expect(revoked.status).toBe(401);
    expect(await revoked.json()).toMatchObject({ message: "Bad credentials" });
    expect((await get("/repos/bob/ctx", `ghs_${"x".repeat(36)}`)).status).toBe(401);
    expect((await get("/repos/bob/ctx")).status).toBe(401);
  });
});

describe("GET /user/installations", () => {
  it("lists the installations on accounts the token's user can access, and only those", async () => {
    const alice = await userToken("alice");
    expect(alice).toMatch(/^ghu_[A-Za-z0-9]{36}$/);
    const body = (await (await get("/user/installations", alice)).json()) as {
      total_count: number;
      installations: { id: number; account: { login: string } }[];
    };
    expect(body.total_count).toBe(2);
    expect(body.installations.map((item) => item.id).sort()).toEqual([ids.alice, ids.acme].sort());

    const bob = (await (await get("/user/installations", await userToken("bob"))).json()) as {
      installations: { id: number }[];
    };
    expect(bob.installations.map((item) => item.id)).toEqual([ids.bob]);

    const user = (await (await get("/user", alice)).json()) as { login: string; id: number };
    expect(user).toMatchObject({ login: "alice", id: 1001 });
  });

  it("refuses an installation token", async () => {
    const response = await get("/user/installations", await installationToken(stack.app, ids.acme));
    expect(response.status).toBe(403);
  });

  it("lists for an organisation member only the installation's repos they may open; owners see them all", async () => {
    const control = stack.emulator.control;
    for (const login of ["lab-owner", "lab-member", "lab-guest"]) await control.createAccount({ login });
    await control.createAccount({
      login: "lab",
      type: "Organization",
      owners: ["lab-owner"],
      members: ["lab-member"],
    });
    for (const name of ["r1", "r2", "r3", "r4", "r5", "outside"]) await control.createRepo("lab", name);
    const { id } = await control.createInstallation("lab", { repositories: ["r1", "r2", "r3", "r4", "r5"] });
    for (const name of ["r1", "r3", "r5", "outside"]) await control.addCollaborator(`lab/${name}`, "lab-member");
    await control.addCollaborator("lab/r2", "lab-guest");

    const names = async (login: string) => {
      const token = await userToken(login);
      const seen: string[] = [];
      let next: string | undefined = `${stack.emulator.url}/user/installations/${id}/repositories?per_page=2`;
      while (next) {
        const response = await fetch(next, { headers: { authorization: `token ${token}` } });
        const body = (await response.json()) as { total_count: number; repositories: { name: string }[] };
        expect(body.repositories.length).toBeLessThanOrEqual(2);
        expect(body.total_count).toBeGreaterThanOrEqual(body.repositories.length);
        seen.push(...body.repositories.map((repo) => repo.name));
        next = response.headers.get("link")?.match(/<([^>]+)>; rel="next"/)?.[1];
      }
      return seen;
    };
    expect(await names("lab-owner")).toEqual(["r1", "r2", "r3", "r4", "r5"]);
    expect(await names("lab-member")).toEqual(["r1", "r3", "r5"]);
    expect(await names("lab-guest")).toEqual(["r2"]);

    const member = await userToken("lab-member");
    expect((await get("/repos/lab/r3", member)).status).toBe(200);
    expect((await get("/repos/lab/r2", member)).status).toBe(404);
    await control.removeCollaborator("lab/r3", "lab-member");
    expect(await names("lab-member")).toEqual(["r1", "r5"]);
    expect((await get("/repos/lab/r3", member)).status).toBe(404);
  });

  it("lists an installation's repos for the user, 404 for another user's installation", async () => {
    const alice = await userToken("alice");
    const own = await get(`/user/installations/${ids.alice}/repositories`, alice);
    const body = (await own.json()) as { total_count: number };
    expect(body.total_count).toBe(2);
    expect((await get(`/user/installations/${ids.bob}/repositories`, alice)).status).toBe(404);
  });
});

describe("deleting an app token", () => {
  it("revokes a user token for the App's client id and secret, as @octokit/app's oauth.deleteToken asks", async () => {
    const token = await userToken("alice");
    const other = await userToken("alice");
    expect((await get("/user", token)).status).toBe(200);

    await stack.app.oauth.deleteToken({ token });
    expect((await get("/user", token)).status).toBe(401);
    expect((await get("/user", other)).status).toBe(200);
    // Deleted once, it is unknown.
    await expect(stack.app.oauth.deleteToken({ token })).rejects.toMatchObject({ status: 404 });
  });

  it("refuses other clients' credentials and tokens that are not user tokens", async () => {
    const token = await userToken("bob");
    const deleteToken = (clientId: string, secret: string, accessToken: string) =>
      fetch(`${stack.emulator.url}/applications/${clientId}/token`, {
        method: "DELETE",
        headers: {
          authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString("base64")}`,
          "content-type": "application/json",
        },
        body: JSON.stringify({ access_token: accessToken }),
      });
    const { clientId } = stack.settings;
    expect((await deleteToken(clientId, "not-the-secret", token)).status).toBe(404);
    expect((await deleteToken("Iv1.someoneelse", "not-the-secret", token)).status).toBe(404);
    expect((await deleteToken(clientId, "", await installationToken(stack.app, ids.bob))).status).toBe(404);
    expect((await get("/user", token)).status).toBe(200);
  });
});
