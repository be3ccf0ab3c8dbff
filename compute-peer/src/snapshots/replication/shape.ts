/**
 * What the receiver checks a replicated tree against (N23): its shape, a digest of every path with its type,
 * size, permission bits and (for a link) its target, walked without following links (sockets and FIFOs left out). Times are left out:
 * a file-level copy keeps them to the millisecond only. The bytes are checked on the way in: each sent
 * file's SHA-256 (format `files`), the stream's SHA-256 and BTRFS's own checksums (format `btrfs`).
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { lstat, readdir, readlink } from 'node:fs/promises'
import { join } from 'node:path'

export async function shapeDigest(dir: string): Promise<string> {
  const hash = createHash('sha256')
  const walk = async (path: string, rel: string): Promise<void> => {
    for (const name of (await readdir(path)).sort()) {
      const child = join(path, name)
      const s = await lstat(child)
      // Sockets, FIFOs and devices are not project files: neither format carries them.
      if (!s.isDirectory() && !s.isFile() && !s.isSymbolicLink()) continue
      const type = s.isDirectory() ? 'd' : s.isFile() ? 'f' : 'l'
      const extra = s.isSymbolicLink() ? await readlink(child) : ''
      hash.update(`${rel}${name}\0${type}\0${s.isFile() ? s.size : 0}\0${(s.mode & 0o7777).toString(8)}\0${extra}\n`)
      if (s.isDirectory()) await walk(child, `${rel}${name}/`)
    }
  }
  await walk(dir, '')
  return hash.digest('hex')
}

/** The SHA-256 of a file's bytes (hex); the caller checked it is a regular file. */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}
