import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { parse } from 'yaml';

// deploy/observability cannot be run here (no Prometheus, no Grafana), so this test keeps it
// honest: every metric an alert rule or a dashboard panel names is one the code registers. A
// renamed series fails here instead of leaving an alert that never fires.

const ROOT = new URL('../', import.meta.url).pathname;

/** Every TypeScript file of the services and libraries, tests excluded. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules') return [];
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [path] : [];
  });
}

/**
 * The metric names the code registers: each `new Counter|Gauge|Histogram|Summary({ name: '...' })`
 * in services/ and libs/, and prom-client's default metrics (every service collects them).
 * Histograms and summaries also expose `_bucket`, `_sum` and `_count`.
 */
function registeredMetrics(): Set<string> {
  const names = new Set<string>();
  const constructor =
    /new (Counter|Gauge|Histogram|Summary)(?:<[^>]*>)?\(\{\s*name:\s*'([a-z_:][a-z0-9_:]*)'/g;
  for (const file of [...sources(join(ROOT, 'services')), ...sources(join(ROOT, 'libs'))]) {
    for (const match of readFileSync(file, 'utf8').matchAll(constructor)) {
      const [, kind, name] = match;
      if (name === undefined) continue;
      names.add(name);
      if (kind === 'Histogram' || kind === 'Summary') {
        for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
      }
    }
  }
  const defaults = new Registry();
  collectDefaultMetrics({ register: defaults });
  for (const metric of defaults.getMetricsAsArray()) {
    names.add(metric.name);
    for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${suffix}`);
  }
  return names;
}

const PROMQL_WORDS = new Set([
  'sum',
  'max',
  'min',
  'avg',
  'count',
  'by',
  'without',
  'rate',
  'increase',
  'deriv',
  'histogram_quantile',
  'clamp_min',
  'and',
  'or',
  'unless',
  'le',
]);

/** The metric names a PromQL expression reads (identifiers that are neither functions nor labels). */
function metricsIn(expr: string): string[] {
  const withoutStrings = expr.replace(/"[^"]*"/g, '""');
  const withoutLabels = withoutStrings
    .replace(/\{[^}]*\}/g, '')
    .replace(/\b(by|without)\s*\([^)]*\)/g, '');
  const names = withoutLabels.match(/[a-z_:][a-z0-9_:]*/gi) ?? [];
  return names.filter((n) => !PROMQL_WORDS.has(n) && /_/.test(n));
}

interface Rule {
  alert: string;
  expr: string;
  annotations: { runbook: string };
}

const rules = (
  parse(readFileSync(join(ROOT, 'deploy/observability/alerts.yml'), 'utf8')) as {
    groups: { rules: Rule[] }[];
  }
).groups.flatMap((g) => g.rules);
const dashboard = JSON.parse(
  readFileSync(join(ROOT, 'deploy/observability/grafana-dashboard.json'), 'utf8'),
) as { panels: { title: string; targets: { expr: string }[] }[] };
const runbook = readFileSync(join(ROOT, 'docs/RUNBOOK.md'), 'utf8');

describe('deploy/observability', () => {
  const registered = registeredMetrics();

  it('finds the metrics the code registers (the scan itself works)', () => {
    expect([...registered]).toEqual(
      expect.arrayContaining([
        'http_server_request_duration_seconds_bucket',
        'messaging_consumer_lag_messages',
        'messaging_dead_letters_total',
        'process_resident_memory_bytes',
      ]),
    );
    expect(registered.has('messaging_consumer_lag')).toBe(false);
  });

  it('has the alerts the issue asks for', () => {
    expect(rules.map((r) => r.alert).sort()).toEqual([
      'ConsumerLagGrowing',
      'DeadLettersNonEmpty',
      'GatewayAddedLatencyHigh',
      'HoldRefusalRateHigh',
      'OutboxNotPublishing',
      'StripeWebhookSignatureFailures',
    ]);
  });

  it.each(rules.map((r) => [r.alert, r] as const))(
    'alert %s reads only metrics the code registers, and has a runbook section',
    (_name, rule) => {
      const metrics = metricsIn(rule.expr);
      expect(metrics.length).toBeGreaterThan(0);
      expect(metrics.filter((m) => !registered.has(m))).toEqual([]);
      const anchor = rule.annotations.runbook.split('#')[1] ?? '';
      expect(anchor).toBe(rule.alert.toLowerCase());
      expect(runbook).toMatch(new RegExp(`^## ${rule.alert}$`, 'm'));
    },
  );

  it('dashboard panels read only metrics the code registers', () => {
    const unknown = dashboard.panels.flatMap((p) =>
      p.targets.flatMap((t) =>
        metricsIn(t.expr)
          .filter((m) => !registered.has(m))
          .map((m) => `${p.title}: ${m}`),
      ),
    );
    expect(dashboard.panels.length).toBeGreaterThan(10);
    expect(unknown).toEqual([]);
  });

  it('catches a metric that is not registered', () => {
    expect(metricsIn('sum(rate(ledger_holds_refused_totl[5m])) > 0')).toEqual([
      'ledger_holds_refused_totl',
    ]);
    expect(registered.has('ledger_holds_refused_totl')).toBe(false);
  });
});
