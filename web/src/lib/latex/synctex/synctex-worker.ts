/**
 * The SyncTeX worker: parsing a large `.synctex.gz` takes tens of milliseconds to seconds, and the editor must
 * not stall while it runs. Messages are `{ id, request }`; answers `{ id, ok, value | error }`.
 */
import { SynctexError, SynctexService, type SynctexRequest } from './synctex-service.js'

const service = new SynctexService()
const scope = self as unknown as { onmessage: ((e: MessageEvent) => void) | null; postMessage(message: unknown): void }

scope.onmessage = (event: MessageEvent) => {
  const { id, request } = event.data as { id: number; request: SynctexRequest }
  try {
    scope.postMessage({ id, ok: true, value: service.handle(request) })
  } catch (err) {
    const code = err instanceof SynctexError ? err.code : 'SYNCTEX_BAD_REQUEST'
    scope.postMessage({ id, ok: false, error: { code, message: err instanceof Error ? err.message : String(err) } })
  }
}
