/**
 * Which representation of a rich output to show. A kernel offers one value in several media types; the
 * richest one we can render safely wins, in JupyterLab's order. HTML is only ever shown inside a sandboxed
 * iframe (see HtmlFrame.svelte), and JavaScript is never run: a bundle with only `application/javascript`
 * falls back to its text.
 */
import type { JsonValue, MimeBundle, OutputBlobRef } from '@quire/crdt'

/** How a chosen value is rendered. */
export type RenderKind = 'html' | 'markdown' | 'latex' | 'image' | 'json' | 'text'

/** The representation to render: its media type, how, and the value (inline or a blob to fetch). */
export interface RenderPlan {
  readonly kind: RenderKind
  readonly mime: string
  /** Inline: a string (base64 for binary images) or JSON. A blob reference must be fetched first. */
  readonly value: string | JsonValue | OutputBlobRef
  /** True when `value` is a blob reference. */
  readonly isBlob: boolean
}

/** Media types we render, richest first (JupyterLab's default ranking, without JavaScript). */
export const MIME_ORDER: readonly { readonly mime: string; readonly kind: RenderKind }[] = [
  { mime: 'text/html', kind: 'html' },
  { mime: 'text/markdown', kind: 'markdown' },
  { mime: 'text/latex', kind: 'latex' },
  { mime: 'image/svg+xml', kind: 'image' },
  { mime: 'image/png', kind: 'image' },
  { mime: 'image/jpeg', kind: 'image' },
  { mime: 'image/gif', kind: 'image' },
  { mime: 'image/webp', kind: 'image' },
  { mime: 'application/json', kind: 'json' },
  { mime: 'text/plain', kind: 'text' },
]

/** The value is a blob reference (as `readNotebook` returns them: exactly blob, size, mime). */
export function isBlobRef(value: unknown): value is OutputBlobRef {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as Record<string, unknown>)['blob'] === 'string' &&
    typeof (value as Record<string, unknown>)['size'] === 'number' &&
    typeof (value as Record<string, unknown>)['mime'] === 'string' &&
    Object.keys(value).length === 3
  )
}

/**
 * The representation to show for a bundle, or `undefined` if it holds nothing we can show (only unknown
 * types, or only JavaScript). A value of the wrong kind for its type (JSON where text is needed) is skipped,
 * so a damaged bundle falls back to its next-best type instead of breaking the output.
 */
export function chooseMime(data: MimeBundle): RenderPlan | undefined {
  for (const { mime, kind } of MIME_ORDER) {
    if (!Object.hasOwn(data, mime)) continue
    const plan = planFor(kind, mime, data[mime])
    if (plan) return plan
  }
  // Any other JSON media type (application/vnd.foo+json) is still readable as JSON.
  for (const mime of Object.keys(data).sort()) {
    if (/^application\/(.*\+)?json$/.test(mime)) {
      const plan = planFor('json', mime, data[mime])
      if (plan) return plan
    }
  }
  return undefined
}

function planFor(kind: RenderKind, mime: string, value: MimeBundle[string] | undefined): RenderPlan | undefined {
  if (value === undefined) return undefined
  if (isBlobRef(value)) return { kind, mime, value, isBlob: true }
  if (kind === 'json') return { kind, mime, value: value as JsonValue, isBlob: false }
  return typeof value === 'string' ? { kind, mime, value, isBlob: false } : undefined
}

/** A data URL for an inline image value (base64, or SVG text). */
export function imageDataUrl(mime: string, value: string): string {
  if (mime === 'image/svg+xml') return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(value)}`
  // nbformat allows line breaks inside base64; a data URL does not.
  return `data:${mime};base64,${value.replace(/\s+/g, '')}`
}

/** JSON pretty-printed for display; never throws (a cycle cannot come from a document, but be safe). */
export function prettyJson(value: unknown): string {
  try {
    return JSON.stringify(value, null, 2) ?? String(value)
  } catch {
    return String(value)
  }
}

/** Names the media types of a bundle we could not show, for the placeholder. */
export function describeBundle(data: MimeBundle): string {
  const mimes = Object.keys(data)
  return mimes.length === 0 ? 'an empty output' : `no displayable data (${mimes.join(', ')})`
}
