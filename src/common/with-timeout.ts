/**
 * `work`'s outcome, or, once `ms` have passed first, what `late` returns (or
 * throws). The one way the service bounds a wait on something that takes no
 * signal (a Redis subscription, a queue write, an engine starting): the timer
 * never keeps the process alive, and the work is left to finish on its own.
 *
 * A plain timer, cleared when the work settles. It was `AbortSignal.timeout`,
 * whose timer cannot be cleared (every upload's enqueue left one pending for
 * 5 s); making the signal, its weak reference and its listener was 0.9 % of
 * the API's main thread in bench/upload's profile, the timer now 0.2 %.
 */
export function withTimeout<T, L>(work: Promise<T>, ms: number, late: () => L): Promise<T | L> {
  return new Promise<T | L>((resolve, reject) => {
    const timer = setTimeout(() => {
      try {
        resolve(late());
      } catch (error) {
        reject(error);
      }
    }, ms);
    timer.unref();
    work.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}
