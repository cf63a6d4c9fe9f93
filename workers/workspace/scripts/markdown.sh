# One page of the memory's Markdown files (tracked *.md and *.markdown, in git's byte order) for
# MCP resources/list: the first CTX4_PAGE paths after CTX4_AFTER ("" for the first page), which
# was number CTX4_POSITION (1-based) of the list. For each regular file inside the clone it
# prints "<path>\0<bytes>\0<front matter block, or nothing>\0"; a symlink, or a file under a symlinked
# folder, is left out, never opened. Last, "end\0<1 when paths may follow, else 0>\0<the last
# path's position>\0". Read-only; runs no program of the repo's, and only git, head, tail
# and one stat besides bash, whatever the page holds.
ctx4_after=$CTX4_AFTER ctx4_position=$CTX4_POSITION ctx4_page=$CTX4_PAGE
unset CTX4_AFTER CTX4_POSITION CTX4_PAGE
# Without a clone (or its .git), exit 3: the Worker sets one up and asks again.
if [ -L repo ] || [ -L repo/.git ] || [ ! -d repo/.git ] || ! cd repo 2>/dev/null; then exit 3; fi
export LC_ALL=C GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_CEILING_DIRECTORIES=$PWD/..
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_EXEC_PATH


# ls-files reads only the index; no config of the clone's may run a program (fsmonitor) meanwhile.
ctx4_list() { git -c core.fsmonitor=false -c core.quotePath=false ls-files -z -- '*.md' '*.markdown' 2>/dev/null; }
# bash reads a NUL-ended list a byte at a time, so only a window of it is read in: from the
# cursor's position on (C tools skip the rest), when the cursor's path is still there.
ctx4_window=$((ctx4_page * 3))
ctx4_base=0 ctx4_first=0
if [ -z "$ctx4_after" ]; then
  mapfile -d '' ctx4_all < <(ctx4_list | head -z -n "$ctx4_window")
else
  mapfile -d '' ctx4_all < <(ctx4_list | tail -z -n "+$ctx4_position" | head -z -n "$((ctx4_window + 1))")
  if [ "${ctx4_all[0]-}" = "$ctx4_after" ]; then
    ctx4_base=$((ctx4_position - 1)) ctx4_first=1
  else
    # Paths came or went before the cursor: the whole list, and a binary search for the first
    # path after the cursor's (the index is in byte order, as [[ > ]] compares with LC_ALL=C).
    mapfile -d '' ctx4_all < <(ctx4_list)
    ctx4_window=${#ctx4_all[@]}
    ctx4_high=${#ctx4_all[@]}
    while [ "$ctx4_first" -lt "$ctx4_high" ]; do
      ctx4_mid=$(((ctx4_first + ctx4_high) / 2))
      if [[ ${ctx4_all[ctx4_mid]} > $ctx4_after ]]; then ctx4_high=$ctx4_mid; else ctx4_first=$((ctx4_mid + 1)); fi
    done
  fi
fi
ctx4_paths=()
ctx4_more=0
ctx4_position=$((ctx4_base + ctx4_first))
for ((ctx4_index = ctx4_first; ctx4_index < ${#ctx4_all[@]}; ctx4_index++)); do
  if [ "${#ctx4_paths[@]}" -ge "$ctx4_page" ]; then
    ctx4_more=1
    break
  fi
  ctx4_path=${ctx4_all[ctx4_index]}
  if ! ctx4_linked "$ctx4_path" && [ -f "./$ctx4_path" ]; then
    ctx4_paths+=("$ctx4_path")
    ctx4_position=$((ctx4_base + ctx4_index + 1))
  fi
done
# A full window read to its end may have more after it.
[ "${#ctx4_all[@]}" -ge "$ctx4_window" ] && [ "$ctx4_index" -ge "${#ctx4_all[@]}" ] && ctx4_more=1

# Sets ctx4_head to the front matter block at the top of stdin, closing line included, read
# a line at a time up to 4096 characters in all: "" when the first line is not "---". Only
# the block travels to the Worker, not the file's text (a page is 100 files).
ctx4_front() {
  local line bare budget=4096 first=1
  ctx4_head=""
  while [ "$budget" -gt 0 ] && { IFS= read -r -n "$budget" line || [ -n "$line" ]; }; do
    ctx4_head+=$line$'\n'
    budget=$((budget - ${#line} - 1))
    bare=${line%$'\r'}
    if [ "$first" = 1 ]; then
      first=0
      [ "${bare#$'\xEF\xBB\xBF'}" = --- ] || { ctx4_head="" && return; }
    elif [ "$bare" = --- ] || [ "$bare" = ... ]; then
      return
    fi
  done
}

ctx4_sizes=()
if [ "${#ctx4_paths[@]}" -gt 0 ]; then
  mapfile -d '' ctx4_sizes < <(stat --printf '%s\0' -- "${ctx4_paths[@]/#/./}")
fi
for ctx4_index in "${!ctx4_paths[@]}"; do
  ctx4_front <"./${ctx4_paths[ctx4_index]}"
  printf '%s\0%s\0%s\0' "${ctx4_paths[ctx4_index]}" "${ctx4_sizes[ctx4_index]:-0}" "$ctx4_head"
done
printf 'end\0%s\0%s\0' "$ctx4_more" "$ctx4_position"
exit 0
