import { createReadStream } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import { extname, join, normalize, sep } from 'node:path'
import type { IncomingMessage, ServerResponse } from 'node:http'

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.pdf': 'application/pdf',
  '.webmanifest': 'application/manifest+json',
}

/** The MIME type served for a file name; unknown extensions are served as opaque bytes. */
export function mimeType(path: string): string {
  return MIME[extname(path).toLowerCase()] ?? 'application/octet-stream'
}

/**
 * Serves files under `root` for GET and HEAD. Returns false when the path names nothing there, so the
 * caller can answer 404. Never serves anything outside `root`: `..` segments, encoded slashes and NUL
 * are refused, and symbolic links are followed only when their target is inside `root` too.
 */
export async function serveStatic(root: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  let realRoot: string
  try {
    realRoot = await realpath(root)
  } catch {
    return false // no web app built yet
  }
  const rawPath = (req.url ?? '/').split('?')[0]!.split('#')[0]!
  let decoded: string
  try {
    decoded = decodeURIComponent(rawPath)
  } catch {
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('bad URL encoding\n')
    return true
  }
  if (decoded.includes('\0') || decoded.includes('\\') || decoded.split('/').includes('..')) {
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('bad path\n')
    return true
  }
  let file = join(realRoot, normalize('/' + decoded))
  const inside = (p: string): boolean => p === realRoot || p.startsWith(realRoot + sep)
  try {
    file = await realpath(file)
    if (!inside(file)) return false
    let info = await stat(file)
    if (info.isDirectory()) {
      file = await realpath(join(file, 'index.html'))
      if (!inside(file)) return false
      info = await stat(file)
    }
    if (!info.isFile()) return false
    res.writeHead(200, {
      'content-type': mimeType(file),
      'content-length': String(info.size),
      'x-content-type-options': 'nosniff',
    })
    if (req.method === 'HEAD') {
      res.end()
      return true
    }
    await new Promise<void>((resolveDone) => {
      const stream = createReadStream(file)
      stream.on('error', () => { res.destroy(); resolveDone() })
      stream.on('end', () => resolveDone())
      stream.pipe(res)
    })
    return true
  } catch {
    return false
  }
}
