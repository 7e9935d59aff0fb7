import { z } from 'zod';

/** A Tesseract language code as its data files are named: `eng`, `deu`, `chi_sim`, `deu_latf`. */
export const LANGUAGE_CODE = /^[a-z]{3}(_[a-z]{3,4})?$/;

/**
 * Tesseract's language list, `deu+eng` (a comma works too; the first is the
 * main one), or the list itself as stored: at most `max` codes, without repeats.
 */
export function languageList(max: number) {
  return z
    .preprocess(
      (value) => (typeof value === 'string' && value.length <= 200 ? value.split(/[+,]/).map((code) => code.trim()) : value),
      z.array(z.string().regex(LANGUAGE_CODE, 'Tesseract language codes such as eng or deu, joined by +')).min(1).max(max),
    )
    .transform((codes) => [...new Set(codes)]);
}
