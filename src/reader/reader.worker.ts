// The reader's thread: started ahead of need, it waits for one document (its
// first message), opens it and answers page requests until it is terminated. Everything CPU-heavy about reading (pdf.js parsing and
// rendering, the BMP decoder, PNG encoding) runs here, never on the event loop
// that renews BullMQ's locks, and whatever it allocated goes when the thread ends.
import { once } from 'node:events';
import { parentPort } from 'node:worker_threads';
import { AppError, DocumentError, ErrorCode } from '../common/app-error.js';
import { encodeForOcr } from './image-decoder.js';
import { openImage } from './image-document.js';
import { sniffImageType } from './media-type.js';
import type { OpenDocument } from './open-document.js';
import { isPdf, type ReaderOpen, type ReaderReply, type ReaderRequest } from './reader-protocol.js';

const port = parentPort!;
await warmUp();
const [{ data, options }] = (await once(port, 'message')) as [ReaderOpen];

/**
 * While the thread waits for its document, one layout of a made-up page, so
 * that the document's first page does not run page-layout.ts's loops cold.
 */
async function warmUp(): Promise<void> {
  const [width, height] = [400, 600];
  const pixels = Buffer.alloc(width * height, 255);
  for (let y = 20; y < height - 20; y += 24) pixels.fill(0, y * width + 40, y * width + 360);
  await encodeForOcr({ data: pixels, width, height, channels: 1 }, { deskew: true, bands: 2 });
}

async function open(): Promise<OpenDocument> {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  // pdf.js and the canvas binding load only for PDFs: an image's thread starts faster.
  if (isPdf(bytes)) return (await import('./pdf-document.js')).openPdf(data, options);
  const mediaType = sniffImageType(bytes);
  if (!mediaType) throw new DocumentError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'The file is not a PDF or a supported image.');
  return openImage(bytes, mediaType, options);
}

function failure(error: unknown): ReaderReply['error'] {
  if (error instanceof AppError) return { code: error.code, message: error.message, document: error instanceof DocumentError };
  return { code: ErrorCode.INTERNAL, message: error instanceof Error ? error.message : String(error), document: false };
}

const opened = open();
opened.then(
  (doc) => port.postMessage({ id: 0, value: { mediaType: doc.mediaType, pageCount: doc.pageCount } } satisfies ReaderReply),
  (error: unknown) => port.postMessage({ id: 0, error: failure(error) } satisfies ReaderReply),
);
// Pages are read one at a time, in the order asked for, though several may be
// asked for at once: the first is ready first (and OCRed while the next is
// read), and one page's canvas at a time is held, not one per page asked for.
let previous: Promise<unknown> = opened.catch(() => undefined);
port.on('message', (request: ReaderRequest) => {
  previous = previous
    .then(() => opened)
    .then((doc) => doc.page(request.page, request.bands))
    .then(
      (value) => port.postMessage({ id: request.id, value } satisfies ReaderReply),
      (error: unknown) => port.postMessage({ id: request.id, error: failure(error) } satisfies ReaderReply),
    );
});
