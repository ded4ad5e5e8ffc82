import { afterAll, beforeAll } from 'vitest'
import { openBullmqQueue } from '../../../src/queue/bullmq/index.ts'
import { startRedis, type TestRedis } from '../../helpers/redis.ts'
import { queueConformance } from './conformance.ts'

let redis: TestRedis | undefined
beforeAll(async () => {
  redis = await startRedis()
})
afterAll(async () => {
  await redis?.stop()
})

const url = (): string => {
  if (redis === undefined) throw new Error('redis did not start')
  return redis.url
}

queueConformance('bullmq', () => openBullmqQueue({ url: url(), prefix: 'test' }), {
  config: () => ({ driver: 'bullmq', redis: { url: url(), prefix: 'test' } }),
})
