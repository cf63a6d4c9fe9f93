# Brings the user's clone in line with GitHub. Without a clone of this repo, it clones one.
# Otherwise it commits what a command left uncommitted, fetches and rebases when asked to
# (CTX4_MODE=fetch), and pushes local commits, fetching and rebasing again when a push is
# rejected. A conflict never loses a side: the local commits go to a new side branch on
# GitHub, and the clone follows GitHub's branch again. Nothing is ever force-pushed.
# CTX4_MODE=read only fetches and fast-forwards a clean clone: it never commits or pushes.
# Nothing is pushed that the Worker has not read first (gate: its secret scan); CTX4_MODE=hold
# turns the branch's unpushed commits back into uncommitted changes when the Worker refused them.
# CTX4_MODE=revert, bring-in, approve and reject sync as fetch does, then make the person's change from the web
# (scripts/web-actions.sh, put before this script) and push it the same way.
# A proposal clone (CTX4_BASE set: a client in review mode) follows CTX4_BRANCH, its proposal
# branch under ctx4-ai/review-, kept rebased on GitHub's CTX4_BASE (the default branch): it is
# ctx4-ai's own branch, so it is pushed with --force-with-lease, and it is pushed only while it
# holds commits CTX4_BASE lacks. The egress route lets such a sync update that branch and nothing else.
# There is no credential here: CTX4_REPO_URL is the egress route's URL, and the Worker adds
# the token to git's requests on their way to GitHub (workers/sandbox/git-egress.ts).
# Every file in the sandbox is hostile input: a command may have written any of them.
# In:  CTX4_REPO_URL, CTX4_REPO_ID, CTX4_BRANCH, CTX4_MODE (fetch, push-only, read, hold, or a web action's),
#      CTX4_CLONE_FILTER, CTX4_COMMIT_MESSAGE (for what is uncommitted), CTX4_KNOWN_UPSTREAM
#      (optional: where the Worker last saw GitHub's branch), the bot's GIT_AUTHOR_NAME / _EMAIL,
#      CTX4_CLEARED (optional: the digest of the commits the Worker read and let through) and
#      CTX4_COMMITTED (optional: the commit the run the gate held made of what was uncommitted),
#      CTX4_BASE (optional: this clone proposes changes to that branch, see above),
#      CTX4_INDEX (optional: the sha256 of the index the last sync left, see trust_index).
# Out: one "@<event> ..." line per thing that happened, on stdout; git's messages on stderr;
#      last, "@index <sha256>" of the index this sync leaves.
set -u
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_TERMINAL_PROMPT=0 GIT_EDITOR=true
export GIT_CEILING_DIRECTORIES=$PWD GIT_NO_REPLACE_OBJECTS=1
unset GIT_ASKPASS SSH_ASKPASS GIT_SSH GIT_SSH_COMMAND GIT_PROXY_COMMAND GIT_EXEC_PATH GIT_TEMPLATE_DIR
# For every git call here, whatever the repo says: no hooks, no fsmonitor, no signing program,
# no credential helper, http only, no redirects, paths printed as they are, parents read from
# the commits themselves (no commit-graph), the whole index in .git/index (no split index, no
# untracked cache: trust_index vouches for that file only), and never a step
# into a nested repository's work tree (a submodule, or any folder with its own .git): git would
# run there with that repository's own config, filters included, which nothing here rewrites.
# Which commit a nested repository is at is still committed ("dirty" reads only its HEAD).
export GIT_CONFIG_COUNT=17 \
  GIT_CONFIG_KEY_0=core.hooksPath GIT_CONFIG_VALUE_0=/dev/null \
  GIT_CONFIG_KEY_1=core.fsmonitor GIT_CONFIG_VALUE_1=false \
  GIT_CONFIG_KEY_2=commit.gpgSign GIT_CONFIG_VALUE_2=false \
  GIT_CONFIG_KEY_3=credential.helper GIT_CONFIG_VALUE_3= \
  GIT_CONFIG_KEY_4=protocol.allow GIT_CONFIG_VALUE_4=never \
  GIT_CONFIG_KEY_5=protocol.http.allow GIT_CONFIG_VALUE_5=always \
  GIT_CONFIG_KEY_6=http.followRedirects GIT_CONFIG_VALUE_6=false \
  GIT_CONFIG_KEY_7=core.quotePath GIT_CONFIG_VALUE_7=false \
  GIT_CONFIG_KEY_8=core.attributesFile GIT_CONFIG_VALUE_8=/dev/null \
  GIT_CONFIG_KEY_9=submodule.recurse GIT_CONFIG_VALUE_9=false \
  GIT_CONFIG_KEY_10=diff.ignoreSubmodules GIT_CONFIG_VALUE_10=dirty \
  GIT_CONFIG_KEY_11=status.submoduleSummary GIT_CONFIG_VALUE_11=false \
  GIT_CONFIG_KEY_12=fetch.recurseSubmodules GIT_CONFIG_VALUE_12=false \
  GIT_CONFIG_KEY_13=push.recurseSubmodules GIT_CONFIG_VALUE_13=no \
  GIT_CONFIG_KEY_14=core.commitGraph GIT_CONFIG_VALUE_14=false \
  GIT_CONFIG_KEY_15=core.splitIndex GIT_CONFIG_VALUE_15=false \
  GIT_CONFIG_KEY_16=core.untrackedCache GIT_CONFIG_VALUE_16=false
branch=$CTX4_BRANCH
upstream=refs/remotes/origin/$CTX4_BRANCH
base=${CTX4_BASE:-}
base_ref=refs/remotes/origin/$base
recovered_ref=refs/ctx4/recovered

say() { printf '@%s\n' "$*"; }

# "@upstream <sha or none>" (our record of GitHub's branch) and "@head <sha or empty>", from one
# git call: show-ref matches the name's tail, so only the exact name counts.
say_tips() {
  local sha name tip_upstream=none tip_head=empty
  while read -r sha name; do
    case $name in
      HEAD) tip_head=$sha ;;
      "$upstream") tip_upstream=$sha ;;
    esac
  done < <(git show-ref --head -- "$upstream" 2>/dev/null)
  say upstream "$tip_upstream"
  say head "$tip_head"
}

# The local branches, the stash, our own refs (refs/ctx4/) and our record of GitHub's branch,
# read in one git call once what was uncommitted is committed: $refs_now maps each one's full
# name to its object id; $local_branches holds "<branch> <sha>" for each local branch, in git's
# order; $other_refs counts those that are neither the branch nor that record. From there to
# gather_work only set_aside_recovered and set_aside_stashes change any of them, each deleting
# the one ref it read, and fetching moves only that record: so they are all read from here.
declare -A refs_now=()
local_branches=()
read_refs() {
  local name sha
  refs_now=() local_branches=() other_refs=0
  while read -r name sha; do
    refs_now[$name]=$sha
    [[ $name != refs/heads/* ]] || local_branches+=("${name#refs/heads/} $sha")
    [ "$name" = "refs/heads/$branch" ] || [ "$name" = "$upstream" ] || other_refs=$((other_refs + 1))
  done < <(git for-each-ref --format='%(refname) %(objectname)' refs/heads/ refs/stash refs/ctx4/ "$upstream")
}

# A ref a command pointed at anything but a commit this clone has (an object it lacks, a tree, a
# blob) holds no commits to keep, and fails the steps that read it (bringing a branch in,
# setting recovered files aside), and with them the push, for as long as it is there:
# each is deleted and said ("@broken-ref <name>"). The stash is not among them: its entries are
# in its reflog, which deleting the ref would take along (set_aside_stashes reads them). Asked
# only when there is such a ref at all, in one git call that may not reach GitHub: a partial clone
# would otherwise fetch a missing object on demand. The branch and our record of GitHub's branch
# are checked elsewhere (read_state sets a clone up again when its branch is broken).
drop_broken_refs() {
  [ "$other_refs" -gt 0 ] || return 0
  local name answer names=() asked=() i=0
  for name in "${!refs_now[@]}"; do
    case $name in
      "refs/heads/$branch" | "$upstream" | refs/stash) ;;
      *) names+=("$name") asked+=("${refs_now[$name]}^{commit}") ;;
    esac
  done
  [ ${#names[@]} -gt 0 ] || return 0
  while read -r answer; do
    name=${names[i]}
    i=$((i + 1))
    [ "$answer" = commit ] && continue
    git update-ref --no-deref -d "$name" 2>/dev/null
    refs_now[$name]=""
    other_refs=$((other_refs - 1))
    say broken-ref "$name"
  done < <(printf '%s\n' "${asked[@]}" | git -c protocol.http.allow=never cat-file --batch-check='%(objecttype)' 2>/dev/null)
  local kept=() entry
  for entry in "${local_branches[@]}"; do
    [ -n "${refs_now[refs/heads/${entry% *}]:-}" ] && kept+=("$entry")
  done
  local_branches=("${kept[@]}")
}

# The index as this sync leaves it, for the next sync to use (trust_index): said last, at exit,
# whatever the way out. A path from here: the sync changes folder as it goes.
index_file=$PWD/repo/.git/index
# The index trust_index found to be the last sync's stays open (fd $trusted_fd). git writes an
# index whole, to a new file it renames over the old one: while the index is still that very
# file, its digest is $trusted_digest, and reading it again would be one more process for the
# usual sync, which changes nothing.
trusted_fd="" trusted_digest=""
say_index() {
  local digest
  [ -f "$index_file" ] && [ ! -L "$index_file" ] || return 0
  if [ -n "$trusted_fd" ] && [ "$index_file" -ef "/dev/fd/$trusted_fd" ]; then
    say index "$trusted_digest"
  else
    digest=$(sha256sum <"$index_file") && say index "${digest%% *}"
  fi
}
trap say_index EXIT

# Reports what failed ($1, or the kind of refusal GitHub gave) with git's message $2, and stops.
fail() {
  printf '%s\n' "$2" >&2
  case $2 in
    *"Authentication failed"* | *"Invalid username or"* | *"could not read Username"* | *"returned error: 401"*) say error auth ;;
    *"Repository not found"* | *"returned error: 404"*) say error not-found ;;
    *"returned error: 403"* | *"Permission to"*"denied"*) say error forbidden ;;
    *) say error "$1" ;;
  esac
  exit 0
}

# A clone is ours when repo and repo/.git are real folders (not symlinks to elsewhere) and its
# own config file (no includes) names this repo. The files that would make git read config or
# objects from elsewhere, believe other parents than the commits hold (commit-graph, grafts,
# shallow), or leave files out of our commits, are removed first.
is_our_clone() {
  [ -d repo ] && [ ! -L repo ] && [ -d repo/.git ] && [ ! -L repo/.git ] || return 1
  local path planted=()
  # Looked for by bash: they are almost never there, and rm would be one more process each sync.
  for path in repo/.git/config.ctx4 repo/.git/commondir repo/.git/config.worktree repo/.git/info/grafts \
    repo/.git/objects/info/alternates repo/.git/info/exclude repo/.git/info/sparse-checkout repo/.git/shallow \
    repo/.git/objects/info/commit-graph repo/.git/objects/info/commit-graphs; do
    if [ -e "$path" ] || [ -L "$path" ]; then planted+=("$path"); fi
  done
  [ ${#planted[@]} -eq 0 ] || rm -rf -- "${planted[@]}"
  # The config exactly as configure writes it names this repo, without asking git.
  configured repo/.git/config && return 0
  [ "$(git config --file repo/.git/config --get ctx4.repoid 2>/dev/null)" = "$CTX4_REPO_ID" ]
}

# Writes the clone's whole git config: the repo's URL and branch, partial clone, the bot as
# author, Linux defaults. Nothing a command put there survives: it may have added settings
# (URL rewrites, proxies, hooks, filters, includes) that would run a program or change where
# git sends the memory when we fetch or push. Written by bash itself: no git process needed,
# and not at all when the file is already exactly that (the usual case: one process less).
configure() {
  configured .git/config || { printf '%s' "$config_text" >.git/config.ctx4 && mv -f .git/config.ctx4 .git/config; }
}

# Whether file $1 is a regular file holding exactly the config configure writes ($config_text,
# set here). Read by bash up to 8192 characters or a NUL: a longer file, or one with a NUL, differs.
configured() {
  local current=""
  config_text
  [ -f "$1" ] && [ ! -L "$1" ] || return 1
  IFS= read -r -d '' -n 8192 current <"$1"
  [ "$current" = "$config_text" ]
}

# Sets $config_text to the clone's whole git config (see configure).
config_text() {
  quote "$CTX4_REPO_URL"
  local url=$quoted
  quote "+refs/heads/$branch:$upstream"
  local refspec=$quoted
  quote "refs/heads/$branch"
  local merge=$quoted
  quote "$CTX4_CLONE_FILTER"
  local filter=$quoted
  quote "$branch"
  local section=$quoted
  quote "$CTX4_REPO_ID"
  local repo_id=$quoted
  quote "$GIT_AUTHOR_NAME"
  local name=$quoted
  quote "$GIT_AUTHOR_EMAIL"
  local email=$quoted
  local base_fetch=()
  if [ -n "$base" ]; then
    quote "+refs/heads/$base:$base_ref"
    base_fetch=("	fetch = $quoted")
  fi
  printf -v config_text '%s\n' \
    "[core]" "	repositoryformatversion = 1" "	filemode = true" "	bare = false" "	logallrefupdates = true" \
    "[extensions]" "	partialclone = origin" \
    '[remote "origin"]' "	url = $url" "	fetch = $refspec" "${base_fetch[@]}" "	promisor = true" "	partialclonefilter = $filter" \
    "[branch $section]" "	remote = origin" "	merge = $merge" \
    "[ctx4]" "	repoid = $repo_id" \
    "[user]" "	name = $name" "	email = $email"
}

# Sets $quoted to $1 as a double-quoted git config value (or subsection name).
quote() {
  quoted=${1//\\/\\\\}
  quoted=\"${quoted//\"/\\\"}\"
}

clone() {
  [ -e repo.partial ] && rm -rf repo.partial
  if ! out=$(git clone --quiet --no-tags --filter="$CTX4_CLONE_FILTER" --branch "${base:-$branch}" "$CTX4_REPO_URL" repo.partial 2>&1); then
    [ -z "$base" ] || fail no-base "GitHub has no branch $base to propose changes to."
    case $out in
      # An empty repo (or no such branch yet): the first push creates the branch.
      *"not found in upstream"*)
        out=$(git clone --quiet --no-tags --no-checkout --filter="$CTX4_CLONE_FILTER" "$CTX4_REPO_URL" repo.partial 2>&1) ||
          fail clone "$out"
        # Unless GitHub has other branches: then ours was renamed or deleted, and a branch
        # started here would hold none of the repo's history.
        if [ -n "$(git -C repo.partial for-each-ref --count=1 refs/remotes/)" ]; then
          rm -rf repo.partial
          fail branch-gone "GitHub has no branch $branch any more."
        fi
        git -C repo.partial symbolic-ref HEAD "refs/heads/$branch"
        ;;
      *) fail clone "$out" ;;
    esac
  fi
  local recover=""
  if [ -e repo ]; then
    # This repo's clone whose git data is gone or broken (the sandbox's own record says whose
    # it was): its files hold commands' work that never reached GitHub, kept on a side branch below.
    if [ -d repo ] && [ ! -L repo ] && [ "$(<.ctx4-repo-id)" = "$CTX4_REPO_ID" ]; then
      recover=yes
    fi 2>/dev/null
    # Another repo's clone, or one whose git data is gone or broken: its files are kept, out of the way.
    # A name of its own even within one second: mv into an existing folder would nest the clone.
    aside=$(mktemp -u -d "lost+found/repo-$(date -u +%Y%m%d-%H%M%S)-XXXXXX")
    { mkdir -p lost+found && [ ! -e "$aside" ] && mv repo "$aside"; } || fail move-aside "could not move the old clone aside"
    say moved-aside "$aside"
  fi
  cd repo.partial || fail clone "the new clone is missing"
  configure || fail clone "could not write the clone's git config"
  [ -z "$base" ] || start_proposal
  [ -z "$recover" ] || recover_files "../$aside"
  cd .. && mv repo.partial repo || fail clone "could not put the new clone in place"
  printf '%s\n' "$CTX4_REPO_ID" >.ctx4-repo-id
  cloned_now=yes
  head=$(git -C repo rev-parse -q --verify HEAD) || head=
  say cloned "${head:-empty}"
  [ -z "$base" ] || head=$(git -C repo rev-parse -q --verify "$upstream") || head=
  say upstream "${head:-none}"
}

# A new proposal clone: on its branch as GitHub has it (git clone fetched every branch), or
# where the base branch is when GitHub has none yet; no local branch but that one.
start_proposal() {
  local start=$base_ref
  git rev-parse -q --verify "$upstream" >/dev/null && start=$upstream
  out=$(git checkout --quiet -B "$branch" "$start" 2>&1) || fail checkout "$out"
  git update-ref -d "refs/heads/$base"
}

# Commits the files of folder $1 (a clone whose git data is gone or broken) on top of GitHub's branch, in a
# scratch index, and keeps that commit at $recovered_ref when it differs, for a push-capable sync
# to push to a side branch once the gate let it through (set_aside_recovered): whatever those
# files changed is then on GitHub, to compare and bring in, and nothing of GitHub's is touched.
recover_files() {
  local index=$PWD/.git/ctx4-recover.index tree parent=() commit
  (cd "$1" && GIT_INDEX_FILE=$index git --git-dir="$OLDPWD/.git" --work-tree=. add -A) >/dev/null 2>&1
  tree=$(GIT_INDEX_FILE=$index git write-tree) || fail recover "could not record the old clone's files"
  rm -f "$index"
  if head=$(git rev-parse -q --verify HEAD); then
    [ "$tree" = "$(git rev-parse "HEAD^{tree}")" ] && return 0
    parent=(-p "$head")
  fi
  commit=$(git commit-tree "${parent[@]}" -m "Files of a clone that had lost its git data, kept by ctx4-ai" "$tree") ||
    fail recover "could not commit the old clone's files"
  git update-ref "$recovered_ref" "$commit" || fail recover "could not keep the old clone's files"
}

# Reads the clone's state in two git calls. First the index: clears the flags that hide a
# file's changes from git (assume-unchanged, skip-worktree), local state a command may have set
# so that a change would never be committed, and sets $nested to pathspecs that leave out every
# nested repository (gitlinks, and untracked folders holding a .git): `git add -A` runs
# `git status` inside one with that repository's own config (a filter there would run in our
# step), so nothing of ours looks into one. A nested repository is not committed, and an
# untracked one is reported ("@nested <path>"), since its files are left out. Then `git status`
# over the rest: $changed (yes or no), and the branch header: $head_oid, $head_name and
# $head_ab ("+<ahead> -<behind>" against GitHub's branch as last fetched). Fails when git
# cannot read the clone at all (its HEAD, refs, objects or index broken).
read_state() {
  nested=(.)
  changed=no head_oid="" head_name="" head_ab=""
  local entry path assumed=() skipped=()
  # grep hands bash only the entries that may matter (bash reads a NUL-ended list a byte at a
  # time: a whole index of thousands of files took hundreds of ms); the case below decides.
  while IFS= read -r -d '' entry; do
    path=${entry#*$'\t'}
    case $entry in ?' 160000 '*) nested+=(":(exclude,literal)$path") ;; esac
    case $entry in [a-z]' '*) assumed+=("$path") ;; S' '*) skipped+=("$path") ;; esac
  done < <(git ls-files -z -s -v | LC_ALL=C grep -a -z -e '^[a-zS] ' -e '^. 160000 ')
  # One flag per update-index: with --stdin, git applies only one of them.
  [ ${#assumed[@]} -eq 0 ] || printf '%s\0' "${assumed[@]}" | git update-index -z --no-assume-unchanged --stdin
  [ ${#skipped[@]} -eq 0 ] || printf '%s\0' "${skipped[@]}" | git update-index -z --no-skip-worktree --stdin
  while IFS= read -r -d '' entry; do
    case $entry in
      '# branch.oid '*) head_oid=${entry#'# branch.oid '} ;;
      '# branch.head '*) head_name=${entry#'# branch.head '} ;;
      '# branch.ab '*) head_ab=${entry#'# branch.ab '} ;;
      '# '*) ;;
      '? '*/)
        path=${entry#'? '}
        if [ -e "$path.git" ]; then
          nested+=(":(exclude,literal)${path%/}")
          say nested "${path%/}"
        else
          changed=yes
        fi
        ;;
      *) changed=yes ;;
    esac
  done < <(git status -z --porcelain=v2 --branch --ignore-submodules=dirty -- "${nested[@]}" 2>/dev/null)
  wait $!
}

# The index holds each file's stat data, and git takes a file whose stat data match its entry
# for unchanged without reading it. A command can write an index that gives its changed file's
# own stat data beside the committed blob: git status, git add -A and git diff then see nothing,
# and the change would stay in the clone, unsaid, for every later read. So only the index the
# last sync left is used (CTX4_INDEX: its sha256, kept by the Worker). Any other, a command's
# git add as much as a forgery, is made again from HEAD without stat data, so that git reads
# every file once. A file changed since our index has a new change time, which no command can
# set back, so its stat data no longer match.
trust_index() {
  local digest="" fd
  # git clone wrote the index in this very sync.
  [ -z "${cloned_now:-}" ] || return 0
  if [ -n "${CTX4_INDEX:-}" ] && [ -f .git/index ] && [ ! -L .git/index ] && exec {fd}<.git/index; then
    digest=$(sha256sum <&"$fd")
    if [ "${digest%% *}" = "$CTX4_INDEX" ]; then
      trusted_fd=$fd trusted_digest=$CTX4_INDEX
      return 0
    fi
    exec {fd}<&-
  fi
  rm -f .git/index
  # Without a HEAD to read (a new repo, or a broken clone, which read_state finds) there is no index.
  git read-tree HEAD 2>/dev/null || rm -f .git/index
}

# A clone git cannot read is set up again from GitHub, its files kept on a side branch (clone).
set_up_again() {
  cd .. && clone
  # Once only: the recovered files go on to the gate from the fresh clone (see main).
  [ -z "${set_up:-}" ] && [ "$CTX4_MODE" != read ] && git -C repo rev-parse -q --verify "$recovered_ref" >/dev/null &&
    set_up=yes main
  exit 0
}

# What is uncommitted (the command's changes, or what an earlier call left) is committed first,
# so that fetching and rebasing never touch uncommitted work. The commit and its files are
# reported, one "@file <status>\t<path>[\t<new path>]" line each (at most 100).
commit_changes() {
  read_state || set_up_again
  # The branch gone while checked out (a command deleted it): it starts again at GitHub's, so
  # that what is committed is the command's change to GitHub's files, not a whole new tree.
  if [ "$head_name" = "$branch" ] && [ "$head_oid" = "(initial)" ] &&
    git rev-parse -q --verify "$upstream" >/dev/null; then
    git update-ref "refs/heads/$branch" "$upstream"
    read_state || set_up_again
  fi
  [ "$changed" = yes ] || return 0
  if ! git add -A -- "${nested[@]}" >/dev/null 2>&1; then
    # git refuses some names (".GIT" in a folder, say); one such file must not hold back the rest.
    git add -A --ignore-errors -- "${nested[@]}" >/dev/null 2>&1
    local path
    while IFS= read -r -d '' path; do escape "$path" && say unstorable "$escaped"; done < <(git ls-files -z -o --exclude-standard -- "${nested[@]}")
  fi
  check_files
  # Only files GitHub would refuse changed: nothing to commit.
  git diff --cached --quiet 2>/dev/null && return 0
  out=$(git commit --quiet --no-verify -m "$CTX4_COMMIT_MESSAGE" 2>&1) || fail commit "$out"
  committed=$(git rev-parse HEAD)
  follow=$committed
  say committed "$committed"
  list_files "$committed"
}

# One "@file <status>\t<path>[\t<new path>]" line for each file commit $1 changes (at most 100).
list_files() {
  local status path line listed=0
  while [ $listed -lt 100 ] && IFS= read -r -d '' status && IFS= read -r -d '' path; do
    escape "$path"
    line=$status$'\t'$escaped
    case $status in R* | C*) IFS= read -r -d '' path && escape "$path" && line+=$'\t'$escaped ;; esac
    say file "$line"
    listed=$((listed + 1))
  done < <(git show -z --no-color --format= --name-status "$1")
}

# The commit of what was uncommitted, when a rebase or flatten_refused rewrote it, is reported
# again as it landed on the branch: GitHub's branch had moved on since the clone's (someone
# pushed, or a command moved the branch back), and git follows renames, so a change may land on
# another path than it was made on. "@landed <sha>" and its "@file" lines, or "@landed none"
# when nothing of it was left to add (GitHub's branch had the same change). A rebase keeps a
# commit's author, author date and message: that is how it is found again.
report_landed() {
  [ -n "$committed" ] && [ "$committed_aside" = no ] || return 0
  # Pushed as HEAD itself (the usual case), it landed as it was made: no git call needed.
  [ "$follow" = "$committed" ] && { [ "$committed" = "$pushed" ] ||
    git merge-base --is-ancestor "$committed" HEAD 2>/dev/null; } && return 0
  local key sha
  if [ -n "$follow" ]; then
    key=$(git log -1 --format='%at %ae%n%B' "$follow")
    while read -r sha; do
      if [ "$(git log -1 --format='%at %ae%n%B' "$sha")" = "$key" ]; then
        say landed "$sha"
        list_files "$sha"
        return 0
      fi
    done < <(git rev-list -n 1000 HEAD --not "$follow^@" 2>/dev/null)
  fi
  say landed none
}

# Looks at every file about to be committed. One GitHub refuses (over 100 MiB: "About large
# files on GitHub", docs.github.com/en/repositories/working-with-files/managing-large-files) is
# left out, "@refused <bytes> <path>": the push would fail and take every other change with it.
# One over 50 MiB, which GitHub warns of, is "@large"; a binary one (git sees no lines) "@binary".
check_files() {
  local entry added path size at length=0
  local adds=() paths=() sizes=()
  while IFS= read -r -d '' entry; do
    # "<added>\t<deleted>\t<path>": the path may hold tabs of its own.
    added=${entry%%$'\t'*}
    path=${entry#*$'\t'}
    path=${path#*$'\t'}
    [ -f "$path" ] && [ ! -L "$path" ] || continue
    adds+=("$added")
    paths+=("$path")
    length=$((length + ${#path} + 1))
  done < <(git diff --cached --no-renames --numstat -z --diff-filter=AM)
  [ ${#paths[@]} -gt 0 ] || return 0
  # Every size from one stat, in order: a command that wrote a thousand notes would otherwise
  # cost a thousand processes here. A list too long for one command line goes through xargs,
  # which splits it.
  if [ "$length" -le 65536 ]; then
    mapfile -t sizes < <(stat -c %s -- "${paths[@]}")
  else
    mapfile -t sizes < <(printf '%s\0' "${paths[@]}" | xargs -0 stat -c %s --)
  fi
  [ ${#sizes[@]} -eq ${#paths[@]} ] || fail commit "could not read the size of every file to commit"
  for ((at = 0; at < ${#paths[@]}; at++)); do
    added=${adds[at]} path=${paths[at]} size=${sizes[at]}
    if [ "$size" -gt 104857600 ]; then
      if git cat-file -e "HEAD:$path" 2>/dev/null; then
        git reset -q -- ":(literal)$path"
      else
        git rm -q --cached -- ":(literal)$path"
      fi
      escape "$path"
      say refused "$size" "$escaped"
    elif [ "$size" -gt 52428800 ]; then
      escape "$path"
      say large "$size" "$escaped"
    elif [ "$added" = - ]; then
      escape "$path"
      say binary "$size" "$escaped"
    fi
  done
}

# Sets $escaped to $1 with backslashes doubled and newlines as \n, so a path is one field of one
# report line. A variable, not printed: "$(escape ...)" would fork a subshell per path.
escape() {
  escaped=${1//\\/\\\\}
  escaped=${escaped//$'\n'/\\n}
}

# Every commit a command made ends up on the branch, wherever it made it: on a detached HEAD or
# on another local branch. Each such tip is brought onto the branch (fast-forward, or its own
# commits rebased on top; the first one starts an unborn branch); one that conflicts is pushed
# to a side branch. Either way the other local branch is then deleted, its work being on the
# branch or on GitHub, and the clone is left on the branch. Reported as
# "@brought <HEAD or branch> <commits>", "@side-branch ..." and "@dropped <branch>".
gather_work() {
  local tips=() name sha entry head_ref
  if ! head_ref=$(git symbolic-ref -q HEAD) && sha=$(git rev-parse -q --verify HEAD); then
    tips+=("HEAD $sha")
  fi
  for entry in "${local_branches[@]}"; do
    [ "${entry% *}" = "$branch" ] || tips+=("$entry")
  done
  if [ ${#tips[@]} -eq 0 ]; then
    [ "$head_ref" = "refs/heads/$branch" ] && return 0
    out=$(git checkout --quiet "$branch" 2>&1) || fail checkout "$out"
    return 0
  fi
  # HEAD detached where it is, so that moving a branch never leaves the work tree behind it.
  sha=$(git rev-parse -q --verify HEAD) && git update-ref --no-deref HEAD "$sha"
  if ! git rev-parse -q --verify "refs/heads/$branch" >/dev/null && git rev-parse -q --verify "$upstream" >/dev/null; then
    git update-ref "refs/heads/$branch" "$upstream"
  fi
  for entry in "${tips[@]}"; do bring_in "${entry% *}" "${entry#* }"; done
  out=$(git checkout --quiet "$branch" 2>&1) || fail checkout "$out"
  for entry in "${tips[@]}"; do
    name=${entry% *}
    [ "$name" = HEAD ] && continue
    git update-ref --no-deref -d "refs/heads/$name" && say dropped "$name"
  done
}

# Brings the commits of $2 (named $1) that the branch lacks onto the branch.
bring_in() {
  local name=$1 sha=$2 count
  if ! git rev-parse -q --verify "refs/heads/$branch" >/dev/null; then
    git update-ref "refs/heads/$branch" "$sha"
    say brought "$name" "$(git rev-list --count "$sha")"
    return 0
  fi
  git merge-base --is-ancestor "$sha" "refs/heads/$branch" && return 0
  count=$(git rev-list --count "refs/heads/$branch..$sha")
  if git merge-base --is-ancestor "refs/heads/$branch" "$sha"; then
    git update-ref "refs/heads/$branch" "$sha"
  else
    out=$(git checkout --quiet --detach "$sha" 2>&1) || fail checkout "$out"
    if ! git rebase --quiet "refs/heads/$branch" >/dev/null 2>&1; then
      conflicts=$(git diff --name-only --diff-filter=U)
      git rebase --abort >/dev/null 2>&1
      set_aside "$sha"
      return 0
    fi
    git update-ref "refs/heads/$branch" HEAD
  fi
  say brought "$name" "$count"
}

# A stash lives only in this clone, which goes with the container's disk: each entry is pushed
# to a side branch as one plain commit of its files (tracked and untracked, on the commit it was
# made on, so GitHub shows it as a change), and the stash is emptied. Reported as
# "@side-branch <side> <sha> stashed".
set_aside_stashes() {
  local entries entry parent base tree commit untracked index=$PWD/.git/ctx4-stash.index
  [ -n "${refs_now[refs/stash]:-}" ] || return 0
  # Its entries are the reflog of refs/stash; a ref without one (made by hand) is one entry.
  entries=$(git stash list --format=%H 2>/dev/null)
  [ -n "$entries" ] || entries=${refs_now[refs/stash]}
  while read -r entry; do
    # An entry without a tree was not made by git stash (a command set the ref): no work in it.
    GIT_INDEX_FILE=$index git read-tree "$entry^{tree}" 2>/dev/null || continue
    if untracked=$(git rev-parse -q --verify "$entry^3"); then
      git ls-tree -r -z "$untracked" | GIT_INDEX_FILE=$index git update-index -z --index-info ||
        fail stash "could not read a stash entry's untracked files"
    fi
    tree=$(GIT_INDEX_FILE=$index git write-tree) || fail stash "could not record a stash entry"
    rm -f "$index"
    base=()
    if parent=$(git rev-parse -q --verify "$entry^1"); then
      [ "$tree" = "$(git rev-parse "$parent^{tree}")" ] && continue
      base=(-p "$parent")
    fi
    commit=$(git commit-tree "${base[@]}" -m "Changes put away with git stash, kept by ctx4-ai" \
      -m "$(git log -1 --format=%s "$entry")" "$tree") || fail stash "could not commit a stash entry"
    conflicts=""
    set_aside "$commit" stashed
  done <<<"$entries"
  git update-ref -d refs/stash
}

fetch_remote() {
  if out=$(git fetch --quiet --no-tags origin 2>&1); then
    remote=present
  else
    case $out in
      *"couldn't find remote ref"*)
        # A proposal branch not made yet, or gone once approved or rejected: the base alone.
        if [ -n "$base" ]; then
          out=$(git fetch --quiet --no-tags origin "+refs/heads/$base:$base_ref" 2>&1) || fail fetch "$out"
          remote=absent
          git update-ref --no-deref -d "$upstream" 2>/dev/null
          say fetched "$remote"
          return 0
        fi
        # A branch GitHub had is gone (renamed or deleted): not an empty repo to start again.
        [ -z "${CTX4_KNOWN_UPSTREAM:-}" ] || fail branch-gone "GitHub has no branch $branch any more."
        # The Worker may have lost its record (an evicted object): GitHub having any branch says the same.
        heads=$(git ls-remote --heads origin 2>&1) || fail fetch "$heads"
        [ -z "$heads" ] || fail branch-gone "GitHub has no branch $branch any more."
        remote=absent
        git update-ref --no-deref -d "$upstream" 2>/dev/null
        ;;
      *) fail fetch "$out" ;;
    esac
  fi
  say fetched "$remote"
}

# Pushes commit $1 to a new side branch on GitHub, and keeps GitHub's view of it as
# origin/<side> (not a local branch: every local branch but ours is work to bring in). Reported
# as "@side-branch <side> <sha> <why>", $2 being why: conflict (the default), recovered or stashed.
# $conflicts: the paths that conflicted, one per line.
set_aside() {
  local commit=$1 side why=${2:-conflict} entry size sha path kept tree start base=()
  local index=$PWD/.git/ctx4-aside.index
  [ -n "${follow:-}" ] && git merge-base --is-ancestor "$follow" "$commit" 2>/dev/null && committed_aside=yes
  # Work that brings a file GitHub refuses could never be pushed: one commit of its files
  # without those, on where the work started from, goes instead, and each such file is kept in
  # the sandbox, out of the clone: "@kept-aside <bytes> <folder> <path>".
  find_refused "$commit" --not --remotes
  if [ ${#refused[@]} -gt 0 ]; then
    GIT_INDEX_FILE=$index git read-tree "$commit" || fail push-side-branch "could not read the work to set aside"
    mkdir -p ../lost+found && kept=$(mktemp -d "../lost+found/refused-$(date -u +%Y%m%d-%H%M%S)-XXXXXX") ||
      fail push-side-branch "could not keep the files GitHub refuses"
    for entry in "${refused[@]}"; do
      refused_entry "$entry"
      GIT_INDEX_FILE=$index git update-index --force-remove -- "$path"
      { [[ $path != */* ]] || mkdir -p -- "$kept/${path%/*}"; } && git cat-file blob "$sha" >"$kept/$path" ||
        fail push-side-branch "could not keep $path"
      escape "$path"
      say kept-aside "$size" "${kept#../}" "$escaped"
    done
    tree=$(GIT_INDEX_FILE=$index git write-tree) || fail push-side-branch "could not record the work to set aside"
    rm -f "$index"
    start=$(git merge-base "$commit" "$upstream" 2>/dev/null) && base=(-p "$start")
    commit=$(git commit-tree "${base[@]}" -m "Work set aside by ctx4-ai, without files over GitHub's 100 MB limit" "$tree") ||
      fail push-side-branch "could not commit the work to set aside"
  fi
  side=ctx4-ai/$why-$(date -u +%Y%m%d-%H%M%S)-$(git rev-parse --short "$commit")
  out=$(git push --quiet --no-thin origin "$commit:refs/heads/$side" 2>&1) || fail push-side-branch "$out"
  git update-ref "refs/remotes/origin/$side" "$commit"
  say side-branch "$side" "$commit" "$why"
  printf '%s\n' "$conflicts" | while IFS= read -r path; do [ -n "$path" ] && say conflict "$path"; done
}

integrate() {
  [ "$remote" = present ] || return 0
  if ! git rev-parse -q --verify HEAD >/dev/null; then
    out=$(git checkout --quiet -B "$branch" "$upstream" 2>&1) || fail checkout "$out"
    say integrated fast-forward
    return 0
  fi
  git merge-base --is-ancestor "$upstream" HEAD && return 0
  if git merge-base --is-ancestor HEAD "$upstream"; then
    out=$(git merge --quiet --ff-only "$upstream" 2>&1) || fail merge "$out"
    say integrated fast-forward
    return 0
  fi
  if out=$(git rebase --quiet "$upstream" 2>&1); then
    say integrated rebased
    return 0
  fi
  conflicts=$(git diff --name-only --diff-filter=U)
  git rebase --abort >/dev/null 2>&1
  set_aside "$(git rev-parse HEAD)"
  out=$(git reset --quiet --hard "$upstream" 2>&1) || fail reset "$out"
}

# A proposal is kept on top of its base: its own commits rebased onto GitHub's base branch when
# that moved, "@integrated rebased". When they conflict it stays where it was, based on an older
# base, "@base-conflict <path>" for each path that conflicts: the person sees that when approving.
onto_base() {
  [ -n "$base" ] && git rev-parse -q --verify "$base_ref" >/dev/null || return 0
  git merge-base --is-ancestor "$base_ref" HEAD && return 0
  if out=$(git rebase --quiet "$base_ref" 2>&1); then
    say integrated rebased
    return 0
  fi
  local path
  while IFS= read -r -d '' path; do escape "$path" && say base-conflict "$escaped"; done < <(git diff -z --name-only --diff-filter=U)
  git rebase --abort >/dev/null 2>&1
}

# Sets $refused to "<bytes> <blob> <path>" for each file over GitHub's 100 MiB limit ("About
# large files on GitHub") in the commits of `git rev-list "$@"`, each path as it is (newlines
# included: rev-list's own object names end at one, so paths are read from the trees, NUL-ended).
find_refused() {
  local type size sha commit entry path
  local -A big=() seen=()
  refused=()
  while read -r type size sha; do
    [ "$type" = blob ] && [ "$size" -gt 104857600 ] && big[$sha]=$size
  done < <(git rev-list --objects --no-object-names "$@" | git cat-file --batch-check='%(objecttype) %(objectsize) %(objectname)')
  [ ${#big[@]} -gt 0 ] || return 0
  while read -r commit; do
    # "<mode> <type> <blob>\t<path>"
    while IFS= read -r -d '' entry; do
      sha=${entry%%$'\t'*}
      sha=${sha##* }
      path=${entry#*$'\t'}
      [ -n "${big[$sha]:-}" ] && [ -z "${seen[$sha/$path]:-}" ] || continue
      seen[$sha/$path]=1
      refused+=("${big[$sha]} $sha $path")
    done < <(git ls-tree -r -z "$commit")
  done < <(git rev-list "$@")
}

# Splits an entry of $refused into $size, $sha and $path (`read` would stop at a newline).
refused_entry() {
  size=${1%% *}
  sha=${1#* }
  path=${sha#* }
  sha=${sha%% *}
}

# A command's own commits that bring a file GitHub refuses (over 100 MiB, even one deleted
# again) would fail this push and every later one. They are put together into one commit
# without such files, which stay in the clone uncommitted: "@refused <bytes> <path>" each,
# then "@flattened <commits>". Our own commits never hold one (check_files). Fails when there
# was nothing to put together.
flatten_refused() {
  local size sha path entry count subjects
  # $remote is present exactly when our record of GitHub's branch exists (main, fetch_remote).
  [ "$remote" = present ] || return 1
  find_refused "$upstream..HEAD"
  [ ${#refused[@]} -gt 0 ] || return 1
  subjects=$(git log --format='- %s' "$upstream..HEAD")
  count=$(git rev-list --count "$upstream..HEAD")
  git reset -q --soft "$upstream" || fail flatten "could not put the commits together"
  for entry in "${refused[@]}"; do
    refused_entry "$entry"
    git rm -q --cached --ignore-unmatch -- ":(literal)$path"
    escape "$path"
    say refused "$size" "$escaped"
  done
  if ! git diff --cached --quiet; then
    out=$(git commit --quiet --no-verify -m "Commits made by a command, put together without files over GitHub's 100 MB limit" \
      -m "$subjects" 2>&1) || fail commit "$out"
    [ -z "$committed" ] || follow=$(git rev-parse HEAD)
  else
    follow=""
  fi
  say flattened "$count"
}

publish() {
  attempts=0
  local lease=() tip
  while :; do
    tip=$(git rev-parse -q --verify HEAD) || return 0
    # A proposal holding nothing its base lacks proposes nothing: there is no branch to push.
    if [ -n "$base" ] && git rev-parse -q --verify "$base_ref" >/dev/null &&
      [ -z "$(git rev-list -n 1 HEAD --not "$base_ref")" ]; then
      return 0
    fi
    if [ "$remote" = present ] && git merge-base --is-ancestor HEAD "$upstream"; then
      # Behind GitHub with nothing of its own (a command reset the branch): commits on GitHub are
      # never removed, so the clone goes back to where GitHub's branch is.
      [ "$tip" = "$(git rev-parse "$upstream")" ] && return 0
      out=$(git merge --quiet --ff-only "$upstream" 2>&1) || fail merge "$out"
      say restored "$(git rev-parse HEAD)"
      return 0
    fi
    # Left with nothing but the files GitHub refuses: nothing to push.
    if [ "$attempts" -eq 0 ] && flatten_refused; then
      tip=$(git rev-parse HEAD)
      [ "$tip" != "$(git rev-parse "$upstream")" ] || return 0
    fi
    # A proposal branch is rebased as its base moves: replaced, but only from where we last saw it.
    [ -z "$base" ] || lease=("--force-with-lease=refs/heads/$branch:$(git rev-parse -q --verify "$upstream")")
    if out=$(git push --porcelain --no-thin "${lease[@]}" origin "HEAD:refs/heads/$branch" 2>&1); then
      git update-ref --no-deref "$upstream" "$tip"
      remote=present pushed=$tip
      say pushed "$tip"
      return 0
    fi
    attempts=$((attempts + 1))
    case $out in
      # Someone pushed in between: take their commits, put ours on top, try again.
      *"[rejected]"*) [ "$attempts" -lt 5 ] || fail push "$out"; fetch_remote; integrate ;;
      *) fail push "$out" ;;
    esac
  done
}

# Nothing goes to GitHub unread: every commit this sync could push (reachable from HEAD, a local
# branch, the stash or $recovered_ref, and not from GitHub's branch as last seen) is listed, and unless
# CTX4_CLEARED is the sha256 of that list (one sha and a newline each, as listed), the script
# prints what those commits add and stops before anything is pushed: "@scan-commit <sha>" each,
# then "@scan-begin <mark>", `git log -p` of them (each after "<mark> <sha> <its Ctx4-Client
# trailer>"; no context lines, renames followed, so a file
# moved or already on GitHub adds nothing; binary files are not shown; a stash's index and
# untracked files included; lines cut at 4096 bytes, the whole at 2 MiB, "@scan-cut" when cut),
# a newline and "@scan-end <mark>", and "@held". Every line of the diff starts with a diff
# marker, never "@": a file's text cannot pass for an event. The Worker scans it (secret-scan.ts).
gate() {
  local commits digest mark sha status=0
  # Tips that do not exist (no stash, an unborn HEAD, GitHub's branch not fetched yet) are left
  # out by git itself: one process, where asking for each took one more. A proposal's commits
  # are those its base lacks: the base's own are on GitHub already.
  commits=$(git rev-list --ignore-missing HEAD refs/stash "$recovered_ref" --branches \
    --not "$upstream" ${base:+"$base_ref"} 2>/dev/null) || fail scan "could not list the commits to push"
  [ -n "$commits" ] || return 0
  digest=$(sha256sum <<<"$commits")
  [ "${digest%% *}" = "${CTX4_CLEARED:-}" ] && return 0
  # 96 random bits from bash itself (SRANDOM, bash 5.1: the kernel's getrandom).
  printf -v mark '%08x%08x%08x' "$SRANDOM" "$SRANDOM" "$SRANDOM"
  while read -r sha; do say scan-commit "$sha"; done <<<"$commits"
  say scan-begin "$mark"
  # Lines cut at 4096 bytes by cut (it streams: a line of a 90 MB file is never held whole),
  # then the whole at 2 MiB by awk (bytes: LC_ALL=C), which ends with status 3 when it cut it;
  # any other failure stops the sync: nothing unread is pushed.
  git log -p --no-color --no-ext-diff --no-textconv --diff-merges=first-parent -M -U0 --no-walk=unsorted \
    --src-prefix=a/ --dst-prefix=b/ --format="$mark %H %(trailers:key=Ctx4-Client,valueonly,unfold,separator=%x20)" $commits 2>/dev/null |
    cut -b -4096 | LC_ALL=C awk -v left=2097152 '{
      line = $0 "\n"
      if (length(line) > left) { printf "%s", substr(line, 1, left); exit 3 }
      printf "%s", line
      left -= length(line)
    }' || status=$?
  printf '\n'
  say scan-end "$mark"
  case $status in
    0) ;;
    3) say scan-cut ;;
    *) fail scan "could not read the commits to push" ;;
  esac
  say held
  say_tips
  exit 0
}

# The files of a clone that had lost its git data (recover_files), once the gate let them
# through: pushed to a side branch, "@side-branch <side> <sha> recovered".
set_aside_recovered() {
  local commit=${refs_now[$recovered_ref]:-}
  [ -n "$commit" ] || return 0
  conflicts=""
  set_aside "$commit" recovered
  git update-ref -d "$recovered_ref"
}

# The Worker refused what the branch's unpushed commits add: they become uncommitted changes
# again on where the branch left GitHub's (the index keeps them), for the AI to fix and the
# next sync to commit anew. Commits on
# another local branch, a detached HEAD or the stash stay where they are: the gate keeps them
# from GitHub until they change.
hold() {
  local base
  # Recovered files are not in the work tree: they stay in the old clone, under lost+found/.
  git update-ref -d "$recovered_ref" 2>/dev/null
  read_state || set_up_again
  [ "$head_name" = "$branch" ] || return 0
  if git rev-parse -q --verify "$upstream" >/dev/null; then
    # Where the branch left GitHub's: the next sync commits the change anew there and rebases it.
    base=$(git merge-base "$upstream" HEAD) || return 0
    git reset -q --soft "$base" || fail hold "could not undo the unpushed commits"
  elif git rev-parse -q --verify HEAD >/dev/null; then
    git update-ref -d "refs/heads/$branch" || fail hold "could not undo the unpushed commits"
  fi
  say held
}

# Read mode: take GitHub's new commits only when that changes nothing of ours.
fast_forward_only() {
  [ "$remote" = present ] || return 0
  read_state || set_up_again
  [ "$changed" = no ] || return 0
  [ "$head_name" = "$branch" ] || return 0
  if ! git rev-parse -q --verify HEAD >/dev/null || git merge-base --is-ancestor HEAD "$upstream"; then
    git merge-base --is-ancestor "$upstream" HEAD 2>/dev/null && return 0
    out=$(git checkout --quiet -B "$branch" "$upstream" 2>&1) || fail checkout "$out"
    say integrated fast-forward
  fi
}

# The whole sync; set_up_again runs it once more on a fresh clone that holds recovered files.
main() {
  if ! is_our_clone; then
    clone
    # A web action goes on in the new clone; so do files recovered from the old clone, to the
    # gate, unless this sync may not push.
    case $CTX4_MODE in
      revert | bring-in | approve | reject) ;;
      read) exit 0 ;;
      *) git -C repo rev-parse -q --verify "$recovered_ref" >/dev/null || exit 0 ;;
    esac
  fi
  cd repo || fail cd "the clone is missing"
  configure || fail configure "could not write the clone's git config"
  # No git runs here but ours, so any lock is a leftover or a plant (one on a ref would make our
  # updates of it fail for good).
  find .git -path .git/objects -prune -o -name '*.lock' -type f -exec rm -f {} +
  # The branch and our record of GitHub's branch are plain refs: a symbolic one would send every
  # update of one to the other, and one git cannot read would fail every update. Symbolic refs
  # are always loose files, so bash spots them unaided.
  for ref in "$upstream" "refs/heads/$branch"; do
    if [ -L ".git/$ref" ] || [[ -f ".git/$ref" && $(<".git/$ref") == "ref: "* ]]; then
      target=$(git rev-parse -q --verify "$ref") && git update-ref --no-deref "$ref" "$target" ||
        git update-ref --no-deref -d "$ref"
    elif [[ -f ".git/$ref" && ! $(<".git/$ref") =~ ^[0-9a-f]{40}([0-9a-f]{24})?$ ]]; then
      rm -f ".git/$ref"
    fi
  done
  # Our record of GitHub's branch is the Worker's, not whatever a command moved it to (a record
  # moved onto a command's own commit would make that commit look pushed).
  # A plain ref file already holding it (the usual case: the ref files were checked above) needs no git.
  if [ -n "${CTX4_KNOWN_UPSTREAM:-}" ] &&
    ! [[ -f .git/$upstream && ! -L .git/$upstream && $(<".git/$upstream") == "$CTX4_KNOWN_UPSTREAM" ]]; then
    git update-ref --no-deref "$upstream" "$CTX4_KNOWN_UPSTREAM" 2>/dev/null ||
      git update-ref --no-deref -d "$upstream" 2>/dev/null
  fi
  trust_index
  if [ "$CTX4_MODE" = read ]; then
    fetch_remote
    fast_forward_only
  elif [ "$CTX4_MODE" = hold ]; then
    hold
  else
    committed="" follow="" committed_aside=no pushed=""
    commit_changes
    # The run before this one (held by the gate) made the commit: it is followed and reported as
    # if made now, so that where it lands is said.
    if [ -z "$committed" ] && [ -n "${CTX4_COMMITTED:-}" ] && git cat-file -e "${CTX4_COMMITTED}^{commit}" 2>/dev/null; then
      committed=$CTX4_COMMITTED follow=$CTX4_COMMITTED
      say committed "$committed"
      list_files "$committed"
    fi
    read_refs
    drop_broken_refs
    # After a command that changed nothing, on the branch, even with GitHub's as last seen, and
    # with no other local branch, no stash and none of our own refs: nothing to push.
    if [ "$CTX4_MODE" = push-only ] && [ -z "$committed" ] && [ "$head_name" = "$branch" ] &&
      [ "$head_ab" = "+0 -0" ] && [ "$other_refs" -eq 0 ]; then
      say upstream "$head_oid"
      say head "$head_oid"
      exit 0
    fi
    # Fetched first, so that a branch this clone does not have yet (GitHub's default branch was
    # renamed) starts from GitHub's, and the commits of the old one are seen as already there.
    if [ "$CTX4_MODE" != push-only ]; then
      fetch_remote
    elif [ -n "${refs_now[$upstream]:-}" ]; then
      remote=present
    else
      remote=absent
    fi
    gate
    set_aside_recovered
    set_aside_stashes
    gather_work
    [ "$CTX4_MODE" = push-only ] || { integrate; onto_base; }
    publish
    report_landed
    # The person's action from the web (scripts/web-actions.sh), on top of what is now on GitHub:
    # it adds nothing GitHub has not had (a revert, a side branch already there), so no gate.
    case $CTX4_MODE in revert | bring-in | approve | reject) web_action ;; esac
  fi
  say_tips
}

main
