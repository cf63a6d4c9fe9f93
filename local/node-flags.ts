/**
 * Node's flags for our processes that fork one per command or git call: the sandbox host and
 * the GitHub emulator, under `npm run dev` and in the tests. Measured on the test run's services
 * process over `workers/workspace` (3,956 forks), two runs each way: with V8's default young
 * generation (two 16 MB semi-spaces) it held 94–97 MB of anonymous memory and used 21.1–22.3 s
 * of user time; with 1 MB semi-spaces, 68–69 MB and 14.7–18.0 s. Its system time per fork
 * stayed 5.9–6.5 ms either way: what a fork costs here is not the young generation.
 */
export const FORKING_NODE_FLAGS = ["--max-semi-space-size=1"];
