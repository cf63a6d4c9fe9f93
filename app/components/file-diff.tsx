import "react-diff-view/style/index.css";
import { Decoration, Diff, type FileData, Hunk, parseDiff } from "react-diff-view";
import type { ChangedFile } from "../lib/github/memory.server";
import { isMarkdownPath, MemoryMarkdown } from "./memory-markdown";

/** A file's diff with more changed lines than this starts folded; the person opens it. */
const FOLDED_OVER_LINES = 200;
/** Nor is one with more than this rendered at all (GitHub itself stops at about 20,000 lines): it would make the page huge. */
const MAX_RENDERED_LINES = 3000;

/**
 * The hunks of GitHub's `patch` (which has no git header) for react-diff-view, parsed behind a
 * fixed header: the real, hostile, file name is never parsed, only shown as text.
 */
function hunksOf(file: ChangedFile): FileData | undefined {
  if (file.patch === null) return undefined;
  const header = "diff --git a/file b/file\n--- a/file\n+++ b/file\n";
  return parseDiff(`${header}${file.patch}\n`, { nearbySequences: "zip" })[0];
}

const DIFF_TYPE = { added: "add", removed: "delete", renamed: "rename", copied: "copy" } as const;

/**
 * An added Markdown note's text, read back from its patch (one hunk of added lines, so no
 * GitHub call), to show it rendered beside the diff; undefined for any other change.
 */
function addedMarkdown(file: ChangedFile): string | undefined {
  if (file.status !== "added" || !isMarkdownPath(file.filename) || file.patch === null) return undefined;
  const [header, ...lines] = file.patch.split("\n");
  if (!header?.startsWith("@@ -0,0 ") || lines.some((line) => !line.startsWith("+") && !line.startsWith("\\"))) {
    return undefined;
  }
  return lines
    .filter((line) => line.startsWith("+"))
    .map((line) => line.slice(1))
    .join("\n");
}

/** One file of a commit or proposal: its diff (react-diff-view), folded when large, and an added note rendered. */
export function FileDiff({ file, webUrl }: { file: ChangedFile; webUrl: string }) {
  const changes = file.additions + file.deletions;
  const parsed = changes > MAX_RENDERED_LINES ? undefined : hunksOf(file);
  const rendered = parsed ? addedMarkdown(file) : undefined;
  return (
    <details
      open={changes <= FOLDED_OVER_LINES}
      className="group overflow-hidden rounded-lg border border-stone-200 bg-white"
    >
      <summary className="flex cursor-pointer flex-wrap items-baseline justify-between gap-2 bg-stone-50 px-4 py-2 text-sm">
        <span className="min-w-0 font-mono break-all">
          {file.previousFilename ? `${file.previousFilename} → ` : ""}
          {file.filename}
        </span>
        <span className="text-xs text-stone-600">
          {file.status} · <span className="text-green-700">+{file.additions}</span>{" "}
          <span className="text-red-700">−{file.deletions}</span>
          {changes > FOLDED_OVER_LINES ? " · large, click to show" : ""}
          <span aria-hidden className="ml-2 inline-block transition-transform group-open:rotate-90">
            ▸
          </span>
        </span>
      </summary>
      {parsed && parsed.hunks.length > 0 ? (
        <div className="overflow-x-auto text-xs">
          <Diff
            viewType="unified"
            diffType={DIFF_TYPE[file.status as keyof typeof DIFF_TYPE] ?? "modify"}
            hunks={parsed.hunks}
          >
            {(hunks) =>
              hunks.flatMap((hunk) => [
                <Decoration key={`at ${hunk.content}`} className="bg-sky-50 text-stone-500">
                  {hunk.content}
                </Decoration>,
                <Hunk key={hunk.content} hunk={hunk} />,
              ])
            }
          </Diff>
        </div>
      ) : (
        <p className="px-4 py-3 text-sm text-stone-600">
          {changes > MAX_RENDERED_LINES ? (
            <>
              Too large to show here ({changes} lines changed).{" "}
              <a href={webUrl} className="underline underline-offset-4">
                See it on GitHub
              </a>
              .
            </>
          ) : file.patch === null ? (
            "No diff to show: a binary file, or a change too large for GitHub to show."
          ) : (
            "No line changed (the file was renamed or its mode changed)."
          )}
        </p>
      )}
      {rendered !== undefined ? (
        <details className="border-t border-stone-200">
          <summary className="cursor-pointer px-4 py-2 text-sm text-stone-600">Show the note rendered</summary>
          <div className="space-y-4 px-6 pb-6">
            <MemoryMarkdown text={rendered} />
          </div>
        </details>
      ) : null}
    </details>
  );
}
