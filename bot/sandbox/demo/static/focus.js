// Keyboard focus across re-renders and inside the modal.
//
// The page rebuilds a pane's DOM whenever the workspace changes, which would drop the
// focus of whoever uses the keyboard. A control in a message is therefore found again
// by what it is (pane, message ts, action id), not by its node.

const FOCUSABLE = [
  "a[href]", "button:not([disabled])", "select:not([disabled])", "textarea:not([disabled])",
  "input:not([disabled])", "[tabindex]:not([tabindex='-1'])",
].join(", ");

export function focusables(container) {
  return [...container.querySelectorAll(FOCUSABLE)].filter(
    (node) => !node.closest("[hidden]") && node.getClientRects().length > 0,
  );
}

// Where a control sits in a conversation, or null for controls outside the panes.
export function focusKey(node) {
  const message = node?.closest?.(".msg[data-ts]");
  const pane = node?.closest?.("#messages, #thread-messages");
  if (!message || !pane) return null;
  return {
    pane: pane.id,
    ts: message.dataset.ts,
    action: node.dataset?.actionId || null,
    summary: node.classList.contains("thread-summary"),
  };
}

// The same control after a re-render; the message itself when the control is gone
// (a card whose Reject button went away once the lead was rejected).
export function findByKey(key, { fallbackToMessage = false } = {}) {
  if (!key) return null;
  const message = document.querySelector(`#${key.pane} .msg[data-ts="${CSS.escape(key.ts)}"]`);
  if (!message) return null;
  let control = null;
  if (key.action) control = message.querySelector(`[data-action-id="${CSS.escape(key.action)}"]:not([disabled])`);
  else if (key.summary) control = message.querySelector(".thread-summary");
  return control || (fallbackToMessage ? message : null);
}

// Run `rebuild()` and give the focus back to the same control if it was in `container`,
// or to its message if the control went away (rather than dropping it on <body>).
export function keepingFocus(container, rebuild) {
  const active = document.activeElement;
  const key = container.contains(active) ? focusKey(active) : null;
  rebuild();
  if (key && !container.contains(document.activeElement)) {
    findByKey(key, { fallbackToMessage: true })?.focus({ preventScroll: true });
  }
}

// Keep Tab and Shift+Tab inside `container` (the open modal).
export function trapTab(event, container) {
  const nodes = focusables(container);
  if (!nodes.length) {
    event.preventDefault();
    return;
  }
  const first = nodes[0];
  const last = nodes[nodes.length - 1];
  const active = document.activeElement;
  const inside = container.contains(active);
  if (event.shiftKey && (active === first || !inside)) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && (active === last || !inside)) {
    event.preventDefault();
    first.focus();
  }
}
