import { Outlet } from "react-router";
import { ErrorPage } from "../components/status-page";

/** The frame of every page; its error boundary shows a page's errors with the signed-in header. */
export default function Site() {
  return <Outlet />;
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
