const STEPS = ["Connect GitHub", "Choose your repository", "Connect your AI"] as const;

/** The three onboarding steps; `current` is 0-based. */
export function Stepper({ current }: { current: number }) {
  return (
    <nav aria-label="Onboarding progress">
      <ol className="grid gap-2 sm:grid-cols-3">
        {STEPS.map((label, index) => {
          const state = index < current ? "done" : index === current ? "current" : "upcoming";
          return (
            <li
              key={label}
              aria-current={state === "current" ? "step" : undefined}
              className={`flex items-center gap-3 rounded-lg border px-3 py-2 text-sm ${
                state === "current"
                  ? "border-stone-900 bg-white font-medium"
                  : state === "done"
                    ? "border-emerald-200 bg-emerald-50 text-emerald-900"
                    : "border-stone-200 text-stone-500"
              }`}
            >
              <span
                aria-hidden="true"
                className="flex size-6 shrink-0 items-center justify-center rounded-full border border-current text-xs"
              >
                {state === "done" ? "✓" : index + 1}
              </span>
              <span>
                {label}
                {state === "done" ? <span className="sr-only"> (done)</span> : null}
              </span>
            </li>
          );
        })}
      </ol>
    </nav>
  );
}
