/**
 * Markdown cells refer to their attachments as `attachment:name` (nbformat). Inline images become data
 * URLs so the sanitized Markdown can show them; anything else is left as written.
 */
import type { MimeBundle } from '@quire/crdt'
import { imageDataUrl } from './output-mime.js'

const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/svg+xml']

/** The Markdown source with each `attachment:name` URL that has an inline image replaced by a data URL. */
export function resolveAttachments(source: string, attachments: Readonly<Record<string, MimeBundle>>): string {
  if (!source.includes('attachment:')) return source
  return source.replace(/attachment:([^\s)"'>]+)/g, (whole, encoded: string) => {
    let name = encoded
    try {
      name = decodeURIComponent(encoded)
    } catch {
      // A malformed escape: look the name up as written.
    }
    const bundle = Object.hasOwn(attachments, name) ? attachments[name] : undefined
    if (!bundle) return whole
    for (const mime of IMAGE_TYPES) {
      const value = bundle[mime]
      if (typeof value === 'string') return imageDataUrl(mime, value)
    }
    return whole
  })
}
