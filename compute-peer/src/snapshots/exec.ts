/** Runs the host's tools (btrfs, stat) without a shell, with their error output in the error. */
import { execFile } from 'node:child_process'

export interface RunResult { readonly stdout: string; readonly stderr: string }

export function run(command: string, args: readonly string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(command, [...args], { maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err !== null) {
        const detail = stderr.trim().split('\n').slice(-3).join(' | ')
        reject(Object.assign(new Error(`${command} ${args.join(' ')} failed: ${detail || err.message}`), { cause: err }))
      } else {
        resolve({ stdout, stderr })
      }
    })
  })
}
