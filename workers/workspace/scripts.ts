export { default as CLONE_STATE_SCRIPT } from "./scripts/clone-state.sh?raw";

import gather from "./scripts/gather.sh?raw";
import linked from "./scripts/linked.sh?raw";
import markdown from "./scripts/markdown.sh?raw";
import read from "./scripts/read.sh?raw";
import readPrelude from "./scripts/read-prelude.sh?raw";

/**
 * The shell scripts that run in the sandbox, kept as .sh files so they read (and lint) as
 * shell. Everything variable reaches them through the environment of their exec. The scripts
 * that open paths of the clone share one symlink check, `ctx4_linked` (scripts/linked.sh).
 */
export const GATHER_SCRIPT = `${linked}\n${gather}`;
export { default as HISTORY_SCRIPT } from "./scripts/history.sh?raw";
export const MARKDOWN_SCRIPT = `${linked}\n${markdown}`;
export const READ_SCRIPT = `${linked}\n${read}`;
/** Put before a read tool's script: the clone or exit 3, git that runs nothing the repo names. */
export const READ_PRELUDE = `${linked}\n${readPrelude}`;
export { default as RUN_SCRIPT } from "./scripts/run.sh?raw";
export { default as SEARCH_SCRIPT } from "./scripts/search.sh?raw";
export { default as SYNC_SCRIPT } from "./scripts/sync.sh?raw";
/** Put before sync.sh for the person's actions from the web (modes `revert` and `bring-in`). */
export { default as WEB_ACTIONS_SCRIPT } from "./scripts/web-actions.sh?raw";
