# Gives a command the same limits the local sandbox host gives it, and returns once the command's
# own shell has exited (or its time limit passed) plus a short grace, whatever it left running.
# In: CTX4_EXEC_COMMAND (data, never spliced into code), CTX4_EXEC_TIMEOUT_MS,
# CTX4_EXEC_MAX_OUTPUT_BYTES (per stream), CTX4_EXEC_OFFLINE (1: no network), CTX4_EXEC_ID (a UUID:
# while the command runs, a line written to the FIFO /tmp/ctx4-exec-<id>.cancel stops it as its time
# limit would; that is how SDK_CANCEL_COMMAND in cloudflare.ts cancels it from another exec).
# Out: first line of stdout "<exit code> <timed out 0|1> <stdout bytes past the cap> <stderr bytes
# past the cap>", then the kept stdout; the kept stderr on stderr.
ctx4_command=$CTX4_EXEC_COMMAND ctx4_limit=$CTX4_EXEC_TIMEOUT_MS ctx4_cap=$CTX4_EXEC_MAX_OUTPUT_BYTES
ctx4_offline=$CTX4_EXEC_OFFLINE ctx4_exec_id=$CTX4_EXEC_ID
unset CTX4_EXEC_COMMAND CTX4_EXEC_TIMEOUT_MS CTX4_EXEC_MAX_OUTPUT_BYTES CTX4_EXEC_OFFLINE CTX4_EXEC_ID
exec 3>&2 2>/dev/null
ctx4_dir=$(mktemp -d) || exit 125
ctx4_cancel=
[[ $ctx4_exec_id =~ ^[0-9a-f-]{36}$ ]] && ctx4_cancel=/tmp/ctx4-exec-$ctx4_exec_id.cancel
trap 'rm -rf "$ctx4_dir"; [ -n "$ctx4_cancel" ] && rm -f "$ctx4_cancel"' EXIT
mkfifo "$ctx4_dir/out" "$ctx4_dir/err" || exit 125
# A keeper per stream keeps the first bytes and counts the rest, read to the end so the command
# never blocks on a full pipe. It writes what it keeps as it reads it (stdbuf -o0: nothing waits
# in head's buffer), so stopping a keeper loses nothing it had read. Neither keepers nor the
# command hold this exec's own stdout or stderr (fd 3): only this shell does, so the exec ends
# when this script does, whatever the command left running.
ctx4_keep() { stdbuf -o0 head -c "$ctx4_cap" >"$1.kept"; wc -c >"$1.rest"; }
ctx4_keep "$ctx4_dir/out" <"$ctx4_dir/out" >/dev/null 3>&- &
ctx4_keepers=($!)
ctx4_keep "$ctx4_dir/err" <"$ctx4_dir/err" >/dev/null 3>&- &
ctx4_keepers+=($!)
# A PID namespace of its own where the container allows it: when the command's shell exits the
# kernel kills every process left in it, even one that left the process group (setsid), and it
# sees only its own processes in /proc. Offline, a network namespace too: no network at all, not
# even the sandbox's control plane on localhost.
ctx4_namespace=(unshare --pid --fork --kill-child --mount-proc)
[ "$ctx4_offline" = 1 ] && ctx4_namespace+=(--net)
"${ctx4_namespace[@]}" true || ctx4_namespace=(unshare --pid --fork --kill-child --mount-proc)
"${ctx4_namespace[@]}" true || ctx4_namespace=()
ctx4_start=${EPOCHREALTIME/./}
# timeout puts the command in a process group of its own and kills that group at the limit.
timeout -k 1 "$((ctx4_limit / 1000)).$(printf '%03d' $((ctx4_limit % 1000)))" "${ctx4_namespace[@]}" bash --noprofile --norc -c "$ctx4_command" \
  </dev/null >"$ctx4_dir/out" 2>"$ctx4_dir/err" 3>&- &
ctx4_runner=$!
# The watcher waits on a FIFO rather than a PID file: the cancelling exec may sit in another PID
# namespace, where this one's process ids mean nothing; /tmp is the same for both.
ctx4_watcher=
if [ -n "$ctx4_cancel" ] && mkfifo -m 600 "$ctx4_cancel"; then
  { read -r _ <"$ctx4_cancel" && kill -KILL -- "-$ctx4_runner"; } >/dev/null 3>&- &
  ctx4_watcher=$!
fi
wait "$ctx4_runner"
ctx4_code=$?
ctx4_elapsed_ms=$(((${EPOCHREALTIME/./} - ctx4_start) / 1000))
kill -KILL -- "-$ctx4_runner"
[ -n "$ctx4_watcher" ] && kill -KILL "$ctx4_watcher"

# Kills the processes that hold one of the keepers' FIFOs open: with "writers", those writing to
# it (left running by the command: outside its process group, as setsid or a daemon does, and
# outside a PID namespace); with "all", the keepers too.
ctx4_kill_holders() {
  local fd pid key flags
  while read -r fd; do
    pid=${fd#/proc/} pid=${pid%%/*}
    if [ "$1" = writers ]; then
      flags=
      while read -r key flags; do [ "$key" = flags: ] && break; done <"/proc/$pid/fdinfo/${fd##*/}"
      # O_ACCMODE of the descriptor's flags (octal): 1 is write only, 2 read and write.
      [ -n "$flags" ] && (((8#$flags & 3) != 0)) || continue
    fi
    kill -KILL "$pid"
  done < <(find /proc/[0-9]*/fd -maxdepth 1 \( -lname "$ctx4_dir/out" -o -lname "$ctx4_dir/err" \
    -o -lname "$ctx4_dir/out (deleted)" -o -lname "$ctx4_dir/err (deleted)" \))
}
# Whether a keeper is still reading.
ctx4_keeping() { kill -0 "${ctx4_keepers[@]}" 2>/dev/null; }
# Waits up to $1 tenths of a second for the keepers to finish.
ctx4_settle() {
  local tenth
  for ((tenth = 0; tenth < $1; tenth++)); do
    ctx4_keeping || return 0
    sleep 0.1
  done
  ! ctx4_keeping
}
# The grace for output in flight: the keepers end at once when nothing else holds their FIFOs;
# else whoever writes to them is killed and the keepers get a second to drain the pipes; a
# keeper still stuck after that (a writer we could not kill) is stopped with what it kept.
ctx4_settle 2 || { ctx4_kill_holders writers; ctx4_settle 10; } || ctx4_kill_holders all
wait "${ctx4_keepers[@]}"
ctx4_timed_out=0
if [ "$ctx4_elapsed_ms" -ge "$ctx4_limit" ] && { [ "$ctx4_code" = 124 ] || [ "$ctx4_code" = 137 ]; }; then
  ctx4_timed_out=1
fi
# A keeper that was stopped counted nothing past what it kept.
ctx4_rest() { local count; count=$(cat "$1.rest"); echo "${count:-0}"; }
printf '%s %s %s %s\n' "$ctx4_code" "$ctx4_timed_out" "$(ctx4_rest "$ctx4_dir/out")" "$(ctx4_rest "$ctx4_dir/err")"
cat "$ctx4_dir/out.kept"
cat "$ctx4_dir/err.kept" >&3
