import { existsSync, mkdirSync, rmSync } from 'node:fs'
import { join, relative } from 'node:path'
import { QuireCliError } from '../errors.js'
import { detectSystemFeatures, missingFeatures, type FeatureStatus } from '../system/detect.js'
import { installCommand, packagesOf, runningAsRoot } from '../system/install-command.js'
import { bannerText, type BannerDaemon } from './banner.js'
import { daemonArgs, daemonHelp, type DaemonHelp, type WantedFlag } from './daemon-flags.js'
import { ManagedChild, type ChildExit, type ReadyInfo } from './managed-child.js'
import { claimDataDir, writeNetworkState, writeWebConfig, type NetworkState } from './network-files.js'
import { networkLayout, quireBuild, type NetworkLayout, type QuireBuild } from './paths.js'
import { assertPortsFree, networkPorts, type NetworkPorts } from './ports.js'
import { localIdentities } from './identities.js'

export interface LocalNetworkOptions {
  /** Default `.quire` in the current directory. */
  dataDir: string
  /** First of three consecutive ports. */
  basePort: number
  /** Start the compute peer too (when it is built). */
  compute: boolean
  /** Where the banner, notes and the daemons' prefixed log lines go. */
  out: (line: string) => void
  build?: QuireBuild
  cwd?: string
  /** Unexpected exits of one daemon restarted within 10 minutes before the launcher gives up. Default 3. */
  restartLimit?: number
  /** Forward every daemon line, the expected refusals below included. */
  verbose?: boolean
  /** How long a daemon has to announce itself. Default 60 s. */
  readyTimeoutMs?: number
}

const HOST = '127.0.0.1'
/**
 * Refusals that are expected on a local network and say nothing to its user: a peer asks the relay or the
 * compute peer for a new project's documents a moment before the web app's hosting request reaches it.
 * Both daemons rate-limit them; `--verbose` shows them.
 */
const ROUTINE = /\b(RELAY_NOT_HOSTED|ACCESS_OUTSIDE_PROJECTS)\b/
const RESTART_WINDOW_MS = 10 * 60_000

/** One supervised daemon and what it announced. */
interface Role {
  role: 'relay' | 'compute'
  child: ManagedChild
  info?: ReadyInfo
  restarts: number[]
}

/** Thrown while starting when Ctrl-C came first. */
class StartAborted extends Error {}

/** `p`, or a rejection after `ms` or as soon as `stop` aborts (Ctrl-C while a daemon is still starting). */
function withTimeout<T>(p: Promise<T>, ms: number, what: string, stop: AbortSignal): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  let onAbort: (() => void) | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not announce itself within ${ms / 1000} s`)), ms)
    onAbort = () => reject(new StartAborted())
    if (stop.aborted) onAbort()
    else stop.addEventListener('abort', onAbort, { once: true })
  })
  return Promise.race([p, timeout]).finally(() => {
    clearTimeout(timer)
    if (onAbort !== undefined) stop.removeEventListener('abort', onAbort)
  })
}

function describeExit(exit: ChildExit): string {
  return exit.signal !== null ? `was killed by ${exit.signal}` : `exited with status ${exit.code}`
}

function relayWanted(layout: NetworkLayout, build: QuireBuild, ports: NetworkPorts, help: DaemonHelp): WantedFlag[] {
  // The relay hosts the projects whose grants name it (the web app grants it the relay role on every
  // project created here, from the web config's autoGrant). A relay from before grants-based hosting
  // would host nothing by default, so it gets open hosting with quotas far above what one person makes.
  const grants = help.text.includes("'grants'")
  return [
    { flag: '--data-dir', values: [layout.relayDir], required: true, why: 'its data would not be kept under the data directory' },
    { flag: '--listen', values: [`/ip4/${HOST}/tcp/${ports.relayTcp}`, `/ip4/${HOST}/tcp/${ports.relayWs}/ws`], required: true, why: 'it would not listen on the local ports' },
    { flag: '--static-root', values: [build.webDist], why: 'it does not serve the web app' },
    { flag: '--allow-loopback', values: [], why: 'it cannot dial peers on this machine' },
    { flag: '--web-config', values: [layout.webConfig], why: 'the web app does not learn which peers to grant projects to, or what is missing here' },
    { flag: '--hosting', values: [grants ? 'grants' : 'open'], why: 'it keeps no documents' },
    ...(grants || !help.flags.has('--hosting') ? [] : [
      { flag: '--max-docs-per-peer', values: ['1000000'], why: 'the default quota of documents per peer applies' },
      { flag: '--max-bytes-per-peer', values: [String(64 * 1024 ** 3)], why: 'the default quota of bytes per peer applies' },
    ]),
  ]
}

function computeWanted(layout: NetworkLayout, ports: NetworkPorts, relayAddress: string): WantedFlag[] {
  return [
    { flag: '--data-dir', values: [layout.computeDir], required: true, why: 'its data would not be kept under the data directory' },
    { flag: '--bootstrap', values: [relayAddress], required: true, why: 'it cannot find the relay' },
    { flag: '--listen', values: [`/ip4/${HOST}/tcp/${ports.computeTcp}`], why: 'it listens on its default addresses' },
    { flag: '--allow-loopback', values: [], why: 'it cannot dial peers on this machine' },
  ]
}

/**
 * `quire up`: the relay (serving the web app) and the compute peer on this machine, with their data and
 * identities under one directory, until `stop` aborts. Returns the process exit status.
 */
export async function runLocalNetwork(options: LocalNetworkOptions, stop: AbortSignal): Promise<number> {
  const build = options.build ?? quireBuild()
  if (!existsSync(build.relayCli)) {
    throw new QuireCliError('QUIRE_BUILD_MISSING', `the relay is not built (${build.relayCli} is missing): run \`npm run build\` in ${build.root} (\`npm start\` does this for you)`)
  }
  const layout = networkLayout(options.dataDir, options.cwd)
  try {
    for (const dir of [layout.dataDir, layout.relayDir, layout.computeDir]) mkdirSync(dir, { recursive: true, mode: 0o700 })
  } catch (err) {
    throw new QuireCliError('QUIRE_DATA_DIR_UNAVAILABLE', `cannot create ${layout.dataDir} (${(err as Error).message}); choose another with --data-dir`)
  }
  const release = claimDataDir(layout)
  try {
    return await runClaimed(options, build, layout, stop)
  } finally {
    rmSync(layout.state, { force: true })
    release()
  }
}

async function runClaimed(options: LocalNetworkOptions, build: QuireBuild, layout: NetworkLayout, stop: AbortSignal): Promise<number> {
  const out = options.out
  const ports = networkPorts(options.basePort)
  await assertPortsFree(ports, HOST)
  out(`Starting the Quire local network in ${layout.dataDir} ...`)
  const withCompute = options.compute && existsSync(build.computeCli)
  const [features, ids, relayHelp, computeHelp] = await Promise.all([
    detectSystemFeatures(),
    localIdentities(layout),
    daemonHelp(build.relayCli, join(layout.dataDir, 'relay-help.cache.json')),
    withCompute ? daemonHelp(build.computeCli, join(layout.dataDir, 'compute-help.cache.json')) : Promise.resolve({ text: '', flags: new Set<string>() }),
  ])
  // A Ctrl-C meanwhile also reached those checks (same process group) and spoiled their answers.
  if (stop.aborted) return stopped(out, layout, 0)
  const missing = missingFeatures(features)
  const command = installCommand(packagesOf(missing), runningAsRoot())
  const writeConfig = (computeId: string | undefined): void => writeWebConfig(layout, {
    autoGrant: [...(computeId !== undefined ? [{ peerId: computeId, role: 'compute' as const }] : []), { peerId: ids.relay, role: 'relay' }],
    missing: missing.map((m) => ({ feature: m.feature.id, gives: m.feature.gives, packages: [...m.feature.packages] })),
    installCommand: command,
  })
  writeConfig(withCompute ? ids.compute : undefined)

  const readyTimeout = options.readyTimeoutMs ?? 60_000
  const prefix = (name: string) => (_stream: 'stdout' | 'stderr', line: string): void => {
    if (options.verbose !== true && ROUTINE.test(line)) return
    out(`[${name}] ${line}`)
  }
  const relayArgs = daemonArgs(relayHelp.flags, relayWanted(layout, build, ports, relayHelp))
  const leftOut = relayArgs.missing.map((flag) => ({ daemon: 'relay', flag }))
  const required = leftOut.find((l) => l.flag.required === true)
  if (required !== undefined) {
    throw new QuireCliError('QUIRE_DAEMON_FAILED', `the relay at ${build.relayCli} has no ${required.flag.flag} flag; rebuild it with \`npm run build\``)
  }
  const relay: Role = { role: 'relay', child: new ManagedChild({ name: 'relay', command: build.relayCli, args: relayArgs.args, cwd: layout.dataDir, onLine: prefix('relay') }), restarts: [] }
  const roles: Role[] = [relay]
  const stopAll = async (): Promise<void> => {
    for (const r of [...roles].reverse()) await r.child.stop()
  }
  let url = `http://${HOST}:${ports.relayWs}/`
  function saveState(): void {
    const state: NetworkState = { launcherPid: process.pid, url, daemons: [] }
    for (const r of roles) if (r.info !== undefined && r.child.pid !== undefined) state.daemons.push({ role: r.role, pid: r.child.pid, peerId: r.info.peerId, addresses: r.info.addresses })
    writeNetworkState(layout, state)
  }
  // Supervision: a daemon that exits on its own is restarted a few times, then the launcher gives up.
  let failed: ((why: string) => void) | undefined
  const failure = new Promise<string>((resolve) => { failed = resolve })
  let stopping = false
  function watch(r: Role, exited: Promise<ChildExit>): void {
    void exited.then(async (exit) => {
      if (exit.requested || stopping) return
      const name = r.role === 'relay' ? 'relay' : 'compute peer'
      const now = Date.now()
      r.restarts = r.restarts.filter((t) => now - t < RESTART_WINDOW_MS)
      const limit = options.restartLimit ?? 3
      if (r.restarts.length >= limit) {
        failed?.(`the ${name} ${describeExit(exit)} again, ${limit + 1} times in 10 minutes; stopping. Its last messages are above.`)
        return
      }
      r.restarts.push(now)
      out(`[quire] the ${name} ${describeExit(exit)} unexpectedly; restarting it (${r.restarts.length} of ${limit})`)
      await new Promise((resolve) => setTimeout(resolve, 1000))
      if (stopping) return
      const again = r.child.start()
      watch(r, again.exited)
      try {
        r.info = await withTimeout(again.ready, readyTimeout, `the ${name}`, stop)
        saveState()
        out(`[quire] the ${name} is running again (pid ${r.child.pid})`)
      } catch {
        // its exit is handled by the watch above
      }
    })
  }
  try {
    if (stop.aborted) throw new StartAborted()
    const started = relay.child.start()
    relay.info = await withTimeout(started.ready, readyTimeout, 'the relay', stop)
    watch(relay, started.exited)
  } catch (err) {
    await stopAll()
    if (err instanceof StartAborted) return stopped(out, layout, 0)
    throw new QuireCliError('QUIRE_DAEMON_FAILED', `${(err as Error).message}`)
  }

  const daemons: BannerDaemon[] = [{ role: 'relay', peerId: relay.info.peerId, pid: relay.child.pid, addresses: relay.info.addresses }]
  if (withCompute) {
    const relayAddress = relay.info.addresses.find((a) => a.includes(`/tcp/${ports.relayTcp}/p2p/`)) ?? `/ip4/${HOST}/tcp/${ports.relayTcp}/p2p/${relay.info.peerId}`
    const computeArgs = daemonArgs(computeHelp.flags, computeWanted(layout, ports, relayAddress))
    const lacking = computeArgs.missing.find((m) => m.required === true)
    if (lacking !== undefined) {
      out(`[quire] the compute peer has no ${lacking.flag} flag yet, so ${lacking.why}: not starting it; notebooks and builds will not run`)
      daemons.push({ role: 'compute peer', note: `not started: it lacks ${lacking.flag}` })
    } else {
      leftOut.push(...computeArgs.missing.map((flag) => ({ daemon: 'compute peer', flag })))
      const compute: Role = { role: 'compute', child: new ManagedChild({ name: 'compute', command: build.computeCli, args: computeArgs.args, cwd: layout.dataDir, onLine: prefix('compute') }), restarts: [] }
      roles.push(compute)
      const started = compute.child.start()
      try {
        compute.info = await withTimeout(started.ready, readyTimeout, 'the compute peer', stop)
        watch(compute, started.exited)
        if (compute.info.peerId !== ids.compute) {
          // It keeps its key somewhere else than <data dir>/identity.key; the relay read the web config at start.
          writeConfig(compute.info.peerId)
          out(`[quire] the compute peer's ID is not the one in ${layout.computeDir}/identity.key; start again so the web app grants the right peer`)
        }
        daemons.push({ role: 'compute peer', peerId: compute.info.peerId, pid: compute.child.pid, note: 'granted to every project created in this web app' })
      } catch (err) {
        await compute.child.stop()
        roles.pop()
        if (err instanceof StartAborted) {
          await stopAll()
          return stopped(out, layout, 0)
        }
        out(`[quire] ${(err as Error).message}`)
        out('[quire] running without a compute peer: documents sync, but notebooks and builds will not run')
        daemons.push({ role: 'compute peer', note: 'failed to start (see above)' })
      }
    }
  } else {
    daemons.push({ role: 'compute peer', note: options.compute ? `not built (${relative(build.root, build.computeCli)} is missing): run \`npm run build\`` : 'not started (--no-compute)' })
  }
  url = relay.info.httpUrls[0] !== undefined ? `${relay.info.httpUrls[0]}/` : `http://${HOST}:${ports.relayWs}/`
  saveState()
  out(bannerText({ url, webAppBuilt: existsSync(join(build.webDist, 'index.html')), daemons, dataDir: layout.dataDir, missing: missing as FeatureStatus[], installCommand: command, setupCommand: `node ${shortPath(options.cwd ?? process.cwd(), join(build.root, 'bootstrap', 'dist', 'cli.js'))} setup`, leftOut }))

  const aborted = new Promise<undefined>((resolve) => {
    if (stop.aborted) resolve(undefined)
    stop.addEventListener('abort', () => resolve(undefined), { once: true })
  })
  const why = await Promise.race([aborted, failure])
  stopping = true
  out(why === undefined ? '\nStopping the Quire local network ...' : `[quire] ${why}`)
  await stopAll()
  return stopped(out, layout, why === undefined ? 0 : 1)
}

/** `to` relative to `from` when it is inside it, else absolute: a command to paste. */
function shortPath(from: string, to: string): string {
  const rel = relative(from, to)
  return rel !== '' && !rel.startsWith('..') ? rel : to
}

function stopped(out: (line: string) => void, layout: NetworkLayout, code: number): number {
  out(`Stopped. Data kept in ${layout.dataDir}.`)
  return code
}
