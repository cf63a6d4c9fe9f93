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

export default function Home() {
  return (
    <main className="mx-auto max-w-3xl px-6 py-24">
      <p className="text-sm font-medium tracking-wide text-emerald-700 uppercase">ctx4-ai</p>
      <h1 className="mt-4 text-4xl font-semibold tracking-tight sm:text-5xl">A memory for your AI that you own.</h1>
      <p className="mt-6 text-lg text-stone-600">
        Your assistant reads and writes a private GitHub repository of yours through MCP. Every change is a commit you
        can see, diff and revert.
      </p>
    </main>
  );
}
