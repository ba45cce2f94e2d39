// The one swc configuration of the repository: Jest transforms the sources with it and
// `npm run build` compiles them with it, so the built JavaScript is what the tests ran.
// NestJS needs the legacy decorators and their design-time metadata (emitDecoratorMetadata).

/** @param {boolean | 'inline'} sourceMaps */
export function swcOptions(sourceMaps) {
  return {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2024',
      keepClassNames: true,
    },
    module: { type: 'es6' },
    sourceMaps,
  };
}
