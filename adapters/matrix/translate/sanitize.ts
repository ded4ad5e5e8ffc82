import sanitizeHtml from 'sanitize-html'
import { isMxcUri } from './mxc.ts'

/**
 * HTML cleaning for `org.matrix.custom.html` bodies, both ways: what a Matrix user sends is
 * untrusted on the far side, and what arrives from another network is untrusted in Matrix.
 *
 * The allow-list is the set of tags the Matrix spec recommends clients permit (with `s`
 * beside the deprecated `strike`), and only the attributes it lists for them. Values are
 * checked too: colours are `#rrggbb`, sizes digits, `code` classes `language-*`, images
 * `mxc://` only (an `http` image would be fetched from a host of the sender's choosing by
 * every reader), links `http`, `https`, `mailto` or `matrix:` (so no `javascript:`, `data:`,
 * nor relative links that resolve against a client's own origin). `<mx-reply>` blocks —
 * old clients' reply fallbacks — are removed with all they hold: the bridge carries the
 * reply as a relation instead.
 */

const TAGS = [
  'font',
  'del',
  's',
  'strike',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'blockquote',
  'p',
  'a',
  'ul',
  'ol',
  'sup',
  'sub',
  'li',
  'b',
  'i',
  'u',
  'strong',
  'em',
  'code',
  'hr',
  'br',
  'div',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
  'caption',
  'pre',
  'span',
  'img',
  'details',
  'summary',
]

const LINK_SCHEMES = ['http', 'https', 'mailto', 'matrix']
const LINK = /^(https?:\/\/|mailto:|matrix:)/i
const COLOUR = /^#[0-9a-fA-F]{6}$/
const DIGITS = /^\d{1,5}$/

/** Keeps the named attributes only when their value matches `pattern`. */
function checked(pattern: RegExp, names: readonly string[]): sanitizeHtml.Transformer {
  return (tagName, attribs) => {
    const kept: sanitizeHtml.Attributes = {}
    for (const [name, value] of Object.entries(attribs))
      if (!names.includes(name) || pattern.test(value)) kept[name] = value
    return { tagName, attribs: kept }
  }
}

const COLOURS = ['color', 'data-mx-color', 'data-mx-bg-color']

const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: TAGS,
  allowedAttributes: {
    font: COLOURS,
    span: ['data-mx-color', 'data-mx-bg-color', 'data-mx-spoiler', 'data-mx-maths'],
    div: ['data-mx-maths'],
    a: ['href', 'target'],
    img: ['src', 'alt', 'title', 'width', 'height'],
    ol: ['start'],
  },
  allowedClasses: { code: ['language-*'] },
  allowedSchemes: LINK_SCHEMES,
  allowedSchemesByTag: { img: ['mxc'] },
  allowedSchemesAppliedToAttributes: ['href', 'src'],
  allowProtocolRelative: false,
  // Content of these is dropped with the tag (the defaults, plus the reply fallback).
  nonTextTags: ['script', 'style', 'textarea', 'option', 'xmp', 'noscript', 'title', 'mx-reply'],
  disallowedTagsMode: 'discard',
  // No style attribute is allowed, so there is nothing for the CSS parser to do.
  parseStyleAttributes: false,
  // The spec's recommended nesting limit; deeper tags are dropped, their text kept.
  nestingLimit: 100,
  transformTags: {
    font: checked(COLOUR, COLOURS),
    span: checked(COLOUR, COLOURS),
    a: checked(/^_blank$/, ['target']),
    img: checked(DIGITS, ['width', 'height']),
    ol: checked(DIGITS, ['start']),
  },
  exclusiveFilter: (frame) => {
    // An image without an mxc source shows nothing useful: drop it whole.
    if (frame.tag === 'img') return !isMxcUri(frame.attribs.src)
    // A link whose target was refused keeps its text, loses the tag.
    if (frame.tag === 'a') return LINK.test(frame.attribs.href ?? '') ? false : 'excludeTag'
    return false
  },
}

/**
 * Cleans untrusted HTML to the Matrix allow-list. Pure and total: any string in, a string
 * out (possibly empty); it never throws. Text is escaped (`&`, `<`, `>`), attribute values
 * are double-quoted with `"` escaped, so every `<` in the result opens an allowed tag.
 *
 * @example
 *   sanitizeMatrixHtml('<b onclick="x()">hi</b><script>alert(1)</script>') // '<b>hi</b>'
 */
export function sanitizeMatrixHtml(html: string): string {
  return sanitizeHtml(html, OPTIONS)
}

/**
 * Sanitized HTML, or undefined when nothing but whitespace is left of it (a body that was
 * only a reply fallback, or only refused tags): callers then send plain text alone.
 */
export function cleanHtml(html: string | undefined): string | undefined {
  if (html === undefined) return undefined
  const clean = sanitizeMatrixHtml(html)
  return clean.trim() === '' ? undefined : clean
}
