import { type Dirent, existsSync, lstatSync, readdirSync, readlinkSync } from 'node:fs'
import { join } from 'node:path'

/** What one sandboxed command may see and do. Paths are absolute and mounted at the same path inside. */
export interface SandboxMounts {
  /** The project's working directory: writable, and the command's cwd. */
  readonly workdir: string
  /** More writable directories. */
  readonly writable?: readonly string[]
  /** The kernel's ipc directory: writable, mounted at SANDBOX_IPC_DIR (a neutral path, see S2). */
  readonly ipcDir?: string
  /** More read-only directories (the kernelspec's resource directory when it is outside /usr). */
  readonly readOnly?: readonly string[]
  readonly network: boolean
  /** Environment of the command; nothing of the compute peer's own environment leaks in. */
  readonly env: Readonly<Record<string, string>>
}

/** The user and home the command gets inside the sandbox (mapped to the compute peer's user outside). */
export const SANDBOX_UID = 1000
export const SANDBOX_HOME = '/tmp/home'
/**
 * Where the kernel's ipc directory (connection file and sockets) appears inside: its host path names the
 * data directory and the kernel id, and the kernel's command line (`-f <connection file>`) is readable by
 * everything in the sandbox (S2).
 */
export const SANDBOX_IPC_DIR = '/run/kernel'

/** System directories a kernel needs, read-only. /home, /root, /opt, /var and /srv stay invisible. */
const SYSTEM_DIRS = ['/usr', '/etc']
const TOP_LINKS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']
/** Directories hidden whatever their permissions: host keys. */
const MASKED_DIRS = ['/etc/ssh']

let privateEntries: { files: string[]; dirs: string[] } | undefined

/**
 * Everything under /etc that is not world-readable (/etc/shadow, /etc/ssl/private, a
 * database's pg_hba.conf...). Why: the sandbox user maps to the compute peer's own user outside, so
 * owner-only files of that user would be readable; they are masked instead. Found once per process.
 */
function systemPrivateEntries(): { files: string[]; dirs: string[] } {
  if (privateEntries) return privateEntries
  const found = { files: [] as string[], dirs: [] as string[] }
  const walk = (dir: string, depth: number) => {
    let entries: Dirent[]
    try {
      entries = readdirSync(dir, { withFileTypes: true })
    } catch {
      return
    }
    for (const entry of entries) {
      const path = join(dir, entry.name)
      const stat = lstatSync(path, { throwIfNoEntry: false })
      if (!stat || stat.isSymbolicLink()) continue
      const hidden = (stat.mode & 0o004) === 0
      if (stat.isDirectory()) {
        if (hidden) found.dirs.push(path)
        else if (depth < 8) walk(path, depth + 1)
      } else if (hidden && stat.isFile()) found.files.push(path)
    }
  }
  walk('/etc', 0)
  privateEntries = found
  return found
}

/** bubblewrap's arguments up to (not including) the command. `statusFd` receives bwrap's JSON status. */
export function bwrapArgs(mounts: SandboxMounts, statusFd: number): string[] {
  const args = ['--unshare-all', '--unshare-user', '--uid', String(SANDBOX_UID), '--gid', String(SANDBOX_UID)]
  if (mounts.network) args.push('--share-net')
  args.push('--die-with-parent', '--new-session', '--hostname', 'quire')
  for (const dir of SYSTEM_DIRS) if (existsSync(dir)) args.push('--ro-bind', dir, dir)
  for (const link of TOP_LINKS) {
    const stat = lstatSync(link, { throwIfNoEntry: false })
    // Merged-/usr systems: /bin is a link into /usr; recreate the link instead of mounting a second copy.
    if (stat?.isSymbolicLink()) args.push('--symlink', readlinkSync(link), link)
    else if (stat?.isDirectory()) args.push('--ro-bind', link, link)
  }
  const hidden = systemPrivateEntries()
  for (const file of hidden.files) args.push('--ro-bind', '/dev/null', file)
  for (const dir of [...MASKED_DIRS.filter((d) => existsSync(d)), ...hidden.dirs]) args.push('--tmpfs', dir)
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--tmpfs', '/run', '--dir', SANDBOX_HOME)
  // CPU topology only (numpy, BLAS and multiprocessing read it); the rest of /sys stays out.
  args.push('--ro-bind-try', '/sys/devices/system/cpu', '/sys/devices/system/cpu')
  for (const dir of mounts.readOnly ?? []) {
    if (!SYSTEM_DIRS.some((system) => dir === system || dir.startsWith(`${system}/`))) args.push('--ro-bind', dir, dir)
  }
  for (const dir of mounts.writable ?? []) args.push('--bind', dir, dir)
  if (mounts.ipcDir !== undefined) args.push('--bind', mounts.ipcDir, SANDBOX_IPC_DIR)
  args.push('--bind', mounts.workdir, mounts.workdir, '--chdir', mounts.workdir)
  args.push('--clearenv')
  for (const [key, value] of Object.entries(mounts.env)) args.push('--setenv', key, value)
  args.push('--json-status-fd', String(statusFd))
  return args
}

/** The environment every sandboxed command starts from; kernelspec env and the caller's env go on top. */
export function baseSandboxEnv(): Record<string, string> {
  return {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: SANDBOX_HOME,
    USER: 'quire',
    LOGNAME: 'quire',
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    TMPDIR: '/tmp',
    TERM: 'xterm-256color',
  }
}
