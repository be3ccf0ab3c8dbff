/**
 * Markdown to safe HTML: GitHub-flavoured Markdown by `marked`, math by KaTeX, everything a person wrote
 * sanitized by DOMPurify. Math is rendered separately and put back after sanitizing, so the strict
 * sanitizer never needs to allow the inline styles KaTeX relies on.
 */
import { Marked, type Tokens } from 'marked'
import { matchMathAt, renderLatexOutput, renderMath } from './math.js'
import { sanitizeHtml, sanitizeMathHtml } from './sanitize.js'

/** Options for {@link renderMarkdown}. */
export interface MarkdownOptions {
  /** Render `$…$` and friends as math (default true). */
  readonly math?: boolean
}

interface MathToken extends Tokens.Generic {
  readonly type: 'math' | 'mathBlock'
  readonly text: string
  readonly display: boolean
}

const PLACEHOLDER = 'quire-math-'

function createMarked(formulas: Array<{ tex: string; display: boolean }>, nonce: string): Marked {
  const placeholder = (token: Tokens.Generic): string => {
    const t = token as MathToken
    const index = formulas.push({ tex: t.text, display: t.display }) - 1
    const tag = t.type === 'mathBlock' ? 'div' : 'span'
    return `<${tag} class="${PLACEHOLDER}${nonce}-${index}"></${tag}>`
  }
  return new Marked({
    gfm: true,
    breaks: false,
    extensions: [
      {
        name: 'mathBlock',
        level: 'block',
        start: (src: string) => src.match(/^(?:\$\$|\\\[)/m)?.index,
        tokenizer(src: string) {
          const m = /^(?:\$\$([\s\S]+?)\$\$|\\\[([\s\S]+?)\\\])[ \t]*(?:\n|$)/.exec(src)
          if (!m) return undefined
          return { type: 'mathBlock', raw: m[0], text: (m[1] ?? m[2]!).trim(), display: true }
        },
        renderer: placeholder,
      },
      {
        name: 'math',
        level: 'inline',
        start: (src: string) => {
          const i = src.search(/\$|\\[([]/)
          return i < 0 ? undefined : i
        },
        tokenizer(src: string) {
          const span = matchMathAt(src)
          if (!span) return undefined
          return { type: 'math', raw: src.slice(0, span.to), text: span.tex, display: span.display }
        },
        renderer: placeholder,
      },
    ],
  })
}

/** Renders Markdown (with math) to sanitized HTML, ready for `{@html}`. */
export function renderMarkdown(source: string, options: MarkdownOptions = {}): string {
  const formulas: Array<{ tex: string; display: boolean }> = []
  const nonce = Math.random().toString(36).slice(2, 10)
  const marked = options.math === false ? new Marked({ gfm: true }) : createMarked(formulas, nonce)
  const html = sanitizeHtml(marked.parse(String(source), { async: false }))
  if (formulas.length === 0) return html
  // Only our own placeholders carry this render's nonce; a class someone typed cannot.
  const container = document.createElement('div')
  container.innerHTML = html
  const prefix = `${PLACEHOLDER}${nonce}-`
  for (const el of container.querySelectorAll(`[class^="${prefix}"]`)) {
    const formula = formulas[Number(el.className.slice(prefix.length))]
    el.removeAttribute('class')
    if (formula) el.innerHTML = sanitizeMathHtml(renderMath(formula.tex, { displayMode: formula.display }))
  }
  return container.innerHTML
}

/** A notebook `text/latex` output as sanitized HTML. */
export function renderLatexHtml(latex: string): string {
  return sanitizeMathHtml(renderLatexOutput(latex))
}
