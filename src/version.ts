import { readFileSync } from 'node:fs'

/** The package version, read once from package.json (works from src/ and from dist/src/). */
export const VERSION: string = (() => {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: string
        version?: string
      }
      if (pkg.name === 'mainframe-bridge' && pkg.version) return pkg.version
    } catch {
      // not at this depth; try the next
    }
  }
  return '0.0.0'
})()
