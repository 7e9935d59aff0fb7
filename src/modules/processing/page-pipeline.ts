/**
 * Runs `work` over `items` with at most `limit` of them in flight, and hands
 * each result to `take` in the items' order: a result that is ready early
 * waits (as a result, not as work in flight) for those before it, so
 * checkpoints, progress events and a resumed job's "first unstored page" stay
 * as they were when pages ran one by one.
 *
 * A slot is freed when its work ends, not when its result is taken, so one
 * slow item does not leave the others' engines idle.
 *
 * Stops when `take` returns false, anything throws or `signal` aborts (the
 * call then rejects with its reason): no further item starts, the signal
 * every running `work` was given is aborted, and the call settles only once
 * all of them have. Resolves true when every item was taken.
 */
export async function inOrder<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, signal: AbortSignal) => Promise<R>,
  take: (result: R) => Promise<boolean>,
  signal?: AbortSignal,
): Promise<boolean> {
  const stop = new AbortController();
  const results: Promise<R>[] = [];
  // The first failure: the items it aborts fail too, with the abort's reason.
  let failure: { error: unknown } | undefined;
  const onAbort = () => {
    failure ??= { error: signal!.reason };
    stop.abort(signal!.reason);
  };
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const launch = (): void => {
    if (results.length >= items.length || stop.signal.aborted) return;
    const result = work(items[results.length]!, stop.signal);
    results.push(result);
    // Handled here, so a failure nobody awaits yet is not an unhandled rejection.
    result.then(launch, (error: unknown) => {
      failure ??= { error };
      stop.abort();
    });
  };
  for (let i = 0; i < Math.max(1, limit); i++) launch();
  try {
    for (let i = 0; i < items.length; i++) {
      // Aborted from outside: the items not started yet never will be.
      if (failure) throw failure.error;
      const result = await results[i]!.catch((error: unknown) => {
        throw failure ? failure.error : error;
      });
      if (!(await take(result))) return false;
    }
    return true;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    stop.abort();
    await Promise.allSettled(results);
  }
}
