import { Form } from "react-router";
import { SubmitButton } from "../components/button";
import { Stepper } from "../components/stepper";
import { requireUser } from "../lib/auth/session.server";
import { redirectToGitHubInstall } from "../lib/github/install-url.server";
import { workerContext } from "../lib/worker-context";
import type { Route } from "./+types/onboarding.connect-github";

export const meta: Route.MetaFunction = () => [{ title: "Connect GitHub · ctx4-ai" }];

export async function action({ request, context }: Route.ActionArgs) {
  return redirectToGitHubInstall(context.get(workerContext).env, await requireUser(context, request));
}

export default function ConnectGitHub() {
  return (
    <div className="space-y-8">
      <Stepper current={0} />
      <section className="max-w-2xl space-y-4">
        <h1 className="text-2xl font-semibold tracking-tight">Connect GitHub</h1>
        <p className="text-stone-600">
          Install the ctx4-ai GitHub App on the <strong>one private repository</strong> you want your AI to use as its
          memory. You can create an empty repository first; we will set it up for you.
        </p>
        <ul className="list-disc space-y-1 pl-5 text-sm text-stone-600">
          <li>The App can read and write that repository's contents, and nothing else.</li>
          <li>Every change your AI makes is a commit by ctx4-ai[bot] that you can see and revert.</li>
          <li>You can remove the App from GitHub at any time.</li>
        </ul>
        <Form method="post">
          <SubmitButton pendingLabel="Opening GitHub…">Install on GitHub</SubmitButton>
        </Form>
      </section>
    </div>
  );
}
