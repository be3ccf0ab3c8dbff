import type { CommandIo } from './io.js'

/**
 * `quire project ...`: the project commands (src/project), loaded on demand because they bring
 * automerge and libp2p, which `quire --help` and `quire up` do not need in this process.
 */
export async function runProject(argv: readonly string[], io: CommandIo): Promise<number> {
  const { runProjectCommand } = await import('../project/index.js')
  return runProjectCommand(argv, io)
}
