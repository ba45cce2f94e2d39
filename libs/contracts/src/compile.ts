// The compiled validator: class-validator's metadata for a contract class, turned once into a
// plain function that gives the same `Validated` result as `validateSync` over a hydrated instance
// (baseline.ts) without its per-call machinery (an instance, a ValidationError per field, metadata
// lookups and filters, argument objects, a container lookup per constraint). The decorated
// classes stay the one source of truth: the compiler reads what the decorators registered, and
// refuses what it does not know instead of skipping it.
import { getMetadataStorage, ValidationTypes, type MetadataStorage } from 'class-validator';

import {
  fieldsOf,
  isPresent,
  nestedClassOf,
  ruleSpecOf,
  type DataClass,
  type RuleSpec,
} from './rules.js';
import type { Validated } from './validate.js';

type ValidationMetadata = ReturnType<MetadataStorage['getTargetValidationMetadatas']>[number];

/** A class whose decorators the compiler cannot turn into the same checks as class-validator. */
export class UnsupportedContractClassError extends Error {
  constructor(cls: DataClass, problem: string) {
    super(`cannot compile the validator of ${cls.name}: ${problem}`);
    this.name = 'UnsupportedContractClassError';
  }
}

/** Validates `input` against one class; `path` prefixes every problem ('' for none). */
export type CompiledValidator = (input: Record<string, unknown>, path: string) => Validated;

interface Step {
  readonly name: string;
  readonly check: RuleSpec['check'];
}

interface NestedPlan {
  readonly cls: DataClass;
  /** ValidateNested's message and the arguments class-validator formats it with. */
  readonly message: string;
  readonly targetName: string;
  readonly constraints: unknown;
}

interface FieldPlan {
  readonly name: string;
  readonly optional: boolean;
  readonly steps: readonly Step[];
  readonly nested: NestedPlan | undefined;
}

interface ClassPlan {
  readonly cls: DataClass;
  readonly fields: readonly FieldPlan[];
  /**
   * The fields that cross-field rules (NotBefore) read besides their own. Their checks get an
   * object holding these fields' own values, which is what they would read on the instance that
   * class-validator validates (the compiler refuses a read of an undeclared or nested field).
   */
  readonly reads: readonly string[];
}

const compiled = new WeakMap<DataClass, CompiledValidator>();

/**
 * The validator of `cls`, compiled on first use and cached. Throws UnsupportedContractClassError
 * when a decorator of `cls` (or of a class nested in it) is not one of rules.ts.
 */
export function compiledValidator(cls: DataClass): CompiledValidator {
  const cached = compiled.get(cls);
  if (cached !== undefined) return cached;
  const plan = planOf(cls);
  const validator: CompiledValidator = (input, path) => run(plan, input, path);
  // Cached before the nested classes are compiled, so that a class nesting itself terminates.
  compiled.set(cls, validator);
  try {
    // Nested classes are compiled now too, so that an unsupported one fails here, not mid-decode.
    for (const field of plan.fields) {
      if (field.nested !== undefined) compiledValidator(field.nested.cls);
    }
  } catch (error) {
    compiled.delete(cls);
    throw error;
  }
  return validator;
}

function planOf(cls: DataClass): ClassPlan {
  const refuse = (problem: string): never => {
    throw new UnsupportedContractClassError(cls, problem);
  };
  // Exactly what validateSync asks for (no schema, no groups, `always` off, groups not strict).
  const metadatas = getMetadataStorage().getTargetValidationMetadatas(
    cls,
    undefined as unknown as string,
    false,
    false,
    undefined,
  );
  if (metadatas.length === 0) refuse('it has no rules');
  const fields = fieldsOf(cls);
  const byField = new Map<string, ValidationMetadata[]>();
  for (const metadata of metadatas) {
    const field = metadata.propertyName;
    if (!fields.includes(field)) {
      refuse(`${field} has a decorator that is not a rule of rules.ts`);
    }
    byField.set(field, [...(byField.get(field) ?? []), metadata]);
  }

  const probe = new cls() as Record<string, unknown>;
  const reads = new Set<string>();
  const plans = fields.map((field): FieldPlan => {
    if (field === '__proto__') refuse('a field named __proto__');
    // hydrate() leaves a field the input lacks at the instance's initial value; the compiled
    // validator reads it as absent, so an initialiser would change the result.
    if (probe[field] !== undefined) refuse(`${field} has an initial value`);
    // class-validator's whitelist would strip a field without metadata; no rule of rules.ts
    // declares one, so this is only a guard.
    if (!byField.has(field)) refuse(`${field} is declared without a rule`);
    let optional = false;
    let nestedMetadata: ValidationMetadata | undefined;
    const steps: Step[] = [];
    for (const metadata of byField.get(field) ?? []) {
      refuseOptions(metadata, refuse);
      switch (metadata.type) {
        case ValidationTypes.CUSTOM_VALIDATION: {
          const spec = ruleSpecOf(metadata.constraintCls);
          if (spec === undefined)
            refuse(`${field} has a constraint that is not a rule of rules.ts`);
          const constraintMetadatas = getMetadataStorage().getTargetValidatorConstraints(
            metadata.constraintCls,
          );
          const [constraint] = constraintMetadatas;
          if (
            constraintMetadatas.length !== 1 ||
            constraint?.name !== spec?.name ||
            constraint?.async === true ||
            metadata.message !== undefined ||
            metadata.constraints !== undefined
          ) {
            refuse(`${field} registers its rule ${spec?.name} in a way the compiler does not know`);
          }
          if (spec !== undefined) {
            steps.push({ name: spec.name, check: spec.check });
            for (const other of spec.reads) reads.add(other);
          }
          break;
        }
        case ValidationTypes.CONDITIONAL_VALIDATION:
          if (!Array.isArray(metadata.constraints) || metadata.constraints[0] !== isPresent) {
            refuse(`${field} has a condition other than Optional()`);
          }
          optional = true;
          break;
        case ValidationTypes.NESTED_VALIDATION:
          if (nestedMetadata !== undefined) refuse(`${field} is nested twice`);
          nestedMetadata = metadata;
          break;
        default:
          refuse(`${field} has a ${metadata.type} decorator, which the compiler does not know`);
      }
    }
    return {
      name: field,
      optional,
      steps,
      nested: nestedPlanOf(cls, field, nestedMetadata, steps),
    };
  });
  for (const other of reads) {
    if (!fields.includes(other) || plans.some((p) => p.name === other && p.nested !== undefined)) {
      refuse(`a cross-field rule reads ${other}, which is not a declared, non-nested field`);
    }
  }
  return { cls, fields: plans, reads: [...reads] };
}

function refuseOptions(metadata: ValidationMetadata, refuse: (problem: string) => never): void {
  const field = metadata.propertyName;
  if (metadata.groups !== undefined && metadata.groups.length > 0) refuse(`${field} uses groups`);
  if (metadata.always !== undefined) refuse(`${field} uses the always option`);
  if (metadata.each === true) refuse(`${field} uses the each option`);
  if (metadata.context !== undefined) refuse(`${field} uses a context`);
  if (metadata.validateIf !== undefined) refuse(`${field} uses the validateIf option`);
}

function nestedPlanOf(
  cls: DataClass,
  field: string,
  metadata: ValidationMetadata | undefined,
  steps: readonly Step[],
): NestedPlan | undefined {
  const nestedCls = nestedClassOf(cls, field);
  if (metadata === undefined && nestedCls === undefined) return undefined;
  if (metadata === undefined || nestedCls === undefined) {
    throw new UnsupportedContractClassError(
      cls,
      `${field} must use Nested() to nest a class, not ValidateNested alone`,
    );
  }
  // Nested() pairs ValidateNested with PlainObject(); the compiled validator relies on the latter
  // refusing anything but a plain object (arrays, maps, sets) before the nested class is run.
  if (steps.length === 0 || steps.some((step) => step.name !== 'object')) {
    throw new UnsupportedContractClassError(
      cls,
      `${field} is nested and must carry no rule but PlainObject()`,
    );
  }
  if (typeof metadata.message !== 'string') {
    throw new UnsupportedContractClassError(cls, `${field} has a nested message that is not text`);
  }
  if (Object.prototype.toString.call(new nestedCls()) !== '[object Object]') {
    throw new UnsupportedContractClassError(
      cls,
      `${field} nests a class that is not a plain object`,
    );
  }
  const target = metadata.target as { constructor?: { name: string } };
  return {
    cls: nestedCls,
    message: metadata.message,
    targetName: target.constructor?.name ?? 'undefined',
    constraints: metadata.constraints,
  };
}

function run(plan: ClassPlan, input: Record<string, unknown>, path: string): Validated {
  // What a cross-field rule reads; the other rules ignore the object they are given.
  const object = plan.reads.length > 0 ? fieldsRead(plan.reads, input) : input;
  const value: Record<string, unknown> = {};
  let problems: string[] | undefined;
  for (const field of plan.fields) {
    const name = field.name;
    const fieldValue = Object.hasOwn(input, name) ? input[name] : undefined;
    if ((fieldValue === undefined || fieldValue === null) && field.optional) continue;
    let passed = true;
    for (const step of field.steps) {
      if (step.check(fieldValue, object) !== undefined) {
        passed = false;
        break;
      }
    }
    if (passed && fieldValue !== undefined && fieldValue !== null) {
      if (field.nested === undefined) {
        value[name] = fieldValue;
        continue;
      }
      // The PlainObject rule passed: the nested class decides.
      const nested = compiledValidator(field.nested.cls)(
        fieldValue as Record<string, unknown>,
        pathOf(path, name),
      );
      if (nested.ok) value[name] = nested.value;
      else (problems ??= []).push(...nested.problems);
      continue;
    }
    const described = describe(plan, field, fieldValue, object, path);
    if (described.length > 0) (problems ??= []).push(...described);
  }
  return problems === undefined ? { ok: true, value } : { ok: false, problems };
}

/** The own values of `fields` in `input`, as hydrate() copies them onto the instance. */
function fieldsRead(
  fields: readonly string[],
  input: Record<string, unknown>,
): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const field of fields)
    object[field] = Object.hasOwn(input, field) ? input[field] : undefined;
  return object;
}

function pathOf(parent: string, field: string): string {
  return parent === '' ? field : `${parent}.${field}`;
}

/**
 * The problems of one field that failed a rule (or is absent), as baseline.ts describes the
 * ValidationError class-validator builds: the constraints keyed by rule name in the order they
 * ran, then the nested one; "is required" for an absent value; otherwise each distinct message.
 */
function describe(
  plan: ClassPlan,
  field: FieldPlan,
  fieldValue: unknown,
  object: Readonly<Record<string, unknown>>,
  parent: string,
): string[] {
  const constraints = new Map<string, string>();
  for (const step of field.steps) {
    const message = step.check(fieldValue, object);
    if (message !== undefined) {
      constraints.set(step.name, formatMessage(message, fieldValue, field.name, plan.cls.name));
    }
  }
  const nested = field.nested;
  if (
    nested !== undefined &&
    fieldValue !== undefined &&
    !(Array.isArray(fieldValue) || fieldValue instanceof Set || fieldValue instanceof Map) &&
    !(fieldValue instanceof Object)
  ) {
    constraints.set(
      ValidationTypes.NESTED_VALIDATION,
      formatMessage(nested.message, fieldValue, field.name, nested.targetName, nested.constraints),
    );
  }
  // No constraint failed: an absent field whose rules all let absence through (NotBefore alone).
  // A present value always failed a rule to get here.
  if (constraints.size === 0) return [];
  const path = pathOf(parent, field.name);
  if (fieldValue === undefined || fieldValue === null) return [`${path}: is required`];
  return [...new Set(constraints.values())].map((message) => `${path}: ${message}`);
}

/** class-validator's ValidationUtils.replaceMessageSpecialTokens, to the letter. */
function formatMessage(
  message: string,
  value: unknown,
  property: string,
  targetName: string,
  constraints?: unknown,
): string {
  let text = message;
  if (text !== '' && Array.isArray(constraints)) {
    constraints.forEach((constraint: unknown, index) => {
      text = text.replace(new RegExp(`\\$constraint${index + 1}`, 'g'), constraintText(constraint));
    });
  }
  if (
    text !== '' &&
    (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number')
  ) {
    text = text.replace(/\$value/g, String(value));
  }
  if (text !== '') text = text.replace(/\$property/g, property);
  if (text !== '') text = text.replace(/\$target/g, targetName);
  return text;
}

function constraintText(constraint: unknown): string {
  if (Array.isArray(constraint)) return constraint.join(', ');
  if (typeof constraint === 'symbol') return `${constraint.description}`;
  return `${constraint as string}`;
}
