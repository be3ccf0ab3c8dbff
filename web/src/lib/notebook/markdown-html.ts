/**
 * Markdown with math and text/latex to safe HTML, for Markdown cells and text/markdown and text/latex
 * outputs: the shared helper of web/src/lib/markdown (marked + KaTeX + DOMPurify), named here so the
 * notebook depends on exactly two functions of it.
 */
import { renderLatexHtml, renderMarkdown } from '../markdown/index.js'

/** Markdown source (with $…$ and $$…$$ math) to sanitized HTML. */
export function markdownToHtml(source: string): string {
  return renderMarkdown(source)
}

/**
 * A text/latex output: usually `$…$` or an environment like `\begin{equation}`; text with no math
 * delimiters is rendered as one display formula.
 */
export function latexToHtml(source: string): string {
  return renderLatexHtml(source)
}
