import { CrdtError } from '../../src/index.js'

/** The `code` of the CrdtError `fn` throws; undefined if it does not throw; a marker if it throws anything else. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    return err instanceof CrdtError ? err.code : `not a CrdtError: ${String(err)}`
  }
  return undefined
}
