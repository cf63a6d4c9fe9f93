# Prints one digest of the default branch's clone (repo/, .git included but what its object store holds),
# or "none" without one: every entry's type, mode, size, modification and change times and
# path. Run before and after a command of a client in review mode, whose work belongs on its
# proposal only: a change here (a file, a ref, the config) means the command reached outside
# its own clone. The change time cannot be set back by a command, so no edit goes unseen.
# With CTX4_EXPECT set (the digest before) and a different digest now, the clone is moved out
# of the way, with everything in it, to lost+found/: "@moved-aside <folder>". The next sync
# clones afresh, so none of it reaches GitHub.
if [ -L repo ] || [ ! -d repo ]; then
  digest=none
  [ -e repo ] || [ -L repo ] && digest=other
else
  digest=$(cd repo && find . -path ./.git/objects -printf '%y %p\0' -prune -o -printf '%y %m %s %T@ %C@ %p\0' | LC_ALL=C sort -z | sha256sum)
  digest=${digest%% *}
fi
if [ -z "${CTX4_EXPECT:-}" ] || [ "$CTX4_EXPECT" = "$digest" ]; then
  printf '@clone-state %s\n' "$digest"
  exit 0
fi
mkdir -p lost+found && aside=$(mktemp -u -d "lost+found/repo-$(date -u +%Y%m%d-%H%M%S)-XXXXXX") &&
  mv repo "$aside" && printf '@moved-aside %s\n' "$aside"
