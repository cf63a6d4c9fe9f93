import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_SECRET_HEADER } from "../secret-header";
import type { EgressRequest } from "./git-egress-relay";
import type { ExecResponse } from "./sandboxes";
import { startTestHost, TEST_SECRET, type TestHost } from "./test-host";

let host: TestHost;
beforeAll(async () => {
  host = await startTestHost();
});
afterAll(() => host.stop());

const headers = (port: string) => ({ host: `127.0.0.1:${port}`, [LOCAL_SECRET_HEADER]: TEST_SECRET });

/** Posts the Worker's answer to one relayed request, as workers/sandbox/local.ts does. */
function answer(sandbox: string, id: string, status: number, body: string) {
  return new Promise<number>((resolve, reject) => {
    const outgoing = request(
      {
        host: "127.0.0.1",
        port: host.port,
        method: "POST",
        path: `/sandboxes/${sandbox}/egress/${id}`,
        headers: { ...headers(host.port), "x-ctx4-egress-status": String(status), "content-type": "text/plain" },
      },
      (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode ?? 0));
      },
    );
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

/** An exec with the git route open, answering each relayed request with `respond`. */
function execWithRoute(sandbox: string, command: string, respond: (egress: EgressRequest) => [number, string]) {
  return new Promise<{ relayed: EgressRequest[]; result: ExecResponse }>((resolve, reject) => {
    const payload = JSON.stringify({ command, timeoutMs: 20_000, maxOutputBytes: 100_000, egress: true });
    const relayed: EgressRequest[] = [];
    const outgoing = request(
      {
        host: "127.0.0.1",
        port: host.port,
        method: "POST",
        path: `/sandboxes/${sandbox}/exec`,
        headers: { ...headers(host.port), "content-type": "application/json" },
      },
      (response) => {
        expect(response.headers["content-type"]).toBe("application/x-ndjson");
        let buffered = "";
        response.on("data", (chunk: Buffer) => {
          buffered += chunk.toString("utf8");
          for (let newline = buffered.indexOf("\n"); newline >= 0; newline = buffered.indexOf("\n")) {
            const line = JSON.parse(buffered.slice(0, newline)) as { egress?: EgressRequest; result?: ExecResponse };
            buffered = buffered.slice(newline + 1);
            if (line.egress) {
              relayed.push(line.egress);
              answer(sandbox, line.egress.id, ...respond(line.egress)).catch(reject);
            }
            if (line.result) resolve({ relayed, result: line.result });
          }
        });
      },
    );
    outgoing.on("error", reject);
    outgoing.end(payload);
  });
}

const curl = "curl -sS -w ' %{http_code}'";

describe("the local git egress relay", () => {
  it("carries a request made through the sandbox's http_proxy to the caller, and its answer back", async () => {
    const { relayed, result } = await execWithRoute(
      "relay",
      `${curl} -H 'Git-Protocol: version=2' -H 'Cookie: kept-here' --data-binary 'pack bytes' http://github.ctx4.internal/alice/ctx.git/git-upload-pack`,
      () => [200, "from the Worker"],
    );
    expect(result).toMatchObject({ exitCode: 0, stdout: "from the Worker 200" });
    expect(relayed).toHaveLength(1);
    const [egress] = relayed;
    expect(egress).toMatchObject({ method: "POST", url: "http://github.ctx4.internal/alice/ctx.git/git-upload-pack" });
    expect(Buffer.from(egress?.body ?? "", "base64").toString()).toBe("pack bytes");
    expect(egress?.headers["git-protocol"]).toBe("version=2");
    expect(egress?.headers).not.toHaveProperty("cookie");
  });

  it("carries every request git sends on one connection, as a clone or fetch does", async () => {
    const urls = ["info/refs?service=git-upload-pack", "git-upload-pack", "git-upload-pack"].map(
      (path) => `http://github.ctx4.internal/alice/ctx.git/${path}`,
    );
    const { relayed, result } = await execWithRoute(
      "relay",
      `curl -sS -w ' %{http_code} %{num_connects}\\n' ${urls.map((url) => `'${url}'`).join(" ")}`,
      (egress) => [200, egress.method],
    );
    // curl opened one connection and sent all three on it.
    expect(result).toMatchObject({ exitCode: 0, stdout: "GET 200 1\nGET 200 0\nGET 200 0\n" });
    expect(relayed.map((egress) => egress.url)).toEqual(urls);
  });

  it("passes the Worker's refusal on, and refuses everything when no exec has the route open", async () => {
    const refused = await execWithRoute("relay", `${curl} http://github.ctx4.internal/x`, () => [403, "no\n"]);
    expect(refused.result.stdout).toBe("no\n 403");

    const closed = await host.exec("relay", { command: `${curl} http://github.ctx4.internal/alice/ctx.git/info/refs` });
    expect(closed.body.stdout).toMatch(/no git route is open for this sandbox\n 403$/);
  });

  it("is a proxy only: a request sent to it directly, or a tunnel, is refused", async () => {
    const direct = await host.exec("relay", { command: `${curl} --noproxy "*" "$http_proxy/alice/ctx.git/info/refs"` });
    expect(direct.body.stdout).toMatch(/ 400$/);
    const tunnel = await host.exec("relay", { command: `curl -sS -p https://github.ctx4.internal/ 2>&1; echo " $?"` });
    expect(tunnel.body.stdout).not.toMatch(/ 0\n?$/);
  });

  it("serves a sandbox's own commands only: another sandbox's command on its port is refused", async () => {
    const victimProxy = (await host.exec("victim", { command: 'printf %s "$http_proxy"' })).body.stdout;
    const relayed: EgressRequest[] = [];
    const victim = execWithRoute("victim", "sleep 2", (egress) => {
      relayed.push(egress);
      return [200, "served"];
    });
    const attacker = await host.exec("attacker", {
      command: `sleep 0.5; ${curl} -x ${victimProxy} http://github.ctx4.internal/victim/ctx.git/info/refs?service=git-upload-pack`,
    });
    await victim;
    expect(attacker.body.stdout).toMatch(/serves only its own sandbox's commands\n 403$/);
    expect(relayed).toEqual([]);
  });

  it("gives each sandbox a proxy of its own", async () => {
    const one = await host.exec("relay-one", { command: 'printf %s "$http_proxy"' });
    const two = await host.exec("relay-two", { command: 'printf %s "$http_proxy"' });
    expect(one.body.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(two.body.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(one.body.stdout).not.toBe(two.body.stdout);
  });
});
