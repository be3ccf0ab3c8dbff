import { afterEach, describe, expect, it, vi } from 'vitest'
import { BlobUrls } from '../../src/lib/notebook/blob-urls.js'

const ref = { blob: 'e'.repeat(64), size: 2, mime: 'image/png' }

afterEach(() => vi.restoreAllMocks())

describe('BlobUrls', () => {
  it('fetches a blob once, however often it is shown, and gives its text', async () => {
    const get = vi.fn(async () => new TextEncoder().encode('<b>x</b>'))
    const urls = new BlobUrls({ get })
    expect(await urls.text(ref)).toBe('<b>x</b>')
    await urls.url(ref)
    expect(await urls.url(ref)).toBe(await urls.url(ref))
    expect(get).toHaveBeenCalledTimes(1)
    urls.dispose()
  })

  it('forgets a failed fetch so that the next render asks again', async () => {
    const get = vi.fn().mockRejectedValueOnce(new Error('no peer has it')).mockResolvedValue(new Uint8Array([1]))
    const urls = new BlobUrls({ get })
    await expect(urls.url(ref)).rejects.toThrow('no peer has it')
    await expect(urls.url(ref)).resolves.toMatch(/^blob:/)
    expect(get).toHaveBeenCalledTimes(2)
    urls.dispose()
  })

  it('revokes every object URL it made when the view closes', async () => {
    const revoke = vi.spyOn(URL, 'revokeObjectURL')
    const urls = new BlobUrls({ get: async () => new Uint8Array([1]) })
    const url = await urls.url(ref)
    urls.dispose()
    expect(revoke).toHaveBeenCalledWith(url)
  })
})
