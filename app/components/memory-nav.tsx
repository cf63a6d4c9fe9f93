import { NavLink } from "react-router";
import type { CommitAuthor } from "../lib/github/memory.server";

const tab = ({ isActive }: { isActive: boolean }) =>
  `rounded-md px-3 py-1.5 text-sm font-medium ${isActive ? "bg-stone-900 text-white" : "text-stone-700 hover:bg-stone-100"}`;

/** The memory pages' header: the repo's name, the pages, and the repo on GitHub. */
export function MemoryNav({ fullName, webUrl }: { fullName: string; webUrl: string }) {
  return (
    <nav aria-label="Your memory" className="mb-8 flex flex-wrap items-center justify-between gap-3">
      <div className="flex flex-wrap items-center gap-1">
        <NavLink to="/me" end className={tab}>
          Dashboard
        </NavLink>
        <NavLink to="/activity" className={tab}>
          Activity
        </NavLink>
        <NavLink to="/files" className={tab}>
          Files
        </NavLink>
      </div>
      <a href={webUrl} className="font-mono text-sm text-stone-600 underline underline-offset-4">
        {fullName} on GitHub
      </a>
    </nav>
  );
}

/** Who made a commit, in the person's words: "Your AI (Claude)", "You", "You (on ctx4-ai)", or the GitHub login. */
export function AuthorLabel({ author }: { author: CommitAuthor }) {
  switch (author.kind) {
    case "ai":
      return (
        <span className="font-medium text-violet-800">
          Your AI{author.client ? <span className="font-normal"> ({author.client})</span> : null}
        </span>
      );
    case "you":
      return <span className="font-medium">You{author.fromWeb ? " (on ctx4-ai)" : ""}</span>;
    case "other":
      return <span className="font-medium">{author.name}</span>;
  }
}

/** A date as "2026-12-01 03:16 UTC", the same on server and browser. */
export function CommitDate({ date }: { date: string }) {
  return <time dateTime={date}>{date ? `${date.slice(0, 16).replace("T", " ")} UTC` : "unknown date"}</time>;
}
