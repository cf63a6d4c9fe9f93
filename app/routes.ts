import { index, layout, type RouteConfig, route } from "@react-router/dev/routes";

export default [
  index("routes/home.tsx"),
  route("healthz", "routes/healthz.ts"),
  route("login", "routes/login.tsx"),
  route("auth/confirm", "routes/auth.confirm.tsx"),
  route("logout", "routes/logout.ts"),
  route("api/github/webhook", "routes/api.github.webhook.ts"),
  layout("routes/signed-in.tsx", [
    route("onboarding", "routes/onboarding.tsx", [
      index("routes/onboarding._index.ts"),
      route("connect-github", "routes/onboarding.connect-github.tsx"),
      route("select-repo", "routes/onboarding.select-repo.tsx"),
    ]),
    route("api/github/callback", "routes/api.github.callback.tsx"),
    route("api/github/repos", "routes/api.github.repos.ts"),
    route("me", "routes/me.tsx"),
    route("account/delete", "routes/account.delete.tsx"),
  ]),
  // Checks the client's request before it asks anyone to sign in.
  route("authorize", "routes/authorize.tsx"),
] satisfies RouteConfig;
