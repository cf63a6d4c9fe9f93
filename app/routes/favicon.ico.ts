import { redirect } from "react-router";

/**
 * Browsers and crawlers ask for `/favicon.ico` whatever the page links; the icon is an SVG
 * (`public/favicon.svg`, linked from the root), so this sends them there for good instead of
 * answering with the 404 page.
 */
export function loader() {
  return redirect("/favicon.svg", 301);
}
