import { createInterface } from 'node:readline'

/**
 * Asks for a secret on the terminal without echoing it. Resolves undefined when stdin is not a
 * terminal, so scripts and CI never hang on a prompt.
 */
export async function promptSecret(question: string): Promise<string | undefined> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true })
  const output = rl as unknown as { _writeToOutput: (s: string) => void }
  let muted = false
  const write = output._writeToOutput.bind(rl)
  output._writeToOutput = (s: string) => {
    if (!muted) write(s)
  }
  try {
    return await new Promise<string>((resolve) => {
      rl.question(question, (answer) => {
        process.stderr.write('\n')
        resolve(answer)
      })
      muted = true
    })
  } finally {
    rl.close()
  }
}

/** The key passphrase: MFB_PASSPHRASE, else a prompt on a terminal, else none. */
export async function passphrase(purpose: string): Promise<string | undefined> {
  const fromEnv = process.env.MFB_PASSPHRASE
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv
  const answer = await promptSecret(`Passphrase ${purpose}: `)
  return answer === '' ? undefined : answer
}
