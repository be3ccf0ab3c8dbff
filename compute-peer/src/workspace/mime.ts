/** The media type of a file the disk side turns into a blob: by extension, else by content. */
const BY_EXTENSION: Record<string, string> = {
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', svg: 'image/svg+xml',
  pdf: 'application/pdf', zip: 'application/zip', gz: 'application/gzip', csv: 'text/csv', json: 'application/json',
  txt: 'text/plain', md: 'text/markdown', html: 'text/html', tex: 'text/x-tex', py: 'text/x-python',
  parquet: 'application/vnd.apache.parquet', npy: 'application/octet-stream', synctex: 'application/octet-stream',
}

export function mimeOf(path: string, bytes: Uint8Array): string {
  const name = path.slice(path.lastIndexOf('/') + 1)
  const dot = name.lastIndexOf('.')
  const known = dot > 0 ? BY_EXTENSION[name.slice(dot + 1).toLowerCase()] : undefined
  if (known !== undefined) return known
  return bytes.includes(0) ? 'application/octet-stream' : 'text/plain'
}
