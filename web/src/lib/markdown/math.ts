/**
 * LaTeX math to HTML with KaTeX: used by Markdown rendering, notebook `text/latex` outputs and Markdown
 * cells. KaTeX runs with `trust: false` (no \href, \url, \includegraphics, HTML extensions) and never throws:
 * a formula it cannot parse is shown as its source, marked as an error.
 */
import katex from 'katex'

/** Options for {@link renderMath}. */
export interface MathOptions {
  /** Display (block, centred) rather than inline math. */
  readonly displayMode?: boolean
}

const MAX_TEX = 20_000

/** Renders one TeX formula (without its `$` delimiters) to an HTML string. */
export function renderMath(tex: string, options: MathOptions = {}): string {
  const displayMode = options.displayMode === true
  if (tex.length > MAX_TEX) return errorHtml(tex.slice(0, 200) + '…', 'This formula is too long to render.')
  try {
    return katex.renderToString(tex, {
      displayMode,
      throwOnError: false,
      trust: false,
      strict: 'ignore',
      output: 'htmlAndMathml',
      maxSize: 50,
      maxExpand: 1000,
    })
  } catch (error) {
    return errorHtml(tex, error instanceof Error ? error.message : String(error))
  }
}

function errorHtml(tex: string, message: string): string {
  return `<code class="math-error" title="${escapeHtml(message)}">${escapeHtml(tex)}</code>`
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}

/** A math segment found in text. */
export interface MathSpan {
  /** Where it starts and ends in the text, delimiters included. */
  readonly from: number
  readonly to: number
  readonly tex: string
  readonly display: boolean
}

/**
 * Finds `$…$` (inline), `$$…$$` and `\[…\]` (display) and `\(…\)` (inline) at the start of `src`. Inline `$`
 * follows Pandoc's rule so that prices stay text: the opening `$` is not followed by a space, the closing
 * one not preceded by a space nor followed by a digit.
 */
export function matchMathAt(src: string): MathSpan | undefined {
  let m: RegExpExecArray | null
  if ((m = /^\$\$([\s\S]+?)\$\$/.exec(src))) return { from: 0, to: m[0].length, tex: m[1]!.trim(), display: true }
  if ((m = /^\\\[([\s\S]+?)\\\]/.exec(src))) return { from: 0, to: m[0].length, tex: m[1]!.trim(), display: true }
  if ((m = /^\\\(([\s\S]+?)\\\)/.exec(src))) return { from: 0, to: m[0].length, tex: m[1]!.trim(), display: false }
  // No backquote inside inline math: that would be a code span starting inside a price ("$5 and `$x$`").
  if ((m = /^\$(?![\s$])((?:\\[\s\S]|[^\\$`])+?)(?<!\s)\$(?!\d)/.exec(src))) return { from: 0, to: m[0].length, tex: m[1]!, display: false }
  return undefined
}

/**
 * Text with math: every math segment rendered with KaTeX, the rest HTML-escaped. For notebook `text/latex`
 * outputs, which hold `$…$` or `$$…$$` around the formula; text without any delimiter is rendered as one
 * display formula (as Jupyter does for e.g. `\begin{equation}…`).
 */
export function renderLatexOutput(latex: string): string {
  const parts: string[] = []
  let found = false
  let text = ''
  for (let i = 0; i < latex.length; ) {
    const ch = latex[i]
    const span = ch === '$' || ch === '\\' ? matchMathAt(latex.slice(i)) : undefined
    if (span) {
      found = true
      if (text) parts.push(escapeHtml(text))
      text = ''
      parts.push(renderMath(span.tex, { displayMode: span.display }))
      i += span.to
    } else {
      text += ch
      i++
    }
  }
  if (!found) return renderMath(latex.trim(), { displayMode: true })
  if (text) parts.push(escapeHtml(text))
  return parts.join('')
}
