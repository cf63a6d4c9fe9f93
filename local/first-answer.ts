/**
 * Resolves once `url` answers a GET with a 2xx status: the moment a server can serve, not
 * only listen (Vite's dev server listens before the Worker has loaded its modules, so the
 * first request is the one that waits for them). Refused connections and other statuses are
 * retried every `retryMs` milliseconds, without end: the caller stops us if the server dies.
 */
export async function firstAnswer(url: string, retryMs = 100): Promise<void> {
  for (;;) {
    try {
      const response = await fetch(url);
      await response.body?.cancel();
      if (response.ok) return;
    } catch (error) {
      // fetch fails with a TypeError when nothing listens yet; anything else is ours to see.
      if (!(error instanceof TypeError)) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, retryMs));
  }
}
