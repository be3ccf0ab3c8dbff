/**
 * Turning a kernel's mime bundle into one the notebook document takes: binary images (and large SVG) become
 * content-addressed blobs so the document stays small, text values are joined strings, and values of the
 * wrong kind are dropped rather than failing the whole output.
 */
import type { JsonValue, MimeBundle, OutputBlobRef } from '@quire/crdt'

/** Where output blobs go: the node's BlobStore (or anything with its `put`). */
export interface BlobSink {
  put(bytes: Uint8Array): Promise<string>
}

/** Binary image types kernels send base64-encoded. */
const BINARY_IMAGES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/bmp'])

/** SVG is text; below this many characters it stays inline (a small diagram is cheaper in the document). */
export const DEFAULT_SVG_BLOB_THRESHOLD = 16 * 1024

function isJsonMime(mime: string): boolean {
  return /^application\/(.*\+)?json$/.test(mime)
}

function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join('')
  return undefined
}

function isJson(value: unknown, depth = 0): value is JsonValue {
  if (depth > 64) return false
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true
  if (typeof value === 'number') return Number.isFinite(value)
  if (Array.isArray(value)) return value.every((v) => isJson(v, depth + 1))
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.values(value as Record<string, unknown>).every((v) => isJson(v, depth + 1))
  }
  return false
}

/** Converts `data` (as a kernel sent it) to a document mime bundle, storing images as blobs in `sink`. */
export async function toDocumentBundle(data: Readonly<Record<string, unknown>>, sink: BlobSink, svgThreshold = DEFAULT_SVG_BLOB_THRESHOLD): Promise<MimeBundle> {
  const out: MimeBundle = {}
  for (const [mime, value] of Object.entries(data)) {
    if (mime === '__proto__') continue
    if (isJsonMime(mime)) {
      if (isJson(value)) out[mime] = value
      continue
    }
    const text = textOf(value)
    if (text === undefined) continue
    if (BINARY_IMAGES.has(mime)) {
      const bytes = Buffer.from(text.replace(/\s+/g, ''), 'base64')
      out[mime] = await blobRef(sink, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), mime)
    } else if (mime === 'image/svg+xml' && text.length > svgThreshold) {
      out[mime] = await blobRef(sink, new TextEncoder().encode(text), mime)
    } else {
      out[mime] = text
    }
  }
  return out
}

async function blobRef(sink: BlobSink, bytes: Uint8Array, mime: string): Promise<OutputBlobRef> {
  const blob = await sink.put(bytes)
  return { blob, size: bytes.byteLength, mime }
}

/** Output metadata as JSON (a kernel's junk metadata becomes `{}` rather than losing the output). */
export function toDocumentMetadata(metadata: Readonly<Record<string, unknown>>): Record<string, JsonValue> {
  return isJson(metadata) && typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata)
    ? (metadata as Record<string, JsonValue>)
    : {}
}
