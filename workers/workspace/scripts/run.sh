# Runs one ctx_bash command in the clone, then commits whatever it changed. This is the only
# script that runs the user's command, and the installation token is never in its environment.
# In:  CTX4_MARK (random per call), CTX4_COMMAND, CTX4_COMMIT_MESSAGE: data, never spliced into
#      code. With an empty command it only commits what is left, after printing the report of
#      the run marked CTX4_LOST_MARK if that report was kept (its output went far past the cap).
# Out: the command's own stdout and stderr; then, on stdout, a report between
#      "<mark> begin <exit code> <none|done|failed>" and "<mark> end", also kept in .ctx4-report.
ctx4_mark=$CTX4_MARK ctx4_command=$CTX4_COMMAND ctx4_message=$CTX4_COMMIT_MESSAGE ctx4_lost=${CTX4_LOST_MARK-}
unset CTX4_MARK CTX4_COMMAND CTX4_COMMIT_MESSAGE CTX4_LOST_MARK
ctx4_report_file=$PWD/.ctx4-report
# git never looks above the clone for a repository, even if the command removed .git.
export GIT_CEILING_DIRECTORIES=$PWD

if [ -n "$ctx4_lost" ] && [ -f "$ctx4_report_file" ]; then
  IFS= read -r -d '' ctx4_text <"$ctx4_report_file"
  case $ctx4_text in *"$ctx4_lost begin "*) printf '%s' "$ctx4_text" ;; esac
fi

cd repo 2>/dev/null || { printf '\n%s begin - missing\n%s end\n' "$ctx4_mark" "$ctx4_mark"; exit 0; }
# A git process killed by an earlier time limit may have left its lock; nothing else runs now.
[ -e .git/index.lock ] && rm -f .git/index.lock

ctx4_code=-
if [ -n "$ctx4_command" ]; then
  ( eval "$ctx4_command" ) </dev/null
  ctx4_code=$?
fi

if ! ctx4_state=$(git status --porcelain=v2 --branch 2>&1); then
  printf '\n%s begin %s no-git\n%s end\n' "$ctx4_mark" "$ctx4_code" "$ctx4_mark"
  exit 0
fi
ctx4_commit=none
case $'\n'"$ctx4_state" in
  *$'\n'[!#]*)
    if ctx4_error=$({ git add -A && git -c core.hooksPath=/dev/null -c commit.gpgSign=false \
      commit --quiet --no-verify -m "$ctx4_message"; } 2>&1); then
      ctx4_commit=done
      ctx4_state=$(git status --porcelain=v2 --branch 2>&1)
    else
      ctx4_commit=failed
    fi
    ;;
esac

{
  printf '\n%s begin %s %s\n' "$ctx4_mark" "$ctx4_code" "$ctx4_commit"
  while IFS= read -r ctx4_line; do
    case $ctx4_line in '# '*) printf '%s\n' "$ctx4_line" ;; esac
  done <<<"$ctx4_state"
  if [ "$ctx4_commit" = done ]; then
    git show --no-color --format='@commit %H' --name-status HEAD | head -n 102
  elif [ "$ctx4_commit" = failed ]; then
    while IFS= read -r ctx4_line; do printf '! %s\n' "$ctx4_line"; done <<<"$ctx4_error"
  fi
  printf '%s end\n' "$ctx4_mark"
} >"$ctx4_report_file"
IFS= read -r -d '' ctx4_text <"$ctx4_report_file"
printf '%s' "$ctx4_text"
