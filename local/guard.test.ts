import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { checkLocalRequest, isLoopbackHost } from "./guard";
import { LOCAL_SECRET_HEADER } from "./secret-header";

const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe("the local stack's guard", () => {
  it("accepts loopback hosts only", () => {
    for (const host of ["127.0.0.1:4020", "localhost:4020", "[::1]:4020", "localhost"]) {
      expect(isLoopbackHost(host)).toBe(true);
    }
    for (const host of ["evil.example", "evil.example:4020", "127.0.0.1.evil.example", "", "localhost@evil.example"]) {
      expect(isLoopbackHost(host)).toBe(false);
    }
  });

  it("requires the exact secret", () => {
    const host = "127.0.0.1:4020";
    expect(checkLocalRequest(request({ host, [LOCAL_SECRET_HEADER]: "s3cret" }), "s3cret")).toEqual({ ok: true });
    expect(checkLocalRequest(request({ host, [LOCAL_SECRET_HEADER]: "s3cre" }), "s3cret")).toMatchObject({
      status: 401,
    });
    expect(checkLocalRequest(request({ host }), "s3cret")).toMatchObject({ status: 401 });
    expect(
      checkLocalRequest(request({ host: "evil.example", [LOCAL_SECRET_HEADER]: "s3cret" }), "s3cret"),
    ).toMatchObject({ status: 403 });
  });
});
