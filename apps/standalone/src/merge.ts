/**
 * One `/metrics` and one `/docs/openapi.json` for the five services of the process.
 */

interface Family {
  help?: string;
  type?: string;
  readonly samples: string[];
}

/**
 * Merges Prometheus text expositions. The same metric (the process metrics, which every
 * service's registry collects) appears once, with the samples of every registry under it; they
 * stay distinct through each registry's `service` label.
 */
export function mergeMetrics(texts: readonly string[]): string {
  const families = new Map<string, Family>();
  const familyOf = (name: string): Family => {
    let family = families.get(name);
    if (family === undefined) families.set(name, (family = { samples: [] }));
    return family;
  };
  for (const text of texts) {
    let current: Family | undefined;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const header = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (header !== null) {
        current = familyOf(header[2] ?? '');
        if (header[1] === 'HELP') current.help ??= line;
        else current.type ??= line;
        continue;
      }
      if (line.startsWith('#')) continue;
      (current ?? familyOf(line.split(/[{\s]/)[0] ?? '')).samples.push(line);
    }
  }
  const out: string[] = [];
  for (const family of families.values()) {
    if (family.help !== undefined) out.push(family.help);
    if (family.type !== undefined) out.push(family.type);
    out.push(...family.samples);
  }
  return `${out.join('\n')}\n`;
}

export interface OpenApiDocument {
  openapi?: string;
  info?: Record<string, unknown>;
  paths?: Record<string, Record<string, unknown>>;
  components?: Record<string, Record<string, unknown> | undefined>;
  tags?: { name: string; description?: string }[];
  [key: string]: unknown;
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/**
 * Merges the services' OpenAPI documents: every path once, each operation tagged with its
 * service (unless it has tags of its own), the component schemas together. A schema name two
 * services use for different shapes is renamed `<service>.<name>` in each of them, references
 * included.
 */
export function mergeOpenApi(
  documents: readonly { service: string; document: OpenApiDocument }[],
): OpenApiDocument {
  const shapes = new Map<string, Set<string>>();
  for (const { document } of documents) {
    for (const [name, schema] of Object.entries(document.components?.schemas ?? {})) {
      let set = shapes.get(name);
      if (set === undefined) shapes.set(name, (set = new Set()));
      set.add(JSON.stringify(schema));
    }
  }
  const clashing = new Set([...shapes].filter(([, s]) => s.size > 1).map(([name]) => name));

  const merged: OpenApiDocument = {
    openapi: documents[0]?.document.openapi ?? '3.0.0',
    info: {
      title: 'LLM billing platform (standalone)',
      description:
        'Every service of the platform on one port. Each service also serves its own document at ' +
        '/services/<service>/docs/openapi.json.',
      version: '1',
    },
    tags: [],
    paths: {},
    components: { schemas: {}, securitySchemes: {} },
  };
  for (const { service, document: original } of documents) {
    let text = JSON.stringify(original);
    for (const name of clashing) {
      text = text.replaceAll(
        `"#/components/schemas/${name}"`,
        `"#/components/schemas/${service}.${name}"`,
      );
    }
    const document = JSON.parse(text) as OpenApiDocument;
    merged.tags?.push({ name: service, description: `the ${service} service` });
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      const target = (merged.paths![path] ??= {});
      for (const [method, operation] of Object.entries(item)) {
        if (method in target) continue;
        if (HTTP_METHODS.has(method) && typeof operation === 'object' && operation !== null) {
          const op = operation as { tags?: string[] };
          target[method] =
            op.tags !== undefined && op.tags.length > 0 ? op : { ...op, tags: [service] };
        } else {
          target[method] = operation;
        }
      }
    }
    for (const [kind, entries] of Object.entries(document.components ?? {})) {
      const into = (merged.components![kind] ??= {});
      for (const [name, value] of Object.entries(entries ?? {})) {
        const key = kind === 'schemas' && clashing.has(name) ? `${service}.${name}` : name;
        into[key] ??= value;
      }
    }
  }
  return merged;
}
