/**
 * `work`'s outcome, or, once `ms` have passed first, what `late` returns (or
 * throws). The one way the service bounds a wait on something that takes no
 * signal (a Redis subscription, a queue write, an engine starting): the timer
 * is `AbortSignal.timeout`'s, which never keeps the process alive, and the
 * work is left to finish on its own.
 */
export function withTimeout<T, L>(work: Promise<T>, ms: number, late: () => L): Promise<T | L> {
  const signal = AbortSignal.timeout(ms);
  return new Promise<T | L>((resolve, reject) => {
    const expire = () => {
      try {
        resolve(late());
      } catch (error) {
        reject(error);
      }
    };
    signal.addEventListener('abort', expire, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', expire));
  });
}
