# What the person does to the memory from the web pages: revert one commit of the branch
# (CTX4_MODE=revert), bring in a side branch ctx4-ai made (CTX4_MODE=bring-in), approve a
# client's proposal (CTX4_MODE=approve: brought in as a side branch is, then its branch and
# proposal clone removed) or reject it (CTX4_MODE=reject: branch and clone removed). Put before
# sync.sh, whose helpers these use, and run by it once the clone is in step with GitHub and
# everything of its own is pushed: one commit is made on top of the branch, authored by the bot,
# and pushed as every commit is (rebased when GitHub moved meanwhile, set aside on a side branch
# when that conflicts). Nothing here changes the branch when it refuses or finds a conflict.
# In:  CTX4_REVERT (a full commit id) or CTX4_SIDE_BRANCH (ctx4-ai/<why>-<date>-<time>-<sha>, or for
#      approve and reject ctx4-ai/review-<key>; its clone is ../proposals/<key>),
#      CTX4_TRAILERS (the trailer lines that end the commit's message).
# Out: "@action refused <unknown|not-on-branch|initial|merge|no-such-branch>",
#      "@action nothing <already>", "@action conflict" and one "@action-conflict <path>" each,
#      or "@acted <sha>" with its "@file" lines, then "@landed" when the push rebased it and
#      "@action set-aside" when it went to a side branch instead; "@proposal-closed" once a
#      proposal's branch is deleted.

web_action() {
  case $CTX4_MODE in
    revert) revert_commit || return 0 ;;
    bring-in) bring_in_side || return 0 ;;
    # Work already on the branch: the proposal has nothing left to approve.
    approve) bring_in_side || { [ "$already" = yes ] && close_proposal; return 0; } ;;
    reject)
      close_proposal
      return 0
      ;;
  esac
  if git diff --cached --quiet; then
    git reset -q --merge
    say action nothing already
    [ "$CTX4_MODE" = approve ] && close_proposal
    return 0
  fi
  out=$(git commit --quiet --no-verify -m "$action_message" 2>&1) || fail commit "$out"
  committed=$(git rev-parse HEAD) follow=$committed committed_aside=no
  say acted "$committed"
  list_files "$committed"
  publish
  report_landed
  [ "$committed_aside" = no ] || say action set-aside
  # Approved and landed: the proposal is done. Set aside (GitHub's branch moved and conflicts): it stays.
  [ "$committed_aside" = no ] && [ "$CTX4_MODE" = approve ] && close_proposal
}

# Deletes the proposal's branch on GitHub (the route lets this one sync delete exactly that
# branch) and its clone in the sandbox: what it held is on the branch now, or was rejected.
close_proposal() {
  local side=$CTX4_SIDE_BRANCH
  if [[ ! $side =~ ^ctx4-ai/review-([0-9a-f]{16})$ ]]; then
    say action refused no-such-branch
    return 0
  fi
  rm -rf -- "../proposals/${BASH_REMATCH[1]}"
  out=$(git push --quiet origin --delete "refs/heads/$side" 2>&1) || case $out in
    *"remote ref does not exist"*) ;;
    *) fail delete-proposal "$out" ;;
  esac
  git update-ref -d "refs/remotes/origin/$side" 2>/dev/null
  say proposal-closed "$side"
}

# Stages the revert of $CTX4_REVERT and sets $action_message; fails (after saying why) when
# there is nothing to commit: a commit that is not the branch's, or whose revert conflicts.
revert_commit() {
  local sha=$CTX4_REVERT parents subject
  if [[ ! $sha =~ ^[0-9a-f]{40}([0-9a-f]{24})?$ ]] || ! git cat-file -e "$sha^{commit}" 2>/dev/null; then
    say action refused unknown
    return 1
  fi
  if ! git rev-parse -q --verify HEAD >/dev/null || ! git merge-base --is-ancestor "$sha" HEAD; then
    say action refused not-on-branch
    return 1
  fi
  read -ra parents <<<"$(git rev-list --parents -n 1 "$sha")"
  case ${#parents[@]} in
    1) say action refused initial && return 1 ;;
    2) ;;
    *) say action refused merge && return 1 ;;
  esac
  if ! git revert --no-commit "$sha" >/dev/null 2>&1; then
    undo_conflict
    return 1
  fi
  subject=$(git log -1 --format=%s "$sha")
  action_message=$(printf 'Revert "%s"\n\nThis reverts commit %s.\nReverted from the web by the person.\n\n%s' \
    "$subject" "$sha" "$CTX4_TRAILERS")
}

# Stages the work of side branch $CTX4_SIDE_BRANCH (fetched from GitHub) as one change on top of
# the branch, a squash merge: one commit to read, and to revert. Sets $action_message.
bring_in_side() {
  local side=$CTX4_SIDE_BRANCH tip subjects
  already=no
  if [[ ! $side =~ ^ctx4-ai/((conflict|recovered|stashed)-[0-9]{8}-[0-9]{6}-[0-9a-f]{7,64}|review-[0-9a-f]{16})$ ]] ||
    [[ $CTX4_MODE = approve && $side != ctx4-ai/review-* ]] || [[ $CTX4_MODE = bring-in && $side = ctx4-ai/review-* ]]; then
    say action refused no-such-branch
    return 1
  fi
  if ! out=$(git fetch --quiet --no-tags origin "+refs/heads/$side:refs/remotes/origin/$side" 2>&1); then
    case $out in
      *"couldn't find remote ref"*) say action refused no-such-branch && return 1 ;;
      *) fail fetch "$out" ;;
    esac
  fi
  tip=$(git rev-parse "refs/remotes/origin/$side")
  if git rev-parse -q --verify HEAD >/dev/null && git merge-base --is-ancestor "$tip" HEAD; then
    say action nothing already
    already=yes
    return 1
  fi
  if ! git merge --squash --no-commit "$tip" >/dev/null 2>&1; then
    undo_conflict
    return 1
  fi
  subjects=$(git log --format='- %s' "HEAD..$tip" 2>/dev/null | head -n 20)
  if [ "$CTX4_MODE" = approve ]; then
    action_message=$(printf 'Approve %s\n\nA proposal of %s, approved onto %s from the web by the person:\n%s\n\n%s' \
      "$side" "$(git log -1 --format='%(trailers:key=Ctx4-Client,valueonly,unfold)' "$tip" | head -n 1)" "$branch" "$subjects" "$CTX4_TRAILERS")
  else
    action_message=$(printf 'Bring in %s\n\nWork ctx4-ai had set aside on %s, brought onto %s from the web by the person:\n%s\n\n%s' \
      "$side" "$side" "$branch" "$subjects" "$CTX4_TRAILERS")
  fi
}

# A revert or merge that conflicts: the paths are said, and the clone goes back to the branch.
undo_conflict() {
  local path
  say action conflict
  while IFS= read -r -d '' path; do escape "$path" && say action-conflict "$escaped"; done < <(git diff -z --name-only --diff-filter=U)
  git reset -q --merge || fail reset "could not undo the conflicting change"
}
