// @vitest-environment jsdom
// DOMPurify under happy-dom drops headings; its own test suite, like browsers, uses a full DOM.
import { afterEach, describe, expect, it } from 'vitest'
import { flushSync, mount, unmount } from 'svelte'
import * as A from '@automerge/automerge'
import { Repo } from '@automerge/automerge-repo'
import { createText, setText, type TextDoc } from '@quire/crdt'
import { renderLatexHtml, renderMarkdown } from '../../src/lib/markdown/render-markdown.js'
import { matchMathAt, renderMath } from '../../src/lib/markdown/math.js'
import MarkdownPreview from '../../src/lib/markdown/MarkdownPreview.svelte'

function dom(html: string): HTMLElement {
  const div = document.createElement('div')
  div.innerHTML = html
  return div
}

describe('renderMarkdown', () => {
  it('renders Markdown', () => {
    const el = dom(renderMarkdown('# Title\n\nSome *emphasis* and `code`.\n\n- a\n- b\n'))
    expect(el.querySelector('h1')?.textContent).toBe('Title')
    expect(el.querySelector('em')?.textContent).toBe('emphasis')
    expect(el.querySelectorAll('li')).toHaveLength(2)
  })

  it('strips scripts, event handlers, javascript: links, inline styles and forms', () => {
    const html = renderMarkdown(
      [
        '<script>alert(1)</script>',
        '<img src="x" onerror="alert(2)">',
        '[click](javascript:alert(3))',
        '<a href="https://example.org" style="position:fixed;top:0">ok</a>',
        '<form action="https://evil"><input name="password"></form>',
        '<iframe src="https://evil"></iframe>',
      ].join('\n\n'),
    )
    expect(html).not.toMatch(/<script|onerror|javascript:|style=|<form|<input|<iframe|alert\(1\)/i)
    const link = dom(html).querySelector('a[href="https://example.org"]')
    expect(link?.getAttribute('rel')).toContain('noopener')
    expect(link?.getAttribute('target')).toBe('_blank')
  })

  it('renders inline and display math with KaTeX, keeping its styles', () => {
    const el = dom(renderMarkdown('Euler: $e^{i\\pi} + 1 = 0$.\n\n$$\n\\int_0^1 x\\,dx = \\frac12\n$$\n\nAnd \\(a^2\\).'))
    const formulas = el.querySelectorAll('.katex')
    expect(formulas.length).toBe(3)
    expect(el.querySelectorAll('.katex-display')).toHaveLength(1)
    expect(el.querySelector('annotation')?.textContent).toBe('e^{i\\pi} + 1 = 0')
    expect(el.innerHTML).toMatch(/style="/)
  })

  it('leaves prices, code and escaped dollars alone', () => {
    const el = dom(renderMarkdown('It costs $5 and $6 today. `$x$` stays code.'))
    expect(el.querySelector('.katex')).toBeNull()
    expect(el.querySelector('code')?.textContent).toBe('$x$')
    expect(el.textContent).toContain('$5 and $6')
  })

  it('does not let math smuggle HTML, and shows bad TeX as an error', () => {
    const el = dom(renderMarkdown('$\\href{javascript:alert(1)}{x}$ and $<img src=x onerror=alert(1)>$ and $\\frac{$'))
    expect(el.querySelectorAll('.katex, .katex-error').length).toBe(3)
    expect(el.querySelector('a, img, [href]')).toBeNull()
    const attributes = Array.from(el.querySelectorAll('*')).flatMap((e) => Array.from(e.attributes).map((a) => a.name))
    expect(attributes.filter((name) => name.startsWith('on'))).toEqual([])
    const bad = renderMath('\\frac{')
    expect(bad).toMatch(/katex-error|math-error/)
  })

  it('finds math only where it starts', () => {
    expect(matchMathAt('$x$ rest')).toEqual({ from: 0, to: 3, tex: 'x', display: false })
    expect(matchMathAt('$$ y $$')).toMatchObject({ tex: 'y', display: true })
    expect(matchMathAt('$ x$')).toBeUndefined()
    expect(matchMathAt('a $x$')).toBeUndefined()
  })

  it('renders notebook text/latex outputs, with or without delimiters', () => {
    expect(dom(renderLatexHtml('$\\displaystyle x^2$')).querySelectorAll('.katex')).toHaveLength(1)
    const bare = dom(renderLatexHtml('\\begin{equation}a=b\\end{equation}'))
    expect(bare.querySelector('.katex-display')).not.toBeNull()
    expect(dom(renderLatexHtml('<b>$x$</b>')).querySelector('b')).toBeNull()
  })
})

describe('MarkdownPreview', () => {
  const mounted: Array<Record<string, unknown>> = []
  afterEach(() => {
    for (const c of mounted.splice(0)) unmount(c)
  })

  it('follows a text document live', async () => {
    const handle = new Repo().import<unknown>(A.save(createText('# One')))
    const target = document.createElement('div')
    mounted.push(mount(MarkdownPreview, { target, props: { handle, delayMs: 10 } }))
    flushSync()
    expect(target.querySelector('h1')?.textContent).toBe('One')
    handle.change((d) => setText(d as unknown as TextDoc, '# Two\n\n$x$'))
    await new Promise((resolve) => setTimeout(resolve, 40))
    flushSync()
    expect(target.querySelector('h1')?.textContent).toBe('Two')
    expect(target.querySelector('.katex')).not.toBeNull()
  })
})
