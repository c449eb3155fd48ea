// Builds every browser/plugins/<name>.js into build/browser/<name>.js (one IIFE each, the shared
// runtime bundled in). Run by `make setup` through `npm run build`.
import { build } from 'esbuild'
import { mkdirSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const source = join(root, 'browser', 'plugins')
const out = join(root, 'build', 'browser')
mkdirSync(out, { recursive: true })

const plugins = readdirSync(source).filter((file) => file.endsWith('.js'))
await Promise.all(
  plugins.map((file) =>
    build({
      entryPoints: [join(source, file)],
      outfile: join(out, file),
      bundle: true,
      minify: true,
      format: 'iife',
      target: ['es2018'],
      legalComments: 'none',
      logLevel: 'warning',
    }),
  ),
)
console.log(`built ${plugins.length} browser plugins into build/browser/`)
