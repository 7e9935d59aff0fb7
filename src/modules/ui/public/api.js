// The API as the page uses it: every call carries the bearer token, and an
// answer that is not 2xx becomes an ApiError holding the problem details.

const TOKEN_KEY = 'ocrflow.token';

/** A refused call: `problem` is the API's RFC 9457 body (`code`, `detail`, `errors`). */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.retryAfter = Number(problem.retryAfterSeconds ?? 0);
  }
}

// Kept for the tab only (sessionStorage): closing it forgets the token.
export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** The claims of a JWT, read without checking it (the API checks it); undefined when it is not one. */
export function claimsOf(jwt) {
  try {
    const payload = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(payload));
  } catch {
    return undefined;
  }
}

/** `fetch` with the token; resolves to the Response of a 2xx answer, else throws ApiError. */
export async function call(path, { method = 'GET', body, headers = {}, signal } = {}) {
  const auth = token.get();
  const response = await fetch(path, {
    method,
    body,
    signal,
    headers: { ...(auth && { Authorization: `Bearer ${auth}` }), ...headers },
  });
  if (!response.ok) throw new ApiError(response.status, await problemOf(response));
  return response;
}

export async function json(path, options) {
  return (await call(path, options)).json();
}

/** A JSON body posted. */
export function postJson(path, value) {
  return json(path, { method: 'POST', body: JSON.stringify(value), headers: { 'Content-Type': 'application/json' } });
}

async function problemOf(response) {
  const type = response.headers.get('content-type') ?? '';
  const problem = type.includes('json') ? await response.json().catch(() => ({})) : {};
  return { status: response.status, detail: `The service answered ${response.status}`, ...problem };
}

/** What to show for a failure: the API's detail and its field errors, or the error's message. */
export function describe(error) {
  if (!(error instanceof ApiError)) return error.message;
  const fields = (error.problem.errors ?? []).map((e) => `${e.field}: ${e.message}`);
  return [error.problem.detail, ...fields].join(' — ');
}
