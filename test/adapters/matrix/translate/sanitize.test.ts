import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { htmlToPlainText } from '../../../../adapters/matrix/translate/plain-text.ts'
import { stripReplyFallback } from '../../../../adapters/matrix/translate/reply-fallback.ts'
import { cleanHtml, sanitizeMatrixHtml } from '../../../../adapters/matrix/translate/sanitize.ts'
import { hostileHtml } from './fixtures.ts'

const ALLOWED = new Set(
  'font del s strike h1 h2 h3 h4 h5 h6 blockquote p a ul ol sup sub li b i u strong em code hr br div table thead tbody tr th td caption pre span img details summary'.split(
    ' ',
  ),
)

/** The tags of sanitized HTML (where every `<` opens a tag and values are double-quoted). */
function tagsOf(html: string): { name: string; attributes: [string, string][] }[] {
  return [...html.matchAll(/<\/?([^\s/>]+)([^>]*)>/g)].map(([, name, rest]) => ({
    name: name as string,
    attributes: [...(rest ?? '').matchAll(/([^\s=/]+)(?:="([^"]*)")?/g)].map(
      ([, n, v]) => [n as string, v ?? ''] as [string, string],
    ),
  }))
}

/** Everything a sanitized string must be, whatever went in. */
function expectSafe(out: string): void {
  expect(out.toLowerCase()).not.toContain('<script')
  // No stray `<`: each one opens or closes a tag.
  expect(out).not.toMatch(/<(?!\/?[a-z0-9]+[\s/>])/)
  for (const tag of tagsOf(out)) {
    expect(ALLOWED.has(tag.name), tag.name).toBe(true)
    for (const [name, value] of tag.attributes) {
      expect(name.toLowerCase().startsWith('on'), `${tag.name} ${name}`).toBe(false)
      expect(name).not.toBe('style')
      expect(value.toLowerCase()).not.toContain('javascript:')
      if (name === 'href') expect(value).toMatch(/^(https?:\/\/|mailto:|matrix:)/i)
      if (name === 'src') expect(value).toMatch(/^mxc:\/\//)
    }
  }
}

describe('sanitizeMatrixHtml', () => {
  test.prop([fc.string({ maxLength: 300 })])('any string comes out safe', (html) => {
    expectSafe(sanitizeMatrixHtml(html))
  })

  test.prop([hostileHtml], { numRuns: 1000 })(
    'hostile HTML comes out safe, with no javascript: anywhere',
    (html) => {
      const out = sanitizeMatrixHtml(html)
      expectSafe(out)
      expect(out.toLowerCase()).not.toContain('javascript:')
      expect(out.toLowerCase()).not.toContain('data:')
    },
  )

  test.prop([hostileHtml])('sanitizing twice changes nothing (outbound sanitizes again)', (html) => {
    const once = sanitizeMatrixHtml(html)
    expect(sanitizeMatrixHtml(once)).toBe(once)
  })

  test('drops scripts and handlers, keeps the formatting', () => {
    expect(sanitizeMatrixHtml('<b onclick="steal()">hi</b><script>alert(1)</script>')).toBe('<b>hi</b>')
    expect(sanitizeMatrixHtml('<p style="color:red">p</p><iframe src="https://x"></iframe>')).toBe('<p>p</p>')
  })

  test('links: http, https, mailto and matrix: only; a refused link keeps its text', () => {
    expect(sanitizeMatrixHtml('<a href="javascript:alert(1)">click</a>')).toBe('click')
    expect(sanitizeMatrixHtml('<a href="data:text/html,x">d</a>')).toBe('d')
    expect(sanitizeMatrixHtml('<a href="/relative">r</a><a href="//evil.example">p</a>')).toBe('rp')
    expect(sanitizeMatrixHtml('<a href="https://matrix.to/#/@bob:x.org" target="_blank">Bob</a>')).toBe(
      '<a href="https://matrix.to/#/@bob:x.org" target="_blank">Bob</a>',
    )
    expect(sanitizeMatrixHtml('<a href="mailto:a@b.org" target="_top">m</a>')).toBe(
      '<a href="mailto:a@b.org">m</a>',
    )
  })

  test('images: mxc only, anything else is dropped whole', () => {
    expect(sanitizeMatrixHtml('a<img src="https://evil.example/pixel.png">b')).toBe('ab')
    expect(sanitizeMatrixHtml('<img src="evil.png" alt="x">')).toBe('')
    expect(
      sanitizeMatrixHtml('<img src="mxc://example.org/abc" alt="cat" width="32" height="big" onerror="x">'),
    ).toBe('<img src="mxc://example.org/abc" alt="cat" width="32" />')
  })

  test('attribute values are checked: colours, classes, list starts', () => {
    expect(
      sanitizeMatrixHtml(
        '<font color="#ff0000" data-mx-bg-color="red">c</font><span data-mx-spoiler="why">s</span>',
      ),
    ).toBe('<font color="#ff0000">c</font><span data-mx-spoiler="why">s</span>')
    expect(sanitizeMatrixHtml('<code class="language-rust hljs">x</code>')).toBe(
      '<code class="language-rust">x</code>',
    )
    expect(sanitizeMatrixHtml('<ol start="3"><li>a</li></ol><ol start="x"><li>b</li></ol>')).toBe(
      '<ol start="3"><li>a</li></ol><ol><li>b</li></ol>',
    )
  })

  test('<mx-reply> goes with everything in it', () => {
    expect(
      sanitizeMatrixHtml(
        '<mx-reply><blockquote><a href="https://matrix.to/#/!r:x/$e">In reply to</a> <b>old</b></blockquote></mx-reply>new',
      ),
    ).toBe('new')
  })

  test('cleanHtml gives undefined for nothing left', () => {
    expect(cleanHtml(undefined)).toBeUndefined()
    expect(cleanHtml('<mx-reply>x</mx-reply> ')).toBeUndefined()
    expect(cleanHtml('<script>x</script>')).toBeUndefined()
    expect(cleanHtml('<i>y</i>')).toBe('<i>y</i>')
  })
})

describe('htmlToPlainText', () => {
  test.prop([hostileHtml])('never throws, never leaves a tag of the input', (html) => {
    const text = htmlToPlainText(html)
    expect(text).not.toMatch(/<\/?(b|p|a|img|script|blockquote|mx-reply)[\s>]/i)
  })

  test('paragraphs, line breaks and entities', () => {
    expect(htmlToPlainText('<p>Hello <b>world</b></p>\n<p>a &amp; b &lt;c&gt;</p>')).toBe(
      'Hello world\n\na & b <c>',
    )
    expect(htmlToPlainText('one<br>two<br />three')).toBe('one\ntwo\nthree')
    expect(htmlToPlainText('  spaced   \n  out  ')).toBe('spaced out')
  })

  test('lists, quotes, code, tables', () => {
    expect(
      htmlToPlainText(
        '<ul><li>a</li><li>b<ul><li>c</li></ul></li></ul><ol start="3"><li>x</li><li>y</li></ol>',
      ),
    ).toBe('- a\n- b\n  - c\n\n3. x\n4. y')
    expect(
      htmlToPlainText('<blockquote><p>quoted</p><blockquote>deeper</blockquote></blockquote><p>reply</p>'),
    ).toBe('> quoted\n>\n> > deeper\n\nreply')
    expect(htmlToPlainText('<pre><code>  indented\n    more</code></pre>')).toBe('  indented\n    more')
    expect(htmlToPlainText('<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>')).toBe(
      'a | b\n1 | 2',
    )
  })

  test('links show their target unless it is the text or a user pill', () => {
    expect(htmlToPlainText('<a href="https://example.org">site</a>')).toBe('site (https://example.org)')
    expect(htmlToPlainText('<a href="https://example.org">https://example.org</a>')).toBe(
      'https://example.org',
    )
    expect(htmlToPlainText('<a href="https://matrix.to/#/@bob:x.org">Bob</a>')).toBe('Bob')
    expect(htmlToPlainText('<a href="mailto:a@b.org">a@b.org</a>')).toBe('a@b.org')
  })

  test('images by their alt text; scripts and reply fallbacks vanish', () => {
    expect(htmlToPlainText('<img src="mxc://x.org/a" alt="a cat"> <img src="mxc://x.org/b">')).toBe(
      'a cat [image]',
    )
    expect(htmlToPlainText('<mx-reply>old</mx-reply>new<script>alert(1)</script>')).toBe('new')
    expect(htmlToPlainText('&lt;script&gt;')).toBe('<script>')
  })
})

describe('stripReplyFallback', () => {
  test('removes the quoted fallback and the blank line after it', () => {
    expect(stripReplyFallback('> <@alice:x.org> original\n> second line\n\nthe reply')).toBe('the reply')
    expect(stripReplyFallback('> * <@alice:x.org> waves\n\nhi')).toBe('hi')
    expect(stripReplyFallback('> <@alice:x.org> only a fallback')).toBe('')
  })

  test("keeps a quote of the user's own and anything without a fallback head", () => {
    expect(stripReplyFallback('> a quote of mine\n\nmy answer')).toBe('> a quote of mine\n\nmy answer')
    expect(stripReplyFallback('plain reply')).toBe('plain reply')
    expect(stripReplyFallback('> <not a user> x\n\ny')).toBe('> <not a user> x\n\ny')
  })
})
