/**
 * The Snapshots panel (web/src/lib/snapshots) over a scripted state: the timeline newest first with who and
 * why, the usage, readers' buttons off with the reason, browsing a snapshot, a file read-only and compared with
 * now, and a restore only after a confirmation that says what happens.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushSync, mount, unmount } from 'svelte'
import type { SnapshotFolder, SnapshotInfo, SnapshotRestoreAnswer, SnapshotUsage } from '@quire/node'
import SnapshotsPanel from '../../src/lib/snapshots/SnapshotsPanel.svelte'
import type { ProjectSnapshots, SnapshotsState } from '../../src/lib/snapshots/project-snapshots.svelte.js'

const T = 1_765_000_000_000
const list: SnapshotInfo[] = [
  { id: 's1', createdAt: T, kind: 'auto', reason: 'interval' },
  { id: 's2', createdAt: T + 60_000, kind: 'named', name: 'before cleanup', by: 'peer-ana' },
  { id: 's3', createdAt: T + 120_000, kind: 'auto', reason: 'before-restore', by: 'peer-bo' },
]

/** What the panel uses of ProjectSnapshots, scripted, recording restores. */
function fakeState(status: SnapshotsState = { state: 'ok' }) {
  const restores: Array<[string, string]> = []
  const state = {
    snapshots: list,
    usage: { workspaceBytes: 3 * 1024 * 1024, snapshotBytes: 1024 * 1024, budgetBytes: 8 * 1024 * 1024 } as SnapshotUsage,
    status,
    start: () => undefined,
    stop: () => undefined,
    refresh: async () => undefined,
    browse: async (_id: string, path: string): Promise<SnapshotFolder> => ({
      entries: path === '' ? [{ name: 'out', type: 'dir', size: 0, mtimeMs: 1 }, { name: 'results.csv', type: 'file', size: 12, mtimeMs: 1 }] : [],
      truncated: false,
    }),
    read: async (): Promise<Uint8Array> => new TextEncoder().encode('x,y\n1,4\n'),
    take: async (name: string): Promise<SnapshotInfo> => ({ id: 's4', createdAt: T, kind: 'named', name }),
    restore: async (id: string, path: string): Promise<SnapshotRestoreAnswer> => {
      restores.push([id, path])
      return { written: 1, removed: 0, before: list[2] }
    },
  }
  return { state: state as unknown as ProjectSnapshots, restores }
}

const mounted: Array<Record<string, unknown>> = []
afterEach(() => {
  for (const c of mounted.splice(0)) unmount(c)
  document.body.innerHTML = ''
})

function render(state: ProjectSnapshots, canWrite: boolean, currentText = async (): Promise<string | undefined> => 'x,y\n1,5\n'): HTMLElement {
  const target = document.createElement('div')
  document.body.appendChild(target)
  mounted.push(mount(SnapshotsPanel, { target, props: { snapshots: state, canWrite, nameOf: (p: string) => (p === 'peer-ana' ? 'Ana' : p), currentText } }))
  flushSync()
  return target
}

const byTestId = (id: string): HTMLElement => {
  const el = document.querySelector<HTMLElement>(`[data-testid="${id}"]`)
  if (el === null) throw new Error(`no ${id}`)
  return el
}

async function until(check: () => boolean): Promise<void> {
  await vi.waitFor(() => {
    flushSync()
    if (!check()) throw new Error('not yet')
  }, { timeout: 5000, interval: 10 })
}

describe('SnapshotsPanel', () => {
  it('shows the timeline newest first with why and who, the usage, and turns writing off for readers with the reason', () => {
    const { state } = fakeState()
    const target = render(state, false)
    const items = [...target.querySelectorAll('[data-testid="snapshot-item"]')].map((i) => i.textContent!.replace(/\s+/g, ' ').trim())
    expect(items).toHaveLength(3)
    expect(items[0]).toMatch(/Before a restore.*by peer-bo/)
    expect(items[1]).toMatch(/named before cleanup.*by Ana/)
    expect(items[2]).toMatch(/Automatic.*by the compute peer/)
    expect(byTestId('snapshots-usage').textContent).toMatch(/Workspace 3\.0 MB · snapshots 1\.0 MB of 8\.0 MB budget/)
    expect((byTestId('take-snapshot') as HTMLButtonElement).disabled).toBe(true)
    expect(byTestId('snapshots-read-only').textContent).toMatch(/Only writers can take snapshots and restore/)
    ;(target.querySelectorAll('[data-testid="snapshot-item"]')[1] as HTMLButtonElement).click()
    flushSync()
    expect((byTestId('restore-project') as HTMLButtonElement).disabled).toBe(true)
  })

  it('browses a snapshot, shows a file read-only and compared with now, and restores it after the confirmation', async () => {
    const { state, restores } = fakeState()
    const target = render(state, true)
    ;(target.querySelectorAll('[data-testid="snapshot-item"]')[1] as HTMLButtonElement).click()
    await until(() => document.querySelector('[data-testid="snapshot-entry"][data-name="results.csv"]') !== null)
    document.querySelector<HTMLButtonElement>('[data-testid="snapshot-entry"][data-name="results.csv"]')!.click()
    await until(() => document.querySelector('[data-testid="snapshot-text"]') !== null)
    expect(byTestId('snapshot-text').textContent).toBe('x,y\n1,4\n')
    const compare = byTestId('snapshot-compare') as HTMLInputElement
    compare.click()
    await until(() => document.querySelector('pre.diff') !== null)
    expect([...document.querySelectorAll('pre.diff .removed')].map((s) => s.textContent!.trim())).toEqual(['- 1,4'])
    expect([...document.querySelectorAll('pre.diff .added')].map((s) => s.textContent!.trim())).toEqual(['+ 1,5'])

    byTestId('restore-file').click()
    flushSync()
    expect(restores).toEqual([])
    expect(byTestId('restore-dialog').textContent!.replace(/\s+/g, ' ')).toMatch(/results\.csv goes back .*first takes a snapshot of the project as it is now.*new changes that everyone in the project sees.*can be undone/)
    byTestId('restore-confirm').click()
    await until(() => document.querySelector('[data-testid="snapshots-notice"]') !== null)
    expect(restores).toEqual([['s2', 'results.csv']])
    expect(byTestId('snapshots-notice').textContent).toMatch(/Restored results\.csv: 1 written, 0 removed\. Every member sees the change\..*"Before a restore"/)
  })

  it('offers the whole project\'s restore with its own warning', async () => {
    const { state, restores } = fakeState()
    const target = render(state, true)
    ;(target.querySelectorAll('[data-testid="snapshot-item"]')[1] as HTMLButtonElement).click()
    flushSync()
    byTestId('restore-project').click()
    flushSync()
    expect(byTestId('restore-dialog').textContent!.replace(/\s+/g, ' ')).toMatch(/Every file and document of the project goes back .*files made since are removed/)
    byTestId('restore-confirm').click()
    await until(() => restores.length === 1)
    expect(restores).toEqual([['s2', '']])
  })

  it('says so when the project has no compute peer or it cannot be reached, with no timeline', () => {
    const none = render(fakeState({ state: 'no-compute-peer' }).state, true)
    expect(none.textContent).toMatch(/No compute peer runs this project/)
    expect(none.querySelector('[data-testid="snapshot-item"]')).toBeNull()
    const down = render(fakeState({ state: 'unreachable', message: 'no answer in time' }).state, true)
    expect(down.querySelector('[data-testid="snapshots-unreachable"]')!.textContent).toMatch(/cannot be reached.*no answer in time/)
    expect(down.querySelector('[data-testid="snapshot-item"]')).toBeNull()
  })
})
