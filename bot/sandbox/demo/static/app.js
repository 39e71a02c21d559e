// The demo page: state from /demo/api/state, updates over server-sent events, and
// every action sent to the demo API, which turns it into the real Slack request.
// DOM is built with render.js helpers (textContent only), never innerHTML.

import { findByKey, focusables, focusKey, keepingFocus, trapTab } from "./focus.js";
import { counted, el, mrkdwn, own, plainString, renderBlocks } from "./render.js";

const $ = (selector) => document.querySelector(selector);
const params = new URLSearchParams(window.location.search);

const ui = {
  as: params.get("as") || localStorage.getItem("handoff-demo-as") || "U0REP1",
  channel: params.get("channel") || null,
  thread: null, // ts of the open thread
  state: null,
  fetchedAt: 0, // performance.now() when state arrived
  viewKey: null,
  dismissed: new Set(),
  seen: {}, // `${as}:${channel}` -> message count the person has seen
  lastControl: null, // {node, key} of the last message control used: a modal's opener
  modalReturn: null, // where the focus goes back to when the modal closes
};

const GUIDE_DISMISSED = "handoff-demo-guide-dismissed";

// ------------------------------------------------------------------- API calls

async function api(path, body) {
  const response = await fetch(`/demo/api/${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  let answer = {};
  try {
    answer = await response.json();
  } catch {
    answer = { error: `HTTP ${response.status}` };
  }
  if (!response.ok) throw new Error(answer.error || `HTTP ${response.status}`);
  if (answer.bot_status !== undefined && answer.bot_status !== 200) {
    throw new Error(`The bot answered HTTP ${answer.bot_status}`);
  }
  return answer;
}

let fetching = false;
let again = false;

async function refresh() {
  if (fetching) {
    again = true;
    return;
  }
  fetching = true;
  try {
    do {
      again = false;
      const response = await fetch(`/demo/api/state?as=${encodeURIComponent(ui.as)}`, { cache: "no-store" });
      if (!response.ok) throw new Error(`state: HTTP ${response.status}`);
      const state = await response.json();
      ui.state = state;
      ui.fetchedAt = performance.now();
      render();
    } while (again);
  } catch (error) {
    toast(`Lost the demo server (${error.message}); retrying…`, "error");
  } finally {
    fetching = false;
  }
}

function listen() {
  const events = new EventSource("/demo/api/events");
  events.addEventListener("change", () => refresh());
}

// ---------------------------------------------------------------------- time

function demoNow() {
  if (!ui.state) return Date.now() / 1000;
  return ui.state.now + (performance.now() - ui.fetchedAt) / 1000;
}

function formatClock(epoch, tz) {
  return new Intl.DateTimeFormat("en-US", {
    timeZone: tz, weekday: "short", day: "numeric", month: "short", hour: "numeric", minute: "2-digit",
  }).format(new Date(epoch * 1000));
}

function formatMessageTime(epoch, tz) {
  return new Intl.DateTimeFormat("en-US", { timeZone: tz, hour: "numeric", minute: "2-digit" }).format(new Date(epoch * 1000));
}

function tickClock() {
  if (!ui.state) return;
  const now = demoNow();
  const clock = $("#demo-clock");
  clock.textContent = formatClock(now, ui.state.timezone);
  clock.dataset.now = String(Math.floor(now));
  const ahead = ui.state.offset;
  const offset = $("#demo-offset");
  offset.textContent = ahead > 0 ? `${describeSeconds(ahead)} ahead` : "";
  offset.dataset.offset = String(ahead);
}

function describeSeconds(seconds) {
  // Whole hours first: a day's jump that the walk made a few ms short is still "1d".
  const totalHours = Math.round(seconds / 3600);
  const days = Math.floor(totalHours / 24);
  const hours = totalHours % 24;
  return [days ? `${days}d` : "", hours ? `${hours}h` : ""].join(" ").trim() || "<1h";
}

// -------------------------------------------------------------------- render

function renderContext(interactive, channel) {
  const state = ui.state;
  const channelNames = {};
  for (const c of state.channels) channelNames[c.id] = c.name;
  const person = own(state.users, channel?.user);
  return {
    users: state.users,
    usergroups: state.usergroups,
    channelNames,
    me: state.me,
    tz: own(state.users, state.me)?.tz || state.timezone,
    now: demoNow,
    interactive,
    readOnlyHint: person ? `Switch to ${person.real_name} to use this.` : "",
    onAction: (target, node) => click(channel.id, target, node),
  };
}

function render() {
  const state = ui.state;
  if (!state.channels.some((c) => c.id === ui.channel)) ui.channel = state.channels[0]?.id ?? null;
  renderPeople();
  renderGuide();
  renderSidebar();
  renderConversation();
  renderThread();
  renderModal();
  tickClock();
}

function renderPeople() {
  const select = $("#as");
  const state = ui.state;
  if (select.options.length !== state.people.length) {
    select.replaceChildren(...state.people.map((p) => {
      const option = el("option", null, `${p.name} — ${p.role}`);
      option.value = p.id;
      return option;
    }));
  }
  select.value = state.me;
  $("#workspace-name").textContent = state.team.name;
  const me = state.people.find((p) => p.id === state.me);
  $("#workspace-user").textContent = me ? `● ${me.name}` : "";
  document.body.dataset.as = state.me;
}

// ---------------------------------------------------------------- the guide

function renderGuide() {
  const me = ui.state.people.find((p) => p.id === ui.state.me);
  if (me) $("#guide-who").textContent = `${me.name}, a ${me.role.toLowerCase()}`;
}

function showGuide(show) {
  $("#guide").hidden = !show;
  $("#guide-open").hidden = show;
}

function dismissGuide() {
  localStorage.setItem(GUIDE_DISMISSED, "1");
  showGuide(false);
  $("#guide-open").focus();
}

function reopenGuide() {
  localStorage.removeItem(GUIDE_DISMISSED);
  showGuide(true);
  $("#guide-close").focus();
}

// ------------------------------------------------------------------ sidebar

function unread(channel) {
  const count = (ui.state.messages[channel.id] || []).filter((m) => !m.ephemeral).length;
  const key = `${ui.as}:${channel.id}`;
  if (channel.id === ui.channel) ui.seen[key] = count;
  return count - (ui.seen[key] ?? 0);
}

function sidebarItem(channel) {
  const item = el("li", "sidebar-item");
  item.dataset.channel = channel.id;
  const button = el("button", "sidebar-link");
  button.type = "button";
  button.append(el("span", "sidebar-icon", channel.kind === "dm" ? "●" : "#"));
  button.firstChild.setAttribute("aria-hidden", "true");
  button.append(el("span", "sidebar-name", channel.name));
  if (channel.kind === "dm") button.append(el("span", "sidebar-sub", "with handoff"));
  const fresh = unread(channel);
  if (fresh > 0) {
    item.classList.add("unread");
    const badge = el("span", "badge", String(fresh));
    badge.append(el("span", "visually-hidden", ` ${counted(fresh, "new message").replace(/^\d+ /, "")}`));
    button.append(badge);
  }
  if (channel.id === ui.channel) {
    item.classList.add("active");
    button.setAttribute("aria-current", "page");
  }
  button.addEventListener("click", () => {
    ui.channel = channel.id;
    ui.thread = null;
    toggleSidebar(false);
    render();
    scrollToBottom();
  });
  item.append(button);
  return item;
}

function renderSidebar() {
  const lists = { channel: $("#channel-list"), mine: $("#dm-list"), others: $("#other-dm-list") };
  const items = { channel: [], mine: [], others: [] };
  for (const channel of ui.state.channels) {
    const bucket = channel.kind === "channel" ? "channel" : channel.mine ? "mine" : "others";
    items[bucket].push(sidebarItem(channel));
  }
  const focused = document.activeElement?.closest?.("#sidebar .sidebar-item")?.dataset.channel;
  for (const [bucket, list] of Object.entries(lists)) {
    list.replaceChildren(...items[bucket]);
    if (!items[bucket].length && bucket === "mine") {
      list.append(el("li", "sidebar-empty", "The bot hasn't written to you yet."));
    }
  }
  if (focused) $(`#sidebar .sidebar-item[data-channel="${CSS.escape(focused)}"] button`)?.focus();
  $(".sidebar-section.others").hidden = !items.others.length;
}

// On a narrow screen the sidebar is a drawer over the conversation.
function toggleSidebar(open = document.body.dataset.sidebar !== "open") {
  document.body.dataset.sidebar = open ? "open" : "closed";
  $("#sidebar-toggle").setAttribute("aria-expanded", String(open));
  if (open && window.matchMedia("(max-width: 760px)").matches) {
    $("#sidebar .sidebar-item.active button")?.focus();
  }
}

// ------------------------------------------------------------- conversation

function currentChannel() {
  return ui.state.channels.find((c) => c.id === ui.channel);
}

function renderConversation() {
  const channel = currentChannel();
  const box = $("#messages");
  if (!channel) {
    box.replaceChildren(el("div", "empty", "No channels."));
    return;
  }
  const title = $("#channel-title");
  title.textContent = channel.kind === "dm" ? `${channel.name} ↔ handoff` : `# ${channel.name}`;
  $("#channel-purpose").textContent = channel.purpose;
  const input = $("#composer-input");
  input.placeholder = channel.kind === "dm" ? `Message handoff as ${nameOf(ui.state.me)}` : `Message #${channel.name}`;
  $("#composer").hidden = !channel.mine;
  $("#peek-note").hidden = channel.mine;
  if (!channel.mine) $("#peek-note").textContent = `You are looking at ${channel.name}'s DM with the bot; switch to ${channel.name} to act in it.`;
  document.body.dataset.channel = channel.id;

  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  const previousTop = box.scrollTop;
  const ctx = renderContext(channel.mine, channel);
  const messages = (ui.state.messages[channel.id] || []).filter((m) => !ui.dismissed.has(m.ts));
  const nodes = [];
  let lastDay = null;
  for (const message of messages) {
    const day = new Intl.DateTimeFormat("en-GB", { timeZone: ctx.tz, weekday: "long", day: "numeric", month: "long" }).format(new Date(message.time * 1000));
    if (day !== lastDay) {
      nodes.push(el("div", "day-divider", day));
      lastDay = day;
    }
    nodes.push(renderMessage(message, ctx, { inThread: false }));
  }
  if (!messages.length) nodes.push(emptyChannel(channel));
  keepingFocus(box, () => box.replaceChildren(...nodes));
  box.scrollTop = nearBottom ? box.scrollHeight : previousTop;
}

function emptyChannel(channel) {
  const node = el("div", "empty");
  if (channel.id === ui.state.channels[0]?.id) {
    node.append(el("div", "empty-title", "No leads yet."));
    node.append(el("div", null, "Press “Send a sample lead”: marketing's automation hands an MQL to the bot, and its card appears here."));
  } else node.append(el("div", null, "Nothing here yet."));
  return node;
}

function nameOf(userId) {
  const user = own(ui.state.users, userId);
  return user ? user.real_name || user.name : userId;
}

function avatar(userId, isBot) {
  const node = el("div", isBot ? "avatar bot" : "avatar");
  node.setAttribute("aria-hidden", "true");
  const name = nameOf(userId);
  node.textContent = isBot ? "H" : name.split(/\s+/).map((p) => p[0] || "").join("").slice(0, 2).toUpperCase();
  if (!isBot) node.dataset.hue = String([...userId].reduce((a, c) => a + c.charCodeAt(0), 0) % 6);
  return node;
}

function renderMessage(message, ctx, { inThread }) {
  const node = el("div", "msg");
  node.dataset.ts = message.ts;
  node.tabIndex = -1; // where the focus lands when the control that had it is gone
  if (message.ephemeral) node.classList.add("ephemeral");
  node.append(avatar(message.user, message.bot));
  const body = el("div", "msg-body");
  const head = el("div", "msg-head");
  head.append(el("span", "msg-author", message.bot ? "handoff" : nameOf(message.user)));
  if (message.bot) head.append(el("span", "app-badge", "APP"));
  const time = el("span", "msg-time", formatMessageTime(message.time, ctx.tz));
  time.title = new Date(message.time * 1000).toString();
  head.append(time);
  if (message.edited) head.append(el("span", "msg-edited", "(edited)"));
  body.append(head);
  if (message.ephemeral) body.append(ephemeralNote(message));
  const content = el("div", "msg-content");
  if (Array.isArray(message.blocks) && message.blocks.length) content.append(renderBlocks(message.blocks, ctx));
  else if (message.text) content.append(mrkdwn(message.text, ctx));
  body.append(content);
  for (const file of message.files || []) body.append(renderFile(file));
  if (!inThread && message.replies?.length) body.append(threadSummary(message));
  node.append(body);
  return node;
}

function ephemeralNote(message) {
  const note = el("div", "ephemeral-note");
  const eye = el("span", "eye", "👁");
  eye.setAttribute("aria-hidden", "true");
  note.append(eye, el("span", null, " Only visible to you"));
  const dismiss = el("button", "dismiss", "Dismiss");
  dismiss.type = "button";
  dismiss.addEventListener("click", () => {
    ui.dismissed.add(message.ts);
    render();
  });
  note.append(dismiss);
  return note;
}

function renderFile(file) {
  const node = el("div", "file");
  if (file.is_image) {
    const img = el("img", "file-image");
    img.setAttribute("src", file.url);
    img.setAttribute("alt", file.title || file.name || "image");
    node.append(img);
  }
  const link = el("a", "file-link", `📎 ${file.title || file.name}`);
  link.setAttribute("href", file.url);
  link.setAttribute("target", "_blank");
  link.setAttribute("rel", "noopener noreferrer");
  node.append(link);
  return node;
}

function threadSummary(message) {
  const button = el("button", "thread-summary");
  button.type = "button";
  const replies = message.replies.filter((r) => !r.ephemeral).length;
  const people = [...new Set(message.replies.map((r) => r.user))].slice(0, 3);
  const faces = el("span", "thread-faces");
  for (const user of people) faces.append(avatar(user, user === ui.state.bot_user_id));
  const extra = message.replies.length - replies;
  const label = counted(replies, "reply", "replies") + (extra ? ` · ${extra} only for you` : "");
  button.append(faces, el("span", "thread-count", label));
  button.addEventListener("click", () => {
    ui.thread = message.ts;
    renderThread();
    $("#thread-close").focus();
  });
  return button;
}

function renderThread() {
  const pane = $("#thread");
  const channel = currentChannel();
  const parent = channel && (ui.state.messages[channel.id] || []).find((m) => m.ts === ui.thread);
  if (!parent) {
    pane.hidden = true;
    ui.thread = null;
    return;
  }
  pane.hidden = false;
  pane.dataset.ts = parent.ts;
  $("#thread-channel").textContent = channel.kind === "dm" ? channel.name : `#${channel.name}`;
  const ctx = renderContext(channel.mine, channel);
  const nodes = [renderMessage(parent, ctx, { inThread: true })];
  const replies = parent.replies.filter((m) => !ui.dismissed.has(m.ts));
  nodes.push(el("div", "thread-divider", counted(replies.length, "reply", "replies")));
  for (const reply of replies) nodes.push(renderMessage(reply, ctx, { inThread: true }));
  const box = $("#thread-messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  keepingFocus(box, () => box.replaceChildren(...nodes));
  if (atBottom) box.scrollTop = box.scrollHeight;
}

function closeThread() {
  const ts = ui.thread;
  ui.thread = null;
  renderThread();
  findByKey({ pane: "messages", ts, action: null, summary: true }, { fallbackToMessage: true })?.focus();
}

// ---------------------------------------------------------------------- modal

let modalForm = null;

// While the modal is open the rest of the page is inert: no focus, no clicks, no
// screen-reader browsing behind it, as with Slack's own modals.
function setBackgroundInert(inert) {
  for (const selector of ["#topbar", "#guide", "#main"]) $(selector).inert = inert;
}

function renderModal() {
  const view = ui.state.view;
  const backdrop = $("#modal-backdrop");
  if (!view) {
    if (!backdrop.hidden) hideModal();
    ui.viewKey = null;
    modalForm = null;
    return;
  }
  const key = `${view.id}:${view.hash}:${JSON.stringify(view.errors)}`;
  if (key === ui.viewKey) return; // keep what the person typed
  const preserved = modalForm && modalForm.viewId === view.id ? readForm(modalForm) : null;
  ui.viewKey = key;
  modalForm = { viewId: view.id, fields: [], errors: view.errors, preserved };
  const ctx = { ...renderContext(true, null), form: modalForm, onAction: () => toast("Buttons inside modals are not part of the demo's subset.", "error") };
  $("#modal-title").textContent = plainString(view.title);
  $("#modal").dataset.viewId = view.id;
  $("#modal").dataset.callbackId = view.callback_id || "";
  $("#modal-body").replaceChildren(renderBlocks(view.blocks, ctx));
  const submit = $("#modal-submit");
  submit.hidden = !view.submit;
  submit.textContent = plainString(view.submit) || "Submit";
  submit.disabled = false;
  $("#modal-close").textContent = plainString(view.close) || "Cancel";
  $("#modal-error").hidden = true;
  const opening = backdrop.hidden;
  if (opening) {
    ui.modalReturn = ui.lastControl ?? { node: document.activeElement, key: focusKey(document.activeElement) };
    backdrop.hidden = false;
    setBackgroundInert(true);
  }
  if (opening || !$("#modal").contains(document.activeElement)) focusInModal();
}

// The field with an error, else the first field, else the first button: as Slack does.
function focusInModal() {
  const modal = $("#modal");
  const target = modal.querySelector(".has-error select, .has-error textarea, .has-error input")
    || focusables($("#modal-body"))[0]
    || focusables(modal)[0];
  target?.focus();
}

function hideModal() {
  $("#modal-backdrop").hidden = true;
  setBackgroundInert(false);
  const back = ui.modalReturn;
  ui.modalReturn = null;
  ui.lastControl = null;
  if (back?.node?.isConnected) back.node.focus();
  else (findByKey(back?.key, { fallbackToMessage: true }) || $("#composer-input")).focus();
}

function readForm(form) {
  const values = {};
  for (const field of form.fields) values[field.blockId] = field.read();
  return values;
}

async function submitModal(event) {
  event.preventDefault();
  if (!modalForm) return;
  const values = {};
  let missing = false;
  for (const field of modalForm.fields) {
    const value = field.read();
    const empty = value === null || value === "" || (Array.isArray(value) && !value.length);
    // Slack's client refuses to submit with a required field empty.
    field.showError(!field.optional && empty ? "Please complete this required field." : "");
    missing ||= !field.optional && empty;
    values[field.blockId] = { [field.actionId]: value };
  }
  if (missing) {
    focusInModal();
    return;
  }
  const submit = $("#modal-submit");
  submit.disabled = true;
  try {
    await api("submit", { as: ui.as, view_id: modalForm.viewId, values });
  } catch (error) {
    const box = $("#modal-error");
    box.textContent = error.message;
    box.hidden = false;
  } finally {
    submit.disabled = false;
  }
  refresh();
}

async function closeModal() {
  if (!modalForm) return;
  const viewId = modalForm.viewId;
  // Close at once, like Slack; the server is told, and the next state agrees.
  hideModal();
  modalForm = null;
  try {
    await api("close-view", { as: ui.as, view_id: viewId });
  } catch (error) {
    toast(error.message, "error");
  }
  refresh();
}

function onKeydown(event) {
  const modalOpen = !$("#modal-backdrop").hidden;
  if (modalOpen && event.key === "Escape") {
    event.preventDefault();
    closeModal();
  } else if (modalOpen && event.key === "Tab") {
    trapTab(event, $("#modal"));
  } else if (event.key === "Escape" && document.body.dataset.sidebar === "open") {
    toggleSidebar(false);
    $("#sidebar-toggle").focus();
  }
}

// -------------------------------------------------------------------- actions

async function click(channelId, target, node) {
  ui.lastControl = { node, key: focusKey(node) };
  node.classList.add("busy");
  try {
    await api("click", {
      as: ui.as, channel: channelId, ts: node.closest(".msg").dataset.ts,
      action_id: target.action_id, block_id: target.block_id, value: target.value,
    });
  } catch (error) {
    toast(error.message, "error");
  } finally {
    node.classList.remove("busy");
  }
  refresh();
}

async function sendComposer(event) {
  event.preventDefault();
  const input = $("#composer-input");
  const text = input.value.trim();
  if (!text || !ui.channel) return;
  try {
    await api("command", { as: ui.as, channel: ui.channel, text });
    input.value = "";
    scrollToBottom();
  } catch (error) {
    toast(error.message, "error");
  }
  refresh();
}

async function sendLead() {
  const button = $("#send-lead");
  button.disabled = true;
  try {
    const answer = await api("lead", {});
    const who = answer.lead.company ? `${answer.lead.name} (${answer.lead.company})` : answer.lead.name;
    if (answer.ok) toast(`Sent ${who} to the bot as marketing's automation would (POST /api/leads → ${answer.http_status} ${answer.answer.status}). The card follows in a moment.`);
    else toast(`The intake API refused the sample (${answer.http_status}).`, "error");
    const leads = ui.state?.channels.find((c) => c.kind === "channel");
    if (leads && ui.channel !== leads.id) {
      ui.channel = leads.id;
      ui.thread = null;
    }
  } catch (error) {
    toast(error.message, "error");
  } finally {
    button.disabled = false;
  }
  refresh();
}

// "#revenue-alignment", "your DMs", "Ben Rep's DMs": where new messages appeared.
function placeName(channelId) {
  const channel = ui.state.channels.find((c) => c.id === channelId);
  if (!channel) return "another channel";
  if (channel.kind === "channel") return `#${channel.name}`;
  return channel.mine ? "your DMs" : `${channel.name}'s DMs`;
}

function fastForwardToast(answer) {
  const when = formatClock(answer.now, ui.state.timezone);
  const news = answer.new_messages.map((item, index) => {
    const count = index ? String(item.count) : counted(item.count, "new message");
    return `${count} in ${placeName(item.channel)}`;
  });
  const failed = answer.jobs.filter((job) => !job.ok).map((job) => job.label);
  const parts = [`The bot's clock is now ${when}.`];
  parts.push(news.length ? `${news.join(", ")}.` : "Nothing fell due on the way.");
  if (failed.length) parts.push(`Could not run: ${failed.join(", ")} (the terminal has the error).`);
  toast(parts.join(" "), failed.length ? "error" : "info");
}

async function fastForward(by) {
  const buttons = [$("#ff-hour"), $("#ff-day")];
  for (const button of buttons) button.disabled = true;
  // The walk delivers what falls due on the way, at Slack's pace: it can take seconds.
  const working = toast("Moving the bot's clock; its jobs run at each moment on the way…");
  try {
    fastForwardToast(await api("fast-forward", { by }));
  } catch (error) {
    toast(error.message, "error");
  } finally {
    working.remove();
    for (const button of buttons) button.disabled = false;
  }
  refresh();
}

function switchPerson(userId) {
  ui.as = userId;
  localStorage.setItem("handoff-demo-as", userId);
  const url = new URL(window.location.href);
  url.searchParams.set("as", userId);
  window.history.replaceState(null, "", url);
  ui.viewKey = null;
  modalForm = null;
  refresh();
}

function scrollToBottom() {
  requestAnimationFrame(() => {
    const box = $("#messages");
    box.scrollTop = box.scrollHeight;
  });
}

// Toasts sit under the channel header, over the oldest messages in view: never over
// the message box or the controls, and clicks pass through them.
const MAX_TOASTS = 3;

function toast(text, kind = "info") {
  const box = $("#toasts");
  const node = el("div", `toast ${kind}`, text);
  box.append(node);
  while (box.children.length > MAX_TOASTS) box.firstElementChild.remove();
  setTimeout(() => node.remove(), kind === "error" ? 9000 : 7000);
  return node;
}

// ----------------------------------------------------------------------- wire

function wire() {
  $("#as").addEventListener("change", (event) => switchPerson(event.target.value));
  $("#send-lead").addEventListener("click", sendLead);
  $("#ff-hour").addEventListener("click", () => fastForward("1h"));
  $("#ff-day").addEventListener("click", () => fastForward("1d"));
  $("#composer").addEventListener("submit", sendComposer);
  $("#composer-input").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) sendComposer(event);
  });
  $("#thread-close").addEventListener("click", closeThread);
  $("#modal-form").addEventListener("submit", submitModal);
  $("#modal-close").addEventListener("click", closeModal);
  $("#modal-x").addEventListener("click", closeModal);
  $("#guide-close").addEventListener("click", dismissGuide);
  $("#guide-open").addEventListener("click", reopenGuide);
  $("#sidebar-toggle").addEventListener("click", () => toggleSidebar());
  document.addEventListener("keydown", onKeydown);
  showGuide(localStorage.getItem(GUIDE_DISMISSED) !== "1");
  // The drawer and the phone-sized thread start under the top bar, whose height wraps.
  const topbar = $("#topbar");
  new ResizeObserver(() => {
    document.documentElement.style.setProperty("--topbar-height", `${topbar.offsetHeight}px`);
  }).observe(topbar);
  setInterval(tickClock, 1000);
}

wire();
listen();
refresh();
