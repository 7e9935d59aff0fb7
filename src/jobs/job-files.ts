/**
 * Where a job's files live in the artifact store. Every file of a job is
 * found from its id, so deleting the job (`JobRemover`) leaves none behind:
 *
 * - the uploaded original at `originals/<first two hex digits>/<id>`, in 256
 *   folders shared by all jobs (a folder per upload was a mkdir and a second
 *   inode on the request path); a row also records it as `originalKey`;
 * - anything the worker makes for the job (searchable PDF, hOCR, ALTO…) under
 *   its own folder {@link jobArtifactsFolder}, which is deleted whole.
 */
export function originalKey(jobId: string): string {
  return `originals/${jobId.slice(0, 2)}/${jobId}`;
}

/** The folder of a job's generated files: `artifacts/<first two hex digits>/<id>/`. */
export function jobArtifactsFolder(jobId: string): string {
  return `artifacts/${jobId.slice(0, 2)}/${jobId}/`;
}
