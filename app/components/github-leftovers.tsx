/** What of a person's stays on GitHub when their ctx4-ai account goes (see app/lib/account.server.ts). */
export type GitHubLeftoversView = {
  repo: { fullName: string; url: string } | null;
  account: string | null;
  uninstallUrl: string;
};

const linkClass = "font-medium underline underline-offset-4";

/** The list of what stays on GitHub, with the link to GitHub's page to uninstall the App. */
export function GitHubLeftovers({ leftovers }: { leftovers: GitHubLeftoversView }) {
  return (
    <ul className="list-disc space-y-1 pl-5">
      <li>
        {leftovers.repo ? (
          <>
            Your repository{" "}
            <a href={leftovers.repo.url} className={`font-mono ${linkClass}`}>
              {leftovers.repo.fullName}
            </a>{" "}
            and its whole history, every commit your AI made included. It is yours: delete it on GitHub if you want.
          </>
        ) : (
          "Any repository you used, with its history: it is yours, on GitHub."
        )}
      </li>
      <li>
        The ctx4-ai App installation{leftovers.account ? ` on ${leftovers.account}` : ""}: it keeps its access until you
        remove it.{" "}
        <a href={leftovers.uninstallUrl} className={linkClass}>
          Uninstall it on GitHub
        </a>{" "}
        (Configure, then Uninstall at the bottom of the page).
      </li>
    </ul>
  );
}
