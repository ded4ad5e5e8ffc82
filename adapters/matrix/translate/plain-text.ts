import { sanitizeMatrixHtml } from './sanitize.ts'

/**
 * Plain text from Matrix HTML, for bodies that must be read without HTML (an email's text
 * part, a network without formatting, a message whose `body` is empty). Paragraphs become
 * blank-line separated, `<br>` a line break, list items `- ` or `1. `, quotes `> ` lines,
 * links `text (url)` (user pills just their name), images their alt text.
 *
 * The input is sanitized first, which also makes it regular enough to read with a small
 * tokenizer: every `<` then opens an allowed tag, attribute values are double-quoted, and
 * the only entities left are `&amp;`, `&lt;`, `&gt;` and `&quot;`.
 */
export function htmlToPlainText(html: string): string {
  const renderer = new Renderer()
  for (const m of sanitizeMatrixHtml(html).matchAll(TOKEN)) {
    const [, closing, tag, attributes, text] = m
    if (text !== undefined) renderer.text(decode(text))
    else if (closing) renderer.close(tag as string)
    else renderer.open(tag as string, parseAttributes(attributes ?? ''))
  }
  return renderer.result()
}

const TOKEN = /<(\/?)([a-z0-9]+)((?:\s+[a-z-]+(?:="[^"]*")?)*)\s*\/?>|([^<]+)/g
const ATTRIBUTE = /([a-z-]+)(?:="([^"]*)")?/g
// Blocks set apart by a blank line; other blocks start on a line of their own.
const PARAGRAPHS = new Set(['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'pre', 'blockquote', 'table', 'details'])
const LINES = new Set(['div', 'tr', 'summary', 'caption', 'li'])
const LISTS = new Set(['ul', 'ol'])
const PILL = /^(https:\/\/matrix\.to\/#\/@|matrix:u\/)/

function parseAttributes(raw: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [, name, value] of raw.matchAll(ATTRIBUTE)) out[name as string] = decode(value ?? '')
  return out
}

function decode(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
}

interface Open {
  readonly tag: string
  /** Where the element's text starts in the output, for quotes and links to rewrite it. */
  readonly start: number
  readonly href?: string
  /** The next item number of an `ol`, the next cell index of a `tr`. */
  count: number
}

class Renderer {
  private out = ''
  private readonly stack: Open[] = []
  private pre = 0

  open(tag: string, attributes: Record<string, string>): void {
    if (PARAGRAPHS.has(tag) || (LISTS.has(tag) && !this.inside('li'))) this.paragraph()
    else if (LINES.has(tag) || LISTS.has(tag)) this.newline()
    if (tag === 'pre') this.pre++
    if (tag === 'li') this.out += this.marker()
    if ((tag === 'td' || tag === 'th') && this.top('tr')) {
      const row = this.top('tr') as Open
      if (row.count++ > 0) this.out += ' | '
    }
    if (tag === 'br') this.out += '\n'
    else if (tag === 'hr') {
      this.paragraph()
      this.out += '---'
      this.paragraph()
    } else if (tag === 'img') this.text(attributes.alt || attributes.title || '[image]')
    else {
      const count = tag === 'ol' ? Number(attributes.start ?? '1') : 0
      this.stack.push({
        tag,
        start: this.out.length,
        count,
        ...(tag === 'a' ? { href: attributes.href } : {}),
      })
    }
  }

  close(tag: string): void {
    const at = this.stack.findLastIndex((o) => o.tag === tag)
    if (at < 0) return
    const [frame] = this.stack.splice(at) as [Open]
    if (tag === 'pre') this.pre--
    if (tag === 'a') this.link(frame)
    if (tag === 'blockquote') this.quote(frame)
    if (PARAGRAPHS.has(tag) || (LISTS.has(tag) && !this.inside('li'))) this.paragraph()
    else if (LINES.has(tag) || LISTS.has(tag)) this.newline()
  }

  text(text: string): void {
    if (this.pre > 0) {
      this.out += text
      return
    }
    // Outside <pre>, runs of white space render as one space (HTML's own rule).
    let collapsed = text.replace(/[ \t\n\r\f]+/g, ' ')
    if (this.out === '' || this.out.endsWith('\n')) collapsed = collapsed.trimStart()
    this.out += collapsed
  }

  result(): string {
    return this.out
      .replace(/[ \t]+\n/g, '\n')
      .replace(/\n{3,}/g, '\n\n')
      .replace(/^\n+|\s+$/g, '')
  }

  private link(frame: Open): void {
    const text = this.out.slice(frame.start).trim()
    const href = frame.href ?? ''
    if (href === '' || PILL.test(href) || text === href || `mailto:${text}` === href) return
    this.out += text === '' ? href : ` (${href})`
  }

  private quote(frame: Open): void {
    const inner = this.out.slice(frame.start).replace(/^\n+|\n+$/g, '')
    const quoted = inner
      .split('\n')
      .map((line) => (line === '' ? '>' : `> ${line}`))
      .join('\n')
    this.out = this.out.slice(0, frame.start) + quoted
  }

  private marker(): string {
    const list = this.stack.findLast((o) => LISTS.has(o.tag))
    const depth = this.stack.filter((o) => LISTS.has(o.tag)).length
    const indent = '  '.repeat(Math.max(0, depth - 1))
    return list?.tag === 'ol' ? `${indent}${list.count++}. ` : `${indent}- `
  }

  private newline(): void {
    this.out = this.out.replace(/ +$/, '')
    if (this.out !== '' && !this.out.endsWith('\n')) this.out += '\n'
  }

  private paragraph(): void {
    this.newline()
    if (this.out !== '' && !this.out.endsWith('\n\n')) this.out += '\n'
  }

  private inside(tag: string): boolean {
    return this.stack.some((o) => o.tag === tag)
  }

  private top(tag: string): Open | undefined {
    return this.stack.findLast((o) => o.tag === tag)
  }
}
