#!/usr/bin/env node
import { Command } from 'commander'
import { VERSION } from '../version.ts'
import { initCommand } from './commands/init.ts'
import { keysCommand } from './commands/keys.ts'
import { nodeCommand } from './commands/node.ts'
import { sendCommand } from './commands/send.ts'
import { startCommand } from './commands/start.ts'
import { statusCommand } from './commands/status.ts'
import { describeFailure } from './exit.ts'

const program = new Command('mainframe-bridge')
  .description('Mainframe Bridge: a Mainframe node relaying messages to Matrix, email and EVM chains')
  .version(VERSION)
  .exitOverride()
  .showHelpAfterError('(run with --help for usage)')
  .configureOutput({ writeErr: (s) => process.stderr.write(s) })

initCommand(program)
startCommand(program)
keysCommand(program)
sendCommand(program)
statusCommand(program)
nodeCommand(program)
for (const command of program.commands) command.exitOverride()
for (const command of program.commands.flatMap((c) => c.commands)) command.exitOverride()

try {
  await program.parseAsync(process.argv)
} catch (err) {
  const { line, code } = describeFailure(err)
  if (line) process.stderr.write(`${line}\n`)
  process.exitCode = code
}
