/** Where a command writes, so tests can run commands in-process and read what they said. */
export interface CommandIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
  cwd: string
  env: NodeJS.ProcessEnv
}

export function processIo(): CommandIo {
  return {
    // EPIPE (output piped to `head`, a closed terminal) must not crash a launcher that is stopping children.
    stdout: (text) => { try { process.stdout.write(text) } catch { /* ignore */ } },
    stderr: (text) => { try { process.stderr.write(text) } catch { /* ignore */ } },
    cwd: process.cwd(),
    env: process.env,
  }
}
