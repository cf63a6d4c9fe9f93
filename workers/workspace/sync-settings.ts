/**
 * Settings of sync.sh's runs that Node scripts read too (deploy:check's rollout rule, the
 * container-size bench), in a module of their own: sync.ts imports the shell scripts as raw
 * text, which only the Vite build can load.
 */

/**
 * Git's filter for the clone: every blob up to 1 MB comes along, so the history of notes is
 * all there (`git log -p` works offline); larger files of old commits stay on GitHub. The
 * checkout still gets every file of the branch.
 */
export const CLONE_FILTER = "blob:limit=1m";

/** How long one run of sync.sh may take, in milliseconds. */
export const SYNC_TIMEOUT_MS = 180_000;
