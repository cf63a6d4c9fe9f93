import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStack, type TestStack } from "./test-support";

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack.stop());

/**
 * A minimal browser: keeps the session cookie, follows the page's own links and forms, and
 * finds inputs by their label text, as a Playwright test would with getByLabel / getByRole.
 */
class Browser {
  private cookie = "";
  constructor(private readonly base: string) {}

  async get(path: string): Promise<{ status: number; html: string }> {
    const response = await fetch(new URL(path, this.base), { headers: { cookie: this.cookie }, redirect: "manual" });
    this.keepCookie(response);
    return { status: response.status, html: await response.text() };
  }

  /** Posts a form and returns where the server redirects. */
  async post(path: string, fields: [string, string][]): Promise<{ status: number; location: string | null }> {
    const response = await fetch(new URL(path, this.base), {
      method: "POST",
      headers: { cookie: this.cookie, "content-type": "application/x-www-form-urlencoded", origin: this.base },
      body: new URLSearchParams(fields).toString(),
      redirect: "manual",
    });
    this.keepCookie(response);
    return { status: response.status, location: response.headers.get("location") };
  }

  private keepCookie(response: Response) {
    const set = response.headers.get("set-cookie");
    if (set) this.cookie = set.split(";")[0] ?? "";
  }
}

const decode = (text: string) => text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
const hidden = (html: string) =>
  [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map(
    ([, name = "", value = ""]) => [name, decode(value)] as [string, string],
  );
/** The id of the input a `<label for>` with exactly this text names. */
function labelled(html: string, text: string): string {
  const found = [...html.matchAll(/<label for="([^"]+)">([^<]+)<\/label>/g)].find(([, , label]) => label === text);
  if (!found?.[1]) throw new Error(`no input labelled ${text}`);
  const input = new RegExp(`<input[^>]*id="${found[1]}"[^>]*>`).exec(html)?.[0] ?? "";
  return /value="([^"]*)"/.exec(input)?.[1] ?? "";
}
const link = (html: string, text: string) => {
  const found = [...html.matchAll(/<a href="([^"]+)">([^<]+)<\/a>/g)].find(([, , label]) => label === text);
  if (!found?.[1]) throw new Error(`no link ${text}`);
  return decode(found[1]);
};

async function signIn(browser: Browser, login: string, state: string) {
  const start = `/apps/ctx4-ai/installations/new?state=${encodeURIComponent(state)}`;
  const signInPage = await browser.get(start);
  expect(signInPage.html).toContain('<label for="login">Username</label>');
  const signedIn = await browser.post("/session", [["login", login], ...hidden(signInPage.html)]);
  expect(signedIn.location).toBe(start);
  return (await browser.get(start)).html;
}

describe("the install and authorization flow", () => {
  const state = "s+t/a=t&e?ünicode";

  it("installs on selected repos and returns code, installation_id, setup_action=install and the untouched state", async () => {
    const browser = new Browser(stack.emulator.url);
    const accounts = await signIn(browser, "alice", state);
    expect(accounts).toContain("Signed in as <strong>alice</strong>");
    const permissions = await browser.get(link(accounts, "alice"));
    expect(permissions.html).toContain(">Install</button>");
    const form = [
      ...hidden(permissions.html),
      ["repository_selection", labelled(permissions.html, "Only select repositories")],
      ["repository_ids", labelled(permissions.html, "ctx")],
    ] as [string, string][];
    const done = await browser.post("/apps/ctx4-ai/installations", form);
    expect(done.status).toBe(302);
    const callback = new URL(done.location ?? "");
    expect(`${callback.origin}${callback.pathname}`).toBe(stack.settings.callbackUrl);
    expect(callback.searchParams.get("setup_action")).toBe("install");
    expect(callback.searchParams.get("state")).toBe(state);
    const installationId = Number(callback.searchParams.get("installation_id"));
    const code = callback.searchParams.get("code") ?? "";

    const { authentication } = await stack.app.oauth.createToken({ code });
    const installations = await fetch(`${stack.emulator.url}/user/installations`, {
      headers: { authorization: `token ${authentication.token}` },
    });
    const body = (await installations.json()) as { installations: { id: number; repository_selection: string }[] };
    expect(body.installations).toEqual([
      expect.objectContaining({ id: installationId, repository_selection: "selected" }),
    ]);

    const { data } = await stack.app.octokit.request("GET /app/installations/{installation_id}", {
      installation_id: installationId,
    });
    expect(data.account).toMatchObject({ login: "alice" });

    await expect(stack.app.oauth.createToken({ code })).rejects.toMatchObject({
      message: expect.stringContaining("bad_verification_code"),
    });
  });

  it("configures an existing installation with setup_action=update", async () => {
    const browser = new Browser(stack.emulator.url);
    const accounts = await signIn(browser, "alice", "second");
    const permissions = await browser.get(link(accounts, "alice"));
    expect(permissions.html).toContain(">Save</button>");
    const done = await browser.post("/apps/ctx4-ai/installations", [
      ...hidden(permissions.html),
      ["repository_selection", labelled(permissions.html, "All repositories")],
    ]);
    const callback = new URL(done.location ?? "");
    expect(callback.searchParams.get("setup_action")).toBe("update");
    expect(callback.searchParams.get("state")).toBe("second");
    const installation = stack.emulator.state.installation(Number(callback.searchParams.get("installation_id")));
    expect(installation?.repositorySelection).toBe("all");
  });

  it("authorizes the App without installing it: back to the callback with code and state, or access_denied", async () => {
    const browser = new Browser(stack.emulator.url);
    const start = `/login/oauth/authorize?${new URLSearchParams({ client_id: stack.settings.clientId, state })}`;
    const signInPage = await browser.get(start);
    expect(signInPage.html).toContain('<label for="login">Username</label>');
    expect((await browser.post("/session", [["login", "bob"], ...hidden(signInPage.html)])).location).toBe(start);
    const prompt = await browser.get(start);
    expect(prompt.html).toContain("Signed in as <strong>bob</strong>");
    expect(prompt.html).toContain(">Authorize ctx4-ai</button>");

    const authorized = new URL(
      (await browser.post("/login/oauth/authorize", [...hidden(prompt.html), ["decision", "authorize"]])).location ??
        "",
    );
    expect(`${authorized.origin}${authorized.pathname}`).toBe(stack.settings.callbackUrl);
    expect(authorized.searchParams.get("state")).toBe(state);
    expect(authorized.searchParams.has("installation_id")).toBe(false);
    const { authentication } = await stack.app.oauth.createToken({ code: authorized.searchParams.get("code") ?? "" });
    const user = await fetch(`${stack.emulator.url}/user`, {
      headers: { authorization: `token ${authentication.token}` },
    });
    expect(await user.json()).toMatchObject({ login: "bob" });

    const denied = new URL(
      (await browser.post("/login/oauth/authorize", [...hidden(prompt.html), ["decision", "cancel"]])).location ?? "",
    );
    expect(denied.searchParams.get("error")).toBe("access_denied");
    expect(denied.searchParams.get("state")).toBe(state);
    expect(denied.searchParams.has("code")).toBe(false);

    expect((await browser.get(`/login/oauth/authorize?client_id=Iv23liOther&state=x`)).status).toBe(404);
    const elsewhere = `/login/oauth/authorize?${new URLSearchParams({ client_id: stack.settings.clientId, redirect_uri: "http://evil.example/cb", state })}`;
    const mismatch = await browser.get(elsewhere);
    const redirected = new URL(
      (await browser.post("/login/oauth/authorize", [...hidden(mismatch.html), ["decision", "authorize"]])).location ??
        "",
    );
    expect(`${redirected.origin}${redirected.pathname}`).toBe(stack.settings.callbackUrl);
    expect(redirected.searchParams.get("error")).toBe("redirect_uri_mismatch");
    expect(redirected.searchParams.has("code")).toBe(false);
  });

  it("lets a user install only on their own account or their orgs, and shows others' installations to no one else", async () => {
    const bob = new Browser(stack.emulator.url);
    const accounts = await signIn(bob, "bob", "b");
    expect(() => link(accounts, "acme")).toThrow();
    const acme = stack.emulator.state.account("acme");
    expect((await bob.get(`/apps/ctx4-ai/installations/new/permissions?target_id=${acme?.id}`)).status).toBe(404);

    const permissions = await bob.get(link(accounts, "bob"));
    const done = await bob.post("/apps/ctx4-ai/installations", [
      ...hidden(permissions.html),
      ["repository_selection", "all"],
    ]);
    const callback = new URL(done.location ?? "");
    const { authentication } = await stack.app.oauth.createToken({ code: callback.searchParams.get("code") ?? "" });
    const seen = (await (
      await fetch(`${stack.emulator.url}/user/installations`, {
        headers: { authorization: `token ${authentication.token}` },
      })
    ).json()) as { installations: { account: { login: string } }[] };
    expect(seen.installations.map((item) => item.account.login)).toEqual(["bob"]);
  });

  it("exchanges a code only with the right client id and secret, and never twice", async () => {
    const tryExchange = async (fields: Record<string, string>) => {
      const response = await fetch(`${stack.emulator.url}/login/oauth/access_token`, {
        method: "POST",
        headers: { accept: "application/json", "content-type": "application/json" },
        body: JSON.stringify(fields),
      });
      expect(response.status).toBe(200);
      return (await response.json()) as Record<string, string | number>;
    };
    const { clientId, clientSecret } = stack.settings;
    const { code } = await stack.emulator.control.oauthCode("alice");
    expect(await tryExchange({ client_id: clientId, client_secret: "wrong", code })).toMatchObject({
      error: "incorrect_client_credentials",
    });
    expect(await tryExchange({ client_id: "Iv23liOther", client_secret: clientSecret, code })).toMatchObject({
      error: "incorrect_client_credentials",
    });
    const granted = await tryExchange({ client_id: clientId, client_secret: clientSecret, code });
    expect(granted).toMatchObject({ token_type: "bearer", expires_in: 28800 });
    expect(granted.access_token).toMatch(/^ghu_[A-Za-z0-9]{36}$/);
    expect(granted.refresh_token).toMatch(/^ghr_[A-Za-z0-9]{36}$/);
    expect(await tryExchange({ client_id: clientId, client_secret: clientSecret, code })).toMatchObject({
      error: "bad_verification_code",
    });

    const refreshed = await tryExchange({
      client_id: clientId,
      client_secret: clientSecret,
      grant_type: "refresh_token",
      refresh_token: String(granted.refresh_token),
    });
    expect(refreshed.access_token).toMatch(/^ghu_/);
    const whoAmI = (token: unknown) =>
      fetch(`${stack.emulator.url}/user`, { headers: { authorization: `token ${String(token)}` } });
    expect((await whoAmI(refreshed.access_token)).status).toBe(200);
    expect((await whoAmI(granted.access_token)).status).toBe(401);
    expect(
      await tryExchange({
        client_id: clientId,
        client_secret: clientSecret,
        grant_type: "refresh_token",
        refresh_token: String(granted.refresh_token),
      }),
    ).toMatchObject({ error: "bad_refresh_token" });
  });

  it("refuses a form posted from another origin", async () => {
    const response = await fetch(`${stack.emulator.url}/session`, {
      method: "POST",
      headers: { origin: "http://evil.example", "content-type": "application/x-www-form-urlencoded" },
      body: "login=alice",
      redirect: "manual",
    });
    expect(response.status).toBe(403);
  });

  it("takes its own forms on the host name it was opened on, localhost as npm run dev prints it", async () => {
    const localhost = `http://localhost:${stack.emulator.port}`;
    const signIn = (origin: string) =>
      fetch(`${localhost}/session`, {
        method: "POST",
        headers: { origin, "content-type": "application/x-www-form-urlencoded" },
        body: "login=alice",
        redirect: "manual",
      });
    const own = await signIn(localhost);
    expect(own.status).toBe(302);
    expect(own.headers.get("set-cookie")).toMatch(/^emulator_session=alice\./);
    // Another page on this machine (the app, or the other spelling of the emulator) is another site.
    expect((await signIn("http://localhost:5173")).status).toBe(403);
    expect((await signIn(stack.emulator.url)).status).toBe(403);
  });
});
