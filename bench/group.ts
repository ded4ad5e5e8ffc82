/**
 * bench:group — what sending one message to a group costs with MLS (src/node/groups),
 * against sealing the same message to every recipient with sealed boxes
 * (src/crypto/sealed-box.ts).
 *
 * Cost of one MLS message = the sender's work: encrypt once (one signature, one AEAD),
 * whatever the group size. That is what sealing is compared with, since sealing per
 * recipient is also the sender's work (199 seals of the same 1 KiB, static–static secrets
 * already cached: sealing at its best). One member's decryption (one AEAD, one signature
 * check) is timed too and printed beside it, with the flatness and ratio it would give if
 * the message were charged encrypt + one decrypt.
 *
 * Groups of 2, 50 and 200 are built with one commit adding everyone; only the sender and one
 * reader hold states. Each round sends MESSAGES_PER_ROUND messages to each group, the groups
 * taking turns message by message, then one seal pass to the 199 recipients. Each operation
 * is timed alone and a round's figure is a median (MLS: of its messages; sealing: 199 × the
 * median seal), so a garbage collection or a preemption on this shared machine does not
 * land on one side only; the same rule on both sides keeps the ratio fair. The pass's wall
 * time is printed too. Costs are medians over ROUNDS rounds; the flatness and the ratio are
 * medians of the ratios within each round.
 *
 * Lines above the last: build costs, per-size costs, the enc+dec variant, and
 * `flat: cost(200)/cost(2) = <y> (target <= 1.5)`.
 * Last line: `group: ratio <x> (target >= 50)`, x = seal to 199 recipients / encrypt once at
 * 200 members.
 */
import { randomBytes } from 'node:crypto'
import { availableParallelism, loadavg } from 'node:os'
import { generateIdentity, type NodeIdentity, seal } from '../src/crypto/index.ts'
import {
  addMembers,
  createGroup,
  createKeyPackage,
  decryptMessage,
  encryptMessage,
  type GroupState,
  joinFromWelcome,
} from '../src/node/groups/mls.ts'

const SIZES = [2, 50, 200] as const
const ROUNDS = 21
const MESSAGES_PER_ROUND = 25
const plaintext = new Uint8Array(randomBytes(1024))

interface GroupUnderTest {
  size: number
  sender: GroupState
  reader: GroupState
  ciphertextBytes: number
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
const ms = (value: number) => `${value.toFixed(3)} ms`
const us = (value: number) => `${(value * 1000).toFixed(0)} µs`

async function build(size: number): Promise<GroupUnderTest> {
  const started = performance.now()
  const identities = Array.from({ length: size }, () => generateIdentity())
  const packages = []
  for (const identity of identities.slice(1)) packages.push(await createKeyPackage(identity))
  const packaged = performance.now()
  const created = await createGroup(new Uint8Array(randomBytes(32)), identities[0]!)
  const added = await addMembers(
    created,
    packages.map((pair) => pair.publicPackage),
  )
  const committed = performance.now()
  const reader = await joinFromWelcome(added.welcome, packages[0]!.privatePackage)
  const joined = performance.now()
  console.log(
    `build ${String(size).padStart(3)}: ${size - 1} key packages ${ms(packaged - started)}, ` +
      `one commit adding ${size - 1} ${ms(committed - packaged)} (commit ${added.commit.length} B, ` +
      `welcome ${added.welcome.length} B), one join ${ms(joined - committed)}`,
  )
  const probe = await encryptMessage(added.state, plaintext)
  const read = await decryptMessage(reader, probe.ciphertext)
  return { size, sender: probe.state, reader: read.state, ciphertextBytes: probe.ciphertext.length }
}

/** One message to one group: ms to encrypt it, ms for the reader to decrypt it. */
async function oneMessage(group: GroupUnderTest): Promise<{ encrypt: number; decrypt: number }> {
  const t0 = performance.now()
  const sent = await encryptMessage(group.sender, plaintext)
  const t1 = performance.now()
  const read = await decryptMessage(group.reader, sent.ciphertext)
  const t2 = performance.now()
  group.sender = sent.state
  group.reader = read.state
  if (read.plaintext.length !== plaintext.length) throw new Error('round trip failed')
  return { encrypt: t1 - t0, decrypt: t2 - t1 }
}

interface RoundFigures {
  encrypt: number
  decrypt: number
  both: number
}

/** MESSAGES_PER_ROUND messages to each group, taking turns; per group, the median times. */
async function mlsRound(round: number): Promise<Map<number, RoundFigures>> {
  const times = new Map(
    groups.map((group) => [group.size, { encrypt: [] as number[], decrypt: [] as number[] }]),
  )
  for (let i = 0; i < MESSAGES_PER_ROUND; i++) {
    for (const group of (round + i) % 2 === 0 ? groups : [...groups].reverse()) {
      const { encrypt, decrypt } = await oneMessage(group)
      times.get(group.size)!.encrypt.push(encrypt)
      times.get(group.size)!.decrypt.push(decrypt)
    }
  }
  const figures = new Map<number, RoundFigures>()
  for (const [size, { encrypt, decrypt }] of times) {
    const both = encrypt.map((value, i) => value + decrypt[i]!)
    figures.set(size, { encrypt: median(encrypt), decrypt: median(decrypt), both: median(both) })
  }
  return figures
}

/** One pass sealing `plaintext` to each recipient: 199 × the median seal, and the wall time. */
function sealRound(sender: NodeIdentity, recipients: NodeIdentity[]): { estimate: number; wall: number } {
  const times: number[] = []
  const started = performance.now()
  for (const recipient of recipients) {
    const t0 = performance.now()
    const box = seal(sender, recipient.publicKey, plaintext)
    times.push(performance.now() - t0)
    if (box.length !== plaintext.length + 97) throw new Error('seal failed')
  }
  return { estimate: recipients.length * median(times), wall: performance.now() - started }
}

console.log(
  `bench:group — ${availableParallelism()} CPUs, load ${loadavg()[0]!.toFixed(2)}, Node ${process.version}, ` +
    `1 KiB messages, median of ${ROUNDS} rounds`,
)
const groups: GroupUnderTest[] = []
for (const size of SIZES) groups.push(await build(size))

const sealer = generateIdentity()
const recipients = Array.from({ length: 199 }, () => generateIdentity())
sealRound(sealer, recipients) // warms the static–static cache: sealing at its best
await mlsRound(0) // warm-up

const samples = new Map<number, { encrypt: number[]; decrypt: number[]; both: number[] }>(
  SIZES.map((size) => [size, { encrypt: [], decrypt: [], both: [] }]),
)
const sealSamples: number[] = []
const sealWalls: number[] = []
for (let round = 0; round < ROUNDS; round++) {
  for (const [size, figures] of await mlsRound(round)) {
    const entry = samples.get(size)!
    entry.encrypt.push(figures.encrypt)
    entry.decrypt.push(figures.decrypt)
    entry.both.push(figures.both)
  }
  const { estimate, wall } = sealRound(sealer, recipients)
  sealSamples.push(estimate)
  sealWalls.push(wall)
}

// Ratios are taken within each round (whose messages to the three groups were interleaved
// one by one, and whose seal pass ran right after), then their median: a load that drifts
// between rounds cancels out instead of landing on one side of a ratio.
const at = (size: number, kind: 'encrypt' | 'both', round: number) => samples.get(size)![kind][round]!
const perRound = (f: (round: number) => number) =>
  median(Array.from({ length: ROUNDS }, (_, round) => f(round)))
const flat = perRound((r) => at(200, 'encrypt', r) / at(2, 'encrypt', r))
const ratio = perRound((r) => sealSamples[r]! / at(200, 'encrypt', r))
const flatWithDecrypt = perRound((r) => at(200, 'both', r) / at(2, 'both', r))
const ratioWithDecrypt = perRound((r) => sealSamples[r]! / at(200, 'both', r))

for (const group of groups) {
  const entry = samples.get(group.size)!
  console.log(
    `mls ${String(group.size).padStart(3)} members: message cost (encrypt once) ${us(median(entry.encrypt))}; ` +
      `one member decrypts ${us(median(entry.decrypt))}; encrypt + one decrypt ${us(median(entry.both))}; ` +
      `ciphertext ${group.ciphertextBytes} B`,
  )
}
const sealTime = median(sealSamples)
console.log(
  `seal per recipient: 199 sealed boxes ${ms(sealTime)} (199 × ${us(sealTime / 199)}; a whole pass took ` +
    `${ms(median(sealWalls))} of wall time; ${199 * (plaintext.length + 97)} B sent vs one MLS ciphertext ` +
    `of ${groups.at(-1)!.ciphertextBytes} B)`,
)
console.log(
  `if charged encrypt + one decrypt: flat ${flatWithDecrypt.toFixed(2)}, ratio ${ratioWithDecrypt.toFixed(1)}`,
)
console.log(`flat: cost(200)/cost(2) = ${flat.toFixed(2)} (target <= 1.5)`)
console.log(`group: ratio ${ratio.toFixed(1)} (target >= 50)`)
