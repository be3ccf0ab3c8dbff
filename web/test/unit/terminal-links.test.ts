import { describe, expect, it } from 'vitest'
import { openTerminalLink, terminalLinkTarget } from '../../src/lib/terminal/links.js'

describe('links in terminal output', () => {
  it('opens http and https addresses in a new tab with noopener and noreferrer', () => {
    const opened: string[][] = []
    expect(openTerminalLink('https://example.org/a?b=c#d', (...args) => opened.push(args))).toBe(true)
    expect(openTerminalLink('http://127.0.0.1:8080/', (...args) => opened.push(args))).toBe(true)
    expect(opened).toEqual([
      ['https://example.org/a?b=c#d', '_blank', 'noopener,noreferrer'],
      ['http://127.0.0.1:8080/', '_blank', 'noopener,noreferrer'],
    ])
  })

  it('never opens other schemes a program in the shell could print (OSC 8 hyperlinks)', () => {
    const opened: unknown[] = []
    for (const uri of ['javascript:alert(1)', 'JavaScript:alert(1)', 'data:text/html,<script>1</script>', 'file:///etc/passwd', 'vbscript:x', 'not a url', '']) {
      expect(terminalLinkTarget(uri), uri).toBeNull()
      expect(openTerminalLink(uri, (...args) => opened.push(args))).toBe(false)
    }
    expect(opened).toEqual([])
  })
})
