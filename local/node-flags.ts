/**
 * Node's flags for our processes that fork one per command or git call: the sandbox host and
 * the GitHub emulator, under `npm run dev` and in the tests. A fork copies the forking process's
 * page tables, so each costs in proportion to the memory the process has touched, and V8's
 * young generation (two 16 MB semi-spaces by default) was 31 MB of a test run's services
 * process's 96 MB. With 1 MB semi-spaces, over `workers/workspace`'s 4,694 forks from that
 * process: system time 26.1 → 21.6 s, user 24.3 → 20.0 s.
 */
export const FORKING_NODE_FLAGS = ["--max-semi-space-size=1"];
