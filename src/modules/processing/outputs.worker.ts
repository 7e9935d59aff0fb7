// The thread that renders a job's file outputs. A searchable PDF of a long
// document is seconds of CPU in pdf-lib, and hOCR or ALTO of its every word
// is a long string: here they do not stall the worker's event loop, which
// renews the BullMQ locks and leases of the jobs it runs.
import { parentPort, workerData } from 'node:worker_threads';
import { renderOutput, type FileOutput, type OutputSource } from '../../outputs/outputs.js';

const { outputs, source } = workerData as { outputs: FileOutput[]; source: OutputSource };
// The original arrives as a Uint8Array (a Buffer is cloned as one); the outputs go back copied,
// since a small Buffer may share Node's pool, which cannot be transferred.
const original = Buffer.from(source.original.buffer, source.original.byteOffset, source.original.byteLength);
const rendered: Uint8Array[] = [];
for (const output of outputs) rendered.push(await renderOutput(output, { ...source, original }));
parentPort!.postMessage(rendered);
