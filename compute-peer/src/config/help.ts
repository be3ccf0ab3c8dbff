import { renderDaemonHelp } from '@quire/node'
import { ENV_PREFIX, OPTIONS } from './options.js'

/** The text of `quire-compute --help`, generated from the option table. */
export function helpText(): string {
  return renderDaemonHelp({
    command: 'quire-compute',
    envPrefix: ENV_PREFIX,
    options: OPTIONS,
    description: [
      'Runs a Quire compute peer: it joins the network, and for each project it serves (listed with --project,',
      'and whose grants give it the compute role) runs the notebook cells members queue, on sandboxed Jupyter',
      'kernels, writing outputs back into the shared notebooks.',
    ],
    footer: ['Signals: SIGTERM and SIGINT shut every kernel down, write the notebooks to disk, then exit 0.'],
  })
}
