import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../common/app-error.js';
import type { AppConfig } from '../config/config.js';
import { JobSecrets } from './job-secrets.js';

const secrets = (mode: AppConfig['mode'], key?: Buffer) => new JobSecrets({ mode, jobSecretsKey: key?.toString('base64') } as AppConfig);
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return 'no error';
};

describe('JobSecrets', () => {
  const key = randomBytes(32);
  const id = randomUUID();

  it('seals a password so that only its own job, under the same key, opens it', () => {
    const sealed = secrets('api', key).seal(id, 'pässwörd 🔑');
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain('pässwörd');
    // Another process with the same key (a worker) opens it; each seal is fresh.
    expect(secrets('worker', key).open(id, sealed)).toBe('pässwörd 🔑');
    expect(secrets('api', key).seal(id, 'pässwörd 🔑')).not.toBe(sealed);

    expect(codeOf(() => secrets('worker', key).open(randomUUID(), sealed))).toBe(ErrorCode.PASSWORD_UNREADABLE);
    expect(codeOf(() => secrets('worker', randomBytes(32)).open(id, sealed))).toBe(ErrorCode.PASSWORD_UNREADABLE);
    expect(codeOf(() => secrets('worker').open(id, sealed))).toBe(ErrorCode.PASSWORD_UNREADABLE);
    const tampered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA');
    expect(codeOf(() => secrets('worker', key).open(id, tampered))).toBe(ErrorCode.PASSWORD_UNREADABLE);
  });

  it('without a key: MODE=all makes its own, an API process refuses passwords', () => {
    const all = secrets('all');
    expect(all.open(id, all.seal(id, 'pw'))).toBe('pw');
    expect(codeOf(() => secrets('all').open(id, all.seal(id, 'pw')))).toBe(ErrorCode.PASSWORD_UNREADABLE);
    expect(codeOf(() => secrets('api').seal(id, 'pw'))).toBe(ErrorCode.PASSWORD_UNSUPPORTED);
  });

  it('opens a password an older version stored in the clear, for a job waiting across the upgrade', () => {
    expect(secrets('worker', key).open(id, 'legacy-pw')).toBe('legacy-pw');
  });
});
