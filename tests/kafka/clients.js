// kafkajs (a Kafka client nobody here wrote) driven by the Rust tests against the emulator's
// Kafka listener. Prints one JSON line with what happened.
//   clients.js produce BOOTSTRAP TOPIC COUNT [CODEC] [PREFIX]   CODEC: none | gzip | snappy
//   clients.js consume BOOTSTRAP TOPIC GROUP COUNT [TIMEOUT_S]  (commits what it read)
const { Kafka, CompressionTypes, CompressionCodecs, logLevel } = require('kafkajs')
CompressionCodecs[CompressionTypes.Snappy] = require('kafkajs-snappy')

const [command, bootstrap, ...rest] = process.argv.slice(2)
const kafka = new Kafka({ clientId: 'kafkajs-test', brokers: [bootstrap], logLevel: logLevel.ERROR })
const codecs = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP, snappy: CompressionTypes.Snappy }

async function produce ([topic, count, codec = 'none', prefix = 'js']) {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  const messages = Array.from({ length: Number(count) }, (_, i) => ({ key: `${prefix}-${i}`, value: `${prefix}-${i}` }))
  const result = await producer.send({ topic, acks: -1, compression: codecs[codec], messages })
  await producer.disconnect()
  console.log(JSON.stringify({ sent: messages.length, partitions: [...new Set(result.map(r => r.partition))].sort() }))
}

async function consume ([topic, group, count, timeout = '30']) {
  const consumer = kafka.consumer({ groupId: group, sessionTimeout: 10000 })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  const values = []
  await new Promise((resolve) => {
    const timer = setTimeout(resolve, Number(timeout) * 1000)
    consumer.run({
      autoCommit: true,
      eachMessage: async ({ message }) => {
        values.push(message.value.toString())
        if (values.length >= Number(count)) { clearTimeout(timer); resolve() }
      }
    })
  })
  await consumer.commitOffsets([]).catch(() => {})
  await consumer.disconnect()
  console.log(JSON.stringify({ received: values.length, values }))
}

const commands = { produce, consume }
commands[command](rest).then(() => process.exit(0), (error) => { console.error(error); process.exit(1) })
