# Put before every script that reads paths of the clone (see scripts.ts).
# True when path $1, or a folder on the way to it, is a symlink.
ctx4_linked() {
  local rest=$1 prefix=""
  while :; do
    prefix=${prefix:+$prefix/}${rest%%/*}
    [ -L "$prefix" ] && return 0
    [ "$rest" = "${rest#*/}" ] && return 1
    rest=${rest#*/}
  done
}
