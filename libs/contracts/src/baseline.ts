// `@billing/contracts/baseline`: the contract's validation the slow way, through class-validator's
// `validateSync` over a hydrated instance. Nothing at run time uses it: `validateAs` (validate.ts)
// runs the compiled validator (compile.ts). It stays as the oracle of the differential test
// (compile.spec.ts), which proves the two give the same results, and as the baseline of the
// `contracts` part of `npm run bench`.
import { validateSync, type ValidationError } from 'class-validator';

import { decodeEventWith, type DecodeOptions, type DecodeResult } from './decode.js';
import { fieldsOf, nestedClassOf, isPlainObject, type DataClass } from './rules.js';
import type { Validated } from './validate.js';

/** `decodeEvent`, validating through class-validator instead of the compiled validator. */
export function decodeEventWithClassValidator(
  raw: unknown,
  options: DecodeOptions = {},
): DecodeResult {
  return decodeEventWith(raw, options, validateWithClassValidator);
}

/**
 * What `validateAs` computes, through class-validator: hydrate an instance with the declared
 * fields only, run `validateSync`, then describe the errors in the order the class declares its
 * fields. class-transformer is deliberately not used: there is nothing to transform (the wire
 * shape is the TypeScript shape, no coercion wanted), and copying only the declared fields means a
 * key such as `__proto__` or `constructor` never touches an instance.
 */
export function validateWithClassValidator(
  cls: DataClass,
  input: Record<string, unknown>,
  path: string,
): Validated {
  const instance = hydrate(cls, input);
  const errors = validateSync(instance, {
    // Belt and braces: hydrate() already copied declared fields only.
    whitelist: true,
    forbidNonWhitelisted: false,
    forbidUnknownValues: true,
    validationError: { target: false, value: true },
  });
  if (errors.length > 0) {
    return { ok: false, problems: describeAll(cls, errors, path) };
  }
  return { ok: true, value: toPlain(cls, instance) };
}

function hydrate(cls: DataClass, input: Record<string, unknown>): object {
  const instance = new cls() as Record<string, unknown>;
  for (const field of fieldsOf(cls)) {
    if (!Object.hasOwn(input, field)) continue;
    const value = input[field];
    const nested = nestedClassOf(cls, field);
    instance[field] = nested !== undefined && isPlainObject(value) ? hydrate(nested, value) : value;
  }
  return instance;
}

function toPlain(cls: DataClass, instance: object): Record<string, unknown> {
  const source = instance as Record<string, unknown>;
  const entries: [string, unknown][] = [];
  for (const field of fieldsOf(cls)) {
    const value = source[field];
    if (value === undefined || value === null) continue;
    const nested = nestedClassOf(cls, field);
    entries.push([field, nested !== undefined ? toPlain(nested, value) : value]);
  }
  // Object.fromEntries defines properties, so no key can reach a prototype setter.
  return Object.fromEntries(entries);
}

/** The problems in the order the class declares its fields, so a reason reads like the type. */
function describeAll(cls: DataClass, errors: readonly ValidationError[], parent: string): string[] {
  const fields = fieldsOf(cls);
  return [...errors]
    .sort((a, b) => fields.indexOf(a.property) - fields.indexOf(b.property))
    .flatMap((error) => describe(cls, error, parent));
}

function describe(cls: DataClass, error: ValidationError, parent: string): string[] {
  const path = parent === '' ? error.property : `${parent}.${error.property}`;
  const messages = Object.values(error.constraints ?? {});
  if (messages.length > 0) {
    // A missing required field fails every rule of the field; one clear message is enough.
    if (error.value === undefined || error.value === null) return [`${path}: is required`];
    return [...new Set(messages)].map((message) => `${path}: ${message}`);
  }
  const nested = nestedClassOf(cls, error.property);
  return nested === undefined ? [] : describeAll(nested, error.children ?? [], path);
}
