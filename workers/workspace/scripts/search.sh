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
# git grep -c -z prints "<path>\0<count>\n" per file. Read in split at NULs (no temp file: a
# process less per search), git's exit status appended as the last field, the fields are
# path, "count\npath", …, "count\n".
mapfile -d '' fields < <(
  timeout -k 1 "$CTX4_SECONDS" git grep -c "${options[@]}" -- "${where[@]}"
  printf '\0%s' "$?"
)
first=${fields[-1]}
unset 'fields[-1]'
printf '%s counts\n' "$ctx4_mark"
# Up to 1 MB (about 10,000 files), in bytes whatever the locale: more is counted as "more than".
ctx4_print_counts() {
  local LC_ALL=C index bytes=0
  for ((index = 0; index < ${#fields[@]}; index++)); do
    bytes=$((bytes + ${#fields[index]} + 1))
    [ "$bytes" -gt 1000000 ] && return
    [ "$index" -gt 0 ] && printf '\0'
    printf '%s' "${fields[index]}"
  done
}
ctx4_print_counts
printf '\n%s lines\n' "$ctx4_mark"
# The first files holding CTX4_MAX matching lines, as literal pathspecs.
shown=()
total=0
for ((index = 0; first == 0 && total < CTX4_MAX && index + 1 < ${#fields[@]}; index++)); do
  file=${fields[index]}
  [ "$index" -gt 0 ] && file=${file#*$'\n'}
  count=${fields[index + 1]%%$'\n'*}
  shown+=(":(literal)$file")
  total=$((total + count))
done
second=0
if [ "${#shown[@]}" -gt 0 ]; then
  # Each printed line is cut at 8 KB (a path is at most 4 KB), and the whole at 1 MB: a
  # minified file's one line must not fill the answer. 141: cut there (SIGPIPE).
  timeout -k 1 "$CTX4_SECONDS" git grep -n --column -C 1 "${options[@]}" -- "${shown[@]}" | cut -b -8192 | head -c 1000000
  second=${PIPESTATUS[0]}
fi
printf '\n%s end %s %s\n' "$ctx4_mark" "$first" "$second"
