/** `/quire/pty/1.0.0` (compute-peer/SPEC.md, T rules): the frames, their checks, and a member's client. */
export {
  PTY_PROTOCOL, MAX_PTY_FRAME_BYTES, PTY_INPUT_CHUNK_BYTES, PTY_MAX_COLS, PTY_MAX_ROWS,
  PtyProtocolError, checkSize, checkPtyRequest, checkPtyClientFrame, checkPtyServerFrame,
  type PtyErrorCode, type PtyViewerInfo, type PtyTerminalInfo, type PtyRequest, type PtyClientFrame, type PtyServerFrame,
} from './protocol.js'
export { FramedStream, type FramedStreamInit } from './framed-stream.js'
export { listTerminals, watchTerminals, openTerminal, ptyFrameWeight, PtyViewer, type TerminalWatch, type OpenTerminalRequest, type OpenTerminalOptions, type PtyViewerEvents } from './client.js'
