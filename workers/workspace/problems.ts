import type { UserGithubConfig } from "../../app/lib/db/schema";
import { GitHubAccessError } from "../../app/lib/github/app.server";
import { noteFailure } from "../../app/lib/log.server";
import { SandboxUnavailableError } from "../sandbox/backend";
import { SandboxFailure } from "../sandbox/sandbox-errors";
import { SyncError } from "./sync";

/** The workspace was reset (repo changed, GitHub disconnected) while an operation ran. */
export class WorkspaceResetError extends Error {
  override readonly name = "WorkspaceResetError";
  constructor() {
    super("The workspace was reset while this ran (the repository was changed or GitHub disconnected). Run it again.");
  }
}

/** Our own git route refused a request of our sync (a push it may not make, one too large). */
export class RouteRefusedError extends Error {
  override readonly name = "RouteRefusedError";
}

/**
 * Why this user's config cannot be used for git work, or undefined when it can. A config
 * marked inactive is still tried: GitHub, asked for a token, says whether the problem is still
 * there (and the answer is recorded for the dashboard either way).
 */
export function configProblem(config: UserGithubConfig | null): string | undefined {
  if (!config) return "GitHub is not connected. The person needs to connect GitHub on the ctx4-ai website first.";
  if (!config.repoId || !config.repoUrl || !config.repoFullName) {
    return "No repository is chosen yet. The person needs to pick one on the ctx4-ai website.";
  }
  return undefined;
}

/**
 * Why the tools may no longer use the repo for this person, though the App still reaches it:
 * their own GitHub account can no longer open it (`no-access`: removed as collaborator or from
 * the organisation, or the repo left the installation), or GitHub has to confirm their account
 * first (`needs-authorization`: no user token, or GitHub refused it and its renewal). Each says
 * what the person can do on the dashboard.
 */
export function personAccessError(
  access: "no-access" | "needs-authorization",
  config: UserGithubConfig | null,
): GitHubAccessError {
  const account = config?.githubUsername ? `Your GitHub account @${config.githubUsername}` : "Your GitHub account";
  const repo = config?.repoFullName ?? "the chosen repository";
  if (access === "no-access") {
    return new GitHubAccessError(
      "person_lost_repo",
      `${account} can no longer open ${repo} through the ctx4-ai GitHub App (your access to it was removed, or the repository was taken out of the App's installation), so ctx4-ai no longer reads or writes it for you. Ask the repository's owner for access again, or choose another repository on your ctx4-ai dashboard.`,
    );
  }
  return new GitHubAccessError(
    "person_unconfirmed",
    `GitHub needs to confirm your GitHub account again before ctx4-ai reads or writes ${repo} for you (the App's authorization was withdrawn or has run out). On your ctx4-ai dashboard, choose Change repository, then Confirm on GitHub.`,
  );
}

/** A sentence for the AI (and the person) about what went wrong, with nothing secret in it. */
export function describeFailure(error: unknown, repo: string): string {
  // Every failure a tool reports passes here: its class goes on the call's log line.
  noteFailure(error);
  if (error instanceof GitHubAccessError || error instanceof WorkspaceResetError) return error.message;
  if (error instanceof SandboxUnavailableError) return `The sandbox could not be reached. ${error.message}`;
  if (error instanceof SandboxFailure) return error.message;
  if (error instanceof SyncError && error.cause instanceof GitHubAccessError) return error.cause.message;
  if (error instanceof SyncError && error.cause instanceof RouteRefusedError) {
    return `${error.cause.message}\n${error.message}`;
  }
  if (error instanceof SyncError) {
    switch (error.failure) {
      case "auth":
        return `GitHub refused the App's access to ${repo}, even with a fresh token.\n${error.message}`;
      case "not-found":
        return `GitHub says ${repo} does not exist or the App cannot reach it. The person may have deleted or renamed it; they can choose a repository again on the ctx4-ai dashboard.\n${error.message}`;
      case "forbidden":
        return `GitHub refused to let the App write to ${repo}.\n${error.message}`;
      default:
        return `git (${error.failure}) failed for ${repo}.\n${error.message}`;
    }
  }
  return `Unexpected error: ${error instanceof Error ? error.message : String(error)}`;
}

/** The clone (or its .git) is gone, as when the container's disk was replaced: set it up again. */
export class CloneMissingError extends Error {
  override readonly name = "CloneMissingError";
  constructor() {
    super("The clone is missing.");
  }
}
