/** `quire project ...` (loaded on demand by the `quire` dispatcher). */
export { runProjectCommand } from './run-project-command.js'
export { ProjectCliError, type ProjectCliErrorCode } from './errors.js'
