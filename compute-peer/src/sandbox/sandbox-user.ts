import { execFile } from 'node:child_process'
import { KernelError } from '../kernel/errors.js'

/** The unprivileged host user sandboxed code runs as when the compute peer runs as root (S5). */
export interface SandboxUser {
  readonly name: string
  readonly uid: number
  readonly gid: number
}

/** The user kernels run as when the compute peer is started as root and no other is named. */
export const DEFAULT_SANDBOX_USER = 'quire-sandbox'

function run(file: string, args: string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 10_000 }, (error, stdout, stderr) => resolve({ ok: !error, output: `${stdout}${stderr}`.trim() }))
  })
}

async function lookup(name: string): Promise<SandboxUser | undefined> {
  const entry = await run('getent', ['passwd', name])
  if (!entry.ok) return undefined
  const [, , uid, gid] = entry.output.split('\n')[0]!.split(':')
  return { name, uid: Number(uid), gid: Number(gid) }
}

/**
 * The host user for sandboxed code: undefined unless this process is root (an unprivileged compute peer's
 * kernels run as its own user). As root, `name` (default `quire-sandbox`) is created as a system user
 * without a home or login shell if it does not exist. Refuses root itself as the sandbox user.
 */
export async function resolveSandboxUser(name: string = DEFAULT_SANDBOX_USER): Promise<SandboxUser | undefined> {
  if (process.getuid?.() !== 0) return undefined
  let user = await lookup(name)
  if (user === undefined) {
    const created = await run('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', name])
    user = await lookup(name)
    if (user === undefined) {
      throw new KernelError('SANDBOX_FAILED', `Could not create the sandbox user "${name}" (useradd: ${created.output || 'failed'}); create an unprivileged user and name it with --sandbox-user.`)
    }
  }
  if (user.uid === 0 || user.gid === 0) {
    throw new KernelError('SANDBOX_FAILED', `The sandbox user "${name}" is root (uid ${user.uid}, gid ${user.gid}); name an unprivileged user with --sandbox-user.`)
  }
  return user
}
