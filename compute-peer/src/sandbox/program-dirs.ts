/**
 * Where this program's files are, for helper processes the compute peer runs in a sandbox (the workspace
 * runner, a terminal's pty host): they read the program read-only inside the sandbox.
 */
import { realpathSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** `main`: the helper's script under `dist/` (e.g. `workspace/runner/main.js`); `dirs`: what to mount read-only. */
export function programDirs(main: string): { main: string; dirs: string[] } {
  const packageDir = fileURLToPath(new URL('../../', import.meta.url))
  const root = dirname(realpathSync(packageDir))
  const dirs = [join(root, 'node_modules'), ...['crdt', 'node', 'compute-peer'].map((p) => realpathSync(join(root, 'node_modules', '@quire', p)))]
  const node = dirname(process.execPath)
  if (!node.startsWith('/usr/')) dirs.push(node)
  return { main: join(packageDir, 'dist', main), dirs }
}
