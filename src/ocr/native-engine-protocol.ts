// What the native engine's process (native-engine.process.ts) and its parent
// (native-engine.ts) send each other.
import type { DetectedOrientation } from './ocr-engine.js';

/** An image's frame on the engine's image pipe: a header of the call's id and the image's length (uint32 LE each), then the image. */
export const IMAGE_HEADER_BYTES = 8;
/** The engine process's file descriptor images come on. */
export const IMAGE_FD = 4;

/** A page's answer: its TSV, or for `orientation` the turn that sets it upright. */
export type NativeAnswer = { tsv: string } | { orientation: DetectedOrientation };

export type NativeReply =
  | { ready: true }
  | { ready: false; error: string }
  | ({ id: number } & NativeAnswer)
  | { id: number; error: string; unreadable: boolean };
