# ctx_history: recent commits of the clone's branch (HEAD), newest first, each with the files
# it changed; only those touching CTX4_PATH when given (following renames for one file); or
# one commit, CTX4_COMMIT, with its stat and diff (of CTX4_PATH only, when given). Reads git's objects only, never a file of
# the working tree, and never runs a diff driver or textconv program the repo names.
# In:  CTX4_LIMIT, CTX4_PATH (optional, relative, checked by the Worker), CTX4_COMMIT
#      (optional, hex, checked by the Worker), CTX4_DIFF_BYTES, CTX4_MARK (random per call).
# Out: "<mark> empty" (no commit yet), "<mark> unknown" / "<mark> ambiguous" (CTX4_COMMIT),
#      or "<mark> log" then per commit "<mark>\0<sha>\0<date>\0<author>\0<subject>\0" and its
#      name-status entries, NUL-ended; for CTX4_COMMIT then "<mark> diff" and the stat and
#      patch, cut at CTX4_DIFF_BYTES; last "<mark> end <exit of the log> <exit of the diff>".
#      git's messages on stderr.
ctx4_mark=$CTX4_MARK
format="--format=$ctx4_mark%x00%H%x00%aI%x00%an%x00%s%x00"
if ! git rev-parse --verify --quiet HEAD^{commit} >/dev/null 2>&1; then
  printf '%s empty\n' "$ctx4_mark"
  exit 0
fi
listed=$(mktemp) || exit 1
trap 'rm -f "$listed"' EXIT
# Rename detection reads files' contents, and a partial clone may lack an old large one: then
# the list is made again without it.
log() {
  git log -z "$format" --name-status --diff-merges=first-parent -M "$@" >"$listed" 2>/dev/null ||
    git log -z "$format" --name-status --diff-merges=first-parent --no-renames "$@" >"$listed"
}
if [ -n "$CTX4_COMMIT" ]; then
  if ! sha=$(git rev-parse --verify "$CTX4_COMMIT^{commit}" 2>&1); then
    case $sha in
      *ambiguous*) printf '%s ambiguous\n' "$ctx4_mark" ;;
      *) printf '%s unknown\n' "$ctx4_mark" ;;
    esac
    exit 0
  fi
  log -1 "$sha" --
  listing=$?
  printf '%s log\n' "$ctx4_mark"
  cat "$listed"
  printf '\n%s diff\n' "$ctx4_mark"
  only=()
  [ -z "$CTX4_PATH" ] || only=(":(literal)$CTX4_PATH")
  git show --no-color --no-ext-diff --no-textconv --diff-merges=first-parent -M --format= --patch-with-stat \
    "$sha" -- "${only[@]}" | head -c "$CTX4_DIFF_BYTES"
  printf '\n%s end %s %s\n' "$ctx4_mark" "$listing" "${PIPESTATUS[0]}"
  exit 0
fi
where=()
if [ -n "$CTX4_PATH" ]; then
  # --follow works for one file only; a folder (now, or in a commit shown) is listed as is.
  [ -d "$CTX4_PATH" ] || [ "$(git cat-file -t "HEAD:$CTX4_PATH" 2>/dev/null)" = tree ] || where=(--follow)
  where+=(-- ":(literal)$CTX4_PATH")
fi
log -n "$CTX4_LIMIT" HEAD "${where[@]}"
listing=$?
printf '%s log\n' "$ctx4_mark"
cat "$listed"
printf '\n%s end %s 0\n' "$ctx4_mark" "$listing"
