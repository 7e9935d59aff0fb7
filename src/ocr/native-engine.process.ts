// The native engine's process: Tesseract's own library (libtesseract, the
// Debian package `tesseract-ocr`), driven through its C API by koffi. The model
// is loaded once, then pages are read one at a time as the parent sends them:
// a PNG in, Tesseract's TSV out (or, for `orientation`, the turn that makes the
// page upright). A process of its own, not a thread, because a call stuck in
// native code can only be stopped by killing its process, and a crash in native
// code then ends this process, not the worker's.
//
// Started as `node native-engine.process.js <languages> <psm> <purpose> <installed>`
// (`installed`: every language the service offers, `+`-separated, checked at start);
// answers on its IPC channel `{ ready: true }` once the model is loaded (or
// `{ ready: false, error }` and exits), then `{ id, tsv }`, `{ id, orientation }`
// or `{ id, error, unreadable }` per image. Images come on file descriptor 4,
// each as a frame (see {@link IMAGE_HEADER_BYTES}): a page is megabytes, which
// the IPC channel's serializer copied into a buffer it grew (3.6 ms of the
// worker's CPU per call on 1.3 MB receipts, 2.2 ms through the pipe), where a
// pipe takes the bytes as they are.
import { existsSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import koffi from 'koffi';
import { releaseFreedMemory } from '../common/release-memory.js';
import type { Rotation } from './ocr-types.js';
import { IMAGE_FD, IMAGE_HEADER_BYTES, type NativeAnswer, type NativeReply } from './native-engine-protocol.js';

/** Tesseract's OEM_TESSERACT_ONLY (the legacy core, all OSD has) and OEM_LSTM_ONLY. */
const [TESSERACT_ONLY, LSTM_ONLY] = [0, 1];

/** The C functions used, from `tesseract/capi.h` and Leptonica's `allheaders.h`. */
function bind() {
  const tesseract = koffi.load('libtesseract.so.5');
  const leptonica = koffi.load('liblept.so.5');
  return {
    create: tesseract.func('void *TessBaseAPICreate()'),
    init: tesseract.func('int TessBaseAPIInit2(void *api, const char *datapath, const char *language, int oem)'),
    datapath: tesseract.func('const char *TessBaseAPIGetDatapath(void *api)'),
    setPageSegMode: tesseract.func('void TessBaseAPISetPageSegMode(void *api, int mode)'),
    setVariable: tesseract.func('int TessBaseAPISetVariable(void *api, const char *name, const char *value)'),
    setImage: tesseract.func('void TessBaseAPISetImage2(void *api, void *pix)'),
    recognize: tesseract.func('int TessBaseAPIRecognize(void *api, void *monitor)'),
    tsv: tesseract.func('void *TessBaseAPIGetTsvText(void *api, int page)'),
    deleteText: tesseract.func('void TessDeleteText(void *text)'),
    clear: tesseract.func('void TessBaseAPIClear(void *api)'),
    detectOrientation: tesseract.func(
      'bool TessBaseAPIDetectOrientationScript(void *api, _Out_ int *degrees, _Out_ float *confidence, _Out_ const char **script, _Out_ float *scriptConfidence)',
    ),
    readPix: leptonica.func('void *pixReadMem(const uint8_t *data, size_t size)'),
    destroyPix: leptonica.func('void pixDestroy(_Inout_ void **pix)'),
  };
}

/** Loads the model; the function it returns answers one image, or null when Leptonica cannot read it. */
function start(languages: string, psm: number, purpose: string, installed: string): (image: Uint8Array) => NativeAnswer | null {
  const c = bind();
  const api = c.create();
  const orientation = purpose === 'orientation';
  // Datapath null: the library's own tessdata folder, as the `tesseract` CLI uses.
  if (c.init(api, null, languages, orientation ? TESSERACT_ONLY : LSTM_ONLY) !== 0) {
    throw new Error(`Tesseract could not load the language data for ${languages}`);
  }
  // Checked now, so that a job asking for one of them later cannot be the first to find it missing.
  const datapath = c.datapath(api) as string;
  const missing = installed.split('+').filter((language) => language && !existsSync(join(datapath, `${language}.traineddata`)));
  if (missing.length > 0) {
    const packages = missing.map((language) => `tesseract-ocr-${language.replace('_', '-')}`).join(' ');
    throw new Error(`Tesseract has no data for ${missing.join(', ')} in ${datapath} (Debian: apt-get install ${packages})`);
  }
  c.setPageSegMode(api, psm);
  // Diagnostics ("Estimating resolution as 300") would otherwise go to stderr.
  c.setVariable(api, 'debug_file', '/dev/null');
  const read = (): NativeAnswer => {
    if (c.recognize(api, null) !== 0) throw new Error('Tesseract failed to recognise the page');
    const text = c.tsv(api, 0);
    try {
      return { tsv: koffi.decode(text, 'char', -1) as string };
    } finally {
      c.deleteText(text);
    }
  };
  const detect = (): NativeAnswer => {
    const [degrees, confidence] = [[0], [0]];
    // False: too little text to tell, reported as tesseract.js does.
    if (!c.detectOrientation(api, degrees, confidence, [null], [0])) return { orientation: { rotation: 0, confidence: 0 } };
    // Tesseract gives the page's own clockwise turn; undoing it is the rest of the circle.
    return { orientation: { rotation: ((360 - degrees[0]!) % 360) as Rotation, confidence: confidence[0]! } };
  };
  return (image) => {
    const pix = c.readPix(image, image.length);
    if (!pix) return null;
    try {
      c.setImage(api, pix);
      return orientation ? detect() : read();
    } finally {
      c.clear(api);
      c.destroyPix([pix]);
    }
  };
}

const send = (reply: NativeReply) => process.send!(reply);
const [languages = 'eng', psm = '6', purpose = 'text', installed = ''] = process.argv.slice(2);
let answer: (image: Uint8Array) => NativeAnswer | null;
try {
  answer = start(languages, Number(psm), purpose, installed);
  send({ ready: true });
} catch (error) {
  const reply: NativeReply = { ready: false, error: error instanceof Error ? error.message : String(error) };
  process.send!(reply, () => process.exit(1));
}
function recognize(id: number, image: Buffer): void {
  try {
    const reply = answer(image);
    send(reply === null ? { id, error: 'Leptonica cannot read the image', unreadable: true } : { id, ...reply });
  } catch (error) {
    send({ id, error: error instanceof Error ? error.message : String(error), unreadable: false });
  }
  // Tesseract has freed the page, but malloc would keep it for this process,
  // and the image's buffers would wait for a collection this quiet process
  // seldom makes: 4 A4 pages (8.7 MB each, and as much again in the pipe's
  // chunks) peaked 100 MB higher.
  global.gc?.();
  releaseFreedMemory();
}

// Frames in, each copied once into a buffer of its image's size; a frame may
// come in many chunks, or several in one.
let header = Buffer.alloc(0);
let frame: { id: number; image: Buffer; filled: number } | undefined;
new Socket({ fd: IMAGE_FD, readable: true, writable: false }).on('data', (chunk: Buffer) => {
  for (let at = 0; at < chunk.length; ) {
    if (!frame) {
      const taken = chunk.subarray(at, at + IMAGE_HEADER_BYTES - header.length);
      header = Buffer.concat([header, taken]);
      at += taken.length;
      if (header.length < IMAGE_HEADER_BYTES) return;
      frame = { id: header.readUInt32LE(0), image: Buffer.allocUnsafe(header.readUInt32LE(4)), filled: 0 };
      header = Buffer.alloc(0);
    }
    const copied = chunk.copy(frame.image, frame.filled, at);
    frame.filled += copied;
    at += copied;
    if (frame.filled === frame.image.length) {
      const { id, image } = frame;
      frame = undefined;
      recognize(id, image);
    }
  }
});
// The parent went away: nothing more will come.
process.on('disconnect', () => process.exit(0));
