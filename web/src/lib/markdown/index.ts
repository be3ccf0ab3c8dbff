/** Markdown and math rendering, always sanitized. */
export { default as MarkdownPreview } from './MarkdownPreview.svelte'
export { renderMarkdown, renderLatexHtml, type MarkdownOptions } from './render-markdown.js'
export { renderMath, renderLatexOutput, matchMathAt, escapeHtml, type MathOptions, type MathSpan } from './math.js'
export { sanitizeHtml, sanitizeMathHtml } from './sanitize.js'
export { LiveText } from './live-text.svelte.js'
