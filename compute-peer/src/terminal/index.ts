/** Shared terminals (compute-peer/SPEC.md, T rules): node-pty in the sandbox, served over `/quire/pty/1.0.0`. */
export { terminalService, TerminalRegistry, ProjectTerminals, MAX_TERMINALS_PER_PROJECT, type TerminalServiceInit } from './terminal-service.js'
export { servePty, type PtyServerInit } from './pty-server.js'
export { TerminalSession, ACTIVE_WRITER_MS } from './session.js'
export { SCROLLBACK_LINES } from './screen.js'
