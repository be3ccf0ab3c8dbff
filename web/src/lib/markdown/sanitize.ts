/**
 * HTML sanitizing with DOMPurify, in two strengths: strict for anything a person wrote (Markdown, chat,
 * notebook HTML written by a collaborator), and one that also keeps KaTeX's inline styles, SVG and MathML
 * for math that KaTeX generated.
 */
import DOMPurify, { type Config } from 'dompurify'

type Purifier = ReturnType<typeof DOMPurify>

let strict: Purifier | undefined
let math: Purifier | undefined

/** Tags that could imitate the app (forms that phish) or restyle it; never useful in a document. */
const FORBID_TAGS = ['style', 'form', 'input', 'button', 'textarea', 'select', 'option', 'dialog', 'iframe', 'frame', 'object', 'embed', 'base', 'meta', 'link']

const STRICT: Config = {
  USE_PROFILES: { html: true },
  FORBID_TAGS,
  // Inline styles could overlay the app (position: fixed); classes are harmless, ids could clash.
  FORBID_ATTR: ['style', 'id'],
  ALLOW_DATA_ATTR: false,
}

const MATH: Config = {
  USE_PROFILES: { html: true, svg: true, mathMl: true },
  // KaTeX keeps the TeX source in <semantics><annotation> for copy and screen readers (plain text).
  ADD_TAGS: ['semantics', 'annotation'],
  FORBID_TAGS,
  ALLOW_DATA_ATTR: false,
}

function purifier(): Purifier {
  if (strict) return strict
  strict = DOMPurify(window)
  // Links open outside the app and do not learn where they came from.
  strict.addHook('afterSanitizeAttributes', (node) => {
    if (node.tagName === 'A' && node.hasAttribute('href')) {
      const href = node.getAttribute('href') ?? ''
      if (!href.startsWith('#')) {
        node.setAttribute('target', '_blank')
        node.setAttribute('rel', 'noopener noreferrer nofollow')
      }
    }
  })
  return strict
}

function mathPurifier(): Purifier {
  math ??= DOMPurify(window)
  return math
}

/** Sanitizes HTML a person wrote. */
export function sanitizeHtml(html: string): string {
  return purifier().sanitize(html, STRICT) as unknown as string
}

/** Sanitizes HTML that KaTeX generated (keeps its styles, SVG and MathML). */
export function sanitizeMathHtml(html: string): string {
  return mathPurifier().sanitize(html, MATH) as unknown as string
}
