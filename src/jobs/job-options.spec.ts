import { describe, expect, it } from 'vitest';
import { DocumentError, ErrorCode } from '../common/app-error.js';
import { jobLanguages, jobOptionsSchema, selectPages } from './job-options.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as DocumentError).code;
  }
  return 'no error';
};

describe('job options', () => {
  it.each([
    ['1-3,7', '1-3,7'],
    [' 2 , 4-5 ', '2,4-5'],
    ['10-', '10-'],
  ])('accepts pages=%j', (pages, normalised) => {
    expect(jobOptionsSchema.parse({ pages }).pages).toBe(normalised);
  });

  it.each(['', '0', '3-1', 'a', '1,,2', '-4', '1-2-3', '1;2', '9999999', 'x'.repeat(300)])('refuses pages=%j', (pages) => {
    expect(jobOptionsSchema.safeParse({ pages }).success).toBe(false);
  });

  it('defaults ocr to auto and refuses other modes', () => {
    expect(jobOptionsSchema.parse({})).toEqual({ ocr: 'auto', outputs: ['text', 'json'] });
    expect(jobOptionsSchema.safeParse({ ocr: 'always' }).success).toBe(false);
  });

  it('reads outputs from the form (comma-separated, repeats dropped) and as stored (a list); refuses unknown ones', () => {
    expect(jobOptionsSchema.parse({ outputs: ' pdf, text ,pdf' }).outputs).toEqual(['pdf', 'text']);
    expect(jobOptionsSchema.parse({ outputs: ['hocr', 'alto'] }).outputs).toEqual(['hocr', 'alto']);
    for (const outputs of ['', 'docx', 'pdf,,text', 'x'.repeat(101), []]) {
      expect(jobOptionsSchema.safeParse({ outputs }).success, JSON.stringify(outputs)).toBe(false);
    }
  });
});

describe('selectPages', () => {
  it('reads languages as Tesseract writes them (deu+eng, main one first) and as stored; refuses malformed lists and more than five', () => {
    expect(jobOptionsSchema.parse({ languages: 'deu+eng' }).languages).toEqual(['deu', 'eng']);
    expect(jobOptionsSchema.parse({ languages: ' fra , deu+fra' }).languages).toEqual(['fra', 'deu']);
    expect(jobOptionsSchema.parse({ languages: ['chi_sim'] }).languages).toEqual(['chi_sim']);
    for (const languages of ['', 'German', 'de', 'deu++eng', 'eng+deu+fra+ita+spa+por', '../eng', []]) {
      expect(jobOptionsSchema.safeParse({ languages }).success, JSON.stringify(languages)).toBe(false);
    }
  });

  it('gives a job its languages, the default when it names none, and names the installed ones when one is missing', () => {
    const ocr = { languages: ['eng', 'deu'], defaultLanguages: ['eng'] };
    expect(jobLanguages(undefined, ocr)).toEqual(['eng']);
    expect(jobLanguages(['deu', 'eng'], ocr)).toEqual(['deu', 'eng']);
    expect(() => jobLanguages(['fra', 'deu'], ocr)).toThrow(
      expect.objectContaining({ code: ErrorCode.LANGUAGE_NOT_INSTALLED, message: 'OCR language fra is not installed; installed: eng, deu' }),
    );
  });

  it('selects every page, or the requested ones in order without repeats', () => {
    expect(selectPages(undefined, 3, 10)).toEqual([1, 2, 3]);
    expect(selectPages('7,1-3,2', 9, 10)).toEqual([1, 2, 3, 7]);
    expect(selectPages('4-', 6, 10)).toEqual([4, 5, 6]);
    expect(selectPages('2-', 5, 10)).toEqual([2, 3, 4, 5]);
  });

  it('refuses a page the document does not have', () => {
    expect(code(() => selectPages('1-3,7', 5, 10))).toBe(ErrorCode.PAGES_OUT_OF_RANGE);
    expect(code(() => selectPages('2-100', 5, 10))).toBe(ErrorCode.PAGES_OUT_OF_RANGE);
    expect(code(() => selectPages('6-', 5, 10))).toBe(ErrorCode.PAGES_OUT_OF_RANGE);
  });

  it('refuses more pages than MAX_PAGES without listing them first', () => {
    expect(code(() => selectPages(undefined, 5_000, 500))).toBe(ErrorCode.TOO_MANY_PAGES);
    const started = performance.now();
    expect(code(() => selectPages(undefined, 2 ** 31, 500))).toBe(ErrorCode.TOO_MANY_PAGES);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(selectPages('1-3,4990-', 5_000, 20)).toHaveLength(14);
  });
});
