import { isImmutableString, type ImmutableString } from '@automerge/automerge'

/**
 * Small, total readers for untrusted values (a document that came from a peer may have any shape).
 * Each returns `undefined` instead of throwing, so callers decide whether a field is required, defaulted,
 * or makes the surrounding value "broken".
 */

/** One thing wrong in a document, with a JSON-pointer-like path to it. */
export interface Problem {
  readonly path: string
  readonly message: string
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
}

/**
 * Automerge text, atomic `ImmutableString`s and plain strings all read as a JS string; anything else is
 * `undefined`.
 */
export function asString(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (isImmutableString(value)) {
    const inner = (value as ImmutableString).val
    return typeof inner === 'string' ? inner : undefined
  }
  // Automerge's legacy Text objects stringify to their content.
  if (isRecord(value) && typeof (value as { toString?: unknown }).toString === 'function' && 'elems' in value) return String(value)
  return undefined
}

export function asNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}

export function asInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined
}

export function asBoolean(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined
}

export function asArray(value: unknown): readonly unknown[] | undefined {
  return Array.isArray(value) ? value : undefined
}

export function asStringArray(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined
  const out: string[] = []
  for (const item of value) {
    const s = asString(item)
    if (s === undefined) return undefined
    out.push(s)
  }
  return out
}

/** A string literal from a fixed set, e.g. a cell type or a role. */
export function asOneOf<T extends string>(value: unknown, allowed: readonly T[]): T | undefined {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value) ? (value as T) : undefined
}
