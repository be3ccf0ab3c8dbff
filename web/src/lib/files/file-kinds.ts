/**
 * Deciding what an uploaded file becomes: a text document (editable, mergeable) or a blob (anything
 * binary, or too large to edit comfortably).
 */

/** Above this size a file is stored as a blob even if it is text: a document that large edits poorly. */
export const MAX_TEXT_DOC_BYTES = 2 * 1024 * 1024

const MIME_BY_EXTENSION: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  tar: 'application/x-tar',
  csv: 'text/csv',
  txt: 'text/plain',
  md: 'text/markdown',
  tex: 'text/x-tex',
  py: 'text/x-python',
  js: 'text/javascript',
  ts: 'text/plain',
  json: 'application/json',
  ipynb: 'application/x-ipynb+json',
  html: 'text/html',
  css: 'text/css',
  mp3: 'audio/mpeg',
  mp4: 'video/mp4',
  wav: 'audio/wav',
}

/** A MIME type for a file name (`application/octet-stream` when unknown). */
export function mimeOf(name: string): string {
  const dot = name.lastIndexOf('.')
  if (dot <= 0) return 'application/octet-stream'
  return MIME_BY_EXTENSION[name.slice(dot + 1).toLowerCase()] ?? 'application/octet-stream'
}

/** A browser-reported type if it is a valid MIME type, else one from the name. */
export function chooseMime(name: string, reported: string | undefined): string {
  if (reported && /^[\w.+-]{1,127}\/[\w.+-]{1,127}$/.test(reported)) return reported
  return mimeOf(name)
}

const BINARY_MIME = /^(image\/(?!svg)|audio\/|video\/|application\/(pdf|zip|gzip|x-tar|octet-stream))/

/**
 * The file's text when it should become a text document: valid UTF-8, no NUL bytes, not a known binary
 * type, not too large. Otherwise undefined (store it as a blob).
 */
export function textContentOf(bytes: Uint8Array, mime: string): string | undefined {
  if (bytes.length > MAX_TEXT_DOC_BYTES) return undefined
  if (BINARY_MIME.test(mime) && mime !== 'application/octet-stream') return undefined
  if (bytes.includes(0)) return undefined
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
    return text
  } catch {
    return undefined
  }
}
