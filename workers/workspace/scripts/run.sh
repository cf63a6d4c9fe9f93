# Runs one ctx_bash command in the clone, and nothing else. Committing and pushing what it
# changed is sync.sh's work, in an exec of its own that runs none of the command's code, once
# every process the command started is gone: nothing the command prints or leaves running can
# stand in for our report.
# In: CTX4_COMMAND: data, never spliced into code.
# git never looks above the clone for a repository, even if the command removed .git.
export GIT_CEILING_DIRECTORIES=$PWD
cd repo 2>/dev/null || {
  printf 'ctx4-ai: the clone is missing, so the command did not run; it is set up again now.\n' >&2
  exit 125
}
exec env -u CTX4_COMMAND bash --noprofile --norc -c "$CTX4_COMMAND"
