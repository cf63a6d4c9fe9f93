import type { ReactNode } from "react";
import { isRouteErrorResponse, Link, useRouteError, useRouteLoaderData } from "react-router";
import type { loader as rootLoader } from "../root";
import { buttonClass } from "./button";
import { Page } from "./page";

/**
 * A page shown instead of the one asked for (not found, an error): the site's frame with who is
 * signed in, a heading, what happened, and a way on: the dashboard for a signed-in person, the
 * home page for anyone else.
 */
export function StatusPage({ email, title, children }: { email: string | null; title: string; children: ReactNode }) {
  return (
    <Page email={email}>
      <div className="mx-auto max-w-xl py-8">
        <h1 className="text-2xl font-semibold tracking-tight">{title}</h1>
        <div className="mt-4 space-y-2 text-stone-600">{children}</div>
        <div className="mt-8">
          <Link to={email ? "/me" : "/"} className={buttonClass()}>
            {email ? "Go to your memory" : "Go to the home page"}
          </Link>
        </div>
      </div>
    </Page>
  );
}

/** Who the root loader found signed in; null also when that loader did not run or failed. */
export function useSignedInEmail(): string | null {
  return useRouteLoaderData<typeof rootLoader>("root")?.email ?? null;
}

/** The 404 page: for any path no route serves, and for a route that finds nothing to show. */
export function NotFoundPage() {
  return (
    <StatusPage email={useSignedInEmail()} title="Page not found">
      <p>There is no page at this address. The link may be mistyped or old.</p>
    </StatusPage>
  );
}

/**
 * The page of an error boundary: not found, refused (4xx) or failed. It says so in our own words,
 * never the error's text, which may be React Router's or a library's internals; in development
 * only, the stack shows below.
 */
export function ErrorPage() {
  const error = useRouteError();
  const email = useSignedInEmail();
  if (isRouteErrorResponse(error) && error.status === 404) return <NotFoundPage />;
  const refused = isRouteErrorResponse(error) && error.status < 500;
  return (
    <StatusPage email={email} title={errorTitle(error)}>
      <p>
        {refused
          ? `This page could not do what was asked (error ${error.status}). Go back and try again, or start over from here.`
          : "An unexpected error stopped this page. Try again in a moment."}
      </p>
      {import.meta.env.DEV && error instanceof Error ? (
        <pre className="mt-6 overflow-x-auto rounded-md bg-stone-100 p-4 text-xs">{error.stack}</pre>
      ) : null}
    </StatusPage>
  );
}

/** The heading, and title, of an error page. */
export function errorTitle(error: unknown): string {
  if (!isRouteErrorResponse(error) || error.status >= 500) return "Something went wrong";
  return error.status === 404 ? "Page not found" : "That did not work";
}
