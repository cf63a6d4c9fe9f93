import { onTestFinished, vi } from "vitest";
import { REMOTE_FRESH_MS } from "../../workers/workspace/workspace";

/**
 * Holds the Worker's clock still for the rest of the calling test: `Date`, which the Durable
 * Objects share with the tests in this isolate (timers run on). A clone synced during the test
 * then stays within its freshness window ({@link REMOTE_FRESH_MS}) however slow the machine is,
 * until {@link pastFreshness} moves the clock on.
 */
export function holdClock(): void {
  vi.useFakeTimers({ toFake: ["Date"] });
  onTestFinished(() => {
    vi.useRealTimers();
  });
}

/**
 * Moves the held clock (see holdClock) just past the freshness window, at once: the next call
 * asks GitHub where the branch is, as it would once the window has passed.
 */
export function pastFreshness(): void {
  if (!vi.isFakeTimers()) throw new Error("pastFreshness moves a held clock: call holdClock first");
  vi.setSystemTime(Date.now() + REMOTE_FRESH_MS + 1);
}
