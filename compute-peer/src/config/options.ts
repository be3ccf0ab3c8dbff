/**
 * The one table of compute peer options: it drives the flag parser, the environment variables, the config
 * file's fields and `--help` (through @quire/node's daemon options), so the four never disagree.
 */
import { optionNames, type OptionSpec } from '@quire/node'

export type { OptionKind, OptionSpec } from '@quire/node'

/** Compute variables are QUIRE_COMPUTE_<SNAKE>; QUIRE_COMPUTE_CONFIG names the config file. */
export const ENV_PREFIX = 'QUIRE_COMPUTE_'

export const OPTIONS: readonly OptionSpec[] = [
  { key: 'dataDir', kind: 'path', help: 'Directory for the identity key, the document and blob database, kernel state and project working directories (created, mode 0700).', shownDefault: './quire-compute-data' },
  { key: 'listen', placeholder: '<multiaddr>', kind: 'list', help: 'libp2p listen multiaddr (repeat or comma-separate).', shownDefault: '/ip4/0.0.0.0/tcp/4011' },
  { key: 'bootstrap', placeholder: '<multiaddr>', kind: 'list', help: 'Peer to dial on start (a relay), a multiaddr ending in /p2p/<peer id>.', shownDefault: 'none' },
  { key: 'projects', flag: '--project', kind: 'list', placeholder: '<project id|url>[@<owner peer id>]', help: 'A project to compute for: its project document id or automerge: URL, optionally with its owner\'s peer id after "@" (pinned, and trusted to send the project). It is served only while its grants give this peer the compute role. Projects also arrive at run time: an admin of a project that grants this peer the compute role asks it over /quire/host/1.0.0 (the web app does this).', shownDefault: 'none' },
  { key: 'maxKernels', kind: 'int', min: 1, help: 'Kernels running at once; an idle one is stopped to make room for another notebook.', shownDefault: '4' },
  { key: 'kernelMemoryMb', kind: 'int', min: 0, help: 'Memory per kernel (and what it starts), MiB; 0 for no limit.', shownDefault: '2048' },
  { key: 'kernelCpuSeconds', kind: 'int', min: 0, help: 'CPU time per kernel, seconds; 0 for no limit.', shownDefault: '0 (no limit)' },
  { key: 'kernelProcesses', kind: 'int', min: 0, help: 'Processes per kernel; 0 for no limit.', shownDefault: '256' },
  { key: 'kernelFileSizeMb', kind: 'int', min: 0, help: 'Largest file a kernel may write, MiB; 0 for no limit.', shownDefault: '1024' },
  { key: 'idleTimeoutSeconds', kind: 'int', min: 1, help: 'Shut down a kernel that has run nothing for this long.', shownDefault: '1800' },
  { key: 'allowNetwork', kind: 'bool', help: 'Let kernels use the network when a project turns network access on in its settings.', shownDefault: 'false' },
  { key: 'allowLoopback', kind: 'bool', help: 'Development and tests only: allow dialing loopback addresses.', shownDefault: 'false' },
  { key: 'sandboxUser', kind: 'string', placeholder: '<user>', help: 'When started as root: the unprivileged host user kernels run as and project files belong to (created as a system user if missing).', shownDefault: 'quire-sandbox' },
  { key: 'snapshotIntervalSeconds', kind: 'int', min: 1, help: 'How often each project is snapshotted when it changed (kept by the retention ladder: 4 quarter hours, 24 hours, 7 days, 4 weeks).', shownDefault: '900' },
  { key: 'workspaceQuotaMb', kind: 'int', min: 0, help: 'Disk quota of each project\'s workspace, MiB (enforced on every write on BTRFS, on restores elsewhere); 0 for none.', shownDefault: '0 (none)' },
  { key: 'snapshotBudgetMb', kind: 'int', min: 0, help: 'Space each project\'s snapshots may hold beyond its workspace, MiB; the oldest automatic snapshots are pruned first. 0: twice the workspace quota, or no limit without one.', shownDefault: '0' },
  { key: 'latexTimeoutSeconds', kind: 'int', min: 1, help: 'A LaTeX build still running after this long gets SIGTERM (an endless loop in a document).', shownDefault: '60' },
  { key: 'latexKillSeconds', kind: 'int', min: 1, help: 'A LaTeX build still running after this long is killed with everything it started.', shownDefault: '240' },
  { key: 'latexFileSizeMb', kind: 'int', min: 1, help: 'Largest file a LaTeX build may write (PDF, log), MiB.', shownDefault: '256' },
  { key: 'replicaPushSeconds', kind: 'int', min: 1, help: 'How often a served project\'s new snapshots are pushed to its standbys (the project\'s other compute peers).', shownDefault: '60' },
  { key: 'unsafeNoSandbox', kind: 'bool', help: 'Run kernels without bubblewrap when it is missing: they see the whole machine. Only on your own machine.', shownDefault: 'false' },
]

/** `dataDir` -> `--data-dir` (or the option's own `flag`) and `QUIRE_COMPUTE_DATA_DIR`. */
export const { flagName, envName } = optionNames(ENV_PREFIX, OPTIONS)
