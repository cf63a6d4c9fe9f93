/**
 * Client names as a person deciding whom to trust may see them: on the consent page and on /me.
 * Names come from a client's registration (`workers/client-registration.ts` cleans them before
 * the provider stores them) or from its Client ID Metadata Document, which the provider fetches
 * and stores as the client wrote it, so the pages clean whatever they show too.
 */

/**
 * Longest client name kept, in code points: real names are a few words ("Claude Code",
 * "Visual Studio Code - Insiders"), and the consent page's heading ("Allow … to use your
 * memory?") must stay readable on a phone, with what follows it still on screen.
 */
export const MAX_CLIENT_NAME_LENGTH = 100;

/**
 * Characters that show nothing or change how the rest reads: every format character (Cf: the
 * bidirectional controls of UAX #9, zero-width spaces and joiners, the soft hyphen, tag
 * characters), every default-ignorable one (Hangul fillers, variation selectors), and the
 * blank braille pattern.
 */
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]/gu;

/**
 * A client name as the consent page may show it: invisible characters removed (they can make a
 * name read as something else, or as nothing: Unicode TR #36, "Bidirectional Text Spoofing"),
 * C0 and C1 controls and runs of whitespace (line breaks included) as one space, trimmed, and
 * cut to {@link MAX_CLIENT_NAME_LENGTH} code points, ending in "…" where cut. Empty when
 * nothing is left, and the consent page then shows the client id instead.
 */
export function cleanClientName(name: string): string {
  const plain = name
    .replace(INVISIBLE, "")
    .replace(/[\p{Cc}\s]+/gu, " ")
    .trim();
  const codePoints = Array.from(plain);
  if (codePoints.length <= MAX_CLIENT_NAME_LENGTH) return plain;
  return `${codePoints
    .slice(0, MAX_CLIENT_NAME_LENGTH - 1)
    .join("")
    .trimEnd()}…`;
}
