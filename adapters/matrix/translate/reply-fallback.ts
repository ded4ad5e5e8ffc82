/**
 * Removes the plain-text reply fallback older clients put at the top of a reply's `body`:
 *
 *     > <@alice:example.org> the message replied to
 *     > its second line
 *
 *     the reply
 *
 * Matrix dropped these fallbacks in v1.13; clients from before still send them. Only a
 * block that opens with the fallback's own `> <@sender>` (or `> * <@sender>` for an emote)
 * line is removed, so a reply that merely starts with a quote of the user's own keeps it.
 * The HTML twin, `<mx-reply>…</mx-reply>`, is removed by the sanitizer.
 */
export function stripReplyFallback(body: string): string {
  const lines = body.split('\n')
  if (!FALLBACK_HEAD.test(lines[0] ?? '')) return body
  let i = 0
  while (i < lines.length && (lines[i] as string).startsWith('>')) i++
  if (lines[i] === '') i++
  return lines.slice(i).join('\n')
}

const FALLBACK_HEAD = /^> (\* )?<@[^>\s]+>/
