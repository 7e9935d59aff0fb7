import { renderAlto } from './alto.js';
import { renderHocr } from './hocr.js';
import type { OutputPage } from './output-types.js';
import { searchablePdf } from './searchable-pdf.js';
import { renderTsv } from './tsv.js';

/**
 * What a job can ask for (`outputs=text,json,hocr,alto,tsv,pdf`; default
 * `text,json`), all made from the one recognition. `text` and `json` are the
 * results every job has (`GET /jobs/{id}/results`); the others are files,
 * written by the worker when the job's pages are done and served as the
 * job's artifacts.
 */
export const OUTPUTS = ['text', 'json', 'hocr', 'alto', 'tsv', 'pdf'] as const;
export type OutputName = (typeof OUTPUTS)[number];
export const DEFAULT_OUTPUTS: readonly OutputName[] = ['text', 'json'];

/** The outputs that are files: each one's artifact name and media type. */
export const FILE_OUTPUTS = {
  hocr: { name: 'document.hocr', contentType: 'text/html; charset=utf-8' },
  alto: { name: 'document.alto.xml', contentType: 'application/xml; charset=utf-8' },
  tsv: { name: 'document.tsv', contentType: 'text/tab-separated-values; charset=utf-8' },
  pdf: { name: 'document.pdf', contentType: 'application/pdf' },
} as const satisfies Partial<Record<OutputName, { name: string; contentType: string }>>;
export type FileOutput = keyof typeof FILE_OUTPUTS;

export function isFileOutput(name: OutputName): name is FileOutput {
  return name in FILE_OUTPUTS;
}

/** What a file output is made from: the upload and its finished pages. */
export interface OutputSource {
  original: Buffer;
  mediaType: string;
  /** The upload's file name, written into hOCR and ALTO; `document` when it had none. */
  fileName: string | null;
  pages: OutputPage[];
}

/** One file output's bytes. */
export async function renderOutput(output: FileOutput, { original, mediaType, fileName, pages }: OutputSource): Promise<Buffer> {
  const options = { imageName: fileName ?? undefined };
  switch (output) {
    case 'hocr':
      return Buffer.from(renderHocr(pages, options));
    case 'alto':
      return Buffer.from(renderAlto(pages, options));
    case 'tsv':
      return Buffer.from(renderTsv(pages));
    case 'pdf':
      return searchablePdf(original, mediaType, pages);
  }
}
