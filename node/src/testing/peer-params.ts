import { PeerCommandError } from './peer-context.js'

// Readers for the untrusted JSON params a test sends to a peer process, shared by every command module.

export function obj(params: unknown): Record<string, unknown> {
  return typeof params === 'object' && params !== null ? (params as Record<string, unknown>) : {}
}

export function str(params: unknown, key: string): string {
  const v = obj(params)[key]
  if (typeof v !== 'string') throw new PeerCommandError('BAD_PARAMS', `param '${key}' must be a string`)
  return v
}

export function num(params: unknown, key: string, fallback: number): number {
  const v = obj(params)[key]
  return typeof v === 'number' ? v : fallback
}
