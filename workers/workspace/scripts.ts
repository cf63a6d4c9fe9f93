/**
 * The shell scripts that run in the sandbox, kept as .sh files so they read (and lint) as
 * shell. Everything variable reaches them through the environment of their exec.
 */
export { default as GATHER_SCRIPT } from "./scripts/gather.sh?raw";
export { default as HISTORY_SCRIPT } from "./scripts/history.sh?raw";
export { default as MARKDOWN_SCRIPT } from "./scripts/markdown.sh?raw";
export { default as READ_SCRIPT } from "./scripts/read.sh?raw";
/** Put before a read tool's script: the clone or exit 3, git that runs nothing the repo names. */
export { default as READ_PRELUDE } from "./scripts/read-prelude.sh?raw";
export { default as RUN_SCRIPT } from "./scripts/run.sh?raw";
export { default as SEARCH_SCRIPT } from "./scripts/search.sh?raw";
export { default as SYNC_SCRIPT } from "./scripts/sync.sh?raw";
/** Put before sync.sh for the person's actions from the web (modes `revert` and `bring-in`). */
export { default as WEB_ACTIONS_SCRIPT } from "./scripts/web-actions.sh?raw";
