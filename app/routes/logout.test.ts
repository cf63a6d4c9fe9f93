import { describe, expect, it } from "vitest";
import { location, uniqueEmail, Visitor } from "../../tests/workerd/visitor";

describe("signing out", () => {
  it("ends on the home page saying so, once", async () => {
    const visitor = new Visitor();
    await visitor.signIn(uniqueEmail("leaving"));
    expect(location(await visitor.post("/logout", {}))).toBe("/");
    const home = await (await visitor.fetch("/")).text();
    expect(home).toContain("Signed out.");
    expect(home).toContain("Get started");
    expect(await (await visitor.fetch("/")).text()).not.toContain("Signed out.");
  });

  it("is not announced to someone who did not sign out", async () => {
    const visitor = new Visitor();
    expect(await (await visitor.fetch("/?signed-out=1")).text()).not.toContain("Signed out.");
    await visitor.signIn(uniqueEmail("staying"));
    expect(await (await visitor.fetch("/")).text()).not.toContain("Signed out.");
  });
});
