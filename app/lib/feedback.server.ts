import { createCookie } from "react-router";
import { z } from "zod";
import { commitShaSchema, sideBranchSchema, webActionStopSchema } from "../../workers/workspace/web-actions";
import { leftoverFacts } from "./account.server";

/**
 * What the page an action lands on says about it. Kept in a short-lived cookie (a "flash")
 * rather than the redirect's URL: the facts are known only when the action runs (how many
 * clients were revoked, which one), and a URL carrying them is a link anyone can craft to make
 * the dashboard say what did not happen. Only our own answers set this cookie, it is read
 * once, and what it holds is checked here and shown as text.
 */
const feedbackSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("signed-out") }),
  z.object({ kind: z.literal("disconnected"), revoked: z.number().int().min(0).max(10_000) }),
  z.object({ kind: z.literal("revoked"), client: z.string().min(1).max(200) }),
  z.object({ kind: z.literal("already-revoked") }),
  z.object({ kind: z.literal("review-changed"), client: z.string().min(1).max(200), on: z.boolean() }),
  z.object({ kind: z.literal("repo-chosen") }),
  z.object({ kind: z.literal("account-deleted"), leftovers: leftoverFacts }),
  // The person's own changes from the Activity pages: commit `reverted` undone by commit `sha`,
  // side branch `branch` brought in as `sha`, or why it was not.
  z.object({ kind: z.literal("reverted"), reverted: commitShaSchema, sha: commitShaSchema }),
  z.object({ kind: z.literal("brought-in"), branch: sideBranchSchema, sha: commitShaSchema }),
  z.object({ kind: z.literal("bring-in-stopped"), branch: z.string().max(200), outcome: webActionStopSchema }),
  // A reviewed client's proposal: approved as commit `sha` (null: its work was on the default
  // branch already, so it was only closed), or rejected (its branch deleted).
  z.object({ kind: z.literal("approved"), client: z.string().max(200).nullable(), sha: commitShaSchema.nullable() }),
  z.object({ kind: z.literal("rejected"), client: z.string().max(200).nullable() }),
]);

export type Feedback = z.infer<typeof feedbackSchema>;

const feedbackCookie = createCookie("ctx4_feedback", {
  httpOnly: true,
  sameSite: "lax",
  path: "/",
  // Long enough for the redirect that follows, short enough never to greet a later visit.
  maxAge: 60,
});

const secure = (request: Request) => new URL(request.url).protocol === "https:";

/** The `Set-Cookie` header that makes the next page say `feedback`. */
export async function feedbackHeaders(request: Request, feedback: Feedback): Promise<{ "Set-Cookie": string }> {
  return { "Set-Cookie": await feedbackCookie.serialize(feedback, { secure: secure(request) }) };
}

/**
 * The feedback waiting for this page, if any (anything not of a known shape is none), and the
 * headers that clear it, so it is shown once.
 */
export async function takeFeedback(request: Request): Promise<{ feedback: Feedback | null; headers: HeadersInit }> {
  const stored: unknown = await feedbackCookie.parse(request.headers.get("Cookie"));
  if (stored === null || stored === undefined) return { feedback: null, headers: {} };
  const parsed = feedbackSchema.safeParse(stored);
  return {
    feedback: parsed.success ? parsed.data : null,
    headers: { "Set-Cookie": await feedbackCookie.serialize("", { maxAge: 0, secure: secure(request) }) },
  };
}
