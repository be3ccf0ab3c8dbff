import type { ChildMessage, ParentMessage } from './peer-context.js'

/** A command a child process answers: params are untrusted JSON, the result must be JSON-serialisable. */
export type ServedCommand = (params: unknown) => unknown

/**
 * Answers the parent's `request` messages over IPC with the given command table (the protocol of
 * `processes.ts`): a `response` with the result, or with an error carrying a stable `code`
 * (`UNKNOWN_COMMAND`, the thrown error's own `code`, else `COMMAND_FAILED`). Shared by every child main a
 * test or benchmark starts. `afterResponse` runs once each response is handed to the IPC channel.
 */
export function serveCommands(commands: Record<string, ServedCommand>, afterResponse?: () => void): void {
  const send = (msg: ChildMessage): void => {
    if (process.send) process.send(msg, undefined, {}, () => afterResponse?.())
  }
  process.on('message', (raw) => {
    const msg = raw as ParentMessage
    if (msg?.type !== 'request') return
    const handler = commands[msg.command]
    void (async () => {
      try {
        if (!handler) throw Object.assign(new Error(`unknown command '${msg.command}'; known: ${Object.keys(commands).join(', ')}`), { code: 'UNKNOWN_COMMAND' })
        // A request without params gets an empty object, so handlers can read fields without a check.
        const result = await handler(msg.params ?? {})
        send({ type: 'response', id: msg.id, ok: true, result: result ?? null })
      } catch (err) {
        const e = err as { code?: unknown; message?: unknown }
        send({
          type: 'response', id: msg.id, ok: false,
          error: { code: typeof e.code === 'string' ? e.code : 'COMMAND_FAILED', message: typeof e.message === 'string' ? e.message : String(err) },
        })
      }
    })()
  })
}
