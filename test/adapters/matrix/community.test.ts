import { Direction, type MatrixClient } from 'matrix-js-sdk'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { until } from '../../helpers/bridge.ts'
import {
  api,
  type Community,
  json,
  type Side,
  startCommunity,
  stopCommunity,
} from '../../helpers/community.ts'
import type { Synapse } from '../../helpers/synapse.ts'
import type { Receiver } from '../../helpers/webhook-receiver.ts'

// DESIGN.md scenario 1, the community bridge: a Matrix room on a real Synapse is linked by
// bridge A (Matrix adapter + Mainframe node) to a Mainframe group; bridge B, a second node
// in its own process, is a member of the group and hands the group's messages to a webhook
// app (and takes the app's messages into the group). Two Matrix users speak; the app speaks
// as a person of its own network. Everyone is seen with the right sender on the other side.
const SECRET = 'community-e2e-secret-0123456789abcdef'
let synapse: Synapse
let a: Side
let b: Side
let receiver: Receiver
let alice: MatrixClient
let bob: MatrixClient
let roomId: string
let groupId: string
/** Ids on B of messages the later tests relate to. */
let bobOnBId: string
let daveMessageId: string
let daveEventId: string
type Stored = {
  message: {
    kind: string
    origin: { sender: string }
    body: { text: string; html?: string }
    conversation: { id: string }
    relatesTo?: { type: string; messageId: string }
  }
}

async function identityOf(side: Side, subject: string): Promise<string | undefined> {
  const page = await json<{ identities: { peerId: string; subject: string }[] }>(api(side, '/v1/identities'))
  return page.identities.find((i) => i.subject === subject)?.peerId
}

/** The Matrix localpart of a Mainframe peer's ghost (upper case escaped as _ + lower case). */
const ghostOf = (peerId: string, server: string) =>
  `@_mainframe_${peerId.replace(/[A-Z_]/g, (c) => (c === '_' ? '__' : `_${c.toLowerCase()}`))}:${server}`

beforeAll(async () => {
  ;({ synapse, a, b, receiver, alice, roomId, groupId, bob } = (await startCommunity({
    secret: SECRET,
    room: 'community',
    withBob: true,
  })) as Community & { bob: MatrixClient })
}, 180_000)

afterAll(() => stopCommunity({ synapse, a, b, receiver, alice, bob }))

describe('community bridge: a Matrix room and a Mainframe group over two nodes', () => {
  test('Matrix users reach the group app, each signed by their own bridge identity', async () => {
    await alice.sendTextMessage(roomId, 'alice says hi')
    await bob.sendHtmlMessage(roomId, 'bob says hi', '<em>bob</em> says hi')
    const heard = await until(
      async () => {
        const all = [...receiver.received.values()]
        const fromAlice = all.find((m) => m.body.text === 'alice says hi')
        const fromBob = all.find((m) => m.body.text === 'bob says hi')
        return fromAlice && fromBob ? { fromAlice, fromBob } : undefined
      },
      30_000,
      'both Matrix messages reach the app on B',
    )
    const aliceId = await identityOf(a, `matrix:@alice:${synapse.serverName}`)
    const bobId = await identityOf(a, `matrix:@bob:${synapse.serverName}`)
    expect(aliceId).toMatch(/^12D3KooW/)
    expect(bobId).toMatch(/^12D3KooW/)
    expect(aliceId).not.toBe(bobId)
    const onB = await json<Stored>(api(b, `/v1/messages/${heard.fromAlice.id}`))
    expect(onB.message.origin.sender).toBe(`mf:${aliceId}`)
    // Her name in the room travels with her signed message.
    expect((onB.message.origin as { displayName?: string }).displayName).toBe('alice')
    expect(onB.message.conversation.id).toBe(`group:${groupId}`)
    const bobOnB = await json<Stored>(api(b, `/v1/messages/${heard.fromBob.id}`))
    expect(bobOnB.message.origin.sender).toBe(`mf:${bobId}`)
    expect(bobOnB.message.body.html).toBe('<em>bob</em> says hi')
    bobOnBId = heard.fromBob.id
  })

  test('the group app speaks in the Matrix room through a ghost of its bridge identity', async () => {
    const sent = await api(b, '/v1/messages', {
      method: 'POST',
      body: JSON.stringify({
        conversation: { network: 'webhook', id: 'app' },
        sender: 'mailto:dave@example.org',
        senderName: 'Dave',
        body: { text: 'dave from mainframe', html: '<b>dave</b> from mainframe' },
      }),
    })
    expect(sent.status).toBe(202)
    daveMessageId = ((await sent.json()) as { id: string }).id
    const event = await until(
      async () => {
        const page = await alice.createMessagesRequest(roomId, null, 50, Direction.Backward)
        return page.chunk.find((e) => e.type === 'm.room.message' && e.content.body === 'dave from mainframe')
      },
      30_000,
      "dave's message appears in the room",
    )
    const daveId = await identityOf(b, 'mailto:dave@example.org')
    expect(event.sender).toBe(ghostOf(daveId as string, synapse.serverName))
    expect(event.content.formatted_body).toBe('<b>dave</b> from mainframe')
    expect((await alice.getProfileInfo(event.sender as string)).displayname).toBe('Dave (Mainframe)')
    daveEventId = event.event_id as string
    // The app's link hands B's receiver one copy; none comes back through the room (echo).
    await new Promise((r) => setTimeout(r, 1500))
    expect([...receiver.received.values()].filter((m) => m.body.text === 'dave from mainframe')).toHaveLength(
      1,
    )
  })

  test("a reply and an edit in Matrix keep their targets across the group, in each bridge's own ids", async () => {
    await alice.sendMessage(roomId, {
      msgtype: 'm.text',
      body: 'reply to dave',
      'm.relates_to': { 'm.in_reply_to': { event_id: daveEventId } },
    } as never)
    const page = await bob.createMessagesRequest(roomId, null, 50, Direction.Backward)
    const bobsEvent = page.chunk.find((e) => e.type === 'm.room.message' && e.content.body === 'bob says hi')
    await bob.sendMessage(roomId, {
      msgtype: 'm.text',
      body: '* bob says hello',
      'm.new_content': { msgtype: 'm.text', body: 'bob says hello' },
      'm.relates_to': { rel_type: 'm.replace', event_id: bobsEvent?.event_id },
    } as never)
    const arrived = await until(
      async () => {
        const all = [...receiver.received.values()]
        const reply = all.find((m) => m.body.text.includes('reply to dave'))
        const edited = all.find((m) => m.body.text.includes('bob says hello'))
        return reply && edited ? { reply, edited } : undefined
      },
      30_000,
      'the reply and the edit reach the app',
    )
    const reply = await json<Stored>(api(b, `/v1/messages/${arrived.reply.id}`))
    expect(reply.message.relatesTo).toEqual({ type: 'reply', messageId: daveMessageId })
    const edit = await json<Stored>(api(b, `/v1/messages/${arrived.edited.id}`))
    expect(edit.message.kind).toBe('edit')
    expect(edit.message.relatesTo).toEqual({ type: 'edit', messageId: bobOnBId })
  })

  test("the app's reaction to a Matrix message appears in the room on that message", {
    timeout: 60_000,
  }, async () => {
    const target = [...receiver.received.values()].find((m) => m.body.text === 'alice says hi')
    const sent = await api(b, '/v1/messages', {
      method: 'POST',
      body: JSON.stringify({
        kind: 'reaction',
        conversation: { network: 'webhook', id: 'app' },
        sender: 'mailto:dave@example.org',
        body: { text: '🎉' },
        relatesTo: { type: 'reaction', messageId: target?.id, key: '🎉' },
      }),
    })
    expect(sent.status).toBe(202)
    const page = async () => (await alice.createMessagesRequest(roomId, null, 100, Direction.Backward)).chunk
    const aliceEvent = (await page()).find(
      (e) => e.type === 'm.room.message' && e.content.body === 'alice says hi',
    )
    const reaction = await until(
      async () => (await page()).find((e) => e.type === 'm.reaction'),
      30_000,
      "dave's reaction appears in the room",
    )
    expect(reaction.content['m.relates_to']).toEqual({
      rel_type: 'm.annotation',
      event_id: aliceEvent?.event_id,
      key: '🎉',
    })
    expect(reaction.sender).toBe(
      ghostOf((await identityOf(b, 'mailto:dave@example.org')) as string, synapse.serverName),
    )
  })

  test('a thread reply, a reaction and a redaction in Matrix reach the app pointing at their targets', {
    timeout: 60_000,
  }, async () => {
    const root = await alice.sendTextMessage(roomId, 'thread root')
    const rootOnB = await until(
      async () => [...receiver.received.values()].find((m) => m.body.text === 'thread root'),
      30_000,
      'the root reaches the app',
    )
    await bob.sendMessage(roomId, {
      msgtype: 'm.text',
      body: 'in the thread',
      'm.relates_to': {
        rel_type: 'm.thread',
        event_id: root.event_id,
        is_falling_back: true,
        'm.in_reply_to': { event_id: root.event_id },
      },
    } as never)
    await alice.sendEvent(
      roomId,
      'm.reaction' as never,
      {
        'm.relates_to': { rel_type: 'm.annotation', event_id: root.event_id, key: '👍' },
      } as never,
    )
    await alice.redactEvent(roomId, root.event_id)
    const got = await until(
      async () => {
        const ids = [...receiver.received.values()].map((m) => m.id)
        const stored = await Promise.all(ids.map((id) => json<Stored>(api(b, `/v1/messages/${id}`))))
        const related = stored.filter((s) => s.message.relatesTo?.messageId === rootOnB.id)
        const kinds = new Set(related.map((s) => `${s.message.kind}/${s.message.relatesTo?.type}`))
        return kinds.has('text/thread') && kinds.has('reaction/reaction') && kinds.has('redaction/redaction')
          ? related
          : undefined
      },
      30_000,
      'the thread reply, the reaction and the redaction reach the app',
    )
    const thread = got.find((s) => s.message.relatesTo?.type === 'thread')
    expect(thread?.message.body.text).toBe('in the thread')
    expect(thread?.message.origin.sender).toBe(
      `mf:${await identityOf(a, `matrix:@bob:${synapse.serverName}`)}`,
    )
  })

  test('files cross the group with their bytes: an m.file from Matrix reaches the app, one from the app the room', {
    timeout: 60_000,
  }, async () => {
    const random = (size: number) => {
      const bytes = new Uint8Array(size)
      for (let at = 0; at < size; at += 65_536) crypto.getRandomValues(bytes.subarray(at, at + 65_536))
      return bytes
    }
    const sha256 = async (bytes: Uint8Array) =>
      Buffer.from(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)).toString('hex')
    // Matrix → A → the group → B: the bytes arrive sealed in the group message, B stores them.
    const fromAlice = random(120_000)
    const upload = new Blob([fromAlice as Uint8Array<ArrayBuffer>], { type: 'application/pdf' })
    const { content_uri: url } = await alice.uploadContent(upload, {
      name: 'minutes.pdf',
      type: 'application/pdf',
    })
    await alice.sendMessage(roomId, {
      msgtype: 'm.file',
      body: 'minutes.pdf',
      url,
      info: { mimetype: 'application/pdf', size: fromAlice.length },
    } as never)
    const hash = await sha256(fromAlice)
    const arrived = (await until(
      async () =>
        [...receiver.received.values()].find(
          (m) => (m as unknown as { attachments?: { hash: string }[] }).attachments?.[0]?.hash === hash,
        ),
      30_000,
      "Alice's file reaches the app on B",
    )) as unknown as { kind: string; attachments: unknown[] }
    expect(arrived.kind).toBe('media')
    expect(arrived.attachments).toEqual([
      { hash, name: 'minutes.pdf', mediaType: 'application/pdf', size: fromAlice.length },
    ])
    const onB = await fetch(`${b.bridge.url}/v1/media/${hash}`, {
      headers: { authorization: `Bearer ${b.token}` },
    })
    expect(onB.status).toBe(200)
    expect(new Uint8Array(await onB.arrayBuffer())).toEqual(fromAlice)

    // The app → B → the group → A → the room, uploaded by the ghost of dave's bridge identity.
    const fromDave = random(150_000)
    const stored = await fetch(`${b.bridge.url}/v1/media`, {
      method: 'POST',
      headers: { authorization: `Bearer ${b.token}`, 'content-type': 'application/pdf' },
      body: fromDave as Uint8Array<ArrayBuffer>,
    })
    expect(stored.status).toBe(201)
    const file = (await stored.json()) as { hash: string; size: number }
    const sent = await api(b, '/v1/messages', {
      method: 'POST',
      body: JSON.stringify({
        kind: 'media',
        conversation: { network: 'webhook', id: 'app' },
        sender: 'mailto:dave@example.org',
        body: { text: '' },
        attachments: [{ ...file, name: 'agenda.pdf', mediaType: 'application/pdf' }],
      }),
    })
    expect(sent.status).toBe(202)
    const event = await until(
      async () =>
        (await alice.createMessagesRequest(roomId, null, 50, Direction.Backward)).chunk.find(
          (e) => e.type === 'm.room.message' && e.content.filename === 'agenda.pdf',
        ),
      30_000,
      "dave's file appears in the room",
    )
    expect(event.content.msgtype).toBe('m.file')
    expect(event.sender).toBe(
      ghostOf((await identityOf(b, 'mailto:dave@example.org')) as string, synapse.serverName),
    )
    const [server, mediaId] = String(event.content.url).slice('mxc://'.length).split('/')
    const download = await fetch(`${synapse.baseUrl}/_matrix/client/v1/media/download/${server}/${mediaId}`, {
      headers: { authorization: `Bearer ${alice.getAccessToken()}` },
    })
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(fromDave)
  })

  test('the bot links a room by command, checking power levels, and refuses encrypted rooms', {
    timeout: 90_000,
  }, async () => {
    const bot = `@_mainframe_bot:${synapse.serverName}`
    const notices = async (room: string) =>
      (await alice.createMessagesRequest(room, null, 50, Direction.Backward)).chunk
        .filter((e) => e.sender === bot && e.content.msgtype === 'm.notice')
        .map((e) => String(e.content.body))
    const room = (await alice.createRoom({ name: 'by command', invite: [bot, `@bob:${synapse.serverName}`] }))
      .room_id
    await bob.joinRoom(room)
    await until(
      async () => ((await alice.getJoinedRoomMembers(room)).joined[bot] ? true : undefined),
      15_000,
      'the bot joins the second room',
    )
    await bob.sendTextMessage(room, `!mf link ${groupId}`)
    await until(
      async () => (await notices(room)).find((n) => n.includes('power level 50 or more')),
      15_000,
      'bob (power 0) is refused',
    )
    await alice.sendTextMessage(room, `!mf link ${groupId}`)
    await until(
      async () => (await notices(room)).find((n) => n.startsWith('Bridged to Mainframe group')),
      15_000,
      'alice (the creator) links the room',
    ).catch(async (err) => {
      throw new Error(`${err.message}; the bot said: ${JSON.stringify(await notices(room))}`)
    })
    await alice.sendTextMessage(room, 'said in the linked room')
    await until(
      async () => [...receiver.received.values()].find((m) => m.body.text === 'said in the linked room'),
      30_000,
      'the app hears the linked room',
    )
    await alice.sendTextMessage(room, '!mf unlink')
    await until(
      async () => (await notices(room)).find((n) => n === 'This room is no longer bridged.'),
      15_000,
      'alice unlinks the room',
    )
    await alice.sendTextMessage(room, 'said after unlinking')
    await new Promise((r) => setTimeout(r, 3000))
    expect(
      [...receiver.received.values()].find((m) => m.body.text === 'said after unlinking'),
    ).toBeUndefined()

    const secret = (
      await alice.createRoom({
        name: 'encrypted',
        invite: [bot],
        initial_state: [
          { type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } },
        ],
      })
    ).room_id
    await until(
      async () => (await notices(secret)).find((n) => n.includes('Encrypted rooms are not bridged yet')),
      15_000,
      'the bot says it cannot bridge an encrypted room',
    )
  })

  test('joining #_mainframe_<group> makes a portal room on demand', { timeout: 60_000 }, async () => {
    const alias = `#_mainframe_${groupId}:${synapse.serverName}`
    const room = await alice.joinRoom(alias)
    await alice.sendTextMessage(room.roomId, 'came in by the alias')
    await until(
      async () => [...receiver.received.values()].find((m) => m.body.text === 'came in by the alias'),
      30_000,
      'the app hears the alias portal',
    )
  })

  test('leaving the room crosses as a notice from the person who left', { timeout: 60_000 }, async () => {
    await bob.leave(roomId)
    const left = await until(
      async () => [...receiver.received.values()].find((m) => m.body.text.endsWith('left the room')),
      30_000,
      'the app hears that bob left',
    )
    expect(left.body.text).toContain('bob')
    const stored = await json<Stored>(api(b, `/v1/messages/${left.id}`))
    expect(stored.message.kind).toBe('notice')
    expect(stored.message.origin.sender).toBe(
      `mf:${await identityOf(a, `matrix:@bob:${synapse.serverName}`)}`,
    )
  })
})
