import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

// A renderer for the part of Kustomize that deploy/kubernetes uses, so that the tests can render
// every overlay where no kustomize binary is installed: `resources` (files and folders),
// `components`, `namespace`, `images` and `patches` given as JSON 6902 operations (add, replace,
// remove) with a kind/name target. Anything else in a kustomization is refused rather than
// silently ignored, so a manifest that needs real Kustomize fails the test that renders it; where
// kubectl is installed, the tests also compare this output with `kubectl kustomize`.

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export interface Kustomization {
  apiVersion?: string;
  kind?: string;
  resources?: string[];
  components?: string[];
  namespace?: string;
  images?: { name: string; newName?: string; newTag?: string }[];
  patches?: { target: { kind: string; name: string }; patch?: string; path?: string }[];
}

const KNOWN = new Set([
  'apiVersion',
  'kind',
  'resources',
  'components',
  'namespace',
  'images',
  'patches',
]);

/** Kinds that live outside any namespace, among those a platform's manifests may hold. */
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);

export function readYamlDocuments(file: string): unknown[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
      return doc.toJS() as unknown;
    })
    .filter((doc) => doc !== null && doc !== undefined);
}

export function readKustomization(dir: string): Kustomization {
  const [k] = readYamlDocuments(join(dir, 'kustomization.yaml')) as Kustomization[];
  if (k === undefined) throw new Error(`${dir}: empty kustomization.yaml`);
  return k;
}

/** Renders the kustomization in `dir`, as `kubectl kustomize dir` would. */
export function kustomize(dir: string): Manifest[] {
  return render(readKustomization(dir), dir);
}

/** Renders a kustomization given as an object, its paths relative to `dir`. */
export function render(k: Kustomization, dir: string): Manifest[] {
  const unknown = Object.keys(k).filter((key) => !KNOWN.has(key));
  if (unknown.length > 0)
    throw new Error(`${dir}: unsupported kustomization fields ${unknown.join(', ')}`);
  let manifests: Manifest[] = (k.resources ?? []).flatMap((entry) => {
    const path = resolve(dir, entry);
    return statSync(path).isDirectory() ? kustomize(path) : (readYamlDocuments(path) as Manifest[]);
  });
  for (const component of k.components ?? []) {
    const path = resolve(dir, component);
    const c = readKustomization(path);
    if (c.kind !== 'Component') throw new Error(`${path}: not a Component`);
    manifests = applyTransformers(
      [...manifests, ...render({ resources: c.resources }, path)],
      c,
      path,
    );
  }
  return applyTransformers(manifests, k, dir);
}

function applyTransformers(input: Manifest[], k: Kustomization, dir: string): Manifest[] {
  const manifests = input.map((m) => structuredClone(m));
  if (k.namespace !== undefined) {
    for (const m of manifests) if (!CLUSTER_SCOPED.has(m.kind)) m.metadata.namespace = k.namespace;
  }
  for (const image of k.images ?? []) {
    for (const container of manifests.flatMap(containers)) {
      const name = container.image.replace(/@.*$/, '').replace(/:[^:/]*$/, '');
      if (name !== image.name) continue;
      const tag = container.image.slice(name.length);
      container.image = `${image.newName ?? name}${image.newTag !== undefined ? `:${image.newTag}` : tag}`;
    }
  }
  for (const p of k.patches ?? []) {
    const text = p.patch ?? readFileSync(resolve(dir, p.path ?? ''), 'utf8');
    const [ops] = parseAllDocuments(text).map((d) => d.toJS() as unknown);
    if (!Array.isArray(ops)) throw new Error(`${dir}: only JSON 6902 patches are supported`);
    const targets = manifests.filter(
      (m) => m.kind === p.target.kind && m.metadata.name === p.target.name,
    );
    if (targets.length === 0)
      throw new Error(`${dir}: no ${p.target.kind} ${p.target.name} to patch`);
    for (const target of targets) for (const op of ops as PatchOp[]) applyOp(target, op);
  }
  return manifests;
}

function containers(m: Manifest): { image: string }[] {
  const spec = (m.spec as { template?: { spec?: Record<string, unknown> } } | undefined)?.template
    ?.spec;
  return [
    ...((spec?.containers as { image: string }[] | undefined) ?? []),
    ...((spec?.initContainers as { image: string }[] | undefined) ?? []),
  ];
}

interface PatchOp {
  op: string;
  path: string;
  value?: unknown;
}

/** One RFC 6902 operation: add, replace or remove. */
export function applyOp(doc: object, { op, path, value }: PatchOp): void {
  const keys = path
    .split('/')
    .slice(1)
    .map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
  const last = keys.pop();
  if (last === undefined) throw new Error(`patch path ${path} names the whole document`);
  let parent: unknown = doc;
  for (const key of keys) {
    parent = (parent as Record<string, unknown> | undefined)?.[key];
    if (typeof parent !== 'object' || parent === null)
      throw new Error(`patch path ${path} not found`);
  }
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(index) || index < 0 || index > parent.length) {
      throw new Error(`patch path ${path}: bad index`);
    }
    if (op === 'add') parent.splice(index, 0, value);
    else if (op === 'replace' && index < parent.length) parent[index] = value;
    else if (op === 'remove' && index < parent.length) parent.splice(index, 1);
    else throw new Error(`patch ${op} ${path} cannot be applied`);
    return;
  }
  const record = parent as Record<string, unknown>;
  if (op === 'add') record[last] = value;
  else if ((op === 'replace' || op === 'remove') && last in record) {
    if (op === 'replace') record[last] = value;
    else delete record[last];
  } else throw new Error(`patch ${op} ${path} cannot be applied`);
}
