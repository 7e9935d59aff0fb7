// The page's entry: sign-in, the upload form, the recent jobs; job-view.js
// shows a job. Everything here uses only what the API offers, and hides what
// this deployment does not (a dev-token button, schemas).
import { claimsOf, describe, json, postJson, token } from './api.js';
import { cancelJob, showJob } from './job-view.js';
import { el } from './page-view.js';

const $ = (id) => document.getElementById(id);
const settings = await fetch('/ui/settings.json').then((response) => response.json());

function showError(error) {
  $('error').textContent = error ? describe(error) : '';
}

/** Runs an event handler, showing what it throws. */
const guarded = (handler) => async (event) => {
  showError();
  try {
    await handler(event);
  } catch (error) {
    showError(error);
  }
};

// Sign-in

async function signIn(value) {
  token.set(value.trim());
  try {
    await showRecent(); // the first call that needs the token: a refused one lands in the catch
  } catch (error) {
    token.clear();
    throw error;
  }
  const claims = claimsOf(token.get()) ?? {};
  const until = claims.exp ? `, until ${new Date(claims.exp * 1000).toLocaleTimeString()}` : '';
  $('who').textContent = `Signed in as ${claims.sub ?? 'an unknown subject'}${until}.`;
  for (const [id, signedIn] of [['sign-in', false], ['account', true], ['upload', true], ['recent', true]]) $(id).hidden = !signedIn;
  await Promise.all([loadSchemas(), loadLanguages()]);
}

$('token-form').addEventListener('submit', guarded((event) => {
  event.preventDefault();
  return signIn($('token').value);
}));
$('dev-token').hidden = !settings.devTokens;
$('dev-token').addEventListener('click', guarded(async () => {
  const { token: issued } = await postJson('/dev/token', {});
  $('token').value = issued;
  await signIn(issued);
}));
$('sign-out').addEventListener('click', () => {
  token.clear();
  location.reload();
});

// The upload form

$('file-limit').textContent = `Up to ${Math.floor(settings.maxUploadBytes / 1024 ** 2)} MB.`;
$('outputs').append(
  ...settings.outputs.map((name) =>
    el('label', { class: 'check' }, Object.assign(el('input', { type: 'checkbox', name: 'outputs', value: name }), { checked: settings.defaultOutputs.includes(name) }), ` ${name}`),
  ),
);

async function loadSchemas() {
  // Built-in schemas, where the API lists them; the custom option stays either way.
  const { items } = await json('/schemas').catch(() => ({ items: [] }));
  const custom = $('schema').querySelector('option[value="custom"]');
  for (const schema of items) custom.before(el('option', { value: schema.name }, `${schema.name}${schema.description ? ` — ${schema.description}` : ''}`));
}
async function loadLanguages() {
  // The installed languages, where the API lists them: the hint names them and the placeholder the default.
  const languages = await json('/languages').catch(() => undefined);
  if (!languages) return;
  $('languages').placeholder = `${languages.default.join('+')} (the default)`;
  $('languages-hint').textContent = `Installed: ${languages.installed.join(', ')}. Join several with +, the main one first, e.g. deu+eng.`;
}

$('schema').addEventListener('change', () => ($('custom-schema').hidden = $('schema').value !== 'custom'));

const drop = $('drop');
drop.addEventListener('dragover', (event) => {
  event.preventDefault();
  drop.classList.add('dragging');
});
drop.addEventListener('dragleave', () => drop.classList.remove('dragging'));
drop.addEventListener('drop', (event) => {
  event.preventDefault();
  drop.classList.remove('dragging');
  $('file').files = event.dataTransfer.files;
});

$('upload-form').addEventListener('submit', guarded(async (event) => {
  event.preventDefault();
  const file = $('file').files[0];
  if (file.size > settings.maxUploadBytes) throw new Error(`${file.name} is larger than the ${Math.floor(settings.maxUploadBytes / 1024 ** 2)} MB this service accepts.`);
  const form = new FormData();
  form.append('file', file, file.name);
  for (const name of ['pages', 'languages']) if ($(name).value.trim()) form.append(name, $(name).value.trim());
  form.append('ocr', $('ocr').value);
  const outputs = [...document.querySelectorAll('input[name="outputs"]:checked')].map((box) => box.value);
  if (outputs.length > 0) form.append('outputs', outputs.join(','));
  const schema = $('schema').value === 'custom' ? $('schema-json').value.trim() : $('schema').value;
  if (schema) form.append('schema', schema);
  const job = await json('/jobs', { method: 'POST', body: form });
  void showRecent().catch(showError);
  await showJob(job.id, showError);
  await showRecent(); // with the job's final status
}));

$('cancel').addEventListener('click', guarded(cancelJob));

// Recent jobs

async function showRecent() {
  const { items } = await json('/jobs?limit=10');
  $('recent-list').replaceChildren(
    ...items.map((job) => {
      const open = el('button', { type: 'button' }, `Open ${job.fileName ?? job.id}`);
      open.addEventListener('click', guarded(() => showJob(job.id, showError)));
      return el('li', {}, open, ` ${job.status}, ${new Date(job.createdAt).toLocaleString()}`);
    }),
  );
  if (items.length === 0) $('recent-list').append(el('li', {}, 'No jobs yet.'));
}
$('refresh').addEventListener('click', guarded(showRecent));

if (token.get()) await signIn(token.get()).catch(showError);
