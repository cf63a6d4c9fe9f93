import { Links, Meta, Outlet, Scripts, ScrollRestoration } from "react-router";
import type { Route } from "./+types/root";
import "./app.css";
import { ErrorPage, errorTitle } from "./components/status-page";
import { currentUser, sessionMiddleware } from "./lib/auth/session.server";
import { canonicalQueryMiddleware } from "./lib/canonical-query.server";
import { webLogMiddleware } from "./lib/web-log.server";

export const middleware: Route.MiddlewareFunction[] = [webLogMiddleware, canonicalQueryMiddleware, sessionMiddleware];

/**
 * Who is signed in, for the header of the pages without a loader of their own: the 404 and error
 * pages. Confirmed with the auth server like every page's header (a signed-out session's token
 * still verifies), at no extra cost where the page's own loader asks too: `currentUser` asks once
 * per request. A header is not worth failing a page for: auth server unreachable, no one.
 */
export async function loader({ context }: Route.LoaderArgs) {
  const user = await currentUser(context).catch(() => null);
  return { email: user?.email ?? null };
}

export const links: Route.LinksFunction = () => [{ rel: "icon", href: "/favicon.svg", type: "image/svg+xml" }];

/** A page without a title of its own is named after the product; an error page after the error. */
export const meta: Route.MetaFunction = ({ error }) => [
  { title: error ? `${errorTitle(error)} · ctx4-ai` : "ctx4-ai" },
];

export function Layout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        {/* Stylesheets need no nonce (style-src 'self'), and an empty one matches when hydrating:
            the browser hides nonces from the page. */}
        <Links nonce="" />
      </head>
      <body className="min-h-screen bg-stone-50 text-stone-900 antialiased">
        {children}
        <ScrollRestoration />
        <Scripts />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

/** Errors of the root itself (its middleware, its loader); pages' errors meet `routes/site.tsx`'s. */
export function ErrorBoundary() {
  return <ErrorPage />;
}
