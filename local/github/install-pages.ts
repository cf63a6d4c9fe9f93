import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { z } from "zod";
import type { EmulatorContext } from "./context";
import { type Route, readParams, redirect, route, sendHtml } from "./http";
import { withinCallback } from "./oauth";
import type { Account } from "./seed";
import type { Installation, Repo } from "./state";

/**
 * GitHub's web side of installing the App: sign in as one of the seeded users, pick an
 * account, pick repositories, and come back to the App's callback URL with `code`,
 * `installation_id`, `setup_action` and the untouched `state`, as GitHub does when the App
 * requests user authorization during installation. Reinstalling on an account that already
 * has the App configures that installation instead (`setup_action=update`).
 *
 * And the web application flow on its own (`/login/oauth/authorize`): the person authorizes
 * the App and comes back with `code` and `state`, or with `error=access_denied` on Cancel
 * (https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-user-access-token-for-a-github-app#using-the-web-application-flow-to-generate-a-user-access-token).
 */

const SESSION_COOKIE = "emulator_session";

const installFormSchema = z.object({
  target_id: z.coerce.number().int(),
  repository_selection: z.enum(["all", "selected"]),
  repository_ids: z.union([z.string(), z.array(z.string())]).optional(),
  state: z.string().optional(),
});

const authorizeSchema = z.object({
  client_id: z.string(),
  redirect_uri: z.string().optional(),
  state: z.string().optional(),
});
const authorizeFormSchema = authorizeSchema.extend({ decision: z.enum(["authorize", "cancel"]) });

export function installRoutes(ctx: EmulatorContext): Route[] {
  const app = ctx.options.app;
  const slugPattern = app.slug.replace(/[^a-z0-9-]/g, "");
  const sign = (login: string) => createHmac("sha256", ctx.options.localSecret).update(login).digest("base64url");

  const signedIn = (request: IncomingMessage): Account | undefined => {
    const cookie = cookies(request)[SESSION_COOKIE];
    const [login = "", mac = ""] = (cookie ?? "").split(".");
    const expected = Buffer.from(sign(login));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const account = ctx.state.account(login);
    return account?.type === "User" ? account : undefined;
  };

  /**
   * Our own forms only: a cross-site page must not install the App in the signed-in user's
   * name. A form is ours when the browser names as its Origin the origin the request was sent
   * to (its Host, which the server has checked is loopback): the emulator is reached as
   * `localhost` (the URL `npm run dev` prints) as well as `127.0.0.1`, and a browser's Origin
   * is whichever one it was opened on.
   */
  const sameOrigin = (request: IncomingMessage) =>
    !request.headers.origin || request.headers.origin === `http://${request.headers.host}`;
  const installPath = `/apps/${app.slug}/installations/new`;
  const returnPath = (value: unknown) =>
    typeof value === "string" && (value.startsWith(`/apps/${app.slug}/`) || value.startsWith("/login/oauth/authorize?"))
      ? value
      : installPath;

  /**
   * Where GitHub sends the person back after authorizing: the redirect_uri if it lies within
   * the registered callback URL; otherwise the callback URL with `error=redirect_uri_mismatch`.
   */
  const authorizationReturn = (query: z.infer<typeof authorizeSchema>, result: Record<string, string>) => {
    const mismatch = query.redirect_uri !== undefined && !withinCallback(query.redirect_uri, app.callbackUrl);
    const target = new URL(mismatch || query.redirect_uri === undefined ? app.callbackUrl : query.redirect_uri);
    const fields = mismatch
      ? {
          error: "redirect_uri_mismatch",
          error_description: "The redirect_uri is not associated with this application.",
        }
      : result;
    for (const [name, value] of Object.entries(fields)) target.searchParams.set(name, value);
    if (query.state !== undefined) target.searchParams.set("state", query.state);
    return target.toString();
  };

  return [
    route("GET", /^\/login\/oauth\/authorize$/, (request, response) => {
      const url = new URL(request.url ?? "/", ctx.base);
      const query = authorizeSchema.safeParse(Object.fromEntries(url.searchParams));
      if (!query.success || query.data.client_id !== app.clientId) {
        return sendHtml(response, 404, page("Not Found", "<p>Not Found</p>"));
      }
      const user = signedIn(request);
      const here = `${url.pathname}${url.search}`;
      if (!user) return sendHtml(response, 200, signInPage(ctx.state.users(), here));
      sendHtml(response, 200, authorizePage(ctx, user, query.data, here));
    }),

    route("POST", /^\/login\/oauth\/authorize$/, async (request, response) => {
      if (!sameOrigin(request)) return sendHtml(response, 403, page("Forbidden", "<p>Cross-site request refused.</p>"));
      const user = signedIn(request);
      const form = authorizeFormSchema.safeParse(await readParams(request, new URL(request.url ?? "/", ctx.base)));
      if (!user || !form.success || form.data.client_id !== app.clientId) {
        return sendHtml(response, 422, page("Invalid request", "<p>Invalid request.</p>"));
      }
      const result: Record<string, string> =
        form.data.decision === "authorize"
          ? { code: ctx.state.issueCode(user.login, app.clientId) }
          : {
              error: "access_denied",
              error_description: "The user has denied your application access.",
              error_uri:
                "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied",
            };
      redirect(response, authorizationReturn(form.data, result));
    }),

    route("GET", new RegExp(`^/apps/${slugPattern}$`), (_request, response) =>
      sendHtml(
        response,
        200,
        page(`GitHub App · ${app.slug}`, `<h1>${html(app.slug)}</h1><p><a href="${installPath}">Install</a></p>`),
      ),
    ),

    route("POST", /^\/session$/, async (request, response) => {
      if (!sameOrigin(request)) return sendHtml(response, 403, page("Forbidden", "<p>Cross-site request refused.</p>"));
      const params = await readParams(request, new URL(request.url ?? "/", ctx.base));
      const account = typeof params.login === "string" ? ctx.state.account(params.login) : undefined;
      if (account?.type !== "User") return sendHtml(response, 422, page("Sign in", "<p>Unknown user.</p>"));
      redirect(response, returnPath(params.return_to), {
        "set-cookie": `${SESSION_COOKIE}=${account.login}.${sign(account.login)}; Path=/; HttpOnly; SameSite=Lax`,
      });
    }),

    route("POST", /^\/logout$/, async (request, response) => {
      if (!sameOrigin(request)) return sendHtml(response, 403, page("Forbidden", "<p>Cross-site request refused.</p>"));
      const params = await readParams(request, new URL(request.url ?? "/", ctx.base));
      redirect(response, returnPath(params.return_to), {
        "set-cookie": `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`,
      });
    }),

    route("GET", new RegExp(`^/apps/${slugPattern}/installations/new$`), (request, response) => {
      const url = new URL(request.url ?? "/", ctx.base);
      const user = signedIn(request);
      const here = `${url.pathname}${url.search}`;
      if (!user) return sendHtml(response, 200, signInPage(ctx.state.users(), here));
      const state = url.searchParams.get("state");
      const items = ctx.state.accountsOf(user.login).map((account) => {
        const target = new URLSearchParams({ target_id: String(account.id) });
        if (state !== null) target.set("state", state);
        const installed = ctx.state.installationOn(account.login) ? " (installed: configure)" : "";
        return `<li><a href="${installPath}/permissions?${html(target.toString())}">${html(account.login)}</a>${installed}</li>`;
      });
      sendHtml(
        response,
        200,
        page(
          `Install ${app.slug}`,
          `${signedInAs(user, here)}<h1>Install ${html(app.slug)}</h1>
<p>Where do you want to install ${html(app.slug)}?</p><ul>${items.join("")}</ul>`,
        ),
      );
    }),

    route("GET", new RegExp(`^/apps/${slugPattern}/installations/new/permissions$`), (request, response) => {
      const url = new URL(request.url ?? "/", ctx.base);
      const user = signedIn(request);
      if (!user) return redirect(response, `${installPath}${url.search}`);
      const account = ctx.state.accountsOf(user.login).find((a) => String(a.id) === url.searchParams.get("target_id"));
      if (!account) return sendHtml(response, 404, page("Not Found", "<p>Not Found</p>"));
      const existing = ctx.state.installationOn(account.login);
      sendHtml(
        response,
        200,
        permissionsPage(ctx, {
          user,
          account,
          existing,
          repos: ctx.state.reposOf(account.login),
          state: url.searchParams.get("state"),
          here: `${url.pathname}${url.search}`,
        }),
      );
    }),

    route("POST", new RegExp(`^/apps/${slugPattern}/installations$`), async (request, response) => {
      if (!sameOrigin(request)) return sendHtml(response, 403, page("Forbidden", "<p>Cross-site request refused.</p>"));
      const user = signedIn(request);
      if (!user) return redirect(response, installPath);
      const parsed = installFormSchema.safeParse(await readParams(request, new URL(request.url ?? "/", ctx.base)));
      if (!parsed.success) return sendHtml(response, 422, page("Invalid request", "<p>Invalid request.</p>"));
      const form = parsed.data;
      const account = ctx.state.accountsOf(user.login).find((a) => a.id === form.target_id);
      if (!account) return sendHtml(response, 404, page("Not Found", "<p>Not Found</p>"));
      const owned = new Map(ctx.state.reposOf(account.login).map((repo) => [String(repo.id), repo]));
      const chosen = [form.repository_ids ?? []].flat().map((id) => owned.get(id));
      if (chosen.some((repo) => !repo) || (form.repository_selection === "selected" && chosen.length === 0)) {
        return sendHtml(
          response,
          422,
          page("Invalid request", "<p>Select at least one of this account's repositories.</p>"),
        );
      }
      const ids = (chosen as Repo[]).map((repo) => repo.id);

      let installation = ctx.state.installationOn(account.login);
      let setupAction: "install" | "update";
      if (installation) {
        const change = ctx.state.updateInstallationRepos(installation, form.repository_selection, ids);
        ctx.sendRepositoriesEvent(installation, change, user);
        setupAction = "update";
      } else {
        installation = ctx.state.createInstallation(account, form.repository_selection, ids);
        ctx.sendInstallationEvent("created", installation, user);
        setupAction = "install";
      }

      const callback = new URL(app.callbackUrl);
      callback.searchParams.set("code", ctx.state.issueCode(user.login, app.clientId));
      callback.searchParams.set("installation_id", String(installation.id));
      callback.searchParams.set("setup_action", setupAction);
      if (form.state !== undefined) callback.searchParams.set("state", form.state);
      redirect(response, callback.toString());
    }),
  ];
}

function signInPage(users: Account[], returnTo: string): string {
  const options = users.map((u) => `<option value="${html(u.login)}">${html(u.login)}</option>`).join("");
  return page(
    "Sign in to GitHub",
    `<h1>Sign in to GitHub</h1>
<p>This is the local GitHub emulator: pick which seeded user you are.</p>
<form method="post" action="/session">
  <label for="login">Username</label>
  <select id="login" name="login">${options}</select>
  <input type="hidden" name="return_to" value="${html(returnTo)}">
  <button type="submit">Sign in</button>
</form>`,
  );
}

function authorizePage(
  ctx: EmulatorContext,
  user: Account,
  query: z.infer<typeof authorizeSchema>,
  here: string,
): string {
  const app = ctx.options.app;
  const hidden = Object.entries(query)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `<input type="hidden" name="${html(name)}" value="${html(value)}">`)
    .join("");
  return page(
    `Authorize ${app.slug}`,
    `${signedInAs(user, here)}<h1>Authorize ${html(app.slug)}</h1>
<p>${html(app.slug)} wants to know who you are on GitHub and act for you within the repositories its installations and you can both reach.</p>
<form method="post" action="/login/oauth/authorize">
  ${hidden}
  <button type="submit" name="decision" value="authorize">Authorize ${html(app.slug)}</button>
  <button type="submit" name="decision" value="cancel">Cancel</button>
</form>`,
  );
}

function signedInAs(user: Account, returnTo: string): string {
  return `<form method="post" action="/logout" class="session">
  <span>Signed in as <strong>${html(user.login)}</strong></span>
  <input type="hidden" name="return_to" value="${html(returnTo)}">
  <button type="submit">Sign out</button>
</form>`;
}

function permissionsPage(
  ctx: EmulatorContext,
  view: {
    user: Account;
    account: Account;
    existing: Installation | undefined;
    repos: Repo[];
    state: string | null;
    here: string;
  },
): string {
  const app = ctx.options.app;
  const selected = new Set(view.existing?.repositoryIds ?? []);
  const all = view.existing ? view.existing.repositorySelection === "all" : true;
  const checkboxes = view.repos
    .map(
      (repo) =>
        `<li><input type="checkbox" id="repo-${repo.id}" name="repository_ids" value="${repo.id}"${selected.has(repo.id) ? " checked" : ""}>` +
        ` <label for="repo-${repo.id}">${html(repo.name)}</label></li>`,
    )
    .join("");
  const verb = view.existing ? "Save" : "Install";
  return page(
    `${verb} ${app.slug}`,
    `${signedInAs(view.user, view.here)}
<h1>${view.existing ? "Configure" : "Install"} ${html(app.slug)} on ${html(view.account.login)}</h1>
<p>${html(app.slug)} will be able to read and write the contents of the repositories you choose.</p>
<form method="post" action="/apps/${html(app.slug)}/installations">
  <input type="hidden" name="target_id" value="${view.account.id}">
  ${view.state === null ? "" : `<input type="hidden" name="state" value="${html(view.state)}">`}
  <fieldset>
    <legend>Repository access</legend>
    <div><input type="radio" id="selection-all" name="repository_selection" value="all"${all ? " checked" : ""}>
      <label for="selection-all">All repositories</label></div>
    <div><input type="radio" id="selection-selected" name="repository_selection" value="selected"${all ? "" : " checked"}>
      <label for="selection-selected">Only select repositories</label></div>
  </fieldset>
  <fieldset>
    <legend>Select repositories</legend>
    <ul class="repos">${checkboxes}</ul>
  </fieldset>
  <button type="submit">${verb}</button>
</form>`,
  );
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${html(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}
.session{display:flex;gap:1rem;align-items:center;justify-content:flex-end}.repos{list-style:none;padding:0;max-height:20rem;overflow:auto}
.banner{background:#fff8c5;padding:.5rem;border-radius:6px}</style></head>
<body><p class="banner">Local GitHub emulator</p>${body}</body></html>`;
}

function cookies(request: IncomingMessage): Record<string, string> {
  const found: Record<string, string> = {};
  for (const part of (request.headers.cookie ?? "").split(";")) {
    const index = part.indexOf("=");
    if (index > 0) found[part.slice(0, index).trim()] = part.slice(index + 1).trim();
  }
  return found;
}

function html(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
