// A job's server-sent events, read with fetch: EventSource cannot send the
// bearer token. eventsource-parser (served from the service's own
// node_modules) does the parsing.
import { EventSourceParserStream } from '/ui/vendor/eventsource-parser/stream.js';
import { call } from './api.js';

/**
 * Calls `onEvent({seq, type, data})` for each event of job `id` until the
 * stream ends (after the job's last event) or `signal` aborts.
 */
export async function followEvents(id, onEvent, signal) {
  const response = await call(`/jobs/${id}/events`, { headers: { Accept: 'text/event-stream' }, signal });
  const reader = response.body
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream())
    .getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    onEvent(JSON.parse(value.data));
  }
}
