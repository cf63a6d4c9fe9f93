import Markdown, { type Components } from "react-markdown";

/**
 * Markdown from the repo, which is hostile: react-markdown builds React elements from the
 * Markdown syntax tree and drops raw HTML (no rehype-raw), and its default URL check drops
 * `javascript:` and other unsafe links. Images are shown as their alt text, so a note cannot
 * make the browser fetch an address of its choosing.
 */
const components: Components = {
  img: ({ alt }) => <span className="text-stone-500">[image{alt ? `: ${alt}` : ""}]</span>,
  a: ({ href, children }) => (
    <a href={href} rel="nofollow noreferrer noopener" className="underline underline-offset-4">
      {children}
    </a>
  ),
};

/** YAML front matter (between `---` lines at the top), shown apart so Markdown does not mangle it. */
function splitFrontMatter(text: string): { frontMatter: string | null; body: string } {
  const found = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(text);
  return found ? { frontMatter: found[1] ?? "", body: text.slice(found[0].length) } : { frontMatter: null, body: text };
}

/** Whether a path names a Markdown file. */
export const isMarkdownPath = (path: string) => /\.(md|markdown)$/i.test(path);

/** A Markdown note of the memory, rendered safely, its front matter shown as text above it. */
export function MemoryMarkdown({ text }: { text: string }) {
  const { frontMatter, body } = splitFrontMatter(text);
  return (
    <>
      {frontMatter !== null ? (
        <pre className="rounded-md bg-stone-100 p-3 text-xs whitespace-pre-wrap break-words">{frontMatter}</pre>
      ) : null}
      <div className="markdown">
        <Markdown components={components}>{body}</Markdown>
      </div>
    </>
  );
}
