#!/usr/bin/env node
// The `ocrflow` command: talks HTTP to a running service, imports nothing of the server.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SignJWT } from 'jose';
import { ApiError, OcrflowApi, UsageError } from './api.js';
import { submit } from './submit.js';

const CONNECTION = {
  url: { type: 'string', default: process.env.OCRFLOW_URL ?? 'http://127.0.0.1:3000' },
  token: { type: 'string', default: process.env.OCRFLOW_TOKEN },
  help: { type: 'boolean', short: 'h' },
} as const;
const CONNECTION_HELP = `  --url URL       the service (OCRFLOW_URL, default http://127.0.0.1:3000)
  --token JWT     bearer token (OCRFLOW_TOKEN)`;

const COMMANDS: Record<string, { usage: string; options: ParseArgsConfig['options']; run(values: any, args: string[]): Promise<number> }> = {
  submit: {
    usage: `ocrflow submit FILE... [options]   upload files and print each job id
  --wait               follow each job, show its pages done, then fetch its results
  --pages 1-3,7        only these pages
  --ocr auto|force     force: OCR every page even where a PDF has a text layer
  --languages deu+eng  OCR languages, the main one first (GET /languages lists them)
  --password-file F    an encrypted PDF's password, read from file F
  --outputs text,json  what to make: text, json, hocr, alto, tsv, pdf (a searchable PDF);
                       with --out, each is written to DIR (default text,json)
  --schema NAME|JSON   fields to extract: receipt, invoice or a custom schema (GET /schemas)
  --out DIR            with --wait: write DIR/<name>.txt, .json, .pdf, .hocr, .alto.xml, .tsv`,
    options: {
      wait: { type: 'boolean' },
      pages: { type: 'string' },
      ocr: { type: 'string' },
      languages: { type: 'string' },
      'password-file': { type: 'string' },
      outputs: { type: 'string', default: 'text,json' },
      schema: { type: 'string' },
      out: { type: 'string' },
    },
    run: (values, files) => submit(api(values), files, values),
  },
  status: {
    usage: 'ocrflow status ID   print the job (status, pages done/total) as JSON',
    options: {},
    run: async (values, [id]) => print(await api(values).json(`/jobs/${jobId(id)}`)),
  },
  results: {
    usage: 'ocrflow results ID   print a finished job\'s results (text, pages, words) as JSON',
    options: {},
    run: async (values, [id]) => print(await api(values).json(`/jobs/${jobId(id)}/results`)),
  },
  token: {
    usage: `ocrflow token SUB [--hours N] [--scope "jobs:read jobs:write"]
  prints an HS256 token for subject SUB signed with JWT_SECRET (and JWT_ISSUER / JWT_AUDIENCE when set)`,
    options: { hours: { type: 'string', default: '24' }, scope: { type: 'string', default: 'jobs:read jobs:write' } },
    run: (values, args) => token(args[0], values),
  },
};

const USAGE = `ocrflow COMMAND [options]; ocrflow COMMAND --help for each
${Object.values(COMMANDS).map((command) => `  ${command.usage.split('\n')[0]}`).join('\n')}
${CONNECTION_HELP}`;

function api(values: { url: string; token?: string }): OcrflowApi {
  return new OcrflowApi(values.url, values.token);
}

function jobId(id: string | undefined): string {
  if (!id) throw new UsageError('a job ID is required');
  return encodeURIComponent(id);
}

function print(value: unknown): number {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  return 0;
}

async function token(subject: string | undefined, values: { hours: string; scope: string }): Promise<number> {
  if (!subject) throw new UsageError('a subject is required');
  const hours = Number(values.hours);
  if (!(hours > 0)) throw new UsageError('--hours must be a positive number');
  const secret = process.env.JWT_SECRET;
  if (!secret) throw new UsageError('JWT_SECRET is not set in the environment');
  let jwt = new SignJWT({ scope: values.scope }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(subject).setIssuedAt().setExpirationTime(`${hours}h`);
  if (process.env.JWT_ISSUER) jwt = jwt.setIssuer(process.env.JWT_ISSUER);
  if (process.env.JWT_AUDIENCE) jwt = jwt.setAudience(process.env.JWT_AUDIENCE);
  process.stdout.write(`${await jwt.sign(new TextEncoder().encode(secret))}\n`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = name === undefined ? undefined : COMMANDS[name];
  if (!command) {
    const help = name === '--help' || name === '-h';
    (help ? process.stdout : process.stderr).write(`${USAGE}\n`);
    return help ? 0 : 2;
  }
  const usage = `${command.usage}\n${name === 'token' ? '' : CONNECTION_HELP}`;
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...CONNECTION, ...command.options },
      allowPositionals: true,
    });
    if (values.help) {
      process.stdout.write(`${usage}\n`);
      return 0;
    }
    return await command.run(values, positionals);
  } catch (error) {
    if (error instanceof ApiError) {
      process.stderr.write(`ocrflow: ${error.message}\n`);
      return 1;
    }
    // parseArgs reports unknown or malformed options with ERR_PARSE_ARGS_* codes.
    if (error instanceof UsageError || String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`ocrflow ${name}: ${(error as Error).message}\n${usage}\n`);
      return 2;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
