#!/usr/bin/env node
// MCP test driver for kedge's integration tests (see README.md).
// Reads a JSON array of steps on stdin, runs them through the official
// TypeScript SDK client and prints one JSON line per step on stdout.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, ResultSchema } from '@modelcontextprotocol/sdk/types.js';

const USAGE = `usage: node tests/mcp/client.mjs [--timeout MS] [--elicit accept|decline|none]
         (--stdio [--] CMD ARGS... | --http URL [--header 'K: V']...) < steps.json`;
const OPS = ['listTools', 'callTool', 'ping', 'listResources', 'readResource', 'listPrompts',
  'getPrompt', 'request', 'notify', 'cancelAfter'];
const TIMEOUT_CODE = -32001; // the SDK's ErrorCode.RequestTimeout

function usage(msg) {
  if (msg) process.stderr.write(`client.mjs: ${msg}\n`);
  process.stderr.write(`${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = { timeout: 30000, elicit: 'none', headers: {}, http: null, stdio: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === '--timeout') {
      o.timeout = Number(val());
      if (!Number.isInteger(o.timeout) || o.timeout <= 0) usage('--timeout needs an integer > 0');
    } else if (a === '--elicit') {
      o.elicit = val();
      if (!['accept', 'decline', 'none'].includes(o.elicit)) usage(`bad --elicit ${o.elicit}`);
    } else if (a === '--http') {
      o.http = val();
      try { new URL(o.http); } catch { usage(`bad URL ${o.http}`); }
    } else if (a === '--header') {
      const h = val();
      const c = h.indexOf(':');
      if (c <= 0) usage(`bad header '${h}' (want 'Name: value')`);
      o.headers[h.slice(0, c).trim()] = h.slice(c + 1).trim();
    } else if (a === '--stdio') {
      o.stdio = argv.slice(argv[i + 1] === '--' ? i + 2 : i + 1);
      if (o.stdio.length === 0) usage('--stdio needs a command');
      break;
    } else if (a === '-h' || a === '--help') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else {
      usage(`unknown option ${a}`);
    }
  }
  if (!o.http === !o.stdio) usage('give exactly one of --stdio or --http');
  if (o.stdio && Object.keys(o.headers).length) usage('--header needs --http');
  return o;
}

// Rejects with a timeout error if p has not settled within ms.
function bounded(p, ms, what) {
  let t;
  const guard = new Promise((_, reject) => {
    t = setTimeout(() => {
      const e = new Error(`${what}: no answer within ${ms} ms`);
      e.code = TIMEOUT_CODE;
      reject(e);
    }, ms);
  });
  return Promise.race([p, guard]).finally(() => clearTimeout(t));
}

async function readSteps(ms) {
  const chunks = [];
  const read = (async () => { for await (const c of process.stdin) chunks.push(c); })();
  await bounded(read, ms, 'reading steps from stdin').catch((e) => usage(e.message));
  let steps;
  try { steps = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch (e) {
    usage(`stdin is not JSON: ${e.message}`);
  }
  if (!Array.isArray(steps)) usage('stdin must be a JSON array of steps');
  steps.forEach((s, i) => {
    if (!s || typeof s !== 'object' || !OPS.includes(s.op)) {
      usage(`step ${i}: unknown op ${JSON.stringify(s?.op)}`);
    }
  });
  return steps;
}

// McpError prefixes its message with "MCP error CODE: "; report the server's text.
function errorJson(e) {
  const code = Number.isInteger(e?.code) ? e.code : null;
  let message = e instanceof Error ? e.message : String(e);
  if (code !== null) message = message.replace(/^MCP error -?\d+: /, '');
  return { code, message, data: e?.data ?? (code === null && e?.name ? { name: e.name } : null) };
}

const opts = parseArgs(process.argv.slice(2));
const T = opts.timeout;
const steps = await readSteps(T);

let negotiated;
let childPid = null;
let transport;
if (opts.stdio) {
  transport = new StdioClientTransport({
    command: opts.stdio[0], args: opts.stdio.slice(1), env: process.env, stderr: 'inherit',
  });
  // The SDK tells HTTP transports the negotiated version this way; borrow it for stdio.
  transport.setProtocolVersion = (v) => { negotiated = v; };
  // A failed initialize makes the SDK forget the child; remember it to kill it.
  const start = transport.start.bind(transport);
  transport.start = async () => { await start(); childPid = transport.pid; };
} else {
  transport = new StreamableHTTPClientTransport(new URL(opts.http),
    { requestInit: { headers: opts.headers } });
}

const capabilities = opts.elicit === 'none' ? {} : { elicitation: { form: {} } };
const client = new Client({ name: 'kedge-mcp-test', version: '1.0.0' }, { capabilities });
let elicitations = [];
if (opts.elicit !== 'none') {
  client.setRequestHandler(ElicitRequestSchema, async (req) => {
    elicitations.push(req.params);
    if (opts.elicit === 'decline') return { action: 'decline' };
    return { action: 'accept', content: { confirm: true } };
  });
}

function killChild() {
  if (childPid) try { process.kill(childPid, 'SIGKILL'); } catch { /* already gone */ }
}

try {
  await bounded(client.connect(transport, { timeout: T }), T + 500, 'initialize');
} catch (e) {
  const cause = e.cause ? ` (${e.cause.message || e.cause.code})` : '';
  process.stderr.write(`client.mjs: could not connect/initialize: ${e.message}${cause}\n`);
  await bounded(client.close(), T, 'close').catch(() => {});
  killChild();
  process.exit(1);
}

// The SDK hands a progress notification to onprogress a microtask late and
// drops it if the response came in the same read; record them off the wire.
let progress = null;
const onmessage = transport.onmessage;
transport.onmessage = (msg, extra) => {
  if (progress && msg?.method === 'notifications/progress') progress.push(msg.params);
  onmessage(msg, extra);
};

const out = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);
out({
  serverVersion: client.getServerVersion() ?? null,
  capabilities: client.getServerCapabilities() ?? null,
  protocolVersion: transport.protocolVersion ?? negotiated ?? null,
  instructions: client.getInstructions() ?? null,
});

function run(s, ro) {
  switch (s.op) {
    case 'listTools': return client.listTools(s.params, ro);
    case 'callTool':
      return client.callTool({ name: s.name, arguments: s.arguments ?? {} }, undefined, ro);
    case 'ping': return client.ping(ro);
    case 'listResources': return client.listResources(s.params, ro);
    case 'readResource': return client.readResource({ uri: s.uri }, ro);
    case 'listPrompts': return client.listPrompts(s.params, ro);
    case 'getPrompt': return client.getPrompt({ name: s.name, arguments: s.arguments ?? {} }, ro);
    case 'request': return client.request({ method: s.method, params: s.params }, ResultSchema, ro);
    case 'notify':
      return client.notification({ method: s.method, params: s.params }).then(() => null);
    case 'cancelAfter': {
      const ac = new AbortController();
      const t = setTimeout(() => ac.abort(`cancelled by client after ${s.ms} ms`), s.ms ?? 0);
      return client.callTool({ name: s.name, arguments: s.arguments ?? {} }, undefined,
        { ...ro, signal: ac.signal }).finally(() => clearTimeout(t));
    }
  }
  throw new Error(`unknown op ${s.op}`);
}

for (const s of steps) {
  const ro = { timeout: T };
  progress = s.progress ? [] : null;
  if (progress) ro.onprogress = () => {}; // makes the SDK send a progressToken
  elicitations = [];
  let line;
  try {
    line = { ok: true, result: (await bounded(run(s, ro), T + 500, s.op)) ?? null };
  } catch (e) {
    line = { ok: false, error: errorJson(e) };
  }
  if (s.progress) line.progress = progress;
  if (elicitations.length) line.elicitations = elicitations;
  out(line);
}

// HTTP: end the session with a DELETE (a 405 answer is fine).
// stdio: close() ends the server's stdin, then SIGTERM, then SIGKILL.
if (transport.sessionId) {
  await bounded(transport.terminateSession(), T, 'DELETE session').catch((e) => {
    process.stderr.write(`client.mjs: ${e.message}\n`);
  });
}
await bounded(client.close(), T, 'close').catch((e) => {
  process.stderr.write(`client.mjs: ${e.message}\n`);
  killChild();
});
// stdout may be a pipe whose writes are still queued (a big result):
// exit once it has taken them all, or the last line is cut short
process.stdout.write('', () => process.exit(0));
