import { data } from "react-router";
import { NotFoundPage } from "../components/status-page";
import type { Route } from "./+types/not-found";

/**
 * Every path no other route serves (React Router's splat route, `*`). Being a route, it renders
 * inside the site's layout with the root loader's data (who is signed in), where an unmatched
 * URL would only reach the root's error boundary, with no loader run.
 */
export const meta: Route.MetaFunction = () => [{ title: "Page not found · ctx4-ai" }];

export function loader() {
  return data(null, 404);
}

/** A form posted to an unknown path gets the same page and status. */
export function action() {
  return data(null, 404);
}

export default function NotFound() {
  return <NotFoundPage />;
}
