# Prints the files ctx_instructions is made of, each after a line "<mark> <kind> <cut|whole> <path>",
# and "<mark> skipped - <path>" for each that is not a regular file inside the clone (a symlink,
# or under one; a folder, a FIFO): those are never read, wherever they point.
# The index holds the first CTX4_INDEX_MAX files of each kind; "<mark> more <count> <folder>"
# says how many it leaves out, so a memory of thousands of files keeps ctx_instructions small.
# Read-only; runs no program of the repo's. In: CTX4_MARK, random per call; CTX4_INDEX_MAX.
ctx4_mark=$CTX4_MARK
ctx4_max=$CTX4_INDEX_MAX
unset CTX4_MARK CTX4_INDEX_MAX
# Without a clone (or its .git), exit 3: the Worker sets one up and asks again.
if [ -L repo ] || [ ! -d repo/.git ] || ! cd repo 2>/dev/null; then exit 3; fi
shopt -s nullglob


# Prints kind $1, then at most $2 characters of file $3, read by bash itself: no process per file.
ctx4_show() {
  [ -e "$3" ] || [ -L "$3" ] || return 0
  if ctx4_linked "$3" || [ ! -f "$3" ]; then
    printf '\n%s skipped - %s\n' "$ctx4_mark" "$3"
    return 0
  fi
  local text="" extent=whole
  IFS= read -r -d '' -N "$2" text <"$3"
  [ "${#text}" -ge "$2" ] && extent=cut
  printf '\n%s %s %s %s\n%s' "$ctx4_mark" "$1" "$extent" "$3" "$text"
}

# Shows the heads of the first $ctx4_max of ctx4_files, and counts the rest as more in folder $1.
ctx4_index() {
  for ctx4_file in "${ctx4_files[@]:0:$ctx4_max}"; do ctx4_show head 4096 "$ctx4_file"; done
  if [ "${#ctx4_files[@]}" -gt "$ctx4_max" ]; then
    printf '\n%s more %s %s\n' "$ctx4_mark" "$((${#ctx4_files[@]} - ctx4_max))" "$1"
  fi
}

ctx4_show whole 100000 resources/instructions.md
ctx4_show whole 100000 resources/context.md
if [ -L resources ]; then
  printf '\n%s skipped - %s\n' "$ctx4_mark" resources
else
  ctx4_files=()
  for ctx4_file in resources/*.md; do
    case $ctx4_file in resources/instructions.md | resources/context.md) ;; *) ctx4_files+=("$ctx4_file") ;; esac
  done
  ctx4_index resources
fi
if [ -L skills ]; then
  printf '\n%s skipped - %s\n' "$ctx4_mark" skills
else
  ctx4_files=(skills/*/SKILL.md)
  ctx4_index skills
fi
