// The native engine's process: Tesseract's own library (libtesseract, the
// Debian package `tesseract-ocr`), driven through its C API by koffi. The model
// is loaded once, then pages are read one at a time as the parent sends them:
// a PNG in, Tesseract's TSV out. A process of its own, not a thread, because a
// call stuck in native code can only be stopped by killing its process, and a
// crash in native code then ends this process, not the worker's.
//
// Started as `node native-engine.process.js <languages> <psm>`; answers
// `{ ready: true }` once the model is loaded (or `{ ready: false, error }` and
// exits), then `{ id, tsv }` or `{ id, error, unreadable }` per `{ id, image }`.
import koffi from 'koffi';

/** Tesseract's OEM_LSTM_ONLY. */
const LSTM_ONLY = 1;

export interface NativeRequest {
  id: number;
  image: Uint8Array;
}

export type NativeReply =
  | { ready: true }
  | { ready: false; error: string }
  | { id: number; tsv: string }
  | { id: number; error: string; unreadable: boolean };

/** The C functions used, from `tesseract/capi.h` and Leptonica's `allheaders.h`. */
function bind() {
  const tesseract = koffi.load('libtesseract.so.5');
  const leptonica = koffi.load('liblept.so.5');
  return {
    create: tesseract.func('void *TessBaseAPICreate()'),
    init: tesseract.func('int TessBaseAPIInit2(void *api, const char *datapath, const char *language, int oem)'),
    setPageSegMode: tesseract.func('void TessBaseAPISetPageSegMode(void *api, int mode)'),
    setVariable: tesseract.func('int TessBaseAPISetVariable(void *api, const char *name, const char *value)'),
    setImage: tesseract.func('void TessBaseAPISetImage2(void *api, void *pix)'),
    recognize: tesseract.func('int TessBaseAPIRecognize(void *api, void *monitor)'),
    tsv: tesseract.func('void *TessBaseAPIGetTsvText(void *api, int page)'),
    deleteText: tesseract.func('void TessDeleteText(void *text)'),
    clear: tesseract.func('void TessBaseAPIClear(void *api)'),
    readPix: leptonica.func('void *pixReadMem(const uint8_t *data, size_t size)'),
    destroyPix: leptonica.func('void pixDestroy(_Inout_ void **pix)'),
  };
}

function start(languages: string, psm: number): (image: Uint8Array) => string | null {
  const c = bind();
  const api = c.create();
  // Datapath null: the library's own tessdata folder, as the `tesseract` CLI uses.
  if (c.init(api, null, languages, LSTM_ONLY) !== 0) throw new Error(`Tesseract could not load the language data for ${languages}`);
  c.setPageSegMode(api, psm);
  // Diagnostics ("Estimating resolution as 300") would otherwise go to stderr.
  c.setVariable(api, 'debug_file', '/dev/null');
  /** The page's TSV; null when Leptonica cannot read the image. */
  return (image) => {
    const pix = c.readPix(image, image.length);
    if (!pix) return null;
    try {
      c.setImage(api, pix);
      if (c.recognize(api, null) !== 0) throw new Error('Tesseract failed to recognise the page');
      const text = c.tsv(api, 0);
      try {
        return koffi.decode(text, 'char', -1) as string;
      } finally {
        c.deleteText(text);
      }
    } finally {
      c.clear(api);
      c.destroyPix([pix]);
    }
  };
}

const send = (reply: NativeReply) => process.send!(reply);
const [languages = 'eng', psm = '6'] = process.argv.slice(2);
let read: (image: Uint8Array) => string | null;
try {
  read = start(languages, Number(psm));
  send({ ready: true });
} catch (error) {
  const reply: NativeReply = { ready: false, error: error instanceof Error ? error.message : String(error) };
  process.send!(reply, () => process.exit(1));
}
process.on('message', ({ id, image }: NativeRequest) => {
  try {
    const tsv = read(image);
    send(tsv === null ? { id, error: 'Leptonica cannot read the image', unreadable: true } : { id, tsv });
  } catch (error) {
    send({ id, error: error instanceof Error ? error.message : String(error), unreadable: false });
  }
});
// The parent went away: nothing more will come.
process.on('disconnect', () => process.exit(0));
