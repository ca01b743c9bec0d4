/**
 * Pending approvals: calls held until a person decides. Each row shows the
 * call (arguments as the gateway redacted them) with Approve / Deny and an
 * optional reason; the decision goes to the same route an approver's script
 * would use (`POST /api/v1/approvals/:id`).
 */
import type { Api } from './api.js';
import { h } from './dom.js';
import type { PendingApproval } from './types.js';

export class ApprovalsView {
  readonly #api: Api;
  readonly #body: HTMLTableSectionElement;
  readonly #count: HTMLElement;
  readonly #changed: () => void;
  readonly #say: (text: string) => void;
  /** Reasons being typed survive the next poll's redraw. */
  readonly #reasons = new Map<string, string>();

  constructor(api: Api, elements: { body: HTMLTableSectionElement; count: HTMLElement }, changed: () => void, say: (text: string) => void) {
    this.#api = api;
    this.#body = elements.body;
    this.#count = elements.count;
    this.#changed = changed;
    this.#say = say;
  }

  async refresh(): Promise<void> {
    const { approvals } = await this.#api.get<{ approvals: readonly PendingApproval[] }>('/api/v1/approvals');
    this.#render(approvals);
  }

  #render(approvals: readonly PendingApproval[]): void {
    const live = new Set(approvals.map((approval) => approval.id));
    for (const id of this.#reasons.keys()) if (!live.has(id)) this.#reasons.delete(id);
    this.#count.textContent = approvals.length === 0 ? '' : `${approvals.length} waiting`;
    const rows = approvals.map((approval) => this.#row(approval));
    this.#body.replaceChildren(...(rows.length > 0 ? rows : [h('tr', {}, h('td', { colspan: '6', class: 'empty' }, 'No call waits for approval.'))]));
  }

  #row(approval: PendingApproval): HTMLTableRowElement {
    const reason = h('input', { type: 'text', placeholder: 'reason (optional)', 'aria-label': `reason for ${approval.tool}`, maxlength: '500', 'data-field': 'reason' });
    reason.value = this.#reasons.get(approval.id) ?? '';
    reason.addEventListener('input', () => this.#reasons.set(approval.id, reason.value));
    const approve = h('button', { type: 'button', class: 'approve', 'data-action': 'approve' }, 'Approve');
    const deny = h('button', { type: 'button', class: 'deny', 'data-action': 'deny' }, 'Deny');
    for (const [button, decision] of [[approve, 'approve'], [deny, 'deny']] as const) {
      button.addEventListener('click', () => {
        approve.disabled = deny.disabled = true;
        void this.#decide(approval, decision, reason.value.trim());
      });
    }
    const args = typeof approval.arguments === 'string' ? approval.arguments : JSON.stringify(approval.arguments, null, 2);
    return h(
      'tr',
      { 'data-approval': approval.id },
      h('th', { scope: 'row' }, h('code', {}, `${approval.server}/${approval.tool}`)),
      h('td', {}, approval.caller, h('small', { class: 'muted' }, ` via ${approval.via}${approval.instance !== undefined ? ` on ${approval.instance}` : ''}`)),
      h('td', {}, h('pre', { class: 'args' }, args)),
      h('td', {}, new Date(approval.createdAt).toLocaleTimeString(undefined, { hour12: false })),
      h('td', {}, new Date(approval.expiresAt).toLocaleTimeString(undefined, { hour12: false })),
      h('td', {}, h('div', { class: 'decide' }, reason, approve, deny)),
    );
  }

  async #decide(approval: PendingApproval, decision: 'approve' | 'deny', reason: string): Promise<void> {
    try {
      await this.#api.post(`/api/v1/approvals/${encodeURIComponent(approval.id)}`, { decision, ...(reason !== '' ? { reason } : {}) });
      this.#say(`${decision === 'approve' ? 'Approved' : 'Denied'}: ${approval.server}/${approval.tool} for ${approval.caller}.`);
    } catch (error) {
      // Most often: it timed out or its client went away just before the click.
      this.#say(`Could not ${decision} ${approval.server}/${approval.tool}: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.#reasons.delete(approval.id);
    this.#changed();
  }
}
