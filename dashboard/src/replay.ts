/**
 * The request detail's replay panel: the call sent again through
 * `POST /api/v1/requests/:id/replay`, to its own server or another, and what
 * came back against what was captured. A tool not annotated read-only needs
 * the confirm box (without it the gateway only says what it would send);
 * redacted arguments need their values, given as JSON merged over the capture.
 */
import { ApiError, type Api } from './api.js';
import { h } from './dom.js';
import type { JsonChange, ReplayReply, RequestEntry, ToolList } from './types.js';

const ARGUMENTS = '/request/arguments';

export function replayPanel(api: Api, entry: RequestEntry, servers: readonly string[]): HTMLElement {
  const captured = entry.captured;
  const redacted = (captured?.redacted ?? []).filter((pointer) => pointer.startsWith(`${ARGUMENTS}/`)).map((pointer) => pointer.slice(ARGUMENTS.length));
  const truncated = captured?.truncated?.includes('arguments') === true;
  const server = h('select', { 'data-replay': 'server' }, ...[...new Set([...(entry.server === null ? [] : [entry.server]), ...servers])].map((id) => h('option', { value: id }, id)));
  if (entry.server !== null) server.value = entry.server;
  const confirmBox = h('input', { type: 'checkbox', 'data-replay': 'confirm' });
  const confirm = h('label', { class: 'confirm' }, confirmBox, ' confirm: this tool is not annotated read-only, replaying it may change something');
  // The shape to fill in is a placeholder: left empty, nothing is sent and the gateway says what is missing.
  const overrides = redacted.length > 0 || truncated ? h('textarea', { 'data-replay': 'arguments', rows: '3', spellcheck: 'false', placeholder: truncated ? '{"…": "…"}' : JSON.stringify(skeleton(redacted)) }) : undefined;
  const run = h('button', { type: 'button', 'data-replay': 'run' }, 'Replay');
  const output = h('div', { 'data-replay': 'output' });

  let tools: ToolList | undefined;
  const updateConfirm = (): void => {
    const tool = tools?.tools.find((candidate) => candidate.server === server.value && candidate.name === entry.tool);
    confirm.hidden = tool?.annotations?.readOnlyHint === true;
    if (confirm.hidden) confirmBox.checked = false;
  };
  // Which tools are read-only comes from the catalog; until it is known the box shows (the safe side).
  void api.get<ToolList>('/api/v1/tools').then((list) => {
    tools = list;
    updateConfirm();
  }, () => undefined);
  server.addEventListener('change', updateConfirm);

  run.addEventListener('click', () => {
    let given: unknown;
    if (overrides !== undefined && overrides.value.trim() !== '') {
      try {
        given = JSON.parse(overrides.value);
      } catch (error) {
        output.replaceChildren(h('p', { class: 'error-text' }, `The arguments are not JSON: ${error instanceof Error ? error.message : String(error)}`));
        return;
      }
    }
    const body = { server: server.value, confirm: confirmBox.checked, ...(given !== undefined ? { arguments: given } : {}) };
    run.disabled = true;
    output.replaceChildren(h('p', { class: 'muted' }, 'Replaying…'));
    api
      .post<ReplayReply>(`/api/v1/requests/${entry.id}/replay`, body)
      .then(
        (reply) => output.replaceChildren(...shown(reply)),
        (error: unknown) => output.replaceChildren(h('p', { class: 'error-text', 'data-replay': 'error' }, error instanceof ApiError ? `${error.code}: ${error.message}` : String(error))),
      )
      .finally(() => (run.disabled = false));
  });

  return h(
    'section',
    { class: 'replay' },
    h('h4', {}, 'Replay'),
    h('div', { class: 'replay-controls' }, h('label', {}, 'to server ', server), confirm),
    overrides === undefined ? null : h('label', { class: 'overrides' }, truncated ? 'arguments (the captured ones were cut; give them whole, as JSON)' : `values of the redacted fields ${redacted.join(', ')} (JSON, merged over the captured arguments)`, overrides),
    run,
    output,
  );
}

/** `{"password": "", "nested": {"token": ""}}` for /password and /nested/token: what the user fills in. */
function skeleton(pointers: readonly string[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const pointer of pointers) {
    const segments = pointer.slice(1).split('/').map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
    let here = root;
    segments.forEach((segment, i) => {
      if (i === segments.length - 1) here[segment] = '';
      else here = (here[segment] ??= {}) as Record<string, unknown>;
    });
  }
  return root;
}

function shown(reply: ReplayReply): Node[] {
  const target = `${reply.request.server}/${reply.request.tool}`;
  if (reply.dryRun) {
    return [
      h('p', { 'data-replay': 'dry-run' }, h('span', { class: 'badge warn' }, 'dry run'), ` Nothing was sent to ${target}. ${reply.reason ?? ''}`),
      h('h5', {}, 'would send'),
      h('pre', { 'data-replay': 'request' }, JSON.stringify(reply.request.arguments ?? {}, null, 2)),
    ];
  }
  const nodes: Node[] = [
    h('p', { 'data-replay': 'status' }, `${target}: ${reply.status ?? ''} (HTTP ${reply.httpStatus ?? ''})`, reply.logId ? h('small', {}, ` · logged as #${reply.logId}`) : null),
  ];
  const diff = reply.diff;
  if (diff === undefined || !diff.comparable) nodes.push(h('p', { class: 'muted', 'data-replay': 'not-compared' }, `Not compared: ${diff?.reason ?? 'no diff'}`));
  else if (diff.identical === true) nodes.push(h('p', { 'data-replay': 'identical' }, h('span', { class: 'badge good' }, 'identical'), ' The answer is the same as the captured one.'));
  else nodes.push(h('h5', {}, `${diff.changes?.length ?? 0} changed against the capture`), diffTable(diff.changes ?? []));
  nodes.push(h('h5', {}, reply.error ? 'error' : 'result'), h('pre', { 'data-replay': 'result' }, JSON.stringify(reply.error ?? reply.result, null, 2)));
  return nodes;
}

function diffTable(changes: readonly JsonChange[]): HTMLElement {
  const value = (present: boolean, v: unknown) => (present ? JSON.stringify(v) : '–');
  return h(
    'table',
    { 'data-replay': 'diff', class: 'diff' },
    h('thead', {}, h('tr', {}, h('th', {}, 'path'), h('th', {}, 'change'), h('th', {}, 'captured'), h('th', {}, 'now'))),
    h(
      'tbody',
      {},
      ...changes.map((change) =>
        h(
          'tr',
          { 'data-kind': change.kind },
          h('td', { class: 'mono', 'data-field': 'path' }, change.path === '' ? '(whole)' : change.path),
          h('td', { 'data-field': 'kind' }, change.kind),
          h('td', { class: 'mono', 'data-field': 'before' }, value(change.kind !== 'added', change.before)),
          h('td', { class: 'mono', 'data-field': 'after' }, value(change.kind !== 'removed', change.after)),
        ),
      ),
    ),
  );
}
