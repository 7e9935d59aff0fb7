/**
 * Calls sent to a thread or a child process, each with an id its reply
 * carries back, waiting until the reply comes or the other side is gone. The
 * one bookkeeping of the document reader's thread, the native OCR engine's
 * process and the extraction thread.
 */
export class PendingCalls<T> {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (value: T) => void; reject: (error: Error) => void }>();

  /** Sends a call under a new id (or the one given) and resolves with its reply's value. */
  call(send: (id: number) => void, id = this.nextId++): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      send(id);
    });
  }

  /** Settles the call a reply answers; a reply to no call (one already failed) is dropped. */
  settle(id: number, reply: { value: T } | { error: Error }): void {
    const call = this.waiting.get(id);
    this.waiting.delete(id);
    if ('error' in reply) call?.reject(reply.error);
    else call?.resolve(reply.value);
  }

  /** How many calls wait for their reply. */
  get waitingCount(): number {
    return this.waiting.size;
  }

  /** Fails every call still waiting: the thread or process is gone. */
  failAll(error: Error): void {
    for (const call of this.waiting.values()) call.reject(error);
    this.waiting.clear();
  }
}
