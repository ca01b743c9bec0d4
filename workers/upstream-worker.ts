/**
 * Worker thread entry: owns ONE upstream connection (one replica of one
 * server). It settles the era, publishes the catalog, runs calls through its
 * own concurrency queue, watches health, and exits when the upstream is gone —
 * restarting is the supervisor's job, so the restart policy lives in one place.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { GatewayError, toGatewayError } from '../src/errors.js';
import type { CallMessage, FromWorker, ToWorker, WorkerInit } from '../src/threads/messages.js';
import { Outbox } from '../src/threads/outbox.js';
import { ownedUtf8, TRANSFER_MIN_CHARS } from '../src/json-text.js';
import { CallQueue } from './call-queue.js';
import type { ArgumentValidator } from './argument-validator.js';
import type { Cancellation } from './cancellation.js';
import { fetchCatalog } from './catalog.js';
import { HealthLoop } from './health-loop.js';
import { ResourceSubscriber } from './resource-subscriptions.js';
import { claimedResultText, claimServerInfo, openUpstream, type ConnectionHooks, type ForwardedResult, type UpstreamConnection } from './upstream-connection.js';
import { describeError, isExpiredSession, mapUpstreamError } from './upstream-errors.js';
import { ResponseLimit } from './response-limit.js';
import { ThreadSampler } from '../src/observability/thread-stats.js';

const init = workerData as WorkerInit;
const server = init.server;
const port = parentPort!;
const outbox = new Outbox<FromWorker>((batch, transfer) => (transfer.length === 0 ? port.postMessage(batch) : port.postMessage(batch, transfer)));
const post = (message: FromWorker, transfer?: ArrayBuffer): void => outbox.push(message, transfer);
const log = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void =>
  post({ type: 'log', level, msg, ...(fields ? { fields } : {}) });

/**
 * Only a legacy Streamable HTTP session can expire under a call and need it sent again (execute).
 * Elsewhere a call's params are let go once sent: a large payload held until its answer would be
 * copied by every young-generation GC in between and then promoted (bench/README.md, "Large payloads").
 */
const mayResend = server.transport !== 'stdio' && server.transport !== 'websocket';

const queue = new CallQueue(server.maxConcurrency, server.maxQueue);
const responseLimit = new ResponseLimit(server.maxResponseBytes);
/** Loaded with ajv on the first tools/call (if the server validates arguments): a worker whose tools are never called never loads ajv. */
let argumentValidator: ArgumentValidator | undefined;
let argumentValidatorLoad: Promise<void> | undefined;
let catalogTools: readonly Record<string, unknown>[] = [];
/** Calls waiting for ajv to load, so a cancel in that window still finds them. */
const awaitingValidator = new Set<CallMessage['callId']>();
let connection: UpstreamConnection | undefined;
let reconnecting: Promise<UpstreamConnection> | undefined;
let health: HealthLoop | undefined;
let stopping = false;
let catalogRefresh: NodeJS.Timeout | undefined;
let catalogRefreshAt = 0;
/** The URIs the main thread wants this upstream subscribed to, and who keeps the current connection so. */
let wantedSubscriptions: readonly string[] = [];
let subscriber: ResourceSubscriber | undefined;
/** The last stderr lines, so a server that dies at start says why in the health output, not only in the log. */
const recentStderr: string[] = [];

const hooks: ConnectionHooks = {
  onStderrLine: (line) => {
    recentStderr.push(line.length > 300 ? line.slice(0, 300) + '…' : line);
    if (recentStderr.length > 3) recentStderr.shift();
    log('info', line, { stream: 'stderr' });
  },
  onNoise: (line) => log('warn', 'upstream wrote a line on stdout that is not JSON-RPC; ignored', { line: line.slice(0, 500) }),
  onChildSpawn: (pid) => post({ type: 'child', pid, alive: true }),
  onChildExit: (pid) => post({ type: 'child', pid, alive: false }),
  onUnexpectedClose: (reason, tooLarge) => goDown(reason, false, tooLarge ? 'MCPGW_ERR_RESPONSE_TOO_LARGE' : 'MCPGW_ERR_UPSTREAM_CRASHED'),
  onListChanged: () => scheduleCatalogRefresh(),
  onResourceUpdated: (uri) => post({ type: 'resource-updated', uri }),
  onInputRequest: (method, params) => relayInputRequest(method, params),
};

const pendingInputs = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();
let nextInputId = 1;

/**
 * Over stdio nothing on the wire ties a server→client request to the call it
 * serves, so it goes to the one call running on this connection; with several
 * running it cannot be attributed safely (it could reach another caller) and
 * is refused.
 */
function relayInputRequest(method: string, params: unknown): Promise<unknown> {
  const running = queue.runningIds();
  if (running.length !== 1) {
    return Promise.reject(new Error(`mcp-gateway cannot tell which of ${running.length} running calls this ${method} belongs to; set maxConcurrency: 1 on server "${server.id}" for tools that ask for input`));
  }
  const inputId = nextInputId++;
  return new Promise((resolve, reject) => {
    pendingInputs.set(inputId, { resolve, reject });
    post({ type: 'input-request', callId: running[0]!, inputId, method, params: JSON.stringify(params ?? {}) });
  });
}

// The queue and thread report: on the sampler's timer (unref'd, so it never keeps the worker alive), off the call path.
new ThreadSampler((thread) => post({ type: 'stats', queued: queue.waiting, running: queue.running, thread }));

port.on('message', (batch: readonly ToWorker[]) => {
  for (const message of batch) receive(message);
});

function receive(message: ToWorker): void {
  switch (message.type) {
    case 'call':
      return submit(message);
    case 'cancel':
      if (awaitingValidator.delete(message.callId)) {
        post({ type: 'call-error', callId: message.callId, error: new GatewayError('MCPGW_ERR_CANCELLED', message.reason).toWire(), upstreamMs: 0, queuedMs: 0 });
        return;
      }
      return queue.cancel(message.callId, new GatewayError('MCPGW_ERR_CANCELLED', message.reason));
    case 'shutdown':
      return void shutdown(message.graceMs);
    case 'resource-subscriptions':
      wantedSubscriptions = message.uris;
      return void subscriber?.set(wantedSubscriptions);
    case 'input-response': {
      const pending = pendingInputs.get(message.inputId);
      pendingInputs.delete(message.inputId);
      if (!pending) return;
      if (message.result !== undefined) pending.resolve(JSON.parse(message.result));
      else pending.reject(new Error(message.error?.message ?? 'the caller did not answer'));
      return;
    }
  }
}

void start();

async function start(): Promise<void> {
  const startedAt = Date.now();
  const startup = (async () => {
    const opened = await openUpstream(server, hooks, responseLimit, init.priorEra);
    connection = opened;
    const fetched = await fetchCatalog(opened, server.startupTimeoutMs);
    return { opened, fetched };
  })();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not become ready within ${server.startupTimeoutMs} ms`)), server.startupTimeoutMs);
  });
  try {
    const { opened, fetched } = await Promise.race([startup, timeout]);
    clearTimeout(timer);
    if (stopping) return;
    setCatalogTools(fetched.catalog.tools);
    post({ type: 'ready', identity: opened.identity, catalog: fetched.catalog, connectMs: Date.now() - startedAt });
    subscribeOn(opened);
    scheduleExpiry(fetched.freshForMs);
    if (server.healthCheck.enabled) {
      health = new HealthLoop(server.healthCheck, () => current().check(server.healthCheck.timeoutSeconds * 1000), (healthy, detail, latencyMs) =>
        post({ type: 'health', healthy, detail, ...(latencyMs === undefined ? {} : { latencyMs }) }),
      );
      health.start();
    }
  } catch (error) {
    clearTimeout(timer);
    startup.catch(() => undefined);
    const stderr = recentStderr.length > 0 ? ` — stderr: ${recentStderr.join(' | ')}` : '';
    goDown(`${describeError(error)}${stderr}`, true);
  }
}

function current(): UpstreamConnection {
  if (!connection) throw new GatewayError('MCPGW_ERR_SERVER_UNAVAILABLE', `server "${server.id}" is not connected`);
  return connection;
}

function submit(call: CallMessage): void {
  if (stopping || !connection) {
    const error = new GatewayError(stopping ? 'MCPGW_ERR_SHUTTING_DOWN' : 'MCPGW_ERR_SERVER_UNAVAILABLE', stopping ? `server "${server.id}" is stopping` : `server "${server.id}" is not ready`);
    post({ type: 'call-error', callId: call.callId, error: error.toWire(), upstreamMs: 0, queuedMs: 0 });
    return;
  }
  if (call.method === 'tools/call' && server.validateArguments && !argumentValidator) return submitOnceValidating(call);
  // Parsed here rather than when the call runs, so that invalid arguments never take a place in the queue.
  const paramsText = call.params;
  const head: CallHead = { type: 'call', callId: call.callId, method: call.method, deadline: call.deadline, wantsProgress: call.wantsProgress, headers: call.headers };
  const params = JSON.parse(paramsText) as Record<string, unknown>;
  const invalid = call.method === 'tools/call' ? argumentValidator?.check(params.name, params.arguments) : undefined;
  if (invalid !== undefined) {
    post({ type: 'call-error', callId: call.callId, error: invalid.toWire(), upstreamMs: 0, queuedMs: 0 });
    return;
  }
  // The closures below see `head`, never `call`, whose params would then live as long as they do.
  let payload: CallPayload | undefined = { params, text: paramsText };
  queue.submit({
    callId: head.callId,
    deadline: head.deadline,
    reject: (error, queuedMs) => post({ type: 'call-error', callId: head.callId, error: error.toWire(), upstreamMs: 0, queuedMs }),
    run: (cancellation, queuedMs) => {
      const taken = payload!;
      payload = undefined;
      return execute(head, taken, cancellation, queuedMs);
    },
  });
}

/** Calls that arrive while ajv loads wait for it, in order. Apart from submit, whose closures must not see a call (they would keep its params). */
function submitOnceValidating(call: CallMessage): void {
  argumentValidatorLoad ??= import('./argument-validator.js').then(({ ArgumentValidator }) => {
    argumentValidator = new ArgumentValidator((msg, fields) => log('warn', msg, fields));
    argumentValidator.setCatalog(catalogTools);
  });
  awaitingValidator.add(call.callId);
  argumentValidatorLoad.then(
    () => awaitingValidator.delete(call.callId) && submit(call),
    (error: unknown) => awaitingValidator.delete(call.callId) && post({ type: 'call-error', callId: call.callId, error: toGatewayError(error).toWire(), upstreamMs: 0, queuedMs: 0 }),
  );
}

/** A call without its params, which are let go once sent (see CallPayload). */
type CallHead = Omit<CallMessage, 'params'>;

/** A call's params, parsed and as the JSON text they came in. */
interface CallPayload {
  readonly params: Record<string, unknown>;
  readonly text: string;
}

/** `payload` is let go of as soon as it is sent (kept only where it may be sent again: mayResend). */
async function execute(call: CallHead, payload: CallPayload | undefined, cancellation: Cancellation, queuedMs: number): Promise<void> {
  const startedAt = Date.now();
  const timeoutMs = call.deadline - startedAt;
  const onprogress = call.wantsProgress ? (progress: unknown) => post({ type: 'progress', callId: call.callId, progress: JSON.stringify(progress) }) : undefined;
  const resendable = mayResend ? payload : undefined;
  try {
    if (timeoutMs <= 0) throw new GatewayError('MCPGW_ERR_TIMEOUT', `${call.method} on server "${server.id}" timed out after ${server.timeout} ms in the queue`);
    let forwarded: ForwardedResult;
    const sending = forwardTo(current(), call, payload!, cancellation, timeoutMs, onprogress);
    payload = undefined;
    try {
      forwarded = await sending;
    } catch (error) {
      if (resendable === undefined || !isExpiredSession(error) || cancellation.aborted) throw error;
      log('info', 'legacy session expired upstream (HTTP 404); re-initialising');
      forwarded = await forwardTo(await reconnect(), call, resendable, cancellation, Math.max(1, call.deadline - Date.now()), onprogress);
    }
    const { result } = forwarded;
    // Every MCP result is an object; anything else cannot be passed on as one (the fast path decodes nothing else).
    if (typeof result !== 'object' || result === null || Array.isArray(result)) {
      throw new GatewayError('MCPGW_ERR_UPSTREAM_BAD_RESPONSE', `${call.method} on server "${server.id}": the upstream's result is ${Array.isArray(result) ? 'an array' : result === null ? 'null' : `a ${typeof result}`}, not an object`);
    }
    const claimed = claimServerInfo(result);
    const shape = result as { resultType?: unknown; isError?: unknown; task?: { taskId?: unknown } } | null;
    const text = forwarded.text === undefined ? JSON.stringify(result) : claimed ? claimedResultText(forwarded.text, result) : forwarded.text;
    const inputRequired = shape?.resultType === 'input_required';
    const task = shape?.resultType === 'task' || typeof shape?.task?.taskId === 'string';
    // A large answer the front door passes on as it is crosses as bytes, moved: no clone on either side (json-text.ts).
    const bytes = text.length >= TRANSFER_MIN_CHARS && !inputRequired && !task ? ownedUtf8(text) : undefined;
    post(
      { type: 'result', callId: call.callId, result: bytes ?? text, inputRequired, toolError: shape?.isError === true, task, upstreamMs: Date.now() - startedAt, queuedMs },
      bytes?.buffer as ArrayBuffer | undefined,
    );
  } catch (error) {
    // An abort carries the reason we gave it (cancel, crash, shutdown); the SDK rewraps it as a timeout.
    const mapped = cancellation.aborted && GatewayError.is(cancellation.reason) ? cancellation.reason : mapUpstreamError(error, { serverId: server.id, method: call.method, timeoutMs: server.timeout, responseLimit });
    post({ type: 'call-error', callId: call.callId, error: mapped.toWire(), upstreamMs: Date.now() - startedAt, queuedMs });
  }
}

/** A module function, not a closure per call: `execute` runs for every call. */
function forwardTo(to: UpstreamConnection, call: CallHead, sent: CallPayload, cancellation: Cancellation, timeoutMs: number, onprogress: ((progress: unknown) => void) | undefined): Promise<ForwardedResult> {
  return to.forward(call.method, sent.params, { cancellation, timeoutMs, paramsText: sent.text, headers: call.headers, onprogress });
}

function setCatalogTools(tools: readonly Record<string, unknown>[]): void {
  catalogTools = tools;
  argumentValidator?.setCatalog(tools);
}

function subscribeOn(opened: UpstreamConnection): void {
  void subscriber?.close();
  subscriber = new ResourceSubscriber(opened, (message) => log('warn', message));
  if (wantedSubscriptions.length > 0) void subscriber.set(wantedSubscriptions);
}

/** One re-initialisation at a time; concurrent callers share it. */
function reconnect(): Promise<UpstreamConnection> {
  reconnecting ??= (async () => {
    const stale = connection;
    connection = undefined;
    await stale?.close();
    const fresh = await openUpstream(server, hooks, responseLimit, 'legacy');
    connection = fresh;
    // A new legacy session starts with no subscriptions: tell it the whole set again.
    subscribeOn(fresh);
    return fresh;
  })().finally(() => {
    reconnecting = undefined;
  });
  return reconnecting;
}

function scheduleCatalogRefresh(delayMs = 50): void {
  if (stopping) return;
  // Coalesce bursts of list_changed into one re-listing; an earlier one replaces a later (ttl) one.
  const at = Date.now() + delayMs;
  if (catalogRefresh) {
    if (catalogRefreshAt <= at) return;
    clearTimeout(catalogRefresh);
  }
  catalogRefreshAt = at;
  catalogRefresh = setTimeout(() => {
    catalogRefresh = undefined;
    if (!connection || stopping) return;
    fetchCatalog(connection, server.startupTimeoutMs).then(
      (fetched) => {
        setCatalogTools(fetched.catalog.tools);
        post({ type: 'catalog', catalog: fetched.catalog });
        scheduleExpiry(fetched.freshForMs);
      },
      (error: unknown) => log('warn', `re-listing the catalog failed: ${(error as Error).message}`),
    );
  }, delayMs);
}

/** Honours an upstream's `ttlMs`: the lists are re-read when they go stale, not only on list_changed. */
function scheduleExpiry(freshForMs: number | undefined): void {
  if (freshForMs === undefined) return;
  // At least a second apart (a tiny ttl must not turn into a busy loop), at most a day.
  scheduleCatalogRefresh(Math.min(86_400_000, Math.max(1000, freshForMs)));
}

function goDown(reason: string, duringStartup: boolean, code: 'MCPGW_ERR_UPSTREAM_CRASHED' | 'MCPGW_ERR_RESPONSE_TOO_LARGE' = 'MCPGW_ERR_UPSTREAM_CRASHED'): void {
  if (stopping) return;
  stopping = true;
  health?.stop();
  queue.failAll(new GatewayError(code, `server "${server.id}" went down: ${reason}`));
  post({ type: 'down', reason, duringStartup });
  void (async () => {
    await connection?.close().catch(() => undefined);
    outbox.flush();
    process.exit(1);
  })();
}

async function shutdown(graceMs: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  health?.stop();
  if (catalogRefresh) clearTimeout(catalogRefresh);
  const drained = await queue.drain(graceMs);
  if (!drained) queue.failAll(new GatewayError('MCPGW_ERR_SHUTTING_DOWN', `server "${server.id}" stopped before the call finished (grace period ${graceMs} ms)`));
  try {
    await connection?.close();
  } catch (error) {
    log('warn', `closing the upstream failed: ${toGatewayError(error).message}`);
  }
  post({ type: 'stopped' });
  outbox.flush();
  process.exit(0);
}
