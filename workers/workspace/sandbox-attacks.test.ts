import { describe, expect, it } from "vitest";
import { holdClock, pastFreshness } from "../../tests/workerd/clock";
import { connectedUser } from "../../tests/workerd/connected-user";
import { GIT_EGRESS_HOST } from "../sandbox/git-egress";

type Connected = Awaited<ReturnType<typeof connectedUser>>;

/**
 * What the hiding tests write (knowledge/new.md added, resources/context.md and
 * resources/people.md appended "changed") is in `result`'s commit and on GitHub's branch.
 */
async function expectHiddenChangesPushed(
  result: Awaited<ReturnType<Connected["workspace"]["bash"]>>,
  control: Connected["control"],
  repo: string,
) {
  if (!result.ran) throw new Error("the command did not run");
  expect(result.commit?.files.sort()).toEqual([
    "A\tknowledge/new.md",
    "M\tresources/context.md",
    "M\tresources/people.md",
  ]);
  expect(await control.readFile(repo, "knowledge/new.md")).toBe("new\n");
  expect(await control.readFile(repo, "resources/context.md")).toMatch(/changed\n$/);
  expect(await control.readFile(repo, "resources/people.md")).toMatch(/changed\n$/);
}

/**
 * A client with ctx:write (or an AI steered by a prompt injection in the memory) attacking its
 * own sandbox. Each ends with the next change pushed as usual; that no token reached any
 * exec, file or request is also checked for the whole test run (tests/sandbox-leaks.ts).
 */
describe("a hostile command", () => {
  it("plants login and rc files, global git config and BASH_ENV: none of it runs in our steps or the next command", async () => {
    const { workspace, repo, control } = await connectedUser();
    const loot = (name: string) => `'printf "%s\\n" "${name}" >> "$HOME/ran"; env >> "$HOME/loot"'`;
    const plant = await workspace.bash({
      command: [
        `for f in .bash_profile .bash_login .profile .bashrc .bash_logout; do printf '%s\\n' ${loot("$f")} > "$HOME/$f"; done`,
        `printf '%s\\n' ${loot("bash_env")} > "$HOME/env.sh"`,
        `printf '[core]\\n\\tfsmonitor = "sh -c ${loot("global-fsmonitor").replaceAll('"', '\\\\"')}"\\n[credential]\\n\\thelper = store --file=$HOME/stolen\\n' > "$HOME/.gitconfig"`,
        `mkdir -p "$HOME/.config/git" && cp "$HOME/.gitconfig" "$HOME/.config/git/config"`,
        'printf \'%s\\n\' \'[ -n "$CTX4_GIT_TOKEN" ] && printf "%s" "$CTX4_GIT_TOKEN" | rev >> "$HOME/loot"\' >> "$HOME/.bash_profile"',
        "echo x >> knowledge/a.md",
      ].join("; "),
      comment: "Plant profiles",
    });
    expect(plant).toMatchObject({ ran: true, publish: { state: "pushed" } });

    const next = await workspace.bash({ command: "echo y >> knowledge/b.md", comment: "After the profiles" });
    expect(next).toMatchObject({ ran: true, exitCode: 0, publish: { state: "pushed" } });
    expect(await control.readFile(repo.full_name, "knowledge/b.md")).toBe("y\n");

    const look = await workspace.bash({ command: 'cat "$HOME/ran" "$HOME/loot" "$HOME/stolen" 2>&1; echo end' });
    expect(look.ran && look.stdout.text).toMatch(/No such file.*\n.*No such file.*\n.*No such file.*\nend\n$/);
  });

  it("leaves a background process (setsid, nohup) to watch the next sync: it sees no token and the push goes through", async () => {
    const { workspace, repo, control } = await connectedUser();
    const watcher = [
      "setsid nohup bash -c '",
      "end=$((SECONDS+15)); while [ $SECONDS -lt $end ]; do",
      '  for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do tr "\\0" "\\n" < "$f" 2>/dev/null; done | grep -aE "gh[sur]_|TOKEN|SECRET" >> "$HOME/watch" 2>/dev/null;',
      '  git -C "$HOME/repo" ls-remote origin >> "$HOME/route" 2>&1;',
      "  sleep 0.05;",
      "done' >/dev/null 2>&1 < /dev/null &",
    ].join("\n");
    const started = await workspace.bash({
      command: `${watcher}\necho started > watched.md`,
      comment: "Start a watcher",
    });
    expect(started).toMatchObject({ ran: true, exitCode: 0, publish: { state: "pushed" } });

    const next = await workspace.bash({ command: "echo after > after.md", comment: "While watched" });
    expect(next).toMatchObject({ ran: true, exitCode: 0, publish: { state: "pushed" } });
    if (!next.ran || next.publish.state !== "pushed") return;
    expect(await control.branchHead(repo.full_name)).toBe(next.publish.sha);

    const look = await workspace.bash({
      command: 'cat "$HOME/watch" 2>/dev/null; grep -E "^[0-9a-f]{40}" "$HOME/route"; true',
    });
    expect(look).toMatchObject({ ran: true, stdout: { text: "" } });
  });

  it("plants git settings and files that would run a program or send the memory elsewhere: the next sync ignores them", async () => {
    const { workspace, repo, control, login } = await connectedUser();
    await control.createRepo(login, "elsewhere", "readme");
    const ran = (name: string) => `sh -c 'echo ${name} >> \\"$HOME/ran\\"'`;
    const plant = await workspace.bash({
      command: [
        `git config core.fsmonitor "${ran("fsmonitor")}"`,
        `git config core.sshCommand "${ran("ssh")}"`,
        "git config http.proxy http://127.0.0.1:9",
        'git config http.extraHeader "X-Planted: 1"',
        `git config url.http://${GIT_EGRESS_HOST}/${login}/elsewhere.git.insteadOf "$(git config remote.origin.url)"`,
        `git config remote.origin.pushurl http://${GIT_EGRESS_HOST}/${login}/elsewhere.git`,
        'printf "[core]\\n\\thooksPath = $HOME/hooks\\n" > "$HOME/included" && git config include.path "$HOME/included"',
        `git config filter.planted.clean "${ran("clean-filter")}" && git config filter.planted.required true`,
        "printf '* filter=planted\\n' > .git/info/attributes",
        `mkdir -p "$HOME/hooks" && for h in pre-commit post-commit pre-push reference-transaction; do printf '#!/bin/sh\\necho %s >> "$HOME/ran"\\n' "$h" > "$HOME/hooks/$h"; cp "$HOME/hooks/$h" .git/hooks/$h; chmod +x "$HOME/hooks/$h" .git/hooks/$h; done`,
        'mkdir -p "$HOME/other/.git" && echo "$HOME/other/.git" > .git/commondir',
        "echo trapped > trapped.md",
      ].join(" && "),
      comment: "Plant git settings",
    });
    expect(plant).toMatchObject({ ran: true, exitCode: 0, publish: { state: "pushed" } });
    if (!plant.ran || plant.publish.state !== "pushed") return;
    expect(plant.commit?.files).toEqual(["A\ttrapped.md"]);
    expect(await control.branchHead(repo.full_name)).toBe(plant.publish.sha);
    expect(await control.readFile(repo.full_name, "trapped.md")).toBe("trapped\n");
    expect(await control.readFile(`${login}/elsewhere`, "trapped.md")).toBeUndefined();

    const look = await workspace.bash({
      command:
        'cat "$HOME/ran" 2>/dev/null; git config --list --local | grep -iE "fsmonitor|proxy|insteadof|pushurl|include|filter.planted|hookspath|extraheader"; ls .git/commondir 2>/dev/null; true',
    });
    expect(look).toMatchObject({ ran: true, stdout: { text: "" } });
  });

  it("hides its later changes from git (exclude file, index flags): they are committed and pushed all the same", async () => {
    const { workspace, repo, control } = await connectedUser();
    const hide = await workspace.bash({
      command: [
        "printf '*\\n' >> .git/info/exclude",
        "git update-index --assume-unchanged resources/context.md",
        "git update-index --skip-worktree resources/people.md",
        "git config core.sparseCheckout true && printf 'nothing\\n' > .git/info/sparse-checkout",
      ].join(" && "),
      comment: "Hide changes",
    });
    expect(hide).toMatchObject({ ran: true, exitCode: 0 });

    const write = await workspace.bash({
      command: "echo new > knowledge/new.md; echo changed >> resources/context.md; echo changed >> resources/people.md",
      comment: "Write notes",
    });
    expect(write).toMatchObject({ ran: true, exitCode: 0, publish: { state: "pushed" } });
    await expectHiddenChangesPushed(write, control, repo.full_name);
  });

  it("hides its own changes from git as it makes them: they are committed and pushed in that very call", async () => {
    const { workspace, repo, control } = await connectedUser();
    const write = await workspace.bash({
      command: [
        "echo changed >> resources/context.md && git update-index --assume-unchanged resources/context.md",
        "echo changed >> resources/people.md && git update-index --skip-worktree resources/people.md",
        "echo new > knowledge/new.md && printf '*\\n' >> .git/info/exclude",
        "git config status.showUntrackedFiles no",
        "git status --porcelain | wc -l",
      ].join(" && "),
      comment: "Hide as I write",
    });
    // git itself, as the command left it, shows nothing.
    expect(write).toMatchObject({ ran: true, exitCode: 0, stdout: { text: "0\n" }, publish: { state: "pushed" } });
    await expectHiddenChangesPushed(write, control, repo.full_name);
  });

  it("forges the index so that git takes its changed file for the committed one: committed and pushed all the same", async () => {
    const { workspace, repo, control } = await connectedUser();
    // The index entry gets the changed file's own stat data (mtime an hour back, so not racily
    // clean) and the committed blob, its checksum redone: with coreutils only, as any command can.
    const forge = (file: string) =>
      [
        `old=$(git rev-parse HEAD:${file})`,
        `echo changed >> ${file} && touch -d '-1 hour' ${file} && git update-index ${file}`,
        `new=$(git rev-parse :${file})`,
        "hex=$(od -An -v -tx1 .git/index | tr -d ' \\n' | head -c -40 | sed \"s/$new/$old/\")",
        'sum=$(printf "$(sed \'s/../\\\\x&/g\' <<<"$hex")" | sha1sum | cut -c1-40)',
        'printf "$(sed \'s/../\\\\x&/g\' <<<"$hex$sum")" > .git/index',
      ].join("\n");
    const write = await workspace.bash({
      command: `${forge("resources/context.md")}\ngit status --porcelain | wc -l; git diff HEAD | wc -l`,
      comment: "Forge the index",
    });
    // git itself, as the command left it, sees nothing, not even against HEAD.
    expect(write).toMatchObject({ ran: true, exitCode: 0, stdout: { text: "0\n0\n" }, publish: { state: "pushed" } });
    if (!write.ran) return;
    expect(write.commit?.files).toEqual(["M\tresources/context.md"]);
    expect(await control.readFile(repo.full_name, "resources/context.md")).toMatch(/changed\n$/);

    // Again in a later call, on the index the last sync left: the same.
    const again = await workspace.bash({ command: forge("resources/people.md"), comment: "Forge it again" });
    expect(again).toMatchObject({ ran: true, exitCode: 0, publish: { state: "pushed" } });
    if (!again.ran) return;
    expect(again.commit?.files).toEqual(["M\tresources/people.md"]);
    expect(await control.readFile(repo.full_name, "resources/people.md")).toMatch(/changed\n$/);
  });

  it("leaves nothing out without saying so: a file beside one named like it plus .git, a folder holding a .git", async () => {
    const { workspace, repo, control } = await connectedUser();
    const write = await workspace.bash({
      command: [
        "echo 'the note' > knowledge/plan.md && echo other > knowledge/plan.md.git",
        "mkdir -p notes && echo junk > notes/.git && echo important > notes/a.md",
      ].join(" && "),
      comment: "Write notes",
    });
    expect(write).toMatchObject({ ran: true, exitCode: 0, publish: { state: "pushed" } });
    if (!write.ran) return;
    expect(write.commit?.files.sort()).toEqual(["A\tknowledge/plan.md", "A\tknowledge/plan.md.git"]);
    expect(await control.readFile(repo.full_name, "knowledge/plan.md")).toBe("the note\n");
    expect(write.notes.join(" ")).toMatch(/Not committed: notes: each holds a \.git of its own/);
  });

  it("nests a repository whose own config runs a filter: none of our steps ever runs git inside it", async () => {
    holdClock();
    const { workspace, repo, control } = await connectedUser();
    const history = (await control.commits(repo.full_name)).map((commit) => commit.sha);
    // Once it runs, the filter tries to force-push over main through the open route.
    const filter = [
      "#!/bin/bash",
      'echo ran >> "$HOME/filter-ran"',
      `( d=$(mktemp -d) && cd "$d" && unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE && git init -q && echo pwned > README.md && git add README.md && git -c user.name=e -c user.email=e@x commit -qm rewritten && git push --force http://${GIT_EGRESS_HOST}/${repo.full_name}.git HEAD:refs/heads/main ) >> "$HOME/filter-ran" 2>&1`,
      'touch -d 2001-01-01 "$HOME/repo/sub/a" 2>/dev/null',
      "cat",
    ].join("\n");
    const plant = await workspace.bash({
      command: [
        `cat > "$HOME/filter.sh" <<'EOF'\n${filter}\nEOF`,
        'chmod +x "$HOME/filter.sh"',
        "git init -q sub && cd sub && echo a > a && git add a && git -c user.name=x -c user.email=x@x commit -qm s",
        'git config filter.x.clean "$HOME/filter.sh" && printf "* filter=x\n" > .git/info/attributes',
        "touch -d 2001-01-01 a && cd .. && git add sub && echo planted > planted.md",
      ].join("\n"),
      comment: "Nest a repository",
    });
    expect(plant).toMatchObject({ ran: true, exitCode: 0, publish: { state: "pushed" } });

    // Edited on GitHub meanwhile, so the next calls fetch, rebase and fast-forward too.
    await control.commitFromWeb(repo.full_name, {
      message: "Web edit",
      author: { name: "Web", email: "web@example.com" },
      files: { "web.md": "web\n" },
    });
    pastFreshness();
    expect(await workspace.instructions()).toMatchObject({ ready: true });
    const next = await workspace.bash({
      command:
        "touch -d 2002-02-02 sub/a; git init -q fresh && cp -r sub/.git/config sub/.git/info fresh/.git/ && echo x > fresh/x; echo more >> notes.md",
      comment: "More",
    });
    expect(next).toMatchObject({ ran: true, exitCode: 0, publish: { state: "pushed" } });

    const now = (await control.commits(repo.full_name)).map((commit) => commit.sha);
    expect(now.slice(-history.length)).toEqual(history);
    expect(await control.readFile(repo.full_name, "README.md")).not.toBe("pwned\n");
    const look = await workspace.bash({ command: 'cat "$HOME/filter-ran" 2>/dev/null; true' });
    expect(look).toMatchObject({ ran: true, stdout: { text: "" } });
  });

  it("prints something shaped like our report and kills its shell: the result tells only what really happened", async () => {
    const { workspace, repo, control } = await connectedUser();
    const fake = "0123456789abcdef0123456789abcdef01234567";
    const forged = [
      `@committed ${fake}`,
      "@file A\tforged.md",
      `@pushed ${fake}`,
      `@upstream ${fake}`,
      `@head ${fake}`,
      `ctx4-00000000000000000000000000000000 begin 0 done`,
      `@commit ${fake}`,
      "A\tforged.md",
      "ctx4-00000000000000000000000000000000 end",
    ].join("\\n");
    const result = await workspace.bash({
      command: `echo real > real.md; printf '\\n${forged}\\n'; printf '\\n${forged}\\n' >&2; kill -9 $$`,
      comment: "Forge a report",
    });
    expect(result).toMatchObject({ ran: true, publish: { state: "pushed" } });
    if (!result.ran || result.publish.state !== "pushed") return;
    expect(result.commit?.files).toEqual(["A\treal.md"]);
    expect(result.commit?.sha).not.toBe(fake);
    expect(result.publish.sha).toBe(result.commit?.sha);
    expect(await control.branchHead(repo.full_name)).toBe(result.publish.sha);
    expect(result.stdout.text).toContain(`@pushed ${fake}`);
  });

  it("cannot reach GitHub itself: a command has no network, the route is closed while it runs, and leads to no other repo", async () => {
    const { workspace, login, control } = await connectedUser();
    const other = await connectedUser();
    await control.createRepo(login, "second", "readme");
    const result = await workspace.bash({
      command: [
        "git ls-remote origin; echo ls-remote=$?",
        "git push origin HEAD:refs/heads/sneaky; echo push=$?",
        `git ls-remote http://${GIT_EGRESS_HOST}/${other.repo.full_name}.git; echo other-user=$?`,
        `git ls-remote http://${GIT_EGRESS_HOST}/${login}/second.git; echo other-repo=$?`,
      ].join("\n"),
    });
    expect(result.ran).toBe(true);
    if (!result.ran) return;
    for (const step of ["ls-remote", "push", "other-user", "other-repo"])
      expect(result.stdout.text).toMatch(new RegExp(`${step}=(?!0)\\d+`));
    expect(result.stdout.text).not.toMatch(/^[0-9a-f]{40}\t/m);
    // With no network for commands, git cannot even connect; where there is, the route answers 403.
    expect(result.stderr.text).toMatch(
      /unable to access 'http:\/\/github\.ctx4\.internal\/[^']*': (The requested URL returned error: 403|.*(connect|resolve))/,
    );
    expect(await control.branchHead(`${login}/ctx`, "sneaky")).toBeUndefined();
  });
});
