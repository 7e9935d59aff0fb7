import { Inject, Injectable, Logger } from '@nestjs/common';
import sharp from 'sharp';
import { AppError, ErrorCode } from '../../common/app-error.js';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.js';
import { ARTIFACT_STORE, ArtifactNotFoundError, type ArtifactStore } from '../../infra/artifacts/artifact-store.js';
import { JobsRepository } from '../../jobs/jobs.repository.js';
import { DocumentReader } from '../../reader/document-reader.js';
import { wholeImage } from '../../reader/image-decoder.js';

/**
 * A preview's size: about 1200 × 1700 pixels for an A4 page, sharp on a
 * screen and 150-300 KB as JPEG. The reader renders a PDF page straight at
 * this size (its OCR right-sizing), so a 300 dpi page is never drawn whole.
 */
const PREVIEW_PIXELS = 2_000_000;
/**
 * Previews drawn at once by this process; more are refused with 503 and
 * Retry-After. Each takes a reader thread (up to 512 MB) and a core, on a
 * process whose first job is answering the API. The UI asks for one at a time.
 */
const MAX_RENDERING = 2;

/**
 * Images of a job's pages for the browser UI, which draws the recognised
 * words over them. A PDF has no page image anywhere (pages are rendered in
 * the worker and dropped after OCR), so one is rendered here with the same
 * reader, limits and thread isolation the worker uses; pdf.js in the browser
 * would need its 1 MB bundle and worker served under the UI's strict CSP.
 *
 * The page is drawn as it stands: EXIF or TIFF orientation and PDF /Rotate
 * applied, not straightened and not turned by the job's detected `rotation`.
 * Result boxes are in that frame when `rotation` is 0; the UI turns the image
 * by `rotation` itself, so the one preview serves every result.
 */
@Injectable()
export class PageImages {
  private readonly logger = new Logger(PageImages.name);
  private rendering = 0;

  constructor(
    private readonly jobs: JobsRepository,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Page `number` (1-based) of the owner's job as a JPEG.
   *
   * @throws AppError NOT_FOUND for another owner's job or a page the document lacks,
   *   SERVICE_UNAVAILABLE when {@link MAX_RENDERING} are being drawn;
   *   DocumentError PASSWORD_REQUIRED for an encrypted PDF (its password is not kept).
   */
  async render(ownerId: string | undefined, id: string, number: number): Promise<Buffer> {
    const job = await this.jobs.findOwned(id, ownerId);
    if (!job) throw new AppError(ErrorCode.NOT_FOUND, 'Job not found');
    if (this.rendering >= MAX_RENDERING) {
      throw new AppError(ErrorCode.SERVICE_UNAVAILABLE, 'Page images are being drawn for others; try again shortly', { retryAfterSeconds: 1 });
    }
    this.rendering++;
    try {
      const reader = await DocumentReader.open(await this.original(id, job.originalKey), {
        ocr: 'force', // a text-layer page is drawn too
        image: this.config.limits.image,
        pdf: this.config.limits.pdf,
        ocrMaxPixels: PREVIEW_PIXELS,
        deskew: false,
      });
      try {
        if (number > reader.pageCount) {
          throw new AppError(ErrorCode.NOT_FOUND, `The document has ${reader.pageCount} page${reader.pageCount === 1 ? '' : 's'}`);
        }
        const page = await reader.page(number);
        if (page.kind !== 'image') throw new Error('a page read with ocr=force has an image');
        const png = await wholeImage(page, page.imageWidth, page.imageHeight);
        return await sharp(png).jpeg({ quality: 80 }).toBuffer();
      } finally {
        await reader.close();
      }
    } finally {
      this.rendering--;
    }
  }

  private async original(id: string, key: string): Promise<Buffer> {
    try {
      return await this.store.get(key);
    } catch (error) {
      if (error instanceof ArtifactNotFoundError) throw new AppError(ErrorCode.NOT_FOUND, 'Job not found');
      this.logger.error({ err: error, jobId: id, store: this.store.location }, 'reading an original for a page image failed');
      throw new AppError(ErrorCode.STORAGE_UNAVAILABLE, `The document store is unavailable; job ${id}'s page cannot be drawn now`);
    }
  }
}
