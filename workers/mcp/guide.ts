/**
 * What every AI reads first (ctx_instructions): how a ctx repo is organised and how to use
 * the tools. The person's own instructions and context follow it.
 */
export const GUIDE = `# Your memory: the ctx repository

You have a persistent memory: a private GitHub repository that belongs to the person you are
helping. It outlives this conversation and is shared by every AI assistant they use. Read it
before you answer; write to it when you learn something worth keeping.

## How it is organised

- \`resources/instructions.md\`: how the person wants you to work. Follow it.
- \`resources/context.md\`: who they are and what they are doing now. Keep it current and short.
- \`resources/<topic>.md\`: one file per topic (projects, people, preferences…), each starting
  with front matter:
  \`\`\`
  ---
  name: projects
  description: The projects I am working on and their status
  ---
  \`\`\`
  The description says when the file is worth reading; the index below lists them all.
- \`skills/<name>/SKILL.md\`: a procedure to follow for a recurring task, with the same front
  matter. Read the whole file before using a skill.
- \`knowledge/\`: longer reference material, one topic per file, read when needed.

## How to use the tools

- \`ctx_instructions\` (this): call it at the start of a conversation.
- \`ctx_read\`: reads one file (numbered lines; \`startLine\` and \`endLine\` for long ones) or
  lists a folder, without changing anything.
- \`ctx_bash\`: runs one bash command in the root of a clone of the repository. Read with
  \`cat\`, \`ls\`, \`grep -rn\`, \`git log\`; write with heredocs (\`cat > file <<'EOF'\`), \`sed -i\`,
  \`mv\`, \`rm\`. Pass a short \`comment\` saying why: it becomes the commit message.
- Every command that changes files is committed and pushed to GitHub on its own, as
  ctx4-ai[bot]. Do not run \`git commit\`, \`git push\` or \`git pull\` yourself; the clone is kept
  in step with GitHub for you, and commands cannot reach GitHub or the internet (\`git fetch\`
  and \`git push\` fail there). Everything stays in git history, so mistakes can be undone.
- Background jobs end with the command that started them.
- If someone changed the same lines on GitHub meanwhile, your change is not lost: it is pushed
  to a side branch the result names, and the clone follows GitHub again. Tell the person.
- Commands stop after 60 seconds unless you pass a longer \`timeoutSeconds\`, and output is cut
  after about 50 KB per stream: prefer \`head\`, \`grep\` and \`wc\` over printing large files.

## Good habits

- Keep files small and specific; update an existing file rather than adding a near-copy.
- Write facts the person told you or confirmed, not guesses. Date things that will go stale.
- Never store passwords, tokens or other secrets in the repository.
`;

/** The onboarding prompt: sets up an empty repository, then starts getting to know the person. */
export const ONBOARDING_PROMPT = `Set up my ctx memory repository and get to know me.

1. Call ctx_instructions to see what the repository holds.
2. If resources/instructions.md or resources/context.md is missing, create what is missing with
   ctx_bash in one command (comment: "Set up the memory repository"):
   - resources/instructions.md: a short list of how to work with me (start with: read
     resources/context.md first; keep notes short; ask before deleting anything).
   - resources/context.md: a "# Context" heading and an empty "## About me" section.
   - resources/projects.md and resources/preferences.md, each with name/description front matter.
   - skills/README.md: one line saying each skill lives in skills/<name>/SKILL.md.
   - knowledge/README.md: one line saying longer notes live here, one topic per file.
   Do not overwrite files that already exist.
3. Then ask me, one or two at a time: what should you call me, what do I do, what am I working
   on now, and how do I like answers written. Save each answer to the right file as we go.`;

/** Sent to every client in `initialize`: the one thing a model must know before the tools. */
export const SERVER_INSTRUCTIONS =
  "This server is the person's memory: a private GitHub repository they own. Call ctx_instructions at the start of every conversation, before answering, and follow what it returns.";
