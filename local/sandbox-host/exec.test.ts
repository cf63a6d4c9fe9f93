import { existsSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commandNamespaces } from "./run-command";
import { isMarkedRunning, markedSleep, startTestHost, TEST_SECRET, type TestHost, waitFor } from "./test-host";

let host: TestHost;
beforeAll(async () => {
  host = await startTestHost();
});
afterAll(() => host.stop());

describe("running a command", () => {
  it("reports exit codes, stdout and stderr apart", async () => {
    const ok = await host.exec("codes", { command: "echo out; echo err >&2" });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ exitCode: 0, signal: null, timedOut: false, stdout: "out\n", stderr: "err\n" });
    expect(ok.body.durationMs).toBeGreaterThanOrEqual(0);

    expect((await host.exec("codes", { command: "exit 7" })).body.exitCode).toBe(7);
    const missing = await host.exec("codes", { command: "no-such-command-here" });
    expect(missing.body.exitCode).toBe(127);
    expect(missing.body.stderr).toContain("not found");
    const syntax = await host.exec("codes", { command: "if then fi (" });
    expect(syntax.body.exitCode).toBe(2);
    expect(syntax.body.stderr).toContain("syntax error");
  });

  it("closes stdin, so a command reading it ends at once", async () => {
    const reply = await host.exec("stdin", { command: "cat; echo done", timeoutMs: 5_000 });
    expect(reply.body).toMatchObject({ exitCode: 0, stdout: "done\n", timedOut: false });
  });

  it("passes the request's env and nothing of the host's", async () => {
    const before = process.env.LOCAL_STACK_SECRET;
    process.env.LOCAL_STACK_SECRET = TEST_SECRET;
    try {
      const reply = await host.exec("env", {
        command: "env",
        env: { GREETING: "hello world", GIT_AUTHOR_NAME: "bot" },
      });
      const env = reply.body.stdout;
      expect(env).toContain("GREETING=hello world\n");
      expect(env).toContain("GIT_AUTHOR_NAME=bot\n");
      expect(env).toContain(`HOME=${join(realpathSync(host.rootDir), "env")}\n`);
      expect(env).toContain("LANG=C.UTF-8\n");
      expect(env).toContain("TERM=dumb\n");
      expect(env).toContain("GIT_TERMINAL_PROMPT=0\n");
      expect(env).not.toContain(TEST_SECRET);
      expect(env).not.toContain("LOCAL_STACK_SECRET");
      expect(env).not.toContain("VITEST");
    } finally {
      if (before === undefined) delete process.env.LOCAL_STACK_SECRET;
      else process.env.LOCAL_STACK_SECRET = before;
    }
  });

  it("runs real git", async () => {
    const reply = await host.exec("git", {
      command:
        "git init -q -b main repo && cd repo && echo hi > a.md && git add a.md && git commit -qm first && git log --format=%s",
      env: {
        GIT_AUTHOR_NAME: "t",
        GIT_AUTHOR_EMAIL: "t@example.com",
        GIT_COMMITTER_NAME: "t",
        GIT_COMMITTER_EMAIL: "t@example.com",
      },
    });
    expect(reply.body).toMatchObject({ exitCode: 0, stdout: "first\n" });
  });
});

describe("the working directory", () => {
  it("defaults to the sandbox directory, which is created on first use", async () => {
    expect(existsSync(join(host.rootDir, "cwd"))).toBe(false);
    const reply = await host.exec("cwd", {
      command: "pwd; mkdir -p sub/dir; ln -s sub/dir inside; ln -s / out; ln -s .. up; touch file",
    });
    expect(reply.body.stdout).toBe(`${join(realpathSync(host.rootDir), "cwd")}\n`);
  });

  it("may be a folder inside it, also through a symlink that stays inside", async () => {
    const sandboxDir = join(realpathSync(host.rootDir), "cwd");
    expect((await host.exec("cwd", { command: "pwd -P", cwd: "sub/dir" })).body.stdout).toBe(`${sandboxDir}/sub/dir\n`);
    expect((await host.exec("cwd", { command: "pwd -P", cwd: "inside" })).body.stdout).toBe(`${sandboxDir}/sub/dir\n`);
    expect((await host.exec("cwd", { command: "pwd -P", cwd: "./sub" })).body.stdout).toBe(`${sandboxDir}/sub\n`);
  });

  it("refuses '..', absolute paths, symlinks leading out, and what is no folder", async () => {
    const refused = {
      "..": "'..'",
      "sub/../..": "'..'",
      "sub/..": "'..'",
      "../codes": "'..'",
      "/": "relative",
      "/tmp": "relative",
      out: "leads out",
      up: "leads out",
      "up/codes": "leads out",
      missing: "does not exist",
      file: "not a directory",
    };
    for (const [cwd, message] of Object.entries(refused)) {
      const reply = await host.exec("cwd", { command: "touch ran-here", cwd });
      expect(reply.status, cwd).toBe(400);
      expect(reply.body.error, cwd).toContain(message);
    }
    expect(existsSync(join(host.rootDir, "cwd", "ran-here"))).toBe(false);
    expect(existsSync(join(host.rootDir, "ran-here"))).toBe(false);
  });
});

describe("the time limit", () => {
  it("kills the whole process group and says so, leaving no orphan", async () => {
    const first = markedSleep();
    const second = markedSleep();
    const reply = await host.exec("timeout", {
      command: `${first.command} (${second.command} wait; echo never) & wait`,
      timeoutMs: 500,
    });
    expect(reply.body).toMatchObject({ timedOut: true, exitCode: null, signal: "SIGKILL", stdout: "" });
    expect(reply.body.durationMs).toBeGreaterThanOrEqual(500);
    expect(reply.body.durationMs).toBeLessThan(5_000);
    expect(await waitFor(() => !isMarkedRunning(first.marker) && !isMarkedRunning(second.marker))).toBe(true);
  });

  it("does not wait on, or leave behind, background jobs of a command that ended", async () => {
    const sleep = markedSleep();
    const reply = await host.exec("timeout", { command: `${sleep.command} echo started`, timeoutMs: 60_000 });
    expect(reply.body).toMatchObject({ timedOut: false, exitCode: 0, stdout: "started\n" });
    expect(reply.body.durationMs).toBeLessThan(5_000);
    expect(await waitFor(() => !isMarkedRunning(sleep.marker))).toBe(true);
  });

  it.runIf(commandNamespaces().pid)(
    "leaves nothing behind that left the process group (setsid, nohup, double fork)",
    async () => {
      const sleeps = [markedSleep(), markedSleep(), markedSleep()];
      const reply = await host.exec("escape", {
        command: [
          `setsid bash -c '${sleeps[0]?.command} wait' >/dev/null 2>&1 < /dev/null &`,
          `nohup setsid bash -c '${sleeps[1]?.command} wait' >/dev/null 2>&1 &`,
          `( ( ${sleeps[2]?.command} ) & ) ; echo started`,
        ].join("\n"),
        timeoutMs: 60_000,
      });
      expect(reply.body).toMatchObject({ exitCode: 0, stdout: "started\n" });
      expect(reply.body.durationMs).toBeLessThan(5_000);
      expect(await waitFor(() => sleeps.every((sleep) => !isMarkedRunning(sleep.marker)))).toBe(true);
    },
  );
});

describe("a command that leaves processes holding its output", () => {
  // The host answers when the output pipes close, as the container SDK does. Bare (no
  // namespaces, as where they are refused) nothing kills what left the group with the command.
  for (const namespaces of [true, false]) {
    it.runIf(!namespaces || commandNamespaces().pid)(
      `returns once the command has exited, with its own output and exit code (${namespaces ? "PID namespace" : "bare"})`,
      async () => {
        const other = await startTestHost({ namespaces });
        try {
          const leftovers = [
            (name: string) => `setsid bash -c 'exec -a ${name} sleep 600' &`,
            (name: string) => `(setsid bash -c 'exec -a ${name} sleep 600' >&2 &)`,
            (name: string) => `nohup bash -c 'exec -a ${name} sleep 600' >/dev/null 2>&1 &`,
            (name: string) => `setsid bash -c 'exec -a ${name} sleep 600' 3>&1 >/dev/null 2>&1 &`,
            (name: string) => `exec 1>&-; (exec -a ${name} sleep 600) &`,
          ];
          for (const leftover of leftovers) {
            const { marker } = markedSleep();
            const reply = await other.exec("leftover", {
              command: `echo own; echo err >&2\n${leftover(marker)}\nexit 5`,
              timeoutMs: 60_000,
            });
            expect(reply.body, leftover(marker)).toMatchObject({ exitCode: 5, timedOut: false, stderr: "err\n" });
            expect(reply.body.stdout).toBe("own\n");
            // Measured here: about 10 ms with a namespace, about 250 ms (the grace) bare.
            expect(reply.body.durationMs, leftover(marker)).toBeLessThan(2_000);
            expect(await waitFor(() => !isMarkedRunning(marker))).toBe(true);
          }
          const { marker } = markedSleep();
          const timedOut = await other.exec("leftover", {
            command: `setsid bash -c 'exec -a ${marker} sleep 600' & echo started; sleep 600`,
            timeoutMs: 500,
          });
          expect(timedOut.body).toMatchObject({ timedOut: true, stdout: "started\n" });
          expect(timedOut.body.durationMs).toBeLessThan(2_000);
          expect(await waitFor(() => !isMarkedRunning(marker))).toBe(true);
        } finally {
          await other.stop();
        }
      },
    );
  }
});

describe("other processes", () => {
  it.runIf(commandNamespaces().pid)("are out of sight: /proc shows only the command's own", async () => {
    const reply = await host.exec("procs", {
      command: 'ls /proc | grep -c "^[0-9]"; tr "\\0" "\\n" < /proc/$PPID/environ; echo "ppid=$PPID"',
    });
    const [count = "", ...rest] = reply.body.stdout.trim().split("\n");
    expect(Number(count)).toBeLessThan(10);
    expect(rest).toEqual(["ppid=0"]);
  });
});

describe("confinement", () => {
  it.runIf(commandNamespaces().confined)(
    "shows an offline command (a user's) its own sandbox only: not the others, the stack's data or the checkout",
    async () => {
      await host.exec("neighbour", { command: "echo private > private.txt" });
      writeFileSync(join(host.parentDir, "stack-secret.json"), "{}");
      const reply = await host.exec("confined", {
        command: [
          "echo mine > mine.txt && cat mine.txt",
          // Not the other sandboxes, nor the root's mount tables (.confinement).
          'ls -A "$(dirname "$PWD")"',
          "cat ../neighbour/private.txt 2>&1 | grep -c 'No such file'",
          `ls ${JSON.stringify(host.parentDir)}`,
          `ls -A ${JSON.stringify(process.cwd())} | wc -l`,
        ].join("; "),
        offline: true,
      });
      expect(reply.body.stdout).toBe(`mine\nconfined\n1\nroot\n0\n`);
      expect(readFileSync(join(host.rootDir, "confined", "mine.txt"), "utf8")).toBe("mine\n");
      // Not even as root: the mounts it inherits are locked, so it cannot unmount them to look beneath.
      const unmount = await host.exec("confined", {
        command: `for m in $(grep ctx4-hidden /proc/self/mountinfo | cut -d' ' -f5); do echo "found $m"; umount -l "$m" 2>/dev/null && echo unmounted; done; cat ../neighbour/private.txt 2>/dev/null; echo done`,
        offline: true,
      });
      expect(unmount.body.stdout).toBe(
        `found ${realpathSync(host.parentDir)}\nfound ${realpathSync(process.cwd())}\ndone\n`,
      );
      // Our own (online) steps are not confined: they run none of a command's code.
      const ours = await host.exec("confined", { command: "ls .. | grep -c neighbour" });
      expect(ours.body.stdout).toBe("1\n");
    },
  );

  it.runIf(commandNamespaces().confined)(
    "confines the first commands of a sandbox run at once, each of them",
    async () => {
      const replies = await Promise.all(
        Array.from({ length: 8 }, () => host.exec("at-once", { command: 'ls -A "$(dirname "$PWD")"', offline: true })),
      );
      expect(replies.map((reply) => reply.body.stdout)).toEqual(Array(8).fill("at-once\n"));
    },
  );

  it.runIf(commandNamespaces().confined)(
    "confines as well under a folder whose name holds a space, a tab, a newline and a backslash",
    async () => {
      const odd = await startTestHost({ parentPrefix: "ctx4 odd\tname\n\\" });
      try {
        await odd.exec("neighbour", { command: "echo private > private.txt" });
        const reply = await odd.exec("confined", {
          command: 'echo mine > mine.txt && cat mine.txt; ls ..; ls -A "$(dirname "$(dirname "$PWD")")"',
          offline: true,
        });
        expect(reply.body).toMatchObject({ exitCode: 0, stdout: "mine\nconfined\nroot\n" });
        expect(readFileSync(join(odd.rootDir, "confined", "mine.txt"), "utf8")).toBe("mine\n");
      } finally {
        await odd.stop();
      }
    },
  );
});

describe("the network", () => {
  it.runIf(commandNamespaces().network)(
    "is not there for an offline command, not even this machine's loopback",
    async () => {
      const probe = `curl -sS --noproxy '*' --max-time 3 -o /dev/null -w '%{http_code}' http://127.0.0.1:${host.port}/healthz; echo " $?"`;
      const online = await host.exec("net", { command: probe });
      expect(online.body.stdout).toBe("200 0\n");
      const offline = await host.exec("net", { command: probe, offline: true });
      expect(offline.body.stdout).not.toMatch(/ 0\n$/);
      expect(offline.body.stdout).not.toContain("200");
    },
  );
});

describe("output", () => {
  it("is capped per stream, with truncation flags and the full byte counts", async () => {
    const reply = await host.exec("caps", { command: "printf 0123456789; printf abcd >&2", maxOutputBytes: 4 });
    expect(reply.body).toMatchObject({
      stdout: "0123",
      stdoutTruncated: true,
      stdoutBytes: 10,
      stderr: "abcd",
      stderrTruncated: false,
      stderrBytes: 4,
    });
  });

  it("reads a 100 MB output to the end without keeping it", async () => {
    const reply = await host.exec("caps", {
      command: "head -c 100000000 /dev/zero; head -c 30000000 /dev/zero >&2; echo finished >&2",
      maxOutputBytes: 1024,
      encoding: "base64",
    });
    expect(reply.body).toMatchObject({ exitCode: 0, timedOut: false, stdoutTruncated: true, stderrTruncated: true });
    expect(reply.body.stdoutBytes).toBe(100_000_000);
    expect(reply.body.stderrBytes).toBe(30_000_009);
    expect(Buffer.from(reply.body.stdout, "base64")).toEqual(Buffer.alloc(1024));
  });

  it("returns binary output exactly in base64", async () => {
    const reply = await host.exec("binary", {
      command:
        'head -c 65536 /dev/urandom > blob; for i in $(seq 0 255); do printf "\\\\$(printf %o $i)"; done; cat blob',
      encoding: "base64",
    });
    const bytes = Buffer.from(reply.body.stdout, "base64");
    const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    expect(bytes.subarray(0, 256)).toEqual(allBytes);
    expect(bytes.subarray(256)).toEqual(readFileSync(join(host.rootDir, "binary", "blob")));
    expect(reply.body.stdoutBytes).toBe(256 + 65536);
  });

  it("replaces invalid UTF-8 in utf8 mode", async () => {
    const reply = await host.exec("binary", { command: "printf 'caf\\xc3\\xa9 \\xff\\xfe ok'" });
    expect(reply.body.stdout).toBe("café \uFFFD\uFFFD ok");
  });
});

describe("several sandboxes", () => {
  it("run in parallel and cannot reach each other's files by relative paths", async () => {
    const stamps = "date +%s%N; sleep 1; date +%s%N";
    const [one, two, again] = await Promise.all([
      host.exec("one", { command: `echo mine > private.txt; ${stamps}` }),
      host.exec("two", { command: stamps }),
      host.exec("two", { command: stamps }),
    ]);
    const stampsIn = (text: string) => text.trim().split(/\s+/).map(Number);
    const [oneStart = 0, oneEnd = 0] = stampsIn(one.body.stdout);
    for (const other of [two, again]) {
      const [start = 0, end = 0] = stampsIn(other.body.stdout);
      expect(start).toBeLessThan(oneEnd);
      expect(oneStart).toBeLessThan(end);
    }

    const peek = await host.exec("two", { command: "cat private.txt" });
    expect(peek.body.exitCode).toBe(1);
    expect(peek.body.stdout).toBe("");
    expect((await host.exec("two", { command: "cat private.txt", cwd: "../one" })).status).toBe(400);
    expect((await host.exec("one", { command: "cat private.txt" })).body.stdout).toBe("mine\n");
  });
});

describe("stopping commands", () => {
  it("kills the process group when the client disconnects", async () => {
    const sleep = markedSleep();
    const client = new AbortController();
    const pending = host.exec(
      "gone",
      { command: `${sleep.command} wait`, timeoutMs: 60_000 },
      { signal: client.signal },
    );
    pending.catch(() => undefined);
    expect(await waitFor(() => isMarkedRunning(sleep.marker))).toBe(true);
    client.abort();
    await expect(pending).rejects.toThrow();
    expect(await waitFor(() => !isMarkedRunning(sleep.marker))).toBe(true);
  });

  it("stops the command the caller named, and answers its exec once it is gone", async () => {
    const sleep = markedSleep();
    const execId = crypto.randomUUID();
    const running = host.exec("named", { command: `${sleep.command} wait; touch after`, timeoutMs: 60_000, execId });
    expect(await waitFor(() => isMarkedRunning(sleep.marker))).toBe(true);
    // Another exec's name stops nothing.
    expect((await host.send("POST", `/sandboxes/named/exec/${crypto.randomUUID()}/cancel`)).status).toBe(204);
    expect(isMarkedRunning(sleep.marker)).toBe(true);

    expect((await host.send("POST", `/sandboxes/named/exec/${execId}/cancel`)).status).toBe(204);
    expect((await running).body).toMatchObject({ timedOut: false, exitCode: null, signal: "SIGKILL" });
    expect(await waitFor(() => !isMarkedRunning(sleep.marker))).toBe(true);
    expect(existsSync(join(host.rootDir, "named", "after"))).toBe(false);
  });

  it("starts a command killed when its cancel came first", async () => {
    const execId = crypto.randomUUID();
    expect((await host.send("POST", `/sandboxes/early/exec/${execId}/cancel`)).status).toBe(204);
    const reply = await host.exec("early", { command: "sleep 50; touch ran", timeoutMs: 60_000, execId });
    expect(reply.body).toMatchObject({ exitCode: null, signal: "SIGKILL" });
    expect(existsSync(join(host.rootDir, "early", "ran"))).toBe(false);
  });

  it("destroying a sandbox kills its commands and removes its files", async () => {
    const sandboxDir = join(host.rootDir, "doomed");
    const sleep = markedSleep();
    const running = host.exec("doomed", {
      command: `mkdir -p a/b && echo x > a/b/c; ${sleep.command} wait`,
      timeoutMs: 60_000,
    });
    expect(await waitFor(() => isMarkedRunning(sleep.marker))).toBe(true);

    const destroyed = await host.send("DELETE", "/sandboxes/doomed");
    expect(destroyed.status).toBe(204);
    expect(existsSync(sandboxDir)).toBe(false);
    expect(await waitFor(() => !isMarkedRunning(sleep.marker))).toBe(true);
    expect((await running).body).toMatchObject({ timedOut: false, exitCode: null, signal: "SIGKILL" });

    expect((await host.send("DELETE", "/sandboxes/doomed")).status).toBe(204);
    expect((await host.send("DELETE", "/sandboxes/never-made")).status).toBe(204);
  });

  it("stopping the host kills running commands", async () => {
    const other = await startTestHost();
    const sleep = markedSleep();
    const running = other.exec("s", { command: `${sleep.command} wait`, timeoutMs: 60_000 });
    running.catch(() => undefined);
    expect(await waitFor(() => isMarkedRunning(sleep.marker))).toBe(true);
    await other.stop();
    expect(await waitFor(() => !isMarkedRunning(sleep.marker))).toBe(true);
  });
});
