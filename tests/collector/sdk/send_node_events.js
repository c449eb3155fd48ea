// Sends N events with @segment/analytics-node (the real npm client) and exits 0 when all were delivered.
// usage: node send_node_events.js <host> <writeKey> <count>
const { Analytics } = require('@segment/analytics-node')

const [host, writeKey, countText] = process.argv.slice(2)
const count = Number(countText)
const analytics = new Analytics({ writeKey, host, flushAt: 50, maxRetries: 3 })
const failures = []
analytics.on('error', (err) => failures.push(String(err && (err.reason || err.message || err))))

for (let i = 0; i < count; i++) {
  const messageId = `node-${i}`
  if (i % 2 === 0) {
    analytics.track({ userId: `u${i % 40}`, event: 'Item Purchased', properties: { i }, messageId })
  } else {
    analytics.group({ userId: `u${i % 40}`, groupId: `g${i % 7}`, traits: { size: i }, messageId })
  }
}

analytics.closeAndFlush({ timeout: 60000 }).then(() => {
  if (failures.length) {
    console.error(`failures: ${failures.length}: ${failures.slice(0, 3).join('; ')}`)
    process.exit(1)
  }
  console.log(`sent ${count}`)
})
