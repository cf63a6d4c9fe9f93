import { describe, expect, it } from "vitest";
import { location, uniqueEmail, Visitor } from "../../tests/workerd/visitor";

describe("a path no page serves", () => {
  it("answers 404 with the site's page, a title, and the way home for a visitor", async () => {
    const response = await new Visitor().fetch("/no/such/page");
    expect(response.status).toBe(404);
    const html = await response.text();
    expect(html).toContain("<title>Page not found · ctx4-ai</title>");
    expect(html).toMatch(/<h1[^>]*>Page not found<\/h1>/);
    expect(html).toMatch(/<a[^>]*href="\/login"[^>]*>Sign in<\/a>/);
    expect(html).toMatch(/<a[^>]*href="\/"[^>]*>Go to the home page<\/a>/);
  });

  it("shows a signed-in person as signed in, with the way to their memory", async () => {
    const visitor = new Visitor();
    const email = uniqueEmail("lost");
    await visitor.signIn(email);
    const response = await visitor.fetch("/no-such-page");
    expect(response.status).toBe(404);
    const html = await response.text();
    expect(html).toContain(email);
    expect(html).toContain("Sign out");
    expect(html).not.toMatch(/>Sign in</);
    expect(html).toMatch(/<a[^>]*href="\/me"[^>]*>Go to your memory<\/a>/);
  });

  it("answers a form posted there with the same 404 page", async () => {
    const response = await new Visitor().post("/no-such-form", { a: "1" });
    expect(response.status).toBe(404);
    expect(await response.text()).toMatch(/<h1[^>]*>Page not found<\/h1>/);
  });

  it("sends browsers asking for /favicon.ico to the site's icon", async () => {
    const response = await new Visitor().fetch("/favicon.ico");
    expect(response.status).toBe(301);
    expect(location(response)).toBe("/favicon.svg");
  });
});
