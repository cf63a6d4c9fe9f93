import type { UserGithubConfig } from "../../app/lib/db/schema";
import { GitHubAccessError } from "../../app/lib/github/app.server";
import { SandboxUnavailableError } from "../sandbox/backend";
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

const INACTIVE: Record<NonNullable<UserGithubConfig["inactiveReason"]>, string> = {
  installation_deleted:
    "The ctx4-ai GitHub App was removed from the account. The person needs to install it again from the ctx4-ai dashboard.",
  installation_suspended:
    "The ctx4-ai GitHub App is suspended on GitHub. The person needs to unsuspend it (GitHub settings → Applications).",
  repo_removed:
    "The ctx4-ai GitHub App no longer has access to the repository. The person needs to give it access again or choose another repository on the ctx4-ai dashboard.",
};

/** Why this user's config cannot be used for git work, or undefined when it can. */
export function configProblem(config: UserGithubConfig | null): string | undefined {
  if (!config) return "GitHub is not connected. The person needs to connect GitHub on the ctx4-ai website first.";
  if (!config.repoId || !config.repoUrl || !config.repoFullName) {
    return "No repository is chosen yet. The person needs to pick one on the ctx4-ai website.";
  }
  if (!config.isActive) return INACTIVE[config.inactiveReason ?? "installation_deleted"];
  return undefined;
}

/** A sentence for the AI (and the person) about what went wrong, with nothing secret in it. */
export function describeFailure(error: unknown, repo: string): string {
  if (error instanceof GitHubAccessError || error instanceof WorkspaceResetError) return error.message;
  if (error instanceof SandboxUnavailableError) return `The sandbox could not be reached. ${error.message}`;
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
