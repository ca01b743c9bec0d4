/**
 * What the gateway does for an MCP request, whatever era it came in: list the
 * merged catalog, route a call to the upstream that owns it, and count it
 * exactly as the REST path does. The era handlers (modern.ts, legacy.ts) only
 * add their wire rules around these operations.
 */
import type { ProtocolEra } from '../gateway-types.js';
import { approvalRefusal, argumentsHash, type ApprovalRecord, type ApprovalRequirement, type Approvals } from '../approval/approvals.js';
import { GatewayError, toGatewayError } from '../errors.js';
import type { CallRecorder } from '../observability/call-recorder.js';
import type { Caller } from '../policy/caller.js';
import type { Policy } from '../policy/policy.js';
import type { MergedCatalog } from '../supervisor/catalog.js';
import { outcomeOf, type RecordedMethod } from '../observability/call-recorder.js';
import type { CallOutcomeLabel } from '../observability/metrics.js';
import type { CallOutcome } from '../supervisor/replica.js';
import type { RoutedCall, Supervisor } from '../supervisor/supervisor.js';
import { ListCache } from './list-cache.js';
import { CallEvents, ParkingLot } from './parked-calls.js';
import { CALL_TOOL, META_TOOLS, SEARCH_TOOLS, searchTools } from './tool-search.js';
import type { ForwardedMethod } from '../threads/messages.js';
import type { RequestStateCodec, StatePayload } from './request-state.js';
import { TaskRouter, TASKS_EXTENSION } from './tasks.js';
import type { CatalogLists, VirtualServer } from './virtual-server.js';
import { canAnswer, META_CLIENT_CAPABILITIES, missingCapability } from './versions.js';
import { parsedMemberText } from '../json-member.js';
import { jsonTextString, type JsonText } from '../json-text.js';

const NO_COMPLETIONS = JSON.stringify({ completion: { values: [], total: 0, hasMore: false } });

/** Merged lists are served in pages of this many entries. */
export const PAGE_SIZE = 500;

export type ListMethod = 'tools/list' | 'prompts/list' | 'resources/list' | 'resources/templates/list';

export interface CallContext {
  readonly caller: Caller;
  readonly receivedAt: number;
  readonly requestBytes: number;
  /** The request log's trace id for this request (settled at the front door). */
  readonly traceId: string;
  /** The request's `X-Request-Id`. */
  readonly requestId: string;
  /** The client's `traceparent` header, when it sent one. */
  readonly traceparent?: string;
  /** Progress from the upstream (the notification's params, without the token) as JSON text. */
  readonly onProgress?: (progressJson: string) => void;
  /** Registers what to do when the client goes away or cancels. */
  readonly onCancel: (cancel: (reason: string) => void) => void;
  /** Headers to pass on to an HTTP upstream (the client's `Mcp-Param-*`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The caller's capabilities, declared to the upstream in the request's `_meta`. */
  readonly clientCapabilities?: unknown;
  /** Asks the caller directly (a 2025 session): a 2025 upstream's request for input is relayed as is. */
  readonly onInputRequest?: (method: string, params: unknown) => Promise<unknown>;
  /** The caller answers input requests by retrying (2026-07-28): the call is parked meanwhile. */
  readonly canPark?: boolean;
}

interface Tally {
  route: RoutedCall['route'] | undefined;
  /** The upstream call's span id, when tracing. */
  upstreamSpanId: string | undefined;
  recorded: boolean;
  /** How the call's human approval went, when it needed one. */
  approval: ApprovalRecord | undefined;
  /** The approval question (an `input_required` result) sent instead of an answer. */
  question: string | undefined;
  /** Set once approved: later rounds of the call (the upstream's input requests) must carry the same arguments. */
  approvedHash: string | undefined;
  succeed(outcome: CallOutcomeLabel, timings: { upstreamMs: number; queuedMs: number }, responseBytes: number, resultJson: JsonText): void;
  fail(error: GatewayError, timings?: { upstreamMs: number; queuedMs: number }): void;
}

/** Where a call spent its time outside the gateway. */
interface Timings {
  readonly upstreamMs: number;
  readonly queuedMs: number;
}

const NO_TIMINGS: Timings = { upstreamMs: 0, queuedMs: 0 };

interface ParkedCall {
  readonly route: RoutedCall['route'];
  readonly callerKey: string;
  readonly outcome: Promise<CallOutcome>;
  readonly cancel: (reason: string) => void;
  readonly tally: Tally;
  /** Where the upstream's progress goes: the request now waiting on the call (a retry takes it over), if it asked for progress. */
  readonly progress: { sink: ((progressJson: string) => void) | undefined };
}

/** The key under which a relayed 2025 input request travels in `inputRequests` / `inputResponses`. */
const PARKED_INPUT_KEY = 'input';

/**
 * What an era adds to every list page it serves (2026-07-28: `resultType` and
 * cache hints), cached with the page: the fields must be the same for every
 * page this service serves that era.
 */
export interface ListStamp {
  readonly era: ProtocolEra;
  readonly fields?: Readonly<Record<string, unknown>>;
}

export interface Answer {
  /** The result object as JSON text (bytes for a large plain result, as it crossed from the worker). */
  readonly resultJson: JsonText;
  /** The upstream asked for client input (a modern `input_required` result). */
  readonly inputRequired: boolean;
}

type Entry = Readonly<Record<string, unknown>>;

/** The four lists, as one caller may see them. */
type CatalogView = Readonly<Record<'tools' | 'prompts' | 'resources' | 'resourceTemplates', readonly Entry[]>>;

type EntryRef = MergedCatalog['toolRefs'][number];

const LIST_KEYS: Record<ListMethod, 'tools' | 'prompts' | 'resources' | 'resourceTemplates'> = {
  'tools/list': 'tools',
  'prompts/list': 'prompts',
  'resources/list': 'resources',
  'resources/templates/list': 'resourceTemplates',
};

export class McpService {
  readonly #supervisor: Supervisor;
  readonly #recorder: CallRecorder;

  readonly #states: RequestStateCodec;
  readonly #parking: ParkingLot<ParkedCall>;

  readonly #searchMode: boolean;
  readonly #policy: Policy;
  /** Each catalog as each access view sees it, built on first use (callers share few role sets). */
  #views = new WeakMap<MergedCatalog, Map<string, CatalogView>>();
  /** The rules the cached views were filtered by; a reload brings new ones. */
  #viewsFor: Policy['access'] | undefined;
  /** Serialised list pages (list-cache.ts), keyed under this endpoint's name so a bundle's never mix with `/mcp`'s. */
  readonly #lists: ListCache;
  readonly #listsKey: string;
  readonly tasks: TaskRouter;
  readonly #approvals: Approvals | undefined;
  /** Set for `/mcp/<name>`: the bundle this service lists and routes through. */
  readonly #bundle: VirtualServer | undefined;

  /** In a cluster: sends a retry to the instance its call is parked on. */
  readonly #resumeOn: ((instanceId: string, params: Record<string, unknown>, context: CallContext) => Promise<Answer>) | undefined;

  constructor(
    supervisor: Supervisor,
    recorder: CallRecorder,
    states: RequestStateCodec,
    policy: Policy,
    options: {
      toolDiscovery?: 'full' | 'search';
      approvals?: Approvals;
      resumeOn?: (instanceId: string, params: Record<string, unknown>, context: CallContext) => Promise<Answer>;
      bundle?: VirtualServer;
      /**
       * Another service whose parked calls this one shares: a retry finds its call whichever endpoint
       * (`/mcp`, `/mcp/<name>`, or the internal route of a cluster) it reaches.
       */
      shareParkingWith?: McpService;
      /** The gateway's list cache (shared with REST, one budget); a service of its own otherwise. */
      listCache?: ListCache;
    } = {},
  ) {
    this.#lists = options.listCache ?? new ListCache();
    this.#listsKey = options.bundle === undefined ? 'mcp' : `mcp/${options.bundle.config.name}`;
    this.#approvals = options.approvals;
    this.#parking = options.shareParkingWith === undefined ? new ParkingLot<ParkedCall>() : options.shareParkingWith.#parking;
    this.#supervisor = supervisor;
    this.#resumeOn = options.resumeOn;
    this.#recorder = recorder;
    this.#states = states;
    this.#policy = policy;
    this.#searchMode = options.toolDiscovery === 'search';
    this.#bundle = options.bundle;
    this.tasks = new TaskRouter(supervisor, (caller, serverId) => !policy.tenancy.enabled || policy.scope(caller).seesServer(serverId));
  }

  /** True when what `server/discover` says depends on who asks (multi-tenant mode): it is then `cacheScope: private`. */
  get discoveryIsPrivate(): boolean {
    return this.#policy.tenancy.enabled;
  }

  /** True when list answers depend on who asks (access rules): they are then `cacheScope: private`. */
  get listsArePrivate(): boolean {
    return this.#policy.access.restricts;
  }

  /** The merged catalog as this caller may see it. */
  #view(caller: Caller): CatalogView {
    const merged = this.#supervisor.catalog();
    const catalog: CatalogLists = this.#catalogFor(caller);
    if (!this.#policy.access.restricts) return catalog;
    if (this.#viewsFor !== this.#policy.access) {
      this.#views = new WeakMap();
      this.#viewsFor = this.#policy.access;
    }
    let views = this.#views.get(merged);
    if (views === undefined) this.#views.set(merged, (views = new Map()));
    const key = this.#policy.access.viewKey(caller);
    let view = views.get(key);
    if (view === undefined) {
      const keep = (refs: readonly EntryRef[]) => (_: unknown, i: number) => this.#policy.visible(caller, refs[i]!.serverId, refs[i]!.name);
      view = {
        tools: catalog.tools.filter(keep(catalog.toolRefs)),
        prompts: catalog.prompts.filter(keep(catalog.promptRefs)),
        resources: catalog.resources.filter(keep(catalog.resourceRefs)),
        resourceTemplates: catalog.resourceTemplates.filter(keep(catalog.templateRefs)),
      };
      views.set(key, view);
    }
    return view;
  }

  /** The catalog this endpoint serves the caller: the bundle's, or the caller's tenant view of the merged one. */
  #catalogFor(caller: Caller): CatalogLists {
    if (this.#bundle !== undefined) return this.#bundle.view(this.#bundle.catalogIn(this.#supervisor, this.#policy.tenancy));
    return this.#supervisor.catalog(this.#policy.catalogScope(caller));
  }

  /** What routing and ownership questions are asked of: the bundle's catalog, or the caller's view. */
  #merged(caller: Caller): MergedCatalog {
    return this.#bundle === undefined ? this.#supervisor.catalog(this.#policy.catalogScope(caller)) : this.#bundle.catalogIn(this.#supervisor, this.#policy.tenancy);
  }

  #search(args: Record<string, unknown> | undefined, caller: Caller): Answer {
    const query = args?.query;
    if (typeof query !== 'string') throw new GatewayError('MCPGW_ERR_INVALID_PARAMS', 'search_tools needs a string "query"');
    const found = searchTools(this.#view(caller).tools, query, typeof args?.limit === 'number' ? args.limit : undefined);
    const text = found.length === 0 ? `No tool matches "${query}". Try other words.` : JSON.stringify(found);
    return { resultJson: JSON.stringify({ content: [{ type: 'text', text }], structuredContent: { tools: found } }), inputRequired: false };
  }

  /** Ends calls parked for a client's answer (the gateway is stopping). */
  close(): void {
    this.#parking.clear('the gateway is stopping');
  }

  /**
   * One page of a list as UTF-8 JSON, the era's fields stamped in. Serialised
   * and encoded once per (catalog, access rules, view, page, era) and then
   * served from the cache: a big catalog costs its JSON.stringify and its
   * encoding when it changes, not on every request.
   */
  list(method: ListMethod, params: Record<string, unknown>, caller: Caller, stamp: ListStamp): Uint8Array {
    const offset = decodeCursor(params.cursor);
    const access = this.#policy.access;
    return this.#lists.get([this.#supervisor.catalog(), access], `${this.#listsKey}\n${stamp.era}\n${method}\n${offset}\n${access.viewKey(caller)}`, () => {
      const key = LIST_KEYS[method];
      const all = key === 'tools' && this.#searchMode ? META_TOOLS : this.#view(caller)[key];
      const page = all.slice(offset, offset + PAGE_SIZE);
      const next = offset + PAGE_SIZE < all.length ? { nextCursor: encodeCursor(offset + PAGE_SIZE) } : {};
      return Buffer.from(JSON.stringify({ ...stamp.fields, [key]: page, ...next }));
    });
  }

  /**
   * `paramsText`: `params` as the client's JSON text, when it is that (its arguments are then passed on as sent).
   * `letGo`, called once the call is dispatched with the era of the upstream it went to, drops what the caller
   * holds of its payload (dispatch.ts); this frame lets go of its own then too, keeping the arguments only for a capture.
   */
  async callTool(params: Record<string, unknown>, context: CallContext, paramsText?: string, letGo?: (upstreamEra: ProtocolEra | undefined) => void): Promise<Answer> {
    const name = params.name;
    if (typeof name !== 'string' || name === '') throw new GatewayError('MCPGW_ERR_INVALID_PARAMS', 'tools/call needs a string "name"');
    if (params.arguments !== undefined && (typeof params.arguments !== 'object' || params.arguments === null || Array.isArray(params.arguments))) {
      throw new GatewayError('MCPGW_ERR_INVALID_PARAMS', 'tools/call "arguments" must be an object');
    }
    if (this.#searchMode && name === SEARCH_TOOLS) return this.#search(params.arguments as Record<string, unknown> | undefined, context.caller);
    if (this.#searchMode && name === CALL_TOOL) {
      const inner = (params.arguments ?? {}) as { name?: unknown; arguments?: unknown };
      const { arguments: _outer, ...rest } = params;
      return this.callTool({ ...rest, name: inner.name, ...(inner.arguments === undefined ? {} : { arguments: inner.arguments }) }, context);
    }
    // A multi-round-trip retry carries the client's answers and the upstream's state back to it.
    const { _meta, requestState } = params;
    const extraParams = extraParamsOf(params);
    const tally = this.#tally(name, this.#recorder.capture === undefined ? undefined : params.arguments, _meta, context);
    let state: StatePayload | undefined;
    try {
      state = requestState === undefined ? undefined : this.#states.unwrap(requestState);
      if (state !== undefined && state.p !== context.caller.key) throw new GatewayError('MCPGW_ERR_BAD_REQUEST_STATE', 'requestState refused: it was issued to another caller');
    } catch (error) {
      // A refused retry is a call that ended here: logged like any other, never dispatched.
      tally.fail(toGatewayError(error));
      throw error;
    }
    if (state?.k !== undefined) {
      if (state.i !== undefined && state.i !== this.#states.instanceId && this.#resumeOn !== undefined) return this.#resumeOn(state.i, params, context);
      return this.#resumeParked(state.k, params, context);
    }
    try {
      const route = this.#bundle === undefined ? this.#supervisor.route(name, state?.s, this.#policy.catalogScope(context.caller)) : this.#bundle.routeTool(this.#merged(context.caller), name);
      tally.route = route;
      // Before anything is dispatched: a state replayed on another tool must never reach an upstream.
      if (state && state.t !== route.tool) throw new GatewayError('MCPGW_ERR_BAD_REQUEST_STATE', `requestState refused: it belongs to tool "${state.t}", not "${route.tool}"`);
      await this.#policy.admit(context.caller, 'tool', route.serverId, route.tool);
      // Without a matching rule (the common case) no promise is awaited here: the hot path stays as it was.
      const requirement = this.#approvals?.requirement(route.serverId, route.tool);
      const approval = requirement === undefined && state?.a === undefined ? undefined : await this.#approve(route, params.arguments, state, requirement, extraParams, context, tally);
      if (approval === 'asked') return { resultJson: tally.question!, inputRequired: true };
      if (state?.u !== undefined) extraParams.requestState = state.u;
      const upstream = this.#recorder.upstreamTrace(context.traceId);
      tally.upstreamSpanId = upstream?.spanId;
      if (context.clientCapabilities !== undefined || upstream !== undefined) {
        extraParams._meta = { ...(context.clientCapabilities !== undefined ? { [META_CLIENT_CAPABILITIES]: context.clientCapabilities } : {}), ...(upstream ? { traceparent: upstream.traceparent } : {}) };
      }
      const headers = upstream === undefined ? context.headers : { ...context.headers, traceparent: upstream.traceparent };
      const events = new CallEvents();
      // Through a holder only when progress was asked for: a parked call's retry then takes the progress over.
      const progress = { sink: context.onProgress };
      const call = this.#supervisor.callTool(route, params.arguments, {
        caller: context.caller,
        extraParams,
        argumentsText: paramsText === undefined || params.arguments === undefined ? undefined : parsedMemberText(paramsText, 'arguments'),
        // The upstream's timeout counts from dispatch: a call that waited for approval gets all of it.
        deadlineFor: (timeoutMs) => (approval === undefined ? context.receivedAt : approval) + timeoutMs,
        onProgress: context.onProgress ? (progressJson: string) => progress.sink?.(progressJson) : undefined,
        headers,
        onInputRequest: (method, paramsJson) => this.#inputRequest(method, paramsJson, context, events),
      });
      tally.route = call.route;
      paramsText = undefined;
      letGo?.(this.#supervisor.group(call.route.serverId)?.identity?.era);
      context.onCancel(call.cancel);
      const parked: ParkedCall = { route: call.route, callerKey: context.caller.key, outcome: call.outcome.finally(() => events.push({ kind: 'done' })), cancel: call.cancel, tally, progress };
      return await this.#nextAnswer(events, parked);
    } catch (error) {
      const gatewayError = toGatewayError(error);
      if (!tally.recorded) tally.fail(gatewayError);
      throw gatewayError;
    }
  }

  /**
   * Human approval, before anything is dispatched. Returns undefined (no rule
   * matched), the time it was approved, or `asked`: the question went out as
   * an `input_required` result (in `tally.question`) and the retry answers it.
   * Any other end throws the typed refusal.
   */
  async #approve(
    route: RoutedCall['route'],
    args: unknown,
    state: StatePayload | undefined,
    requirement: ApprovalRequirement | undefined,
    extraParams: Record<string, unknown>,
    context: CallContext,
    tally: Tally,
  ): Promise<number | 'asked' | undefined> {
    if (this.#approvals === undefined) return undefined;
    const subject = { serverId: route.serverId, tool: route.tool, arguments: args };
    let record: ApprovalRecord;
    if (state?.n !== undefined) {
      // The retry answering the question (the state's caller and tool were checked already); never sent upstream.
      record = this.#approvals.answered(state, subject, extraParams.inputResponses, context.caller);
      delete extraParams.inputResponses;
    } else if (state?.u !== undefined && state.a !== undefined) {
      // A later round of a call approved already (the upstream asked for input): the same call, so the same arguments.
      if (state.a !== argumentsHash(subject)) throw new GatewayError('MCPGW_ERR_BAD_REQUEST_STATE', 'requestState refused: the call it continues was approved with other arguments');
      return undefined;
    } else if (requirement === undefined) {
      return undefined;
    } else if (requirement.askClient && canAnswer(context.clientCapabilities, 'elicitation/create') && context.onInputRequest) {
      record = await this.#approvals.askSession(subject, context.caller, requirement, context.onInputRequest);
    } else if (requirement.askClient && canAnswer(context.clientCapabilities, 'elicitation/create') && context.canPark) {
      tally.question = this.#approvals.inputRequired(subject, context.caller.key, requirement, this.#states);
      return 'asked';
    } else {
      record = await this.#approvals.hold(subject, context.caller, 'mcp', requirement, context.onCancel);
    }
    tally.approval = record;
    const refusal = approvalRefusal(record, subject, requirement);
    if (refusal !== undefined) throw refusal;
    tally.approvedHash = argumentsHash(subject);
    return Date.now();
  }

  /**
   * A 2025 upstream asks for input mid-call. A caller that can be asked directly
   * (a 2025 session) is; otherwise (a 2026-07-28 client) the request becomes an
   * event that turns the client's pending answer into `input_required`.
   */
  #inputRequest(method: string, paramsJson: string, context: CallContext, events?: CallEvents): Promise<string> {
    const params: unknown = JSON.parse(paramsJson);
    if (context.onInputRequest) return context.onInputRequest(method, params).then((result) => JSON.stringify(result));
    // Parking is for tools/call; prompts and resources asking a 2026-07-28 client mid-read are refused.
    if (!context.canPark || events === undefined) return Promise.reject(new GatewayError('MCPGW_ERR_INPUT_REQUIRED', `the upstream asked for ${method}, which this caller cannot answer here`));
    // Never park a call on a question the client cannot answer: it would wait for nothing.
    if (!canAnswer(context.clientCapabilities, method)) return Promise.reject(missingCapability(method));
    return new Promise((resolve, reject) => events.push({ kind: 'input', method, params, answer: (result) => resolve(JSON.stringify(result)), refuse: reject }));
  }

  /** Waits for the call's next event: its end (the answer), or an input request (answered now with `input_required`). */
  async #nextAnswer(events: CallEvents, parked: ParkedCall): Promise<Answer> {
    const event = await events.next();
    if (event.kind === 'input') {
      const key = this.#parking.park({ events, input: event, data: parked }, this.#states.ttlMs, (expired) => {
        expired.input.refuse(new GatewayError('MCPGW_ERR_TIMEOUT', 'the client did not answer the input request in time'));
        expired.data.cancel('the client did not answer the input request in time');
      });
      const inputRequired = {
        resultType: 'input_required',
        inputRequests: { [PARKED_INPUT_KEY]: { method: event.method, params: event.params } },
        requestState: this.#states.wrap(parked.route.serverId, parked.route.tool, parked.callerKey, { parkedKey: key }),
      };
      return { resultJson: JSON.stringify(inputRequired), inputRequired: true };
    }
    const outcome = await parked.outcome;
    const timings = { upstreamMs: outcome.upstreamMs, queuedMs: outcome.queuedMs };
    if (!outcome.ok) {
      parked.tally.fail(outcome.error, timings);
      throw outcome.error;
    }
    parked.tally.succeed(outcome.toolError ? 'tool_error' : 'ok', timings, outcome.result.length, outcome.result);
    // The upstream made a task: its id must name the replica it lives on (rare, so the parse is fine).
    if (outcome.task) return { resultJson: this.tasks.issue(jsonTextString(outcome.result), parked.route.serverId, outcome.replica, parked.callerKey), inputRequired: false };
    if (!outcome.inputRequired) return { resultJson: outcome.result, inputRequired: false };
    return { resultJson: this.#wrapState(jsonTextString(outcome.result), parked.route.serverId, parked.route.tool, parked.callerKey, parked.tally.approvedHash), inputRequired: true };
  }

  /** The client's retry for a parked call: its answer goes to the waiting upstream request, then the call goes on. */
  #resumeParked(key: string, params: Record<string, unknown>, context: CallContext): Promise<Answer> {
    const entry = this.#parking.take(key);
    if (!entry) throw new GatewayError('MCPGW_ERR_BAD_REQUEST_STATE', 'requestState refused: the call it belongs to is no longer waiting (it expired, ended, or is held by another gateway instance)');
    const response = (params.inputResponses as Record<string, unknown> | undefined)?.[PARKED_INPUT_KEY];
    if (response === undefined) {
      entry.input.refuse(new GatewayError('MCPGW_ERR_INVALID_PARAMS', 'the client retried without answering the input request'));
    } else {
      entry.input.answer(response);
    }
    context.onCancel(entry.data.cancel);
    // The first request is answered: progress from here on belongs to this one (dropped if it did not ask).
    entry.data.progress.sink = context.onProgress;
    return this.#nextAnswer(entry.events, entry.data);
  }

  /** Counts a call exactly once, wherever it ends. */
  #tally(name: string, args: unknown, meta: unknown, context: CallContext, method: RecordedMethod = 'tools/call'): Tally {
    const recorder = this.#recorder;
    const policy = this.#policy;
    const tally: Tally = {
      route: undefined,
      upstreamSpanId: undefined,
      recorded: false,
      approval: undefined,
      question: undefined,
      approvedHash: undefined,
      succeed(outcome, timings, responseBytes, resultJson) {
        record(outcome, timings, responseBytes, undefined, resultJson);
      },
      fail(error, timings = { upstreamMs: 0, queuedMs: 0 }) {
        record(outcomeOf(error), timings, 0, error);
      },
    };
    function record(outcome: CallOutcomeLabel, timings: { upstreamMs: number; queuedMs: number }, responseBytes: number, error?: GatewayError, resultJson?: JsonText): void {
      tally.recorded = true;
      const server = tally.route?.serverId ?? null;
      // Undefined fields are as good as absent to the recorder; no spreads on the per-call path.
      recorder.record({
        via: 'mcp',
        method: method === 'tools/call' ? undefined : method,
        caller: context.caller.name,
        tenant: policy.tenancy.sliceOf(context.caller, server),
        receivedAt: context.receivedAt,
        traceId: context.traceId,
        requestId: context.requestId,
        server,
        tool: tally.route?.tool ?? name,
        outcome,
        httpStatus: error ? error.status : 200,
        requestBytes: context.requestBytes,
        responseBytes,
        upstreamMs: timings.upstreamMs,
        queuedMs: timings.queuedMs,
        arguments: args,
        meta,
        resultJson,
        error,
        clientTraceparent: context.traceparent,
        upstreamSpanId: tally.upstreamSpanId,
        approval: tally.approval,
      });
    }
    return tally;
  }

  async readResource(params: Record<string, unknown>, context: CallContext): Promise<Answer> {
    if (typeof params.uri !== 'string' || params.uri === '') throw new GatewayError('MCPGW_ERR_INVALID_PARAMS', 'resources/read needs a string "uri"');
    const uri = params.uri;
    return this.#recordedForward('resources/read', uri, context, async (tally, timed) => {
      const serverId = this.#resourceOwner(uri, context.caller);
      tally.route = { serverId, tool: uri };
      await this.#policy.admit(context.caller, 'resource', serverId, uri);
      return this.#forward(serverId, 'resources/read', params, context, timed);
    });
  }

  async getPrompt(params: Record<string, unknown>, context: CallContext): Promise<Answer> {
    if (typeof params.name !== 'string' || params.name === '') throw new GatewayError('MCPGW_ERR_INVALID_PARAMS', 'prompts/get needs a string "name"');
    const name = params.name;
    return this.#recordedForward('prompts/get', name, context, async (tally, timed) => {
      const route = this.#routePrompt(name, context.caller);
      tally.route = { serverId: route.serverId, tool: route.prompt };
      await this.#policy.admit(context.caller, 'prompt', route.serverId, route.prompt);
      return this.#forward(route.serverId, 'prompts/get', { ...params, name: route.prompt }, context, timed);
    });
  }

  /**
   * A resource read or prompt get, counted in the metrics and the request log
   * as the REST routes count them, however it ends. `run` sets the tally's
   * route once routing found it (until then the entry names no server: a
   * client's unknown name never becomes a metrics label) and hands `timed` on
   * to the forward, which reports the upstream's timings.
   */
  async #recordedForward(method: 'resources/read' | 'prompts/get', requested: string, context: CallContext, run: (tally: Tally, timed: (timings: Timings) => void) => Promise<Answer>): Promise<Answer> {
    const tally = this.#tally(requested, undefined, undefined, context, method);
    let timings = NO_TIMINGS;
    try {
      const answer = await run(tally, (measured) => (timings = measured));
      tally.succeed('ok', timings, answer.resultJson.length, answer.resultJson);
      return answer;
    } catch (error) {
      const failure = toGatewayError(error);
      tally.fail(failure, timings);
      throw failure;
    }
  }

  #routePrompt(name: string, caller: Caller): { serverId: string; prompt: string } {
    const catalog = this.#merged(caller);
    return this.#bundle === undefined ? catalog.routePrompt(name) : this.#bundle.routePrompt(catalog, name);
  }

  /** Which server owns a URI, as this endpoint sees the catalog for this caller (a bundle holds only its own, a tenant only its view). */
  resourceOwner(uri: string, caller: Caller): string {
    return this.#resourceOwner(uri, caller);
  }

  #resourceOwner(uri: string, caller: Caller): string {
    const catalog = this.#merged(caller);
    return this.#bundle === undefined ? catalog.resourceOwner(uri) : this.#bundle.resourceOwner(catalog, uri);
  }

  /**
   * What the gateway offers: lists always (they may change), completions when
   * some upstream completes, resource subscriptions when some ready upstream
   * takes them (a URI on another server is refused with a clear error). With
   * a caller, only the upstreams it can reach count (another tenant's do not).
   */
  capabilities(era: 'modern' | 'legacy', caller?: Caller): Record<string, unknown> {
    const scope = caller !== undefined && this.#policy.tenancy.enabled ? this.#policy.scope(caller) : undefined;
    const groups = scope === undefined ? this.#supervisor.groups() : this.#supervisor.groups().filter((group) => scope.seesServer(group.config.id));
    const tasks = era === 'legacy' ? this.tasks.legacyCapability(caller) : undefined;
    const extension = era === 'modern' && this.tasks.extension(caller);
    const completes = groups.some((group) => group.identity !== undefined && 'completions' in group.identity.capabilities);
    const subscribes = groups.some((group) => (group.state === 'ready' || group.state === 'unhealthy') && group.subscribesResources);
    return {
      tools: { listChanged: true },
      resources: { listChanged: true, ...(subscribes ? { subscribe: true } : {}) },
      prompts: { listChanged: true },
      ...(completes ? { completions: {} } : {}),
      ...(tasks ? { tasks } : {}),
      ...(extension ? { extensions: { [TASKS_EXTENSION]: {} } } : {}),
    };
  }

  /**
   * Completion follows its reference: a prompt (by name) or a resource
   * template (by URI). An owner that offers no completions gets no request:
   * the answer is "no suggestions", as a server without the feature would mean.
   */
  async complete(params: Record<string, unknown>, context: CallContext): Promise<Answer> {
    const ref = params.ref as { type?: unknown; name?: unknown; uri?: unknown } | undefined;
    let serverId: string;
    let forwarded = params;
    if (ref?.type === 'ref/prompt' && typeof ref.name === 'string') {
      const route = this.#routePrompt(ref.name, context.caller);
      serverId = route.serverId;
      forwarded = { ...params, ref: { ...ref, name: route.prompt } };
      await this.#policy.admit(context.caller, 'prompt', serverId, route.prompt);
    } else if (ref?.type === 'ref/resource' && typeof ref.uri === 'string') {
      serverId = this.#resourceOwner(ref.uri, context.caller);
      await this.#policy.admit(context.caller, 'resource', serverId, ref.uri);
    } else {
      throw new GatewayError('MCPGW_ERR_INVALID_PARAMS', 'completion/complete needs ref {type: "ref/prompt", name} or {type: "ref/resource", uri}');
    }
    if (!('completions' in (this.#supervisor.group(serverId)?.identity?.capabilities ?? {}))) {
      return { resultJson: NO_COMPLETIONS, inputRequired: false };
    }
    return this.#forward(serverId, 'completion/complete', forwarded, context);
  }

  /** An input_required result: the upstream's state goes inside the gateway's signed one (a rare path, so a parse is fine). */
  #wrapState(resultJson: string, serverId: string, target: string, callerKey: string, approvedHash?: string): string {
    const result = JSON.parse(resultJson) as { requestState?: unknown };
    const upstream = typeof result.requestState === 'string' ? result.requestState : undefined;
    const inside = { ...(upstream === undefined ? {} : { upstreamState: upstream }), ...(approvedHash === undefined ? {} : { approvedHash }) };
    return JSON.stringify({ ...result, requestState: this.#states.wrap(serverId, target, callerKey, inside) });
  }

  async #forward(serverId: string, method: ForwardedMethod, params: Record<string, unknown>, context: CallContext, timed?: (timings: Timings) => void): Promise<Answer> {
    const { _meta, ...rest } = params;
    const forwarded = context.clientCapabilities === undefined ? rest : { ...rest, _meta: { [META_CLIENT_CAPABILITIES]: context.clientCapabilities } };
    const call = this.#supervisor.forward(serverId, method, JSON.stringify(forwarded), {
      caller: context.caller,
      deadlineFor: (timeoutMs) => context.receivedAt + timeoutMs,
      ...(context.onProgress ? { onProgress: context.onProgress } : {}),
      ...(context.headers ? { headers: context.headers } : {}),
      onInputRequest: (inputMethod, paramsJson) => this.#inputRequest(inputMethod, paramsJson, context),
    });
    context.onCancel(call.cancel);
    const outcome = await call.outcome;
    timed?.({ upstreamMs: outcome.upstreamMs, queuedMs: outcome.queuedMs });
    if (!outcome.ok) throw outcome.error;
    return { resultJson: outcome.result, inputRequired: outcome.inputRequired };
  }
}

function encodeCursor(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

function decodeCursor(cursor: unknown): number {
  if (cursor === undefined || cursor === null) return 0;
  try {
    const { o } = JSON.parse(Buffer.from(String(cursor), 'base64url').toString('utf8')) as { o?: unknown };
    if (typeof o === 'number' && Number.isInteger(o) && o >= 0) return o;
  } catch {
    // Fall through.
  }
  throw new GatewayError('MCPGW_ERR_INVALID_PARAMS', `invalid cursor "${String(cursor)}"`);
}

/** A tools/call's params other than its name, arguments, `_meta` and `requestState`: passed on upstream as they came. */
function extraParamsOf(params: Record<string, unknown>): Record<string, unknown> {
  const { _meta, name: _name, arguments: _arguments, requestState: _state, ...extra } = params;
  return extra;
}
