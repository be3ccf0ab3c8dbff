import type { FeatureStatus } from '../system/detect.js'
import type { WantedFlag } from './daemon-flags.js'

/** What the banner shows about one daemon. */
export interface BannerDaemon {
  role: string
  peerId?: string
  pid?: number
  addresses?: readonly string[]
  note?: string
}

export interface BannerInit {
  url: string
  webAppBuilt: boolean
  daemons: readonly BannerDaemon[]
  dataDir: string
  missing: readonly FeatureStatus[]
  installCommand: string
  /** The command that runs `quire setup` from the current directory. */
  setupCommand: string
  /** Flags a daemon lacked, so a feature of the local network is off. */
  leftOut: ReadonlyArray<{ daemon: string; flag: WantedFlag }>
}

/** The text `quire up` prints once everything runs: where to go, what runs, what is missing and how to add it. */
export function bannerText(b: BannerInit): string {
  const lines = ['', 'Quire local network is running.', '', `  Open ${b.url} in your browser.`]
  if (!b.webAppBuilt) lines.push('  (The web app is not built, so that page answers 404: run `npm run build`, then start again.)')
  lines.push('')
  for (const d of b.daemons) {
    const who = d.peerId !== undefined ? `${d.peerId}${d.pid !== undefined ? ` (pid ${d.pid})` : ''}` : 'not running'
    lines.push(`  ${d.role.padEnd(13)}${who}`)
    if (d.addresses !== undefined && d.addresses.length > 0) lines.push(`  ${''.padEnd(13)}${d.addresses.join(' ')}`)
    if (d.note !== undefined) lines.push(`  ${''.padEnd(13)}${d.note}`)
  }
  lines.push(`  ${'data'.padEnd(13)}${b.dataDir} (identities and documents, reused by the next start)`)
  if (b.missing.length > 0) {
    lines.push('', '  Missing system packages (everything else works without them):')
    for (const m of b.missing) lines.push(`    - ${m.feature.gives}: ${m.feature.packages.join(' ')}`)
    lines.push(`  Add them with:  ${b.installCommand}`, `  or run \`${b.setupCommand}\` as root.`)
  }
  for (const { daemon, flag } of b.leftOut) {
    lines.push('', `  Note: this ${daemon} has no ${flag.flag} flag yet, so ${flag.why}.`)
  }
  lines.push('', 'Press Ctrl-C to stop.', '')
  return lines.join('\n')
}
