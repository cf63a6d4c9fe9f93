/**
 * Where GoTrue may send a browser after `/verify`: a URL on the site URL's host, or one
 * matching an entry of the redirect allow-list (GoTrue's globs: `*` stays within one
 * `.`- or `/`-separated part, `**` spans any number). Anything else falls back to the site URL.
 */
export type RedirectPolicy = { pick(...candidates: (string | null | undefined)[]): string };

export function createRedirectPolicy(siteUrl: string, allowList: readonly string[]): RedirectPolicy {
  const siteHost = new URL(siteUrl).hostname;
  const patterns = allowList.map(globToRegExp);
  const allowed = (candidate: string) => {
    let url: URL;
    try {
      url = new URL(candidate);
    } catch {
      return false;
    }
    if ((url.protocol === "http:" || url.protocol === "https:") && url.hostname === siteHost) return true;
    return patterns.some((pattern) => pattern.test(candidate));
  };
  return {
    pick(...candidates) {
      return candidates.find((candidate): candidate is string => !!candidate && allowed(candidate)) ?? siteUrl;
    },
  };
}

function globToRegExp(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i] as string;
    if (char === "*" && glob[i + 1] === "*") {
      source += ".*";
      i++;
    } else if (char === "*") {
      source += "[^./]*";
    } else if (char === "?") {
      source += "[^./]";
    } else {
      source += char.replace(/[\\^$.|+()[\]{}]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}$`);
}
