# ctx_search: git grep over the clone's working tree, as it is now: tracked files (changes not
# committed yet included) and untracked ones .gitignore does not exclude, binary files skipped.
# Files behind a symlink are never read (git grep reads regular files only, and not under a
# symlinked folder). Two passes, each under its own time limit: the number of matching lines of
# every file, then the matches with a line of context of the first files, up to CTX4_MAX lines.
# In:  CTX4_QUERY (data, one line), CTX4_SYNTAX (fixed or perl), CTX4_CASE (sensitive or
#      ignore), CTX4_PATH (optional, relative, checked by the Worker), CTX4_MAX, CTX4_SECONDS,
#      CTX4_MARK (random per call).
# Out: "<mark> counts" then "<path>\0<count>\n" per file; "<mark> lines" then git grep's
#      "<path>\0<line>\0[<column>\0]<text>\n" records (a column marks a match, none context);
#      "<mark> end <exit of pass 1> <exit of pass 2>". Or "<mark> linked" / "<mark> absent" for a
#      CTX4_PATH behind a symlink or not there. git's messages on stderr.
ctx4_mark=$CTX4_MARK
options=(-I --untracked --no-recurse-submodules -z)
if [ "$CTX4_SYNTAX" = perl ]; then options+=(-P); else options+=(-F); fi
[ "$CTX4_CASE" = ignore ] && options+=(-i)
options+=(-e "$CTX4_QUERY")
where=()
if [ -n "$CTX4_PATH" ]; then
  if ctx4_linked "$CTX4_PATH"; then
    printf '%s linked\n' "$ctx4_mark"
    exit 0
  fi
  if [ ! -e "$CTX4_PATH" ]; then
    printf '%s absent\n' "$ctx4_mark"
    exit 0
  fi
  where=(":(literal)$CTX4_PATH")
fi
counts=$(mktemp) || exit 1
trap 'rm -f "$counts"' EXIT
timeout -k 1 "$CTX4_SECONDS" git grep -c "${options[@]}" -- "${where[@]}" >"$counts"
first=$?
printf '%s counts\n' "$ctx4_mark"
# About 10,000 files: more is counted as "more than".
head -c 1000000 "$counts"
printf '\n%s lines\n' "$ctx4_mark"
# The first files holding CTX4_MAX matching lines, as literal pathspecs.
shown=()
total=0
while [ "$first" -eq 0 ] && [ "$total" -lt "$CTX4_MAX" ] && IFS= read -r -d '' file && IFS= read -r count; do
  shown+=(":(literal)$file")
  total=$((total + count))
done <"$counts"
second=0
if [ "${#shown[@]}" -gt 0 ]; then
  # Each printed line is cut at 8 KB (a path is at most 4 KB), and the whole at 1 MB: a
  # minified file's one line must not fill the answer. 141: cut there (SIGPIPE).
  timeout -k 1 "$CTX4_SECONDS" git grep -n --column -C 1 "${options[@]}" -- "${shown[@]}" | cut -b -8192 | head -c 1000000
  second=${PIPESTATUS[0]}
fi
printf '\n%s end %s %s\n' "$ctx4_mark" "$first" "$second"
