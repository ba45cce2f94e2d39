import pg from 'pg';
import { DEFAULT_LEDGER_SCHEMA } from '../ledger.options.js';
import {
  PROJECTION_NAMES,
  isProjectionName,
  type ProjectionName,
} from '../infrastructure/projection-tables.js';
import { verifyAuditChains } from './audit.js';
import { ProjectionRunStore } from './projection-run-store.js';
import type { RunKind } from './projection-runs.js';
import { streamProgress } from './progress.js';
import { ALL_PROJECTIONS, recordedRebuild, recordedVerify } from './recorded-run.js';

/** A command of `npm run ops -- <name>`: answers its exit code. */
export interface OpsCommand {
  readonly summary: string;
  run(args: readonly string[]): Promise<number>;
}

class UsageError extends Error {}

interface Flags {
  readonly values: Map<string, string[]>;
}

function parseFlags(args: readonly string[], known: readonly string[]): Flags {
  const values = new Map<string, string[]>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    const name = match?.[1];
    if (name === undefined || !known.includes(name)) {
      throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
    }
    const value = match?.[2] ?? args[++i];
    if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`);
    values.set(name, [...(values.get(name) ?? []), value]);
  }
  return { values };
}

/** What every operations command runs with (DATABASE_URL, --schema): a pool, the schema, progress on stderr. */
interface OpsContext {
  readonly pool: pg.Pool;
  readonly schema: string;
  readonly progress: ReturnType<typeof streamProgress>;
}

async function withPool<T>(flags: Flags, work: (context: OpsContext) => Promise<T>): Promise<T> {
  const url = process.env.DATABASE_URL;
  if (url === undefined || !/^postgres(ql)?:\/\//.test(url)) {
    throw new UsageError('DATABASE_URL must be set to the postgres:// URL of the ledger database');
  }
  const schema = flags.values.get('schema')?.at(-1) ?? DEFAULT_LEDGER_SCHEMA;
  const pool = new pg.Pool({ connectionString: url, max: 4, application_name: 'ledger-ops' });
  try {
    return await work({ pool, schema, progress: streamProgress() });
  } finally {
    await pool.end();
  }
}

async function guarded(run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
}

/** Exit code 3: another run of the same kind is running, so this one did not start. */
const BUSY = 3;

/** The run a command records: where, and its id. */
interface Recorded {
  readonly runs: ProjectionRunStore;
  readonly runId: string;
}

/**
 * Records the run in `projection_runs` (started by `cli`), so the operator's desk shows it, and
 * does `work`; or says which run of the same kind is running and answers undefined. Interrupted
 * (Ctrl-C, SIGTERM), the command records its run as abandoned before it exits, so the next run
 * need not wait for the missing heartbeat to show.
 */
async function recording<T>(
  context: OpsContext,
  kind: RunKind,
  projections: readonly ProjectionName[],
  work: (run: Recorded) => Promise<T>,
): Promise<T | undefined> {
  const runs = new ProjectionRunStore(context.pool, context.schema);
  const begun = await runs.begin(kind, projections, 'cli');
  if (!begun.ok) {
    const other = begun.running;
    console.error(
      `a ${kind} is already running (run ${other.runId}, started by ${other.startedBy} at ` +
        `${other.startedAt}, ${other.progress.phase}); try again once it has finished`,
    );
    return undefined;
  }
  const { runId } = begun;
  const interrupted = (signal: NodeJS.Signals): void => {
    console.error(`\n${signal}: recording ${kind} ${runId} as abandoned`);
    void runs
      .abandon(runId, `the CLI was interrupted (${signal})`)
      .catch(() => undefined)
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    return await work({ runs, runId });
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
}

const rebuild: OpsCommand = {
  summary: 'replay the event log into fresh projection tables and swap them in',
  run: (args) =>
    guarded(async () => {
      const flags = parseFlags(args, ['projection', 'schema']);
      const wanted = (flags.values.get('projection') ?? []).flatMap((v) => v.split(','));
      const unknown = wanted.filter((name) => !isProjectionName(name));
      if (unknown.length > 0) {
        throw new UsageError(
          `unknown projection ${unknown.join(', ')}; known: ${PROJECTION_NAMES.join(', ')}`,
        );
      }
      const projections = wanted.length > 0 ? [...new Set(wanted as ProjectionName[])] : undefined;
      const report = await withPool(flags, (context) =>
        recording(context, 'rebuild', projections ?? ALL_PROJECTIONS, (run) =>
          recordedRebuild(
            { ...context, ...run, ...(projections !== undefined && { projections }) },
            { alsoTo: context.progress },
          ),
        ),
      );
      if (report === undefined) return BUSY;
      console.log(
        `rebuilt ${report.projections.join(', ')} from ${report.events.toLocaleString('en-US')} ` +
          `events of ${report.accounts.toLocaleString('en-US')} accounts in ${report.seconds.toFixed(1)} s ` +
          `(${Math.round(report.eventsPerSecond).toLocaleString('en-US')} events/s); ` +
          `${report.caughtUp} event(s) appended meanwhile were caught up before the swap`,
      );
      return 0;
    }),
};

const verify: OpsCommand = {
  summary: "fold every account's events and compare with the projections (exit 1 on a difference)",
  run: (args) =>
    guarded(async () => {
      const flags = parseFlags(args, ['schema']);
      const report = await withPool(flags, (context) =>
        recording(context, 'verify', ALL_PROJECTIONS, (run) =>
          recordedVerify({ ...context, ...run }, { alsoTo: context.progress }),
        ),
      );
      if (report === undefined) return BUSY;
      if (report.ok) {
        console.log(
          `projections match the event log: ${report.accounts} accounts, ${report.events} events`,
        );
        return 0;
      }
      console.log(`${report.differences.length} account(s) differ from the event log:`);
      for (const d of report.differences) {
        console.log(`  ${d.accountId}`);
        for (const p of d.problems) console.log(`    ${p}`);
      }
      return 1;
    }),
};

const audit: OpsCommand = {
  summary: "check every account's hash chain, or one with --account ID (exit 1 on a break)",
  run: (args) =>
    guarded(async () => {
      const flags = parseFlags(args, ['account', 'schema']);
      const accountId = flags.values.get('account')?.at(-1);
      const report = await withPool(flags, (context) =>
        verifyAuditChains({ ...context, ...(accountId !== undefined && { accountId }) }),
      );
      if (report.ok) {
        console.log(`hash chains intact: ${report.streams} stream(s), ${report.events} events`);
        return 0;
      }
      console.log(`${report.breaks.length} hash chain(s) broken:`);
      for (const b of report.breaks) {
        const at = b.result.firstBreak;
        console.log(
          `  ${b.streamId}: ${at?.reason ?? 'broken'} at version ${at?.version ?? '?'} ` +
            `(${b.result.events} event(s) verified before it)`,
        );
      }
      return 1;
    }),
};

/** The ledger's operations, registered by tools/ops. */
export const ledgerOpsCommands: Readonly<Record<string, OpsCommand>> = {
  'projections:rebuild': rebuild,
  'projections:verify': verify,
  'audit:verify': audit,
};
