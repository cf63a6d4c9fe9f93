# Prints the files ctx_instructions is made of, each after a line "<mark> <kind> <cut|whole> <path>".
# Read-only; no token. In: CTX4_MARK, random per call.
ctx4_mark=$CTX4_MARK
unset CTX4_MARK
cd repo 2>/dev/null || exit 0
shopt -s nullglob

# Prints kind $1, then at most $2 characters of file $3, read by bash itself: no process per file.
ctx4_show() {
  [ -f "$3" ] || return 0
  local text="" extent=whole
  IFS= read -r -d '' -N "$2" text <"$3"
  [ "${#text}" -ge "$2" ] && extent=cut
  printf '\n%s %s %s %s\n%s' "$ctx4_mark" "$1" "$extent" "$3" "$text"
}

ctx4_show whole 100000 resources/instructions.md
ctx4_show whole 100000 resources/context.md
for ctx4_file in resources/*.md; do ctx4_show head 4096 "$ctx4_file"; done
for ctx4_file in skills/*/SKILL.md; do ctx4_show head 4096 "$ctx4_file"; done
