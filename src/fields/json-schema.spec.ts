import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { validatorFor } from './json-schema.js';

/** A full garbage collection, without starting the test process with --expose-gc. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

const schemaWith = (field: string, extra: Record<string, unknown> = {}) => ({
  type: 'object',
  required: [field],
  properties: { [field]: { type: 'string', maxLength: 5, 'x-labels': [field] } },
  ...extra,
});

describe('validatorFor', () => {
  it('compiles two different schemas with the same $id, each checking by its own rules', () => {
    const first = validatorFor(schemaWith('total', { $id: 'https://example.com/shared' }));
    const second = validatorFor(schemaWith('amount', { $id: 'https://example.com/shared' }));
    expect(first({ total: 'abc' })).toBe(true);
    expect(first({ amount: 'abc' })).toBe(false);
    expect(second({ amount: 'abc' })).toBe(true);
    expect(second({ amount: 'abcdef' })).toBe(false);
  });

  it('keeps nothing of the schemas it compiled once they are no longer used', async () => {
    // A shared Ajv held every schema (and ≈40 KB of code with it) for good: all 4,000 of these stayed reachable.
    const refs = compileMany(2000);
    // WeakRefs hold their targets until the current job ends, and V8 may keep the last ones for a collection more.
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      collectGarbage();
    }
    expect(refs.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
  });
});

/** Compiles `count` distinct schemas and uses each once; weak references to the schemas and their validators. */
function compileMany(count: number): WeakRef<object>[] {
  const refs: WeakRef<object>[] = [];
  for (let i = 0; i < count; i++) {
    const schema = schemaWith(`f${i}`);
    const validate = validatorFor(schema);
    if (!validate({ [`f${i}`]: 'x' })) throw new Error(`schema ${i} refused a valid value`);
    refs.push(new WeakRef(schema), new WeakRef(validate));
  }
  return refs;
}
