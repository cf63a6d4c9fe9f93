import { data, Link } from "react-router";
import { buttonClass } from "../components/button";
import { GitHubLeftovers } from "../components/github-leftovers";
import { Notice } from "../components/notice";
import { Page } from "../components/page";
import { githubLeftovers } from "../lib/account.server";
import { currentUser } from "../lib/auth/session.server";
import { takeFeedback } from "../lib/feedback.server";
import { workerContext } from "../lib/worker-context";
import type { Route } from "./+types/home";

export function meta(_: Route.MetaArgs) {
  return [
    { title: "ctx4-ai: a memory for your AI that you own" },
    {
      name: "description",
      content:
        "Give Claude, ChatGPT, Cursor and Claude Code a memory that lives in your own private GitHub repository.",
    },
  ];
}

export async function loader({ request, context }: Route.LoaderArgs) {
  const [user, { feedback, headers }] = await Promise.all([currentUser(context), takeFeedback(request)]);
  const email = user?.email ?? null;
  // Just after deleting an account (app/routes/account.delete.tsx): what stays on GitHub.
  const deleted =
    email === null && feedback?.kind === "account-deleted"
      ? githubLeftovers(feedback.leftovers, context.get(workerContext).env.GITHUB_WEB_URL)
      : null;
  return data({ email, signedOut: email === null && feedback?.kind === "signed-out", deleted }, { headers });
}

const STEPS = [
  ["Sign in", "With your email: we send you a link."],
  ["Pick a private repo", "Install our GitHub App on the one repository you want as your AI's memory."],
  ["Connect your AI", "Paste one URL into Claude, ChatGPT, Cursor or Claude Code."],
] as const;

const FACTS = [
  ["Yours", "The memory is plain Markdown files in your own GitHub repository. Take it anywhere."],
  ["Visible", "Every change your AI makes is a commit by ctx4-ai[bot]: see it, diff it, revert it."],
  ["Shared", "Every assistant you connect reads and writes the same memory."],
] as const;

export default function Home({ loaderData }: Route.ComponentProps) {
  return (
    <Page email={loaderData.email}>
      {loaderData.deleted ? (
        <Notice tone="success" title="Your ctx4-ai account was deleted">
          <p>Nothing of yours is left with ctx4-ai. This stays on GitHub:</p>
          <GitHubLeftovers leftovers={loaderData.deleted} />
        </Notice>
      ) : null}
      {loaderData.signedOut ? (
        <Notice tone="success" title="Signed out.">
          <p>This browser no longer opens your account. Your AI clients keep the access you gave them.</p>
        </Notice>
      ) : null}
      <section className="py-8 sm:py-16">
        <p className="text-sm font-medium tracking-wide text-emerald-700 uppercase">ctx4-ai</p>
        <h1 className="mt-4 max-w-2xl text-4xl font-semibold tracking-tight sm:text-5xl">
          A memory for your AI that you own.
        </h1>
        <p className="mt-6 max-w-2xl text-lg text-stone-600">
          Your assistant reads and writes a private GitHub repository of yours through MCP. Every change is a commit you
          can see, diff and revert.
        </p>
        <div className="mt-8">
          <Link to={loaderData.email ? "/me" : "/login?returnTo=/onboarding"} className={buttonClass()}>
            {loaderData.email ? "Open your dashboard" : "Get started"}
          </Link>
        </div>
      </section>
      <section aria-labelledby="how-heading" className="border-t border-stone-200 py-10">
        <h2 id="how-heading" className="text-lg font-semibold">
          Three steps, two minutes
        </h2>
        <ol className="mt-4 grid gap-4 sm:grid-cols-3">
          {STEPS.map(([title, text], index) => (
            <li key={title} className="rounded-lg border border-stone-200 bg-white p-4">
              <p className="text-sm text-stone-500">Step {index + 1}</p>
              <p className="mt-1 font-medium">{title}</p>
              <p className="mt-1 text-sm text-stone-600">{text}</p>
            </li>
          ))}
        </ol>
      </section>
      <section aria-label="Why ctx4-ai" className="grid gap-6 border-t border-stone-200 py-10 sm:grid-cols-3">
        {FACTS.map(([title, text]) => (
          <div key={title}>
            <h3 className="font-medium">{title}</h3>
            <p className="mt-1 text-sm text-stone-600">{text}</p>
          </div>
        ))}
      </section>
    </Page>
  );
}
