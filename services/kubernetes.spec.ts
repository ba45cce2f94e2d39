import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { kustomize, readYamlDocuments, render, type Manifest } from './kustomize.js';
import {
  CONSOLE_SERVER_VARIABLES,
  loadConsoleServerEnv,
  SERVICE_URL_VARIABLES,
} from '../apps/console-server/src/config.js';
import { knownVariables, SERVICE_CONFIGS } from './service-configs.js';

// deploy/kubernetes cannot be applied to a cluster here, so this test renders every overlay and
// checks what a cluster would be given: each object against the Kubernetes schemas (the
// kubernetes-models package: required fields, types, enums, formats) and, strictly, against the
// API's field names (the models' TypeScript types, where an unknown field is an error); each
// service's environment against its configuration class; the probes, budgets, autoscalers and
// network policies against what the platform needs; the Strimzi examples against the local
// broker's topics and ACLs.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const K8S = `${ROOT}deploy/kubernetes`;
const SERVICES = Object.keys(SERVICE_CONFIGS);

const renderings: Record<string, Manifest[]> = {
  base: kustomize(`${K8S}/base`),
  'overlays/production': kustomize(`${K8S}/overlays/production`),
  'base + components/kafka-lag-autoscaling': render(
    { resources: ['base'], components: ['components/kafka-lag-autoscaling'] },
    K8S,
  ),
};
const exampleSecrets = readYamlDocuments(`${K8S}/examples/secrets.example.yaml`) as Manifest[];
const strimzi = readYamlDocuments(`${K8S}/examples/strimzi-kafka.yaml`) as Manifest[];
const cnpg = readYamlDocuments(`${K8S}/examples/cloudnative-pg.yaml`) as Manifest[];

const find = (ms: Manifest[], kind: string, name: string): Manifest | undefined =>
  ms.find((m) => m.kind === kind && m.metadata.name === name);

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
interface Probe {
  httpGet: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string> };
}
interface DeploymentSpec {
  selector: { matchLabels: Record<string, string> };
  template: { metadata: { labels: Record<string, string> }; spec: { containers: Container[] } };
}
const spec = <T>(m: Manifest | undefined): T => m?.spec as T;

// --- schema validation ------------------------------------------------------------------------

/** The kubernetes-models module of an object: `apps/v1` + `Deployment`. */
const modelModule = (m: Manifest) => `kubernetes-models/${m.apiVersion}/${m.kind}`;

async function validateSchema(m: Manifest): Promise<void> {
  const module = (await import(modelModule(m))) as Record<
    string,
    new (data: unknown) => { validate(): void }
  >;
  const Model = module[m.kind];
  if (Model === undefined) throw new Error(`no model for ${m.apiVersion} ${m.kind}`);
  new Model(m).validate();
}

/**
 * Unknown fields, which the JSON schemas allow: each object is type-checked as an object literal
 * of its model's interface, where TypeScript refuses any property the API does not define.
 */
function strictFieldErrors(manifests: Manifest[]): string[] {
  const file = `${ROOT}services/__k8s_manifests__.ts`;
  const source = manifests
    .map((m, i) => {
      const type = `import('${modelModule(m)}').I${m.kind}`;
      return `export const m${i}: ${type} = ${JSON.stringify(m)};`;
    })
    .join('\n');
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => f === file || fileExists(f);
  host.readFile = (f) => (f === file ? source : readFile(f));
  host.getSourceFile = (f, ...rest) =>
    f === file ? ts.createSourceFile(f, source, ts.ScriptTarget.ES2022) : getSourceFile(f, ...rest);
  const program = ts.createProgram([file], options, host);
  return ts
    .getPreEmitDiagnostics(program, program.getSourceFile(file))
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe.each(Object.entries(renderings))('deploy/kubernetes %s, rendered', (_, manifests) => {
  it('validates against the Kubernetes schemas', async () => {
    expect(manifests.length).toBeGreaterThan(25);
    for (const m of manifests) {
      await expect(validateSchema(m).then(() => 'valid')).resolves.toBe('valid');
    }
  });

  it('uses no field that the Kubernetes API does not define', () => {
    expect(strictFieldErrors(manifests)).toEqual([]);
  }, 60_000);

  describe.each(SERVICES)('%s', (name) => {
    const full = `llm-billing-${name}`;
    const deployment = find(manifests, 'Deployment', full);
    const pod = spec<DeploymentSpec>(deployment)?.template;
    const container = pod?.spec.containers[0];

    it('runs the built service with node, from the image', () => {
      expect(container?.args).toEqual([
        'node',
        '--max-semi-space-size=16',
        `services/${name}/dist/main.js`,
      ]);
      const scripts = (
        JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as {
          scripts: Record<string, string>;
        }
      ).scripts;
      expect(scripts[`start:prod:${name}`]).toBe(container?.args?.join(' '));
    });

    it('probes /health/live for liveness and /health/ready for readiness, on its port', () => {
      const port = container?.ports?.find((p) => p.name === 'http');
      expect(port).toBeDefined();
      expect(container?.livenessProbe?.httpGet).toEqual({ path: '/health/live', port: 'http' });
      expect(container?.readinessProbe?.httpGet).toEqual({ path: '/health/ready', port: 'http' });
      expect(container?.startupProbe?.httpGet).toEqual({ path: '/health/live', port: 'http' });
    });

    it('requests CPU and memory', () => {
      expect(Object.keys(container?.resources?.requests ?? {}).sort()).toEqual(['cpu', 'memory']);
    });

    it('has a Service, a PodDisruptionBudget and a CPU autoscaler for its pods', () => {
      const labels = pod?.metadata.labels ?? {};
      const selects = (selector: Record<string, string> | undefined) =>
        selector !== undefined &&
        Object.keys(selector).length > 0 &&
        Object.entries(selector).every(([k, v]) => labels[k] === v);
      expect(
        selects(
          spec<{ selector: Record<string, string> }>(find(manifests, 'Service', full)).selector,
        ),
      ).toBe(true);
      const pdb = spec<{ selector: { matchLabels: Record<string, string> } }>(
        find(manifests, 'PodDisruptionBudget', full),
      );
      expect(selects(pdb.selector.matchLabels)).toBe(true);
      const hpa = spec<{
        scaleTargetRef: { kind: string; name: string };
        minReplicas: number;
        metrics: { type: string; resource?: { name: string } }[];
      }>(find(manifests, 'HorizontalPodAutoscaler', full));
      expect(hpa.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: full });
      expect(hpa.minReplicas).toBeGreaterThanOrEqual(2); // one pod can always be disrupted
      expect(hpa.metrics.filter((m) => m.type === 'Resource').map((m) => m.resource?.name)).toEqual(
        ['cpu'],
      );
    });

    it('is given every variable its configuration requires, and only ones it reads', () => {
      const env: Record<string, string> = {};
      for (const from of container?.envFrom ?? []) {
        const configMap = find(manifests, 'ConfigMap', from.configMapRef?.name ?? '');
        expect(configMap).toBeDefined();
        Object.assign(env, configMap?.data);
      }
      for (const v of container?.env ?? []) {
        const ref = v.valueFrom?.secretKeyRef;
        if (ref === undefined) {
          env[v.name] = v.value ?? '';
          continue;
        }
        // Credentials come from the service's Secret; the example names every key used.
        expect(ref.name).toBe(full);
        const secret = find(exampleSecrets, 'Secret', ref.name);
        const value = (secret?.stringData as Record<string, string> | undefined)?.[ref.key];
        expect({ key: ref.key, inExampleSecret: value !== undefined }).toEqual({
          key: ref.key,
          inExampleSecret: true,
        });
        env[v.name] = value ?? '';
      }
      const { cls, load } = SERVICE_CONFIGS[name]!;
      const known = knownVariables(cls);
      expect(Object.keys(env).filter((v) => !known.has(v))).toEqual([]);
      expect(env.NODE_ENV).toBe('production');
      expect(() => load(env)).not.toThrow();
      // Guards the line above: the same loader does refuse an environment missing a credential.
      expect(() => load({ ...env, DATABASE_URL: undefined })).toThrow(/DATABASE_URL/);
    });

    it('keeps every credential in a Secret, none in a ConfigMap or a literal value', () => {
      const credential = /PASSWORD|SECRET|TOKEN|PEPPER|KEY$|DATABASE_URL/;
      const configMap = find(manifests, 'ConfigMap', full);
      expect(
        Object.keys((configMap?.data as object | undefined) ?? {}).filter((k) =>
          credential.test(k),
        ),
      ).toEqual([]);
      expect(
        (container?.env ?? []).filter((v) => credential.test(v.name) && v.valueFrom === undefined),
      ).toEqual([]);
      expect(manifests.filter((m) => m.kind === 'Secret')).toEqual([]);
    });
  });

  describe('console (apps/console-server)', () => {
    const full = 'llm-billing-console';
    const pod = spec<DeploymentSpec>(find(manifests, 'Deployment', full))?.template;
    const container = pod?.spec.containers[0];

    it('runs the built console server with node, as start:prod:console does', () => {
      const scripts = (
        JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as {
          scripts: Record<string, string>;
        }
      ).scripts;
      expect(container?.args?.join(' ')).toBe(scripts['start:prod:console']);
      expect(container?.livenessProbe?.httpGet).toEqual({ path: '/health/live', port: 'http' });
      expect(container?.readinessProbe?.httpGet).toEqual({ path: '/health/ready', port: 'http' });
      expect(Object.keys(container?.resources?.requests ?? {}).sort()).toEqual(['cpu', 'memory']);
      expect(find(manifests, 'Service', full)).toBeDefined();
      expect(find(manifests, 'PodDisruptionBudget', full)).toBeDefined();
      expect(find(manifests, 'HorizontalPodAutoscaler', full)).toBeDefined();
    });

    it("reads only its own variables, no credential, and points at each service's Service", () => {
      expect(container?.env).toBeUndefined();
      const env = Object.fromEntries(
        Object.entries(
          find(manifests, 'ConfigMap', container?.envFrom?.[0]?.configMapRef?.name ?? '')?.data ??
            {},
        ).map(([k, v]) => [k, String(v)]),
      );
      expect(Object.keys(env).filter((v) => !CONSOLE_SERVER_VARIABLES.includes(v))).toEqual([]);
      const config = loadConsoleServerEnv(env);
      expect(config.port).toBe(container?.ports?.find((p) => p.name === 'http')?.containerPort);
      for (const [name, variable] of Object.entries(SERVICE_URL_VARIABLES)) {
        expect(env[variable]).toBe(`http://llm-billing-${name}`);
        expect(find(manifests, 'Service', `llm-billing-${name}`)).toBeDefined();
      }
    });

    it("carries the label the services' network policy admits, and is reached through the Ingress only", () => {
      expect(pod?.metadata.labels['llm-billing.io/console']).toBe('true');
      const policy = spec<{
        podSelector: { matchLabels: Record<string, string> };
        ingress: { from: { namespaceSelector?: { matchLabels?: Record<string, string> } }[] }[];
      }>(find(manifests, 'NetworkPolicy', 'llm-billing-console-from-ingress'));
      expect(policy.podSelector.matchLabels['app.kubernetes.io/name']).toBe('console');
      expect(policy.ingress.flatMap((r) => r.from)).toEqual([
        { namespaceSelector: { matchLabels: { 'llm-billing.io/ingress': 'true' } } },
      ]);
      const paths = spec<{
        rules: { http: { paths: { path: string; backend: { service: { name: string } } }[] } }[];
      }>(find(manifests, 'Ingress', 'llm-billing')).rules.flatMap((r) => r.http.paths);
      expect(paths.map((p) => [p.path, p.backend.service.name])).toEqual([
        ['/api/v1', 'llm-billing-gateway'],
        ['/webhooks/stripe', 'llm-billing-payments'],
        ['/', full],
      ]);
    });
  });

  it('lets only the gateway be reached from outside the cluster', () => {
    interface Rule {
      from?: { ipBlock?: unknown; podSelector?: unknown; namespaceSelector?: unknown }[];
    }
    interface Selector {
      matchLabels?: Record<string, string>;
      matchExpressions?: { key: string; operator: string; values: string[] }[];
    }
    const policies = manifests
      .filter((m) => m.kind === 'NetworkPolicy')
      .map((m) => spec<{ podSelector: Selector; ingress?: Rule[]; policyTypes: string[] }>(m));
    const selects = (s: Selector, labels: Record<string, string>) =>
      Object.entries(s.matchLabels ?? {}).every(([k, v]) => labels[k] === v) &&
      (s.matchExpressions ?? []).every(
        (e) => e.operator === 'In' && e.values.includes(labels[e.key] ?? ''),
      );
    // A peer outside the cluster matches a rule with no `from`, or with an ipBlock.
    const fromOutside = (rule: Rule) =>
      rule.from === undefined ||
      rule.from.length === 0 ||
      rule.from.some((p) => p.ipBlock !== undefined);
    const reachable = SERVICES.filter((name) => {
      const labels = spec<DeploymentSpec>(find(manifests, 'Deployment', `llm-billing-${name}`))
        .template.metadata.labels;
      const selecting = policies.filter((p) => selects(p.podSelector, labels));
      // Every pod is selected (default deny), so only an allowing rule opens it.
      expect(selecting.some((p) => p.policyTypes.includes('Ingress'))).toBe(true);
      return selecting.some((p) => (p.ingress ?? []).some(fromOutside));
    });
    expect(reachable).toEqual(['gateway']);
  });
});

describe('the production overlay', () => {
  const manifests = renderings['overlays/production']!;

  it('puts everything in its namespace, with the released image', () => {
    for (const m of manifests.filter((m) => m.kind !== 'Namespace')) {
      expect(`${m.kind}/${m.metadata.name} ${m.metadata.namespace}`).toBe(
        `${m.kind}/${m.metadata.name} llm-billing`,
      );
    }
    for (const name of SERVICES) {
      const d = spec<DeploymentSpec>(find(manifests, 'Deployment', `llm-billing-${name}`));
      expect(d.template.spec.containers[0]?.image).toBe('registry.example.com/llm-billing:0.1.0');
    }
  });
});

describe('the Kafka consumer lag component', () => {
  it('adds each consumer group of a service to its autoscaler, beside CPU', () => {
    const manifests = renderings['base + components/kafka-lag-autoscaling']!;
    const groups = (name: string) =>
      spec<{
        metrics: {
          external?: { metric: { selector: { matchLabels: { consumergroup: string } } } };
        }[];
      }>(find(manifests, 'HorizontalPodAutoscaler', `llm-billing-${name}`))
        .metrics.flatMap((m) =>
          m.external ? [m.external.metric.selector.matchLabels.consumergroup] : [],
        )
        .sort();
    // The consumers' groups are the ones the broker's ACLs grant (deploy/local/kafka/acls.txt).
    const acls = localAcls();
    for (const name of ['keys', 'metering', 'ledger', 'payments']) {
      const granted = acls
        .filter((a) => a.principal === name && a.kind === 'group')
        .map((a) => a.name);
      expect(groups(name)).toEqual(granted.sort());
    }
  });
});

// --- the operators' examples --------------------------------------------------------------------

interface Acl {
  principal: string;
  operation: string;
  kind: string;
  name: string;
}
function localAcls(): Acl[] {
  return readFileSync(`${ROOT}deploy/local/kafka/acls.txt`, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => {
      const [principal = '', operation = '', kind = '', name = ''] = l.trim().split(/\s+/);
      return { principal, operation, kind, name };
    });
}

describe('deploy/kubernetes/examples', () => {
  it('creates every topic of deploy/local/topics.txt with Strimzi, and no other', () => {
    const topics = readFileSync(`${ROOT}deploy/local/topics.txt`, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    const declared = strimzi
      .filter((m) => m.kind === 'KafkaTopic')
      .map((m) => spec<{ topicName: string }>(m).topicName);
    expect(declared.sort()).toEqual([...topics].sort());
  });

  it('keeps 7 days of retention plus 7-day segments: the ledger redelivery horizon it assumes', () => {
    for (const topic of strimzi.filter((m) => m.kind === 'KafkaTopic')) {
      expect(spec<{ config: Record<string, number> }>(topic).config).toMatchObject({
        'retention.ms': 7 * 24 * 3600 * 1000,
        'segment.ms': 7 * 24 * 3600 * 1000,
      });
    }
  });

  it("gives each service's KafkaUser exactly the ACLs of deploy/local/kafka/acls.txt", () => {
    const users = strimzi.filter((m) => m.kind === 'KafkaUser');
    expect(users.map((u) => u.metadata.name).sort()).toEqual([...SERVICES].sort());
    for (const user of users) {
      const acls = spec<{
        authentication: { type: string };
        authorization: {
          acls: {
            resource: { type: string; name: string; patternType: string };
            operations: string[];
          }[];
        };
      }>(user);
      expect(acls.authentication.type).toBe('scram-sha-512');
      const granted = acls.authorization.acls.flatMap((a) =>
        a.operations.map(
          (op) => `${op} ${a.resource.type} ${a.resource.name} ${a.resource.patternType}`,
        ),
      );
      const expected = localAcls()
        .filter((a) => a.principal === user.metadata.name)
        .map((a) => `${a.operation} ${a.kind} ${a.name} literal`);
      expect(granted.sort()).toEqual(expected.sort());
    }
  });

  it('is what the services connect to: the Strimzi bootstrap with SCRAM, their own principal', () => {
    const kafka = strimzi.find((m) => m.kind === 'Kafka')!;
    const listener = spec<{
      kafka: { listeners: { port: number; authentication: { type: string } }[] };
    }>(kafka).kafka.listeners[0]!;
    const bootstrap = `${kafka.metadata.name}-kafka-bootstrap.${kafka.metadata.namespace}.svc:${listener.port}`;
    for (const name of SERVICES) {
      const data = find(renderings.base!, 'ConfigMap', `llm-billing-${name}`)?.data as Record<
        string,
        string
      >;
      expect(data).toMatchObject({
        KAFKA_BROKERS: bootstrap,
        KAFKA_SASL_MECHANISM: listener.authentication.type,
        KAFKA_SASL_USERNAME: name,
      });
    }
  });

  it('has a CloudNativePG cluster whose database the example DATABASE_URLs name', () => {
    const cluster = cnpg.find((m) => m.kind === 'Cluster')!;
    const { database, owner } = spec<{
      bootstrap: { initdb: { database: string; owner: string } };
    }>(cluster).bootstrap.initdb;
    for (const secret of exampleSecrets) {
      const url = new URL((secret.stringData as { DATABASE_URL: string }).DATABASE_URL);
      expect([url.username, url.hostname, url.pathname]).toEqual([
        owner,
        `${cluster.metadata.name}-rw`,
        `/${database}`,
      ]);
    }
  });

  it('has example Secrets that are valid Kubernetes objects', async () => {
    for (const m of exampleSecrets) await validateSchema(m);
    expect(exampleSecrets.map((s) => s.metadata.name).sort()).toEqual(
      SERVICES.map((n) => `llm-billing-${n}`).sort(),
    );
  });
});

describe('the checks themselves', () => {
  const deployment = find(renderings.base!, 'Deployment', 'llm-billing-gateway')!;

  it('refuses a wrong type (schema) and an unknown field (strict)', async () => {
    const wrongType = structuredClone(deployment);
    (wrongType.spec as { replicas: unknown }).replicas = 'two';
    await expect(validateSchema(wrongType)).rejects.toThrow(/replicas/);
    const typo = structuredClone(deployment);
    const container = spec<DeploymentSpec>(typo).template.spec.containers[0] as unknown as Record<
      string,
      unknown
    >;
    container.livenesProbe = container.livenessProbe;
    expect(strictFieldErrors([typo]).join('\n')).toMatch(/livenesProbe/);
  }, 60_000);
});

// Where kubectl is installed, its Kustomize must render the same objects as the renderer above.
const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
if (kubectl) {
  describe('kubectl kustomize (installed here)', () => {
    it.each(['base', 'overlays/production'])('renders %s as the test renderer does', (dir) => {
      const out = spawnSync('kubectl', ['kustomize', `${K8S}/${dir}`], { encoding: 'utf8' });
      expect(out.stderr).toBe('');
      const theirs = parseAllDocuments(out.stdout).map((d) => d.toJS() as Manifest);
      const key = (m: Manifest) => `${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`;
      const sort = (ms: Manifest[]) => [...ms].sort((a, b) => key(a).localeCompare(key(b)));
      expect(sort(theirs)).toEqual(sort(renderings[dir]!));
    });
  });
}
