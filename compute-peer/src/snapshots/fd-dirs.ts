/**
 * Folders reached through descriptors: the daemon (root) walks workspaces that the project's code may change
 * at the same moment, swapping a folder for a link to `/etc`. A folder opened with O_NOFOLLOW and then reached
 * only as `/proc/self/fd/N/...` (which the kernel resolves to that very folder) cannot be redirected (N5).
 */
import { constants } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'

/** An open folder, reached only through its descriptor. */
export interface Dir {
  readonly fh: FileHandle
  /** `/proc/self/fd/N`: paths below it resolve inside this folder, whatever its name points to now. */
  readonly path: string
}

const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW

/** Opens `path` as a folder without following a link; undefined when it is not a real folder (any more). */
export async function openDir(path: string): Promise<Dir | undefined> {
  try {
    const fh = await open(path, DIR_FLAGS)
    return { fh, path: `/proc/self/fd/${fh.fd}` }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ELOOP' || code === 'ENOTDIR' || code === 'ENOENT') return undefined
    throw err
  }
}

/** Opens `path` for reading if it is a regular file, never following a link or blocking on a FIFO. */
export async function openFile(path: string): Promise<FileHandle | undefined> {
  let fh: FileHandle
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ELOOP' || code === 'ENOENT' || code === 'ENXIO' || code === 'EISDIR') return undefined
    throw err
  }
  if ((await fh.stat()).isFile()) return fh
  await fh.close()
  return undefined
}
