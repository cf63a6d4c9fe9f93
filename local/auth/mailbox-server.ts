import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { isLoopbackHost } from "../guard";
import { escapeHtml } from "./emails";
import { requestUrl, sendJson } from "./http";
import type { Mailbox, MailMessage } from "./mailbox";

const messagesQuery = z.object({ to: z.string().min(1).optional() });

/**
 * The mailbox is for a person's browser, so it has no secret; the loopback Host check keeps
 * other sites (DNS rebinding) out. `GET /` is the page, `/api/messages` the JSON for tests.
 */
export function createMailboxHandler(mailbox: Mailbox) {
  return (request: IncomingMessage, response: ServerResponse) => {
    if (!isLoopbackHost(request.headers.host)) {
      return sendJson(response, 403, { message: "Only loopback hosts may open the mailbox." });
    }
    const url = requestUrl(request);
    if (url.pathname === "/" && request.method === "GET") {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page(mailbox.list()));
      return;
    }
    if (url.pathname !== "/api/messages") return sendJson(response, 404, { message: "Not found" });
    const query = messagesQuery.safeParse(Object.fromEntries(url.searchParams));
    if (!query.success) return sendJson(response, 400, { message: "`to` must be an email address." });
    if (request.method === "GET") return sendJson(response, 200, mailbox.list(query.data.to));
    if (request.method === "DELETE") {
      mailbox.clear(query.data.to);
      return void response.writeHead(204).end();
    }
    sendJson(response, 405, { message: "Method not allowed" });
  };
}

function page(messages: MailMessage[]): string {
  const items = messages.map(
    (message) => `<article>
  <h2>${escapeHtml(message.subject)}</h2>
  <p class="meta">To ${escapeHtml(message.to)} · ${escapeHtml(message.createdAt)}</p>
  <ul>${message.links.map((link) => `<li><a href="${escapeHtml(link)}">${escapeHtml(link)}</a></li>`).join("")}</ul>
  <pre>${escapeHtml(message.text)}</pre>
</article>`,
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="5">
<title>Local mailbox</title>
<link rel="icon" href="data:,">
<style>
  body { font: 15px/1.5 system-ui, sans-serif; max-width: 50rem; margin: 2rem auto; padding: 0 1rem; }
  article { border: 1px solid #ccc; border-radius: 6px; padding: 0 1rem; margin: 1rem 0; }
  .meta { color: #555; } a { word-break: break-all; } pre { white-space: pre-wrap; }
</style>
</head>
<body>
<h1>Local mailbox</h1>
<p>Emails sent by the local auth emulator, newest first. This page reloads every 5 seconds.</p>
${items.join("\n") || "<p>No messages yet.</p>"}
</body>
</html>
`;
}
