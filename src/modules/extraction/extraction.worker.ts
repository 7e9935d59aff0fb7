// The thread of one extraction. Rules over every word of a long document,
// and finding an LLM's values again on its pages, can take seconds of CPU:
// here they do not stall the event loop of the API (re-extraction) or of a
// worker (BullMQ's lock renewals).
import { parentPort, workerData } from 'node:worker_threads';
import { extract, type ExtractionRequest } from './extract.js';

parentPort!.postMessage(await extract(workerData as ExtractionRequest));
