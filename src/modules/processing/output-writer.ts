import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Inject, Injectable } from '@nestjs/common';
import { threadFile } from '../../common/thread-file.js';
import { ARTIFACT_STORE, type ArtifactStore } from '../../infra/artifacts/artifact-store.js';
import { jobArtifactsFolder } from '../../jobs/job-files.js';
import type { JobArtifact, PageSource, PageText } from '../../jobs/job-result.js';
import type { JobPage } from '../../jobs/job-state.repository.js';
import type { Rotation } from '../../ocr/ocr-types.js';
import { FILE_OUTPUTS, isFileOutput, type FileOutput, type OutputName, type OutputSource } from '../../outputs/outputs.js';
import type { OutputPage } from '../../outputs/output-types.js';

/**
 * Writes a job's file outputs (hOCR, ALTO, TSV, searchable PDF) from its
 * stored pages, rendered in a thread of their own, when its pages are done
 * and before it finishes: the files go
 * to the job's folder in the artifact store (which a delete or the retention
 * purge removes whole), and their records are stored with the result, in the
 * transaction that finishes the job.
 */
@Injectable()
export class OutputWriter {
  constructor(@Inject(ARTIFACT_STORE) private readonly store: ArtifactStore) {}

  async write(job: { id: string; mediaType: string; fileName: string | null }, outputs: readonly OutputName[], original: Buffer, rows: JobPage[]): Promise<JobArtifact[]> {
    const files = outputs.filter(isFileOutput);
    if (files.length === 0) return [];
    const pages = rows.filter((row) => row.status === 'SUCCEEDED').map(outputPage);
    const rendered = await renderInThread(files, { original, mediaType: job.mediaType, fileName: job.fileName, pages });
    const artifacts: JobArtifact[] = [];
    for (const [i, output] of files.entries()) {
      const { name, contentType } = FILE_OUTPUTS[output];
      const data = Buffer.from(rendered[i]!.buffer, rendered[i]!.byteOffset, rendered[i]!.byteLength);
      const key = `${jobArtifactsFolder(job.id)}${name}`;
      await this.store.put(key, data);
      artifacts.push({ name, contentType, sizeBytes: data.length, key });
    }
    return artifacts;
  }
}

/** Renders the outputs in a thread of their own (see `outputs.worker.ts`); rejects with the thread's error. */
async function renderInThread(outputs: FileOutput[], source: OutputSource): Promise<Uint8Array[]> {
  const thread = new Worker(threadFile(new URL('./outputs.worker.js', import.meta.url)), { workerData: { outputs, source } });
  try {
    // `once` rejects on the thread's 'error' event (an exception, out of memory).
    const [rendered] = (await once(thread, 'message')) as [Uint8Array[]];
    return rendered;
  } finally {
    await thread.terminate();
  }
}

function outputPage(row: JobPage): OutputPage {
  const { width, height, dpi, text, confidence, lines } = row.result as unknown as PageText;
  return { number: row.number, source: row.source as PageSource, rotation: row.rotation as Rotation, width, height, dpi, text, confidence, lines };
}
