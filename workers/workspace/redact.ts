/**
 * GitHub's token formats (installation `ghs_`, user `ghu_`, OAuth `gho_`, refresh `ghr_`,
 * personal `ghp_` and fine-grained `github_pat_`), whoever's they are: anything shaped like
 * one is hidden from tool output, not only the token we hold.
 */
const TOKEN_SHAPED = /\b(?:gh[opusr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g;

export const REDACTED = "[redacted token]";

/** `text` with the given secrets and anything token-shaped replaced. */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let redacted = text;
  for (const secret of secrets) if (secret.length >= 8) redacted = redacted.replaceAll(secret, REDACTED);
  return redacted.replace(TOKEN_SHAPED, REDACTED);
}
