// Builds every browser/plugins/<name>.js into build/browser/<name>.js (one IIFE each, the shared
// runtime bundled in). Run by `make setup` through `npm run build`.
//
// A plugin that wraps one of Segment's maintained browser destinations imports
// `segment-destination:<folder>`: a description read at build time from the pinned
// @segment/browser-destinations package (its presets and every action's default subscription
// and field mappings), so our wrappers use Segment's own defaults of that exact version.
import { build } from 'esbuild'
import { mkdirSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const source = join(root, 'browser', 'plugins')
const out = join(root, 'build', 'browser')
const require = createRequire(import.meta.url)
const segmentPackage = join(root, 'node_modules', '@segment', 'browser-destinations')
mkdirSync(out, { recursive: true })

function describe(folder) {
  if (!/^[a-z0-9-]+$/.test(folder)) throw new Error('bad Segment destination name ' + folder)
  // The package's exports map hides dist/cjs/destinations, so it is required by file path.
  const { destination } = require(join(segmentPackage, 'dist', 'cjs', 'destinations', folder, 'index.js'))
  const actions = {}
  for (const [key, action] of Object.entries(destination.actions)) {
    const mapping = {}
    for (const [field, spec] of Object.entries(action.fields || {})) {
      if (spec.default !== undefined) mapping[field] = spec.default
    }
    actions[key] = { subscribe: action.defaultSubscription || '', mapping }
  }
  const presets = (destination.presets || [])
    .filter((preset) => preset.partnerAction && preset.subscribe)
    .map((preset) => ({
      name: preset.name,
      subscribe: preset.subscribe,
      partnerAction: preset.partnerAction,
      mapping: preset.mapping || {},
    }))
  return { name: destination.name, presets, actions }
}

const segmentDestinations = {
  name: 'segment-destination',
  setup(builder) {
    builder.onResolve({ filter: /^segment-destination:/ }, (args) => ({
      path: args.path.slice('segment-destination:'.length),
      namespace: 'segment-destination',
    }))
    builder.onLoad({ filter: /.*/, namespace: 'segment-destination' }, (args) => ({
      contents: JSON.stringify(describe(args.path)),
      loader: 'json',
    }))
  },
}

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
      plugins: [segmentDestinations],
    }),
  ),
)
console.log(`built ${plugins.length} browser plugins into build/browser/`)
