# Runs one ctx_bash command in the clone, and nothing else. Committing and pushing what it
# changed is sync.sh's work, in an exec of its own that runs none of the command's code, once
# every process the command started is gone: nothing the command prints or leaves running can
# stand in for our report.
# In: CTX4_COMMAND: data, never spliced into code. CTX4_MARK: random per call, which only this
# script knows: without a clone (or its .git) it prints "<mark> missing" and runs nothing, and
# the Worker sets the clone up again and runs the command then.
# git never looks above the clone for a repository, even if the command removed .git.
export GIT_CEILING_DIRECTORIES=$PWD
ctx4_mark=$CTX4_MARK
unset CTX4_MARK
if [ -L repo ] || [ ! -d repo/.git ] || ! cd repo 2>/dev/null; then
  printf '%s missing\n' "$ctx4_mark"
  exit 0
fi
# The command is not in its own environment; unset by bash itself, not by one more process (env).
ctx4_command=$CTX4_COMMAND
unset CTX4_COMMAND
exec bash --noprofile --norc -c "$ctx4_command"
