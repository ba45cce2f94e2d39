// The operations CLI: `npm run ops -- <command> [options]`. Commands are registered by the
// services that own them (the ledger's projections and audit); this file only dispatches.
import { ledgerOpsCommands } from '@billing/ledger';

interface Command {
  summary: string;
  run(args: string[]): Promise<number>;
}

const commands: Record<string, Command> = {
  ...ledgerOpsCommands,
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(24)} ${c.summary}`);
  return [
    'usage: npm run ops -- <command> [options]',
    '',
    'commands:',
    ...(lines.length ? lines : ['  (none yet)']),
    '',
    'options: --schema NAME (default: ledger), --projection NAME (rebuild), --account ID (audit)',
    'environment: DATABASE_URL',
    'exit: 0 done, 1 a difference or a break found, 2 a wrong command line,',
    '      3 another projections run of the same kind is running (nothing started)',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return command.run(args);
}

process.exitCode = await main(process.argv.slice(2));
