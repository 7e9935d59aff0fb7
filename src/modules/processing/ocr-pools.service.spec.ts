import { Logger } from '@nestjs/common';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../../test/support/harness.js';
import { textImage } from '../../../test/support/images.js';
import { loadConfig } from '../../config/config.js';
import { OcrPoolsService } from './ocr-pools.service.js';

describe.each(['tesseractjs', 'native'])('OcrPoolsService with OCR_ENGINE=%s: the orientation engine', (engine) => {
  let service: OcrPoolsService;
  let upright: Buffer;

  beforeAll(async () => {
    Logger.overrideLogger(false); // the service's start-up line, out of the test output
    const config = loadConfig({
      DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/unused',
      JWT_SECRET: 'x'.repeat(32),
      OCR_WORKERS: '1',
      OCR_ENGINE: engine,
      OCR_ORIENTATION_IDLE_MS: '500',
    });
    service = new OcrPoolsService(config);
    await service.onModuleInit();
    upright = await textImage([
      'Orientation is detected from the shape',
      'of several lines of ordinary text,',
      'so this page has a few of them: the',
      'total of the invoice is 42.50 today.',
    ]);
  }, 60_000);
  afterAll(() => service?.onApplicationShutdown());

  it('is not started for text alone, starts for the first page that needs it, and stops once unused', { timeout: 60_000 }, async () => {
    const page = await service.recognize(upright);
    expect(page.text).toContain('42.50');
    expect(service.orientationRunning).toBe(false);

    const { rotation } = await service.upright(await sharp(upright).rotate(90).png().toBuffer());
    expect(rotation).toBe(270);
    expect(service.orientationRunning).toBe(true);

    await eventually(async () => (service.orientationRunning ? undefined : true), 10_000);
    // Needed again: it starts again.
    expect((await service.upright(await sharp(upright).rotate(180).png().toBuffer())).rotation).toBe(180);
  });
});
