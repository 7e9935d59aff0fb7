import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppError, DocumentError, ErrorCode } from '../common/app-error.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';

const ALGORITHM = 'aes-256-gcm';
const VERSION = 'v1';

/**
 * An encrypted PDF's password at rest. The database holds it only while its
 * job waits or runs (every transition that ends a job clears it, and so does
 * a delete), and only as `v1.<iv>.<tag>.<ciphertext>`: AES-256-GCM under
 * `JOB_SECRETS_KEY`, with the job's id as associated data, so a value copied
 * to another job's row does not open. A database dump or replica without the
 * key reveals no password.
 *
 * Without a key, `MODE=all` makes one when it starts: the process that seals
 * is the one that opens, and a password waiting across a restart is lost
 * (that job fails `PASSWORD_UNREADABLE`). An API process without a key refuses
 * passwords (`PASSWORD_UNSUPPORTED`): a worker elsewhere could not read them.
 */
@Injectable()
export class JobSecrets {
  private readonly logger = new Logger(JobSecrets.name);
  private readonly key?: Buffer;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const { logger } = this;
    this.key = config.jobSecretsKey === undefined ? undefined : Buffer.from(config.jobSecretsKey, 'base64');
    if (this.key || config.mode === 'worker') return;
    if (config.mode === 'all') {
      this.key = randomBytes(32);
      logger.log('JOB_SECRETS_KEY is not set: PDF passwords are encrypted with a key made for this process, and those of jobs waiting at a restart are lost');
    } else {
      logger.warn('JOB_SECRETS_KEY is not set: uploads with a PDF password are refused (PASSWORD_UNSUPPORTED)');
    }
  }

  /** @throws AppError PASSWORD_UNSUPPORTED when this process has no key. */
  seal(jobId: string, password: string): string {
    if (!this.key) {
      throw new AppError(ErrorCode.PASSWORD_UNSUPPORTED, 'This deployment cannot accept PDF passwords: its operator has not set JOB_SECRETS_KEY');
    }
    const iv = randomBytes(12);
    const cipher = createCipheriv(ALGORITHM, this.key, iv).setAAD(Buffer.from(jobId));
    const sealed = Buffer.concat([cipher.update(password, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), sealed].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
  }

  /**
   * A value without the version prefix is a password stored in the clear by
   * code older than this, for a job that was waiting when it was upgraded.
   *
   * @throws DocumentError PASSWORD_UNREADABLE when the value was sealed under another key, or is damaged.
   */
  open(jobId: string, sealed: string): string {
    if (!sealed.startsWith(`${VERSION}.`)) return sealed;
    const [version, iv, tag, data] = sealed.split('.');
    try {
      if (!this.key || version !== VERSION || !iv || !tag || data === undefined) throw new Error('not sealed under this key');
      const decipher = createDecipheriv(ALGORITHM, this.key, Buffer.from(iv, 'base64url')).setAAD(Buffer.from(jobId));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    } catch (error) {
      this.logger.error({ jobId, err: error }, 'a PDF password cannot be decrypted: is JOB_SECRETS_KEY the same in every API and worker process?');
      throw new DocumentError(
        ErrorCode.PASSWORD_UNREADABLE,
        "The document's password cannot be decrypted here: every API and worker process needs the same JOB_SECRETS_KEY",
      );
    }
  }
}
