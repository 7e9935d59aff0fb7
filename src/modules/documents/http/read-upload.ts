import type { FastifyRequest } from 'fastify';
import { AppError, ErrorCode } from '../../../common/app-error.js';
import type { Upload } from '../documents.service.js';

/** The multipart field that carries the document. */
export const FILE_FIELD = 'file';

// Busboy's count limits surface as 413s; they are malformed requests, not big files.
const COUNT_LIMITS = new Set(['FST_FILES_LIMIT', 'FST_PARTS_LIMIT', 'FST_FIELDS_LIMIT']);

/**
 * Reads the one `file` part of a multipart upload into memory, within the
 * size and count limits registered with @fastify/multipart.
 */
export async function readUpload(request: FastifyRequest): Promise<Upload> {
  if (!request.isMultipart()) {
    throw new AppError(ErrorCode.FILE_REQUIRED, `Send multipart/form-data with a "${FILE_FIELD}" field`);
  }
  let upload: Omit<Upload, 'fields'> | undefined;
  const fields: Record<string, string> = {};
  try {
    for await (const part of request.parts()) {
      if (part.type === 'field') {
        if (part.fieldname in fields) {
          throw new AppError(ErrorCode.BAD_REQUEST, `The field "${cleanName(part.fieldname)}" is given twice`);
        }
        fields[part.fieldname] = String(part.value);
        continue;
      }
      if (part.fieldname !== FILE_FIELD || upload) {
        throw new AppError(ErrorCode.BAD_REQUEST, `Only one file, in the "${FILE_FIELD}" field, is accepted`);
      }
      upload = { data: await part.toBuffer(), fileName: cleanFileName(part.filename) };
    }
  } catch (error) {
    if (error instanceof AppError) throw error;
    const { code, statusCode } = error as { code?: string; statusCode?: number };
    if (code && COUNT_LIMITS.has(code)) {
      throw new AppError(ErrorCode.BAD_REQUEST, 'Too many parts in the multipart body');
    }
    if (statusCode) throw error; // the plugin's own 4xx, e.g. the file size limit
    // Busboy reports a broken body (cut short, bad boundaries) as a plain Error.
    throw new AppError(ErrorCode.BAD_REQUEST, 'The multipart body is malformed or incomplete');
  }
  if (!upload) throw new AppError(ErrorCode.FILE_REQUIRED, `The multipart field "${FILE_FIELD}" is required`);
  return { ...upload, fields };
}

/** A field name fit to quote back: printable, short. */
function cleanName(name: string): string {
  return name.replace(/[^\x20-\x7e]/g, '?').slice(0, 64);
}

/** Keeps a display name only: no directories, no control characters, bounded length. */
function cleanFileName(name: string | undefined): string | null {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 255);
  return clean.length > 0 ? clean : null;
}
