// The small HTML page a browser lands on when single sign-on cannot finish: it names the reason
// (the provider's error included) and links back to the sign-in page. Everything shown is escaped.
import type { FastifyReply } from "fastify";

const MAX_REASON = 500;

export function errorPage(
  reply: FastifyReply,
  status: 401 | 502 | 503,
  title: string,
  reason: string,
): FastifyReply {
  const shown = reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON)}…` : reason;
  const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)} — GMS Management UI — Callback</title></head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
<p role="alert">${escapeHtml(shown)}</p>
<p><a href="/">Back to the sign-in page</a></p>
</main>
</body>
</html>
`;
  return reply
    .code(status)
    .header("content-type", "text/html; charset=utf-8")
    .header("content-security-policy", "default-src 'none'")
    .send(html);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${String(char.charCodeAt(0))};`);
}
