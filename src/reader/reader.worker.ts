// The reader's thread: started ahead of need, it reads one document at a time
// (open, pages, close) for as long as the thread is kept (see
// document-reader.ts). Everything CPU-heavy about reading (pdf.js parsing and
// rendering, the BMP decoder, PNG encoding) runs here, never on the event
// loop that renews BullMQ's locks.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort } from 'node:worker_threads';
import { AppError, DocumentError, ErrorCode } from '../common/app-error.js';
import { encodeForOcr } from './image-decoder.js';
import { openImage } from './image-document.js';
import { sniffImageType } from './media-type.js';
import type { OpenDocument } from './open-document.js';
import type { ReaderOptions } from './document-types.js';
import { isPdf, type ReaderReply, type ReaderRequest } from './reader-protocol.js';

const port = parentPort!;

/**
 * V8's collector, called when a document is closed: a thread kept for the
 * next document would otherwise hold the last one's garbage (pixel buffers,
 * pdf.js's objects) until its heap next fills, and an idle worker with it.
 * `--expose-gc` set this way reaches contexts made after it, as Jest's leak
 * detector does it.
 */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/**
 * While the thread waits for its first document, one layout of a made-up
 * page, so that the document's first page does not run page-layout.ts's loops cold.
 */
async function warmUp(): Promise<void> {
  const [width, height] = [400, 600];
  const pixels = Buffer.alloc(width * height, 255);
  for (let y = 20; y < height - 20; y += 24) pixels.fill(0, y * width + 40, y * width + 360);
  await encodeForOcr({ data: pixels, width, height, channels: 1 }, { deskew: true, bands: 2 });
}

async function open(data: Uint8Array, options: ReaderOptions): Promise<OpenDocument> {
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

const answer = (id: number, work: Promise<ReaderReply['value']>) =>
  work.then(
    (value) => port.postMessage({ id, value } satisfies ReaderReply),
    (error: unknown) => port.postMessage({ id, error: failure(error) } satisfies ReaderReply),
  );

// Requests are taken one at a time, in the order sent, though several pages
// may be asked for at once: the first is ready first (and OCRed while the
// next is read), and one page's canvas at a time is held, not one per page asked for.
let previous: Promise<unknown> = warmUp().catch(() => undefined);
let opened: Promise<OpenDocument> | undefined;
port.on('message', (request: ReaderRequest) => {
  if (request.kind === 'open') {
    const document = previous.then(() => open(request.data, request.options));
    opened = document;
    previous = answer(0, document.then(({ mediaType, pageCount }) => ({ mediaType, pageCount })));
    return;
  }
  // The document open when the request came, rejected (once it is its turn) when none is.
  const current = opened;
  const document = () => current ?? Promise.reject(new AppError(ErrorCode.INTERNAL, 'No document is open'));
  if (request.kind === 'page') {
    previous = answer(request.id, previous.then(document).then((doc) => doc.page(request.page, request.bands)));
    return;
  }
  opened = undefined;
  // A document that did not open has nothing to let go of.
  const closing = previous.then(() => document().then((doc) => doc.close(), () => undefined)).then(collectGarbage);
  previous = answer(request.id, closing.then(() => null));
});
