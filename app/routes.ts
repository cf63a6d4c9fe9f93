import { index, layout, type RouteConfig, route } from "@react-router/dev/routes";

/**
 * Every page, inside the site layout: its error boundary sits below the root, whose loader (who
 * is signed in) therefore still runs when a page's action fails; React Router runs loaders only
 * above the boundary that shows an error.
 */
const pages = [
  index("routes/home.tsx"),
  route("healthz", "routes/healthz.ts"),
  route("login", "routes/login.tsx"),
  route("auth/confirm", "routes/auth.confirm.tsx"),
  route("logout", "routes/logout.ts"),
  route("api/github/webhook", "routes/api.github.webhook.ts"),
  // Signs people in itself: one back from installing on GitHub keeps GitHub's code out of the login URL.
  route("api/github/callback", "routes/api.github.callback.tsx"),
  layout("routes/signed-in.tsx", [
    route("onboarding", "routes/onboarding.tsx", [
      index("routes/onboarding._index.ts"),
      route("connect-github", "routes/onboarding.connect-github.tsx"),
      route("select-repo", "routes/onboarding.select-repo.tsx"),
    ]),
    route("api/github/repos", "routes/api.github.repos.ts"),
    route("me", "routes/me.tsx"),
    route("activity", "routes/activity.tsx"),
    route("activity/:sha", "routes/activity.$sha.tsx"),
    route("activity/:sha/revert", "routes/activity.$sha.revert.tsx"),
    route("activity/branches/bring-in", "routes/activity.branches.bring-in.ts"),
    route("activity/proposals/:key", "routes/activity.proposals.$key.tsx"),
    route("files", "routes/files.tsx", { id: "files-root" }),
    route("files/*", "routes/files.tsx"),
    route("account/delete", "routes/account.delete.tsx"),
    route("activity/findings", "routes/activity.findings.tsx"),
  ]),
  // Checks the client's request before it asks anyone to sign in.
  route("authorize", "routes/authorize.tsx"),
  route("*", "routes/not-found.tsx"),
] satisfies RouteConfig;

export default [
  layout("routes/site.tsx", pages),
  // Browsers ask for it whatever a page links.
  route("favicon.ico", "routes/favicon.ico.ts"),
] satisfies RouteConfig;
