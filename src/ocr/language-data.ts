import { access, mkdtemp, rm, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError, ErrorCode } from '../common/app-error.js';
import { LANGUAGE_CODE } from '../common/languages.js';
import type { OcrModel } from './ocr-types.js';

/**
 * Where tesseract.js finds `<lang>.traineddata.gz`.
 *
 * English with the `fast` model: Tesseract's tessdata_fast, shipped in
 * `models/` (no npm package has it; see models/README.md). Every other case:
 * the `@tesseract.js-data/<lang>` package's `4.0.0_best_int` folder, the LSTM
 * network without the legacy engine's data we never load.
 *
 * @throws AppError INTERNAL naming the package to install when it is missing.
 */
export async function languageFile(language: string, model: OcrModel): Promise<string> {
  if (language === 'eng' && model === 'fast') {
    return fileURLToPath(new URL('../../models/tessdata_fast/eng.traineddata.gz', import.meta.url));
  }
  const missing = () =>
    new AppError(ErrorCode.INTERNAL, `No tesseract.js data for the language "${language}": install @tesseract.js-data/${language} or remove it from OCR_LANGS`);
  if (!LANGUAGE_CODE.test(language)) throw missing();
  let folder: string;
  try {
    folder = dirname(createRequire(import.meta.url).resolve(`@tesseract.js-data/${language}/package.json`));
  } catch {
    throw missing();
  }
  const file = join(folder, '4.0.0_best_int', `${language}.traineddata.gz`);
  await access(file).catch(() => {
    throw missing();
  });
  return file;
}

/**
 * One folder holding every installed language's model, as tesseract.js reads
 * languages from a single `langPath`: links to the files {@link languageFile}
 * finds, in a private temporary folder removed by {@link dispose}.
 */
export class LanguageFolder {
  private constructor(readonly path: string) {}

  /** @throws AppError INTERNAL when a language has no data. */
  static async create(languages: string[], model: OcrModel): Promise<LanguageFolder> {
    const files = await Promise.all(languages.map((language) => languageFile(language, model)));
    const folder = new LanguageFolder(await mkdtemp(join(tmpdir(), 'ocrflow-tessdata-')));
    try {
      await Promise.all(files.map((file, i) => symlink(file, join(folder.path, `${languages[i]}.traineddata.gz`))));
    } catch (error) {
      await folder.dispose();
      throw error;
    }
    return folder;
  }

  async dispose(): Promise<void> {
    await rm(this.path, { recursive: true, force: true });
  }
}
