# Reads one path of the clone for ctx_read and resources/read. The first line says what it is:
#   missing | linked | special <find type> | dir | binary <bytes> <mime type or -> | text <bytes>
# then, for dir, "<find type> <bytes> <name>" NUL-ended entries (.git left out); for text, lines
# CTX4_START to CTX4_LAST of the file, at most CTX4_MAX_BYTES bytes. Nothing else is printed.
# A symlink, or a path through a symlinked folder, is never opened, wherever it points.
# Read-only; runs no program of the repo's. In: CTX4_PATH (checked by the Worker: relative, no
# "..", no .git, "." for the root), CTX4_START, CTX4_LAST, CTX4_MAX_BYTES (positive integers).
ctx4_path=$CTX4_PATH ctx4_start=$CTX4_START ctx4_last=$CTX4_LAST ctx4_max=$CTX4_MAX_BYTES
unset CTX4_PATH CTX4_START CTX4_LAST CTX4_MAX_BYTES
# Without a clone (or its .git), exit 3: the Worker sets one up and asks again.
if [ -L repo ] || [ ! -d repo/.git ] || ! cd repo 2>/dev/null; then exit 3; fi
export LC_ALL=C

# "./" first: a name starting with a dash is never taken for an option.
ctx4_file=./$ctx4_path
if [ "$ctx4_path" != . ] && ctx4_linked "$ctx4_path"; then
  # A dangling symlink is a symlink all the same: refused, not missing.
  echo linked
elif [ ! -e "$ctx4_file" ]; then
  echo missing
elif [ -d "$ctx4_file" ]; then
  echo dir
  find "$ctx4_file" -mindepth 1 -maxdepth 1 ! -name .git -printf '%y %s %f\0'
elif [ ! -f "$ctx4_file" ]; then
  echo "special $(find "$ctx4_file" -maxdepth 0 -printf '%y')"
else
  ctx4_size=$(stat -c %s -- "$ctx4_file") || exit 1
  # As git decides: a NUL byte in the first 8000 bytes makes a file binary. bash reads up to
  # the first NUL or 8000 bytes: fewer bytes and no end of file means it met a NUL (no process).
  if IFS= read -r -d '' -n 8000 ctx4_head <"$ctx4_file" && [ "${#ctx4_head}" -lt 8000 ]; then
    ctx4_type=-
    command -v file >/dev/null && ctx4_type=$(file -b --mime-type -- "$ctx4_file" 2>/dev/null | tr -dc 'a-zA-Z0-9/.+-')
    echo "binary $ctx4_size ${ctx4_type:--}"
  else
    echo "text $ctx4_size"
    sed -n "${ctx4_start},${ctx4_last}p;${ctx4_last}q" -- "$ctx4_file" | head -c "$ctx4_max"
  fi
fi
