/**
 * SyncTeX files name their inputs by the paths TeX opened them with: absolute, on the compute peer's disk
 * (`/var/lib/quire-compute/projects/<id>/./paper.tex`). The browser maps PDF positions to project files, so
 * the `Input:` lines are rewritten to workspace paths (`paper.tex`) before the file becomes a blob (TX13);
 * inputs outside the workspace (TeX Live's own files) keep their paths.
 */
import { promisify } from 'node:util'
import { gunzip, gzip } from 'node:zlib'
import { toWorkspacePath } from './log-parser.js'

const gunzipAsync = promisify(gunzip)
const gzipAsync = promisify(gzip)

/** The `.synctex.gz` bytes with workspace-relative input paths; the bytes unchanged when they do not unzip. */
export async function relativizeSynctex(gz: Uint8Array, workdir: string, mainDir: string): Promise<Uint8Array> {
  let text: string
  try {
    // latin1 keeps every byte as it is; paths are compared in the same encoding.
    text = (await gunzipAsync(gz)).toString('latin1')
  } catch {
    return gz
  }
  const root = Buffer.from(workdir, 'utf8').toString('latin1')
  const rewritten = text.replace(/^Input:(\d+):(.*)$/gm, (line, tag: string, path: string) => {
    const relative = toWorkspacePath(path, mainDir, root)
    return relative === undefined ? line : `Input:${tag}:${relative}`
  })
  if (rewritten === text) return gz
  const out = await gzipAsync(Buffer.from(rewritten, 'latin1'))
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
}
