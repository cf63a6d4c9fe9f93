import type { SandboxBackend } from "../sandbox/backend";
import { readFrontMatter } from "./front-matter";
import { CloneMissingError } from "./problems";
import { redactSecrets } from "./redact";
import { GATHER_SCRIPT } from "./scripts";

export type IndexEntry = { path: string; name: string; description: string; problem?: string };

export type RepoInstructions = {
  /** resources/instructions.md, or null when the repo has none. */
  instructions: { text: string; cut: boolean } | null;
  /** resources/context.md, or null when the repo has none. */
  context: { text: string; cut: boolean } | null;
  /** Front matter of resources/*.md (other than the two above). */
  resources: IndexEntry[];
  /** Front matter of skills/<name>/SKILL.md. */
  skills: IndexEntry[];
  /** Paths that are not regular files inside the clone (symlinks, or under one): listed, never read. */
  skipped: string[];
  /** Index entries left out past {@link MAX_INDEX_ENTRIES}, when there are any. */
  moreResources?: number;
  moreSkills?: number;
};

/**
 * Index entries read per kind (resources, skills): ctx_instructions stays a few thousand
 * tokens on a memory of thousands of files, and says how many more there are.
 */
export const MAX_INDEX_ENTRIES = 100;

const GATHER_TIMEOUT_MS = 30_000;
const GATHER_OUTPUT_BYTES = 2 * 1024 * 1024;

/**
 * Reads everything ctx_instructions shows from the clone, in one sandbox round trip.
 * @throws CloneMissingError when there is no clone to read.
 */
export async function gatherInstructions(sandbox: SandboxBackend): Promise<RepoInstructions> {
  const mark = `ctx4-${crypto.randomUUID()}`;
  const result = await sandbox.exec({
    command: GATHER_SCRIPT,
    env: { CTX4_MARK: mark, CTX4_INDEX_MAX: String(MAX_INDEX_ENTRIES) },
    timeoutMs: GATHER_TIMEOUT_MS,
    maxOutputBytes: GATHER_OUTPUT_BYTES,
  });
  if (result.exitCode === 3) throw new CloneMissingError();
  if (result.exitCode !== 0) throw new Error(`Could not read the repo: ${redactSecrets(result.stderr.slice(0, 500))}`);
  return parseGathered(redactSecrets(result.stdout), mark);
}

export function parseGathered(stdout: string, mark: string): RepoInstructions {
  const gathered: RepoInstructions = { instructions: null, context: null, resources: [], skills: [], skipped: [] };
  for (const section of stdout.split(`\n${mark} `).slice(1)) {
    const newline = section.indexOf("\n");
    const [kind, extent, ...pathWords] = section.slice(0, newline).split(" ");
    const path = pathWords.join(" ");
    const text = section.slice(newline + 1);
    const cut = extent === "cut";
    if (kind === "skipped") gathered.skipped.push(path);
    else if (kind === "more" && path === "resources") gathered.moreResources = Number(extent);
    else if (kind === "more" && path === "skills") gathered.moreSkills = Number(extent);
    else if (kind === "whole" && path === "resources/instructions.md") gathered.instructions = { text, cut };
    else if (kind === "whole" && path === "resources/context.md") gathered.context = { text, cut };
    else if (kind === "head" && path.startsWith("resources/"))
      gathered.resources.push(indexEntry(path, text, cut, path.slice("resources/".length, -".md".length)));
    else if (kind === "head" && path.startsWith("skills/"))
      gathered.skills.push(indexEntry(path, text, cut, path.split("/")[1] ?? path));
  }
  return gathered;
}

function indexEntry(path: string, head: string, cut: boolean, fallbackName: string): IndexEntry {
  const front = readFrontMatter(head);
  if (!front) {
    const problem = cut ? "front matter not closed in the first 4 KB" : "front matter is malformed";
    return { path, name: fallbackName, description: "", problem };
  }
  return {
    path,
    name: front.name || fallbackName,
    description: front.description ?? "",
    ...(front.description ? {} : { problem: "no description in front matter" }),
  };
}
