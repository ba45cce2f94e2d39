// The check of the console's calls against the services' OpenAPI documents (issue #16): every
// endpoint of apps/console/src/app/endpoints.ts exists, with its method, path parameters and query
// parameters, in the document of the service that @billing/contracts/http-routes sends it to; the
// fields the console reads of an answer, and sends in a body, exist in the schemas the document
// declares. A route whose document declares no response schema is reported, not passed over.
import { route as routeOf, type Route, type ServiceName } from '@billing/contracts/http-routes';
import ts from 'typescript';

/** The part of an OpenAPI 3 document the check reads. */
export interface OpenApiDocument {
  readonly paths?: Readonly<Record<string, object>>;
  readonly components?: { readonly schemas?: Readonly<Record<string, unknown>> };
}

export interface CheckedEndpoint {
  readonly method: string;
  readonly path: string;
  readonly query?: readonly string[];
  readonly values?: Readonly<Record<string, readonly string[]>>;
}

/** What the console reads of an answer, or sends in a body, as a tree of fields. */
export type Shape =
  | { readonly kind: 'none' }
  | { readonly kind: 'value' }
  | { readonly kind: 'array'; readonly items: Shape }
  | { readonly kind: 'object'; readonly fields: ReadonlyMap<string, Shape> };

export interface CheckReport {
  /** Calls the documents contradict: each one fails the check. */
  readonly errors: readonly string[];
  /**
   * `METHOD path (services)` of each call whose answer the console reads and no schema describes
   * (`...: fields` when a schema leaves those parts free-form).
   */
  readonly undescribed: readonly string[];
  /** Calls of the console front's own routes (`/v1/console/*`), which no service serves. */
  readonly frontRoutes: readonly string[];
}

export interface CheckInput {
  readonly endpoints: Readonly<Record<string, CheckedEndpoint>>;
  readonly documents: ReadonlyMap<ServiceName, OpenApiDocument>;
  /** By endpoint name: what the console reads of the answer. */
  readonly responses: ReadonlyMap<string, Shape>;
  /** By endpoint name: the body the console sends. */
  readonly bodies: ReadonlyMap<string, Shape>;
  /** Which service a URL goes to (defaults to the fronts' table). */
  readonly route?: (url: string) => Route;
}

const PARAM = /\{([^}]+)\}/g;
const paramNames = (path: string): string[] => [...path.matchAll(PARAM)].map((m) => m[1] ?? '');
const skeleton = (path: string): string => path.replace(PARAM, '{}');

interface Operation {
  readonly parameters?: readonly { readonly name: string; readonly in: string }[];
  readonly requestBody?: { readonly content?: Readonly<Record<string, { schema?: unknown }>> };
  readonly responses?: Readonly<
    Record<string, { readonly content?: Readonly<Record<string, { schema?: unknown }>> }>
  >;
}

interface Schema {
  readonly $ref?: string;
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly required?: readonly string[];
  readonly items?: Schema;
  readonly allOf?: readonly Schema[];
  readonly oneOf?: readonly Schema[];
  readonly anyOf?: readonly Schema[];
}

/** Follows `$ref`s and merges `allOf`; undefined when the schema is not an object. */
function resolve(schema: unknown, document: OpenApiDocument, depth = 0): Schema | undefined {
  if (typeof schema !== 'object' || schema === null || depth > 20) return undefined;
  const s = schema as Schema;
  if (s.$ref !== undefined) {
    const name = s.$ref.replace('#/components/schemas/', '');
    return resolve(document.components?.schemas?.[name], document, depth + 1);
  }
  if (s.allOf !== undefined) {
    const parts = s.allOf.map((p) => resolve(p, document, depth + 1) ?? {});
    const properties = Object.assign({}, ...parts.map((p) => p.properties ?? {})) as Record<
      string,
      Schema
    >;
    return { ...s, allOf: undefined, properties: { ...properties, ...s.properties } };
  }
  return s;
}

/**
 * The fields of `shape` that `schema` does not have, as paths (`data[].requestId`); a schema that
 * names no fields at some level (a free-form object) is recorded in `freeForm`.
 */
function missingFields(
  shape: Shape,
  schema: unknown,
  document: OpenApiDocument,
  at: string,
  freeForm: string[],
): string[] {
  const s = resolve(schema, document);
  if (shape.kind === 'none' || shape.kind === 'value' || s === undefined) return [];
  const variants = s.oneOf ?? s.anyOf;
  if (variants !== undefined) {
    // A field is there when one of the variants has it.
    const each = variants.map((v) => missingFields(shape, v, document, at, freeForm));
    return each.reduce((a, b) => a.filter((f) => b.includes(f)));
  }
  if (shape.kind === 'array') {
    if (s.items === undefined) {
      freeForm.push(at === '' ? '[]' : `${at}[]`);
      return [];
    }
    return missingFields(shape.items, s.items, document, `${at}[]`, freeForm);
  }
  if (s.properties === undefined) {
    freeForm.push(at === '' ? '(the answer)' : at);
    return [];
  }
  const missing: string[] = [];
  for (const [field, inner] of shape.fields) {
    const path = at === '' ? field : `${at}.${field}`;
    const property = s.properties[field];
    if (property === undefined) missing.push(path);
    else missing.push(...missingFields(inner, property, document, path, freeForm));
  }
  return missing;
}

/** Each URL the console may call for `endpoint`: its enumerated parameters expanded. */
function sampleUrls(endpoint: CheckedEndpoint): string[] {
  let urls = [endpoint.path];
  for (const name of paramNames(endpoint.path)) {
    const values = endpoint.values?.[name] ?? [`sample-${name}`];
    urls = urls.flatMap((url) => values.map((v) => url.replace(`{${name}}`, v)));
  }
  return urls;
}

const jsonSchema = (content: Readonly<Record<string, { schema?: unknown }>> | undefined): unknown =>
  content?.['application/json']?.schema;

export function checkEndpoints(input: CheckInput): CheckReport {
  const route = input.route ?? routeOf;
  const errors: string[] = [];
  const undescribed = new Map<string, ServiceName[]>();
  const note = (label: string, service: ServiceName): void => {
    undescribed.set(label, [...(undescribed.get(label) ?? []), service]);
  };
  const frontRoutes: string[] = [];
  for (const [name, endpoint] of Object.entries(input.endpoints)) {
    const call = `${name}: ${endpoint.method} ${endpoint.path}`;
    const targets = sampleUrls(endpoint).map(route);
    if (targets.every((t) => t.kind === 'console-api')) {
      frontRoutes.push(`${endpoint.method} ${endpoint.path}`);
      continue;
    }
    const services = new Set<ServiceName>();
    for (const target of targets) {
      if (target.kind === 'service') services.add(target.service);
      else
        errors.push(
          `${call}: no service serves it (the fronts' route table answers ${target.kind})`,
        );
    }
    for (const service of services) {
      const document = input.documents.get(service);
      const where = `${call}: ${service}'s OpenAPI document`;
      if (document === undefined) {
        errors.push(`${where} is missing`);
        continue;
      }
      const paths = document.paths ?? {};
      const key = Object.keys(paths).find((p) => skeleton(p) === skeleton(endpoint.path));
      if (key === undefined) {
        errors.push(`${where} has no such path`);
        continue;
      }
      const expected = paramNames(key);
      if (expected.join(',') !== paramNames(endpoint.path).join(',')) {
        errors.push(`${where} names its path parameters ${key}`);
      }
      const item = (paths[key] ?? {}) as Readonly<Record<string, unknown>>;
      const operation = item[endpoint.method.toLowerCase()] as Operation | undefined;
      if (operation === undefined) {
        const methods = Object.keys(item).map((m) => m.toUpperCase());
        errors.push(`${where} has ${key} only with ${methods.join(', ')}`);
        continue;
      }
      const parameters = operation.parameters ?? [];
      const inPath = parameters.filter((p) => p.in === 'path').map((p) => p.name);
      if ([...inPath].sort().join(',') !== [...expected].sort().join(',')) {
        errors.push(`${where} declares the path parameters ${inPath.join(', ') || 'none'}`);
      }
      const inQuery = new Set(parameters.filter((p) => p.in === 'query').map((p) => p.name));
      for (const q of endpoint.query ?? []) {
        if (!inQuery.has(q)) errors.push(`${where} declares no query parameter ${q}`);
      }
      const body = input.bodies.get(name);
      if (body !== undefined && body.kind !== 'none') {
        const schema = jsonSchema(operation.requestBody?.content);
        if (schema === undefined) {
          errors.push(`${where} declares no JSON body, and the console sends one`);
        } else {
          for (const field of missingFields(body, schema, document, '', [])) {
            errors.push(`${where}: the body has no field ${field}`);
          }
          const sent = body.kind === 'object' ? body.fields : new Map<string, Shape>();
          for (const field of resolve(schema, document)?.required ?? []) {
            if (!sent.has(field)) errors.push(`${where}: the body lacks the required ${field}`);
          }
        }
      }
      const reads = input.responses.get(name);
      if (reads === undefined || reads.kind === 'none') continue;
      const success = Object.entries(operation.responses ?? {}).filter(([status]) =>
        /^2/.test(status),
      );
      const schema = success.map(([, r]) => jsonSchema(r.content)).find((s) => s !== undefined);
      const label = `${endpoint.method} ${endpoint.path}`;
      if (schema === undefined) {
        note(label, service);
        continue;
      }
      const freeForm: string[] = [];
      for (const field of missingFields(reads, schema, document, '', freeForm)) {
        errors.push(`${where}: the answer has no field ${field}`);
      }
      if (freeForm.length > 0) note(`${label}: ${freeForm.join(', ')}`, service);
    }
  }
  return {
    errors,
    undescribed: [...undescribed].map(([label, services]) => {
      const [call, fields] = label.split(': ');
      return `${call} (${services.join(', ')})${fields === undefined ? '' : `: ${fields}`}`;
    }),
    frontRoutes,
  };
}

/**
 * The shapes of the members of an interface of a TypeScript file (the console's `Responses` and
 * `Bodies`, keyed by endpoint name), read by the compiler with the console's own options.
 */
export function interfaceShapes(
  file: string,
  interfaceName: string,
  configPath: string,
): Map<string, Shape> {
  const config = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (config === undefined) throw new Error(`cannot read ${configPath}`);
  const program = ts.createProgram([file], {
    ...config.options,
    composite: false,
    noEmit: true,
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  if (source === undefined) throw new Error(`cannot read ${file}`);
  const declaration = source.statements.find(
    (s): s is ts.InterfaceDeclaration =>
      ts.isInterfaceDeclaration(s) && s.name.text === interfaceName,
  );
  if (declaration === undefined) throw new Error(`${file} has no interface ${interfaceName}`);
  const type = checker.getTypeAtLocation(declaration);
  const shapes = new Map<string, Shape>();
  for (const member of declaration.members) {
    if (!ts.isPropertySignature(member) || member.type === undefined) continue;
    const name = member.name.getText(source);
    const symbol = checker.getPropertyOfType(type, name);
    if (symbol === undefined) continue;
    shapes.set(name, shapeOf(checker, checker.getTypeOfSymbol(symbol), 0));
  }
  return shapes;
}

const NOTHING = ts.TypeFlags.Null | ts.TypeFlags.Undefined | ts.TypeFlags.Void;

function shapeOf(checker: ts.TypeChecker, type: ts.Type, depth: number): Shape {
  if (depth > 10) return { kind: 'value' };
  if ((type.flags & NOTHING) !== 0) return { kind: 'none' };
  if (type.isUnion()) {
    const parts = type.types.filter((t) => (t.flags & NOTHING) === 0);
    if (parts.length === 0) return { kind: 'none' };
    const [first] = parts;
    if (parts.length === 1 && first !== undefined) return shapeOf(checker, first, depth);
    // A union of literals (`'enabled' | 'disabled'`) or of several shapes: a value.
    return { kind: 'value' };
  }
  if (checker.isArrayType(type)) {
    const [item] = checker.getTypeArguments(type as ts.TypeReference);
    return {
      kind: 'array',
      items: item === undefined ? { kind: 'value' } : shapeOf(checker, item, depth + 1),
    };
  }
  if ((type.flags & ts.TypeFlags.Object) === 0) return { kind: 'value' };
  const properties = checker.getPropertiesOfType(type);
  if (properties.length === 0) return { kind: 'value' };
  const fields = new Map<string, Shape>();
  for (const property of properties) {
    fields.set(property.name, shapeOf(checker, checker.getTypeOfSymbol(property), depth + 1));
  }
  return { kind: 'object', fields };
}
