# One page of the memory's Markdown files (tracked *.md and *.markdown, in git's byte order) for
# MCP resources/list: the first CTX4_PAGE paths after CTX4_AFTER ("" for the first page). For
# each regular file inside the clone it prints "<path>\0<bytes>\0<first 4096 characters>\0";
# a symlink, or a file under a symlinked folder, is left out, never opened. Last, "more\0" when
# paths are left after the page. Read-only; runs no program of the repo's, and one process
# besides git whatever the page holds.
ctx4_after=$CTX4_AFTER ctx4_page=$CTX4_PAGE
unset CTX4_AFTER CTX4_PAGE
# Without a clone (or its .git), exit 3: the Worker sets one up and asks again.
if [ -L repo ] || [ -L repo/.git ] || [ ! -d repo/.git ] || ! cd repo 2>/dev/null; then exit 3; fi
export LC_ALL=C GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_CEILING_DIRECTORIES=$PWD/..
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_EXEC_PATH

ctx4_linked() {
  local rest=$1 prefix=""
  while :; do
    prefix=${prefix:+$prefix/}${rest%%/*}
    [ -L "$prefix" ] && return 0
    [ "$rest" = "${rest#*/}" ] && return 1
    rest=${rest#*/}
  done
}

ctx4_paths=()
ctx4_more=""
# ls-files reads only the index; no config of the clone's may run a program (fsmonitor) meanwhile.
while IFS= read -r -d '' ctx4_path; do
  [ -n "$ctx4_after" ] && [[ ! $ctx4_path > $ctx4_after ]] && continue
  if [ "${#ctx4_paths[@]}" -ge "$ctx4_page" ]; then
    ctx4_more=1
    break
  fi
  ctx4_linked "$ctx4_path" || [ ! -f "./$ctx4_path" ] || ctx4_paths+=("$ctx4_path")
done < <(git -c core.fsmonitor=false -c core.quotePath=false ls-files -z -- '*.md' '*.markdown' 2>/dev/null)

ctx4_sizes=()
if [ "${#ctx4_paths[@]}" -gt 0 ]; then
  mapfile -d '' ctx4_sizes < <(stat --printf '%s\0' -- "${ctx4_paths[@]/#/./}")
fi
for ctx4_index in "${!ctx4_paths[@]}"; do
  ctx4_head=""
  IFS= read -r -d '' -N 4096 ctx4_head <"./${ctx4_paths[ctx4_index]}"
  printf '%s\0%s\0%s\0' "${ctx4_paths[ctx4_index]}" "${ctx4_sizes[ctx4_index]:-0}" "$ctx4_head"
done
[ -n "$ctx4_more" ] && printf 'more\0'
exit 0
