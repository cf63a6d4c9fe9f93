import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("the Worker", () => {
  it("renders the home page on the server", async () => {
    const response = await exports.default.fetch("http://localhost/");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    const html = await response.text();
    expect(html).toContain("ctx4-ai");
    expect(html).toContain("A memory for your AI that you own.");
  });

  it("answers /healthz when the database answers", async () => {
    const response = await exports.default.fetch("http://localhost/healthz");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });
});
