/**
 * Links in a terminal's output (web addresses the web-links addon finds, and OSC 8 hyperlinks a program
 * prints). The output comes from whatever runs in the shell, so it is untrusted: only http and https
 * addresses are opened, in a new tab that gets no handle on this one (noopener) and no referrer.
 */

/** The address to open for a link in terminal output, or null when it is not an http(s) URL. */
export function terminalLinkTarget(uri: string): string | null {
  let url: URL
  try {
    url = new URL(uri)
  } catch {
    return null
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null
}

type Opener = (url: string, target: string, features: string) => unknown

/** Opens a link from terminal output in a new tab with noopener and noreferrer; other schemes are ignored. */
export function openTerminalLink(uri: string, open: Opener = (url, target, features) => window.open(url, target, features)): boolean {
  const target = terminalLinkTarget(uri)
  if (target === null) return false
  open(target, '_blank', 'noopener,noreferrer')
  return true
}
