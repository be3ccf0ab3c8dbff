/**
 * `/quire/pty/1.0.0`: a member's view of a terminal on a compute peer (rules T in compute-peer/SPEC.md).
 * One stream is one request: `list`, `watch` (the list, pushed again on every change), or `open` (a new
 * terminal) / `attach` (an existing one) followed by the session's frames both ways. Frames are CBOR maps
 * behind a varint length, as on the sync protocol, each at most {@link MAX_PTY_FRAME_BYTES}. Both ends check
 * every frame they get with the functions here.
 */

export const PTY_PROTOCOL = '/quire/pty/1.0.0'
/** Largest frame either end sends or accepts. Input larger than this is sent in several frames. */
export const MAX_PTY_FRAME_BYTES = 256 * 1024
/** Input bytes per frame a client sends (a 1 MB paste is 16 frames). */
export const PTY_INPUT_CHUNK_BYTES = 64 * 1024
/** Terminal sizes outside these bounds are refused with PTY_BAD_SIZE. */
export const PTY_MAX_COLS = 1000
export const PTY_MAX_ROWS = 500
const MAX_NAME_CHARS = 100

/** Stable codes of the errors a compute peer sends on this protocol. */
export type PtyErrorCode =
  | 'PTY_BAD_FRAME'
  | 'PTY_FRAME_TOO_LARGE'
  | 'PTY_NOT_A_MEMBER'
  | 'PTY_READ_ONLY'
  | 'PTY_NO_SUCH_TERMINAL'
  | 'PTY_NOT_SERVED'
  | 'PTY_BAD_SIZE'
  | 'PTY_TOO_MANY_TERMINALS'
  | 'PTY_START_FAILED'
  | 'PTY_EXITED'
  | 'PTY_TOO_SLOW'

/** One member looking at a terminal. */
export interface PtyViewerInfo {
  readonly peer: string
  /** May type (a writer, admin or the owner); readers watch. */
  readonly writer: boolean
  /** A writer who typed recently (or opened, or took the size): their window bounds the size (T10). */
  readonly active: boolean
}

/** A terminal as members see it in lists and on attach. */
export interface PtyTerminalInfo {
  readonly id: string
  readonly name: string
  readonly state: 'running' | 'exited'
  readonly cols: number
  readonly rows: number
  /** The peer whose window sets the size now (null: nobody, the size is the last one set). */
  readonly sizedBy: string | null
  readonly viewers: readonly PtyViewerInfo[]
  /** How it ended, once exited. */
  readonly exit?: string
  readonly createdBy: string
  readonly createdAt: number
}

/** What a member sends first on a stream. */
export type PtyRequest =
  | { readonly t: 'list'; readonly project: string }
  /** `list` now and again after every change, on this stream, until either end closes it (T20). */
  | { readonly t: 'watch'; readonly project: string }
  | { readonly t: 'open'; readonly project: string; readonly name: string; readonly cols: number; readonly rows: number }
  | { readonly t: 'attach'; readonly project: string; readonly id: string; readonly cols: number; readonly rows: number }

/** What a member sends after `open` or `attach`. */
export type PtyClientFrame =
  | { readonly t: 'input'; readonly data: Uint8Array }
  | { readonly t: 'resize'; readonly cols: number; readonly rows: number; readonly take?: boolean }
  /** Output bytes received and written to the member's screen so far, in total (T7). */
  | { readonly t: 'ack'; readonly bytes: number }
  /** Ends the terminal (its processes are killed), for every viewer. */
  | { readonly t: 'close' }

/** What a compute peer sends. */
export type PtyServerFrame =
  | { readonly t: 'list'; readonly terminals: readonly PtyTerminalInfo[] }
  /** Answer to open or attach: the screen so far (serialized; write it to a fresh terminal), then live output. */
  | { readonly t: 'ready'; readonly terminal: PtyTerminalInfo; readonly screen: string }
  | { readonly t: 'output'; readonly data: Uint8Array }
  /** The member fell behind: reset the screen and write this instead of the output it missed (T8). */
  | { readonly t: 'screen'; readonly screen: string }
  /** The terminal changed (size, viewers, exit). */
  | { readonly t: 'info'; readonly terminal: PtyTerminalInfo }
  /** A refusal. `fatal`: the compute peer closes the stream after it. */
  | { readonly t: 'error'; readonly code: PtyErrorCode; readonly message: string; readonly fatal: boolean }

/** A frame that breaks the protocol, with the code to answer it with. */
export class PtyProtocolError extends Error {
  constructor(readonly code: PtyErrorCode, message: string) {
    super(message)
    this.name = 'PtyProtocolError'
  }
}

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array)
const bad = (message: string): PtyProtocolError => new PtyProtocolError('PTY_BAD_FRAME', message)

function str(v: Obj, key: string, max: number): string {
  const value = v[key]
  if (typeof value !== 'string' || value.length === 0 || value.length > max) throw bad(`"${key}" must be a string of 1 to ${max} characters`)
  return value
}

/** A terminal size, checked (T14): integers, 1..PTY_MAX_COLS columns and 1..PTY_MAX_ROWS rows. */
export function checkSize(cols: unknown, rows: unknown): { cols: number; rows: number } {
  const ok = (n: unknown, max: number): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= max
  if (!ok(cols, PTY_MAX_COLS) || !ok(rows, PTY_MAX_ROWS)) {
    throw new PtyProtocolError('PTY_BAD_SIZE', `a terminal is 1 to ${PTY_MAX_COLS} columns by 1 to ${PTY_MAX_ROWS} rows, not ${String(cols)}x${String(rows)}`)
  }
  return { cols, rows }
}

/** Checks the first frame of a stream. Throws {@link PtyProtocolError}. */
export function checkPtyRequest(value: unknown): PtyRequest {
  if (!isObj(value)) throw bad('the first frame must be a map with "t"')
  const project = str(value, 'project', 200)
  switch (value['t']) {
    case 'list':
      return { t: 'list', project }
    case 'watch':
      return { t: 'watch', project }
    case 'open': {
      const name = value['name'] === undefined ? 'terminal' : str(value, 'name', MAX_NAME_CHARS)
      return { t: 'open', project, name, ...checkSize(value['cols'], value['rows']) }
    }
    case 'attach':
      return { t: 'attach', project, id: str(value, 'id', 64), ...checkSize(value['cols'], value['rows']) }
    default:
      throw bad('the first frame must be list, watch, open or attach')
  }
}

/** Checks a frame a member sent after open or attach. Throws {@link PtyProtocolError}. */
export function checkPtyClientFrame(value: unknown): PtyClientFrame {
  if (!isObj(value)) throw bad('a frame must be a map with "t"')
  switch (value['t']) {
    case 'input': {
      const data = value['data']
      if (!(data instanceof Uint8Array) || data.byteLength === 0) throw bad('input carries "data": non-empty bytes')
      return { t: 'input', data }
    }
    case 'resize':
      return { t: 'resize', ...checkSize(value['cols'], value['rows']), ...(value['take'] === true && { take: true }) }
    case 'ack': {
      const bytes = value['bytes']
      if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0) throw bad('ack carries "bytes": a non-negative integer')
      return { t: 'ack', bytes }
    }
    case 'close':
      return { t: 'close' }
    default:
      throw bad(`unknown frame type ${JSON.stringify(value['t'])}`)
  }
}

function checkInfo(v: unknown): PtyTerminalInfo {
  if (!isObj(v) || typeof v['id'] !== 'string' || typeof v['name'] !== 'string' || !Array.isArray(v['viewers'])) throw bad('malformed terminal description')
  if (v['state'] !== 'running' && v['state'] !== 'exited') throw bad('malformed terminal state')
  const viewers = (v['viewers'] as unknown[]).filter(isObj).map((x) => ({ peer: String(x['peer']), writer: x['writer'] === true, active: x['active'] === true }))
  return {
    id: v['id'], name: v['name'], state: v['state'], cols: Number(v['cols']), rows: Number(v['rows']),
    sizedBy: typeof v['sizedBy'] === 'string' ? v['sizedBy'] : null, viewers,
    ...(typeof v['exit'] === 'string' && { exit: v['exit'] }),
    createdBy: String(v['createdBy']), createdAt: Number(v['createdAt']),
  }
}

/** Checks a frame a compute peer sent (the member's side trusts nothing either). Throws {@link PtyProtocolError}. */
export function checkPtyServerFrame(value: unknown): PtyServerFrame {
  if (!isObj(value)) throw bad('a frame must be a map with "t"')
  switch (value['t']) {
    case 'list':
      if (!Array.isArray(value['terminals'])) throw bad('list carries "terminals"')
      return { t: 'list', terminals: (value['terminals'] as unknown[]).map(checkInfo) }
    case 'ready':
      if (typeof value['screen'] !== 'string') throw bad('ready carries "screen"')
      return { t: 'ready', terminal: checkInfo(value['terminal']), screen: value['screen'] }
    case 'output':
      if (!(value['data'] instanceof Uint8Array)) throw bad('output carries "data"')
      return { t: 'output', data: value['data'] }
    case 'screen':
      if (typeof value['screen'] !== 'string') throw bad('screen carries "screen"')
      return { t: 'screen', screen: value['screen'] }
    case 'info':
      return { t: 'info', terminal: checkInfo(value['terminal']) }
    case 'error':
      return {
        t: 'error', code: (typeof value['code'] === 'string' ? value['code'] : 'PTY_BAD_FRAME') as PtyErrorCode,
        message: typeof value['message'] === 'string' ? value['message'].slice(0, 1000) : '', fatal: value['fatal'] === true,
      }
    default:
      throw bad(`unknown frame type ${JSON.stringify(value['t'])}`)
  }
}
