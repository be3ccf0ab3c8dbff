// @vitest-environment jsdom
// jsdom, not happy-dom: DOMPurify does not sanitize under happy-dom (it drops the first element and keeps
// event handlers), so only jsdom, like a browser, shows what the sanitizer really does.
import { describe, expect, it } from 'vitest'
import { latexToHtml, markdownToHtml } from '../../src/lib/notebook/markdown-html.js'

describe('Markdown with math', () => {
  it('renders inline and display math with KaTeX before Markdown can eat underscores', () => {
    const html = markdownToHtml('Energy $E_1 = m_1 c^2$ and\n\n$$\\sum_{i=1}^n i$$')
    expect(html).toContain('class="katex"')
    expect(html).toContain('katex-display')
    // TeX source survives in KaTeX's annotation: Markdown did not turn _1 … m_ into emphasis.
    expect(html).toContain('E_1 = m_1 c^2')
    expect(html).not.toContain('<em>')
  })

  it('leaves dollars in prose and math-looking text in code alone', () => {
    const html = markdownToHtml('It costs $5 and $6.\n\n`$x$` and\n\n```\n$y$\n```')
    expect(html).not.toContain('katex')
    expect(html).toContain('$5 and $6')
    expect(html).toContain('<code>$x$</code>')
  })

  it('removes scripts and event handlers from Markdown', () => {
    const html = markdownToHtml('hi <img src=x onerror="alert(1)"><script>alert(2)</script>')
    expect(html).not.toContain('onerror')
    expect(html).not.toContain('<script')
  })

  it('shows a TeX error as text instead of throwing', () => {
    expect(() => markdownToHtml('$\\frac{$')).not.toThrow()
    expect(latexToHtml('\\badcommand{x}')).toContain('katex')
  })

  it('renders a text/latex value with or without delimiters', () => {
    expect(latexToHtml('$x^2$')).toContain('class="katex"')
    expect(latexToHtml('\\int_0^1 x\\,dx')).toContain('katex-display')
  })
})
