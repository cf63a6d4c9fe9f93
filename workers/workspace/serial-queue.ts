/**
 * Runs tasks one at a time, in the order they were queued. A Durable Object's input gates do
 * not hold across awaited fetches, so two tool calls of one user would otherwise interleave
 * their git work on the same clone.
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task, task);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
