/**
 * Frames on the pipe between the compute peer and a terminal's pty host (the helper process that owns the
 * pty inside the terminal's sandbox, T2). The compute peer checks what the host sends: the shell in the
 * sandbox may have taken the host over, so its frames are untrusted.
 */

/** Largest frame on the pipe either way. */
export const PTY_PIPE_MAX_FRAME_BYTES = 256 * 1024

/** How the pty host is started (its only argument, as JSON). */
export interface PtyHostConfig {
  readonly argv: readonly string[]
  readonly cols: number
  readonly rows: number
  readonly cwd: string
  readonly env: Readonly<Record<string, string>>
}

/** Compute peer to pty host. */
export type ToPtyHost =
  | { readonly t: 'input'; readonly d: Uint8Array }
  | { readonly t: 'resize'; readonly cols: number; readonly rows: number }
  /** Stop reading the pty (the shell blocks on a full pty once the kernel's buffer fills) until `resume`. */
  | { readonly t: 'pause' }
  | { readonly t: 'resume' }

/** Pty host to compute peer. */
export type FromPtyHost =
  | { readonly t: 'data'; readonly d: Uint8Array }
  | { readonly t: 'exit'; readonly code: number; readonly signal: number }

/** Checks a frame from the pty host; undefined when it is not one. */
export function checkFromPtyHost(value: unknown): FromPtyHost | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const v = value as Record<string, unknown>
  if (v['t'] === 'data' && v['d'] instanceof Uint8Array) return { t: 'data', d: v['d'] }
  if (v['t'] === 'exit' && Number.isInteger(v['code']) && Number.isInteger(v['signal'])) return { t: 'exit', code: v['code'] as number, signal: v['signal'] as number }
  return undefined
}
