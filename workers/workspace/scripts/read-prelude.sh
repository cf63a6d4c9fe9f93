# Put before the scripts that read the clone with git for a read tool (search.sh, history.sh).
# A read never changes the clone, never runs a program the repo or a command could have named,
# and never reaches the network. Every file in the sandbox is hostile input: a command may have
# written any of them, .git/config included (it is rewritten only by our next sync).
# Without a clone (or with repo or its .git not a real folder), exit 3: the Worker sets one up
# and asks again.
if [ -L repo ] || [ ! -d repo ] || [ -L repo/.git ] || [ ! -d repo/.git ] || ! cd repo 2>/dev/null; then exit 3; fi
export GIT_DIR=.git GIT_WORK_TREE=. GIT_CEILING_DIRECTORIES=${PWD%/*}
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_TERMINAL_PROMPT=0 GIT_NO_REPLACE_OBJECTS=1
export GIT_OPTIONAL_LOCKS=0 GIT_PAGER=cat PAGER=cat LC_ALL=C.UTF-8
unset GIT_ASKPASS SSH_ASKPASS GIT_SSH GIT_SSH_COMMAND GIT_PROXY_COMMAND GIT_EXEC_PATH GIT_TEMPLATE_DIR \
  GIT_EXTERNAL_DIFF GIT_ALTERNATE_OBJECT_DIRECTORIES GIT_OBJECT_DIRECTORY GIT_INDEX_FILE GIT_NAMESPACE
# Whatever the repo's config says: no fsmonitor or hooks, no transport at all (a partial clone
# would fetch a missing blob lazily), no signature checks (gpg), no rewritten log encoding,
# no commit-graph (it can claim other parents), no nested repositories.
export GIT_CONFIG_COUNT=13 \
  GIT_CONFIG_KEY_0=core.hooksPath GIT_CONFIG_VALUE_0=/dev/null \
  GIT_CONFIG_KEY_1=core.fsmonitor GIT_CONFIG_VALUE_1=false \
  GIT_CONFIG_KEY_2=protocol.allow GIT_CONFIG_VALUE_2=never \
  GIT_CONFIG_KEY_3=log.showSignature GIT_CONFIG_VALUE_3=false \
  GIT_CONFIG_KEY_4=i18n.logOutputEncoding GIT_CONFIG_VALUE_4=UTF-8 \
  GIT_CONFIG_KEY_5=core.commitGraph GIT_CONFIG_VALUE_5=false \
  GIT_CONFIG_KEY_6=core.attributesFile GIT_CONFIG_VALUE_6=/dev/null \
  GIT_CONFIG_KEY_7=submodule.recurse GIT_CONFIG_VALUE_7=false \
  GIT_CONFIG_KEY_8=grep.threads GIT_CONFIG_VALUE_8=0 \
  GIT_CONFIG_KEY_9=diff.noprefix GIT_CONFIG_VALUE_9=false \
  GIT_CONFIG_KEY_10=diff.mnemonicPrefix GIT_CONFIG_VALUE_10=false \
  GIT_CONFIG_KEY_11=color.ui GIT_CONFIG_VALUE_11=false \
  GIT_CONFIG_KEY_12=core.quotePath GIT_CONFIG_VALUE_12=true

