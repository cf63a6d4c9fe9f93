import { Link } from "react-router";
import { isMarkdownPath, MemoryMarkdown } from "../components/memory-markdown";
import { MemoryNav } from "../components/memory-nav";
import { Page } from "../components/page";
import type { MemoryContents } from "../lib/github/memory.server";
import { loadMemory, notFound } from "../lib/memory-page.server";
import type { Route } from "./+types/files";

export const meta: Route.MetaFunction = ({ data }) => [{ title: `${data?.contents.path || "Files"} · ctx4-ai` }];

/** A path in the URL: relative, no empty, `.` or `..` segments, no control characters, bounded. */
function isMemoryPath(path: string): boolean {
  return (
    path === "" ||
    (path.length <= 1000 &&
      !/\p{Cc}/u.test(path) &&
      path.split("/").every((part) => part !== "" && part !== "." && part !== ".."))
  );
}

/**
 * The files at the head of the memory's default branch, read only: `/files` is the root,
 * `/files/<path>` a folder or a file (one GitHub call). Whatever the person's repo does not
 * hold is 404.
 */
export async function loader({ request, context, params }: Route.LoaderArgs) {
  const path = (params["*"] ?? "").replace(/\/+$/, "");
  if (!isMemoryPath(path)) throw notFound();
  const { email, fullName, webUrl, memory } = await loadMemory(context, request);
  // GitHub has no root folder for a repo without commits yet: shown as an empty memory, not a 404.
  const contents = (await memory.contents(path)) ?? (path === "" ? emptyRoot : undefined);
  if (!contents) throw notFound();
  return { email, fullName, webUrl, contents };
}

const emptyRoot: MemoryContents = { kind: "folder", path: "", entries: [] };

const fileUrl = (path: string) => `/files/${path.split("/").map(encodeURIComponent).join("/")}`;

/** Where you are: the root, then each folder, as links. */
function Breadcrumbs({ path }: { path: string }) {
  const parts = path ? path.split("/") : [];
  return (
    <nav aria-label="Folder" className="flex flex-wrap items-center gap-1 font-mono text-sm">
      <Link to="/files" className="underline underline-offset-4">
        memory
      </Link>
      {parts.map((part, at) => {
        const to = parts.slice(0, at + 1).join("/");
        return (
          <span key={to} className="flex items-center gap-1">
            <span aria-hidden>/</span>
            {at === parts.length - 1 ? (
              <span className="break-all">{part}</span>
            ) : (
              <Link to={fileUrl(to)} className="break-all underline underline-offset-4">
                {part}
              </Link>
            )}
          </span>
        );
      })}
    </nav>
  );
}

const sizeText = (bytes: number) =>
  bytes < 1024
    ? `${bytes} bytes`
    : bytes < 1024 * 1024
      ? `${(bytes / 1024).toFixed(1)} KB`
      : `${(bytes / 1048576).toFixed(1)} MB`;

function Contents({ contents, webUrl }: { contents: MemoryContents; webUrl: string }) {
  switch (contents.kind) {
    case "folder":
      return contents.entries.length === 0 ? (
        <p className="text-sm text-stone-600">
          {contents.path ? "This folder is empty." : "Your memory has no files yet."}
        </p>
      ) : (
        <ul className="divide-y divide-stone-200 rounded-lg border border-stone-200 bg-white text-sm">
          {contents.entries.map((entry) => (
            <li key={entry.path} className="flex items-center justify-between gap-3 px-4 py-2">
              {entry.type === "dir" || entry.type === "file" ? (
                <Link
                  to={fileUrl(entry.path)}
                  className="min-w-0 font-mono break-all underline-offset-4 hover:underline"
                >
                  {entry.type === "dir" ? `${entry.name}/` : entry.name}
                </Link>
              ) : (
                <span className="font-mono break-all text-stone-600">{entry.name}</span>
              )}
              <span className="shrink-0 text-xs text-stone-500">
                {entry.type === "dir" ? "folder" : entry.type === "file" ? sizeText(entry.size) : entry.type}
              </span>
            </li>
          ))}
        </ul>
      );
    case "text": {
      if (isMarkdownPath(contents.path)) {
        return (
          <article className="space-y-4 rounded-lg border border-stone-200 bg-white p-6">
            <MemoryMarkdown text={contents.text} />
          </article>
        );
      }
      return (
        <pre className="overflow-x-auto rounded-lg border border-stone-200 bg-white p-4 text-sm">{contents.text}</pre>
      );
    }
    case "binary":
    case "large":
      return (
        <p className="rounded-lg border border-stone-200 bg-white p-4 text-sm text-stone-700">
          {contents.kind === "binary" ? "A binary file" : "A large file"} ({sizeText(contents.size)}), not shown here.{" "}
          <a href={webUrl} className="underline underline-offset-4">
            Open the repository on GitHub
          </a>{" "}
          to see it.
        </p>
      );
  }
}

export default function Files({ loaderData }: Route.ComponentProps) {
  const { contents } = loaderData;
  return (
    <Page email={loaderData.email}>
      <MemoryNav fullName={loaderData.fullName} webUrl={loaderData.webUrl} />
      <div className="space-y-4">
        <h1 className="sr-only">Files</h1>
        <Breadcrumbs path={contents.path} />
        <Contents contents={contents} webUrl={loaderData.webUrl} />
      </div>
    </Page>
  );
}
