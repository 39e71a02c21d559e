// Block Kit and mrkdwn to DOM: a faithful subset of what Slack draws.
//
// Safety rule for this file: the DOM is built with createElement, textContent and
// setAttribute on fixed attribute names only; innerHTML is never used. Data from
// the bot (and so from leads) can therefore only ever become text, and links only
// ever get http(s)/mailto targets.
//
// Whatever this renderer does not draw is shown as a labelled placeholder
// ("[unsupported block: rich_text]"), never silently dropped.

const LINK_SCHEMES = ["http:", "https:", "mailto:"];
const IMAGE_SCHEMES = ["http:", "https:"];

export const EMOJI = {
  "+1": "👍", "-1": "👎", alarm_clock: "⏰", arrow_down: "⬇️", arrow_right: "➡️",
  arrow_up: "⬆️", arrows_counterclockwise: "🔄", bar_chart: "📊", bell: "🔔", boom: "💥",
  bookmark_tabs: "📑", briefcase: "💼", bulb: "💡", bust_in_silhouette: "👤", busts_in_silhouette: "👥",
  calendar: "📆", chart_with_downwards_trend: "📉", chart_with_upwards_trend: "📈",
  clap: "👏", clipboard: "📋", clock9: "🕘", construction: "🚧", dart: "🎯", date: "📅",
  email: "📧", envelope: "✉️", exclamation: "❗", eyes: "👀", file_folder: "📁", fire: "🔥",
  first_place_medal: "🥇", gear: "⚙️", grey_question: "❔", hammer_and_wrench: "🛠️",
  handshake: "🤝", heavy_check_mark: "✔️", heavy_minus_sign: "➖", heavy_plus_sign: "➕",
  hourglass: "⌛", hourglass_flowing_sand: "⏳", inbox_tray: "📥", incoming_envelope: "📨",
  information_source: "ℹ️", label: "🏷️", large_green_circle: "🟢", large_yellow_circle: "🟡",
  leftwards_arrow_with_hook: "↩️", link: "🔗", lock: "🔒", loudspeaker: "📢",
  mag: "🔍", mailbox: "📬", mega: "📣", memo: "📝", moneybag: "💰", muscle: "💪",
  new: "🆕", no_entry: "⛔", no_entry_sign: "🚫", ok_hand: "👌", outbox_tray: "📤",
  page_facing_up: "📄", point_right: "👉", pray: "🙏", pushpin: "📌", question: "❓",
  raising_hand: "🙋", receipt: "🧾", red_circle: "🔴", repeat: "🔁", rocket: "🚀", rotating_light: "🚨",
  scales: "⚖️", scroll: "📜", shield: "🛡️", slightly_smiling_face: "🙂", smile: "😄", sos: "🆘",
  sparkles: "✨", speech_balloon: "💬", spiral_calendar_pad: "🗓️", star: "⭐", star2: "🌟",
  stop_sign: "🛑", stopwatch: "⏱️", tada: "🎉", telephone_receiver: "📞",
  thinking_face: "🤔", thought_balloon: "💭", thread: "🧵", thumbsdown: "👎", thumbsup: "👍",
  trophy: "🏆", warning: "⚠️", wastebasket: "🗑️", wave: "👋", white_check_mark: "✅",
  wrench: "🔧", x: "❌",
  zzz: "💤",
};

// ------------------------------------------------------------------ DOM helpers

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

export function safeUrl(raw, schemes = LINK_SCHEMES) {
  if (typeof raw !== "string" || raw.length > 3000) return null;
  let url;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  return schemes.includes(url.protocol) ? url.href : null;
}

// A same-origin path the demo serves (uploaded files), or null.
function localFileUrl(fileId) {
  return typeof fileId === "string" && /^F[A-Z0-9]+$/.test(fileId)
    ? `/demo/api/files/${fileId}`
    : null;
}

// obj[key] only for the object's own keys: data never reaches Object.prototype.
export function own(obj, key) {
  return obj && Object.hasOwn(obj, key) ? obj[key] : undefined;
}

// "1 reply", "2 replies": a count and the noun that agrees with it.
export function counted(count, singular, plural = `${singular}s`) {
  return `${count} ${count === 1 ? singular : plural}`;
}

export function withEmoji(text) {
  return String(text).replace(/:([a-z0-9_+-]+):/g, (whole, name) => own(EMOJI, name) || whole);
}

function placeholder(kind, type) {
  const node = el("div", "bk-unsupported", `[unsupported ${kind}: ${type || "?"}]`);
  node.title = "The demo's renderer does not draw this; Slack would.";
  return node;
}

function inlinePlaceholder(kind, type) {
  const node = placeholder(kind, type);
  node.classList.add("inline");
  return node;
}

// ------------------------------------------------------------------------ mrkdwn

const ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">" };

function decodeEntities(text) {
  return text.replace(/&(?:amp|lt|gt);/g, (entity) => ENTITIES[entity]);
}

// Split off ```pre``` and `code`; their insides are literal text.
function splitCode(text) {
  const segments = [];
  const pattern = /```([\s\S]*?)```|`([^`\n]+)`/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) segments.push({ kind: "raw", text: text.slice(last, match.index) });
    if (match[1] !== undefined) segments.push({ kind: "pre", text: match[1].replace(/^\n/, "") });
    else segments.push({ kind: "code", text: match[2] });
    last = match.index + match[0].length;
  }
  if (last < text.length) segments.push({ kind: "raw", text: text.slice(last) });
  return segments;
}

// One <…> control sequence to a token, or null when it is not one Slack knows.
function parseToken(inner) {
  const bar = inner.indexOf("|");
  const head = bar >= 0 ? inner.slice(0, bar) : inner;
  const label = bar >= 0 ? inner.slice(bar + 1) : null;
  if (/^@[UW][A-Z0-9]+$/.test(head)) return { kind: "user", id: head.slice(1), label };
  if (/^#[CGD][A-Z0-9]+$/.test(head)) return { kind: "channel", id: head.slice(1), label };
  if (head.startsWith("!subteam^")) return { kind: "usergroup", id: head.slice(9), label };
  if (head.startsWith("!date^")) {
    const [, ts, format, link] = head.split("^");
    return { kind: "date", ts: Number(ts), format: format || "", link, label };
  }
  if (/^!(channel|here|everyone)$/.test(head)) return { kind: "special", name: head.slice(1), label };
  if (head.startsWith("!")) return { kind: "text", text: label || head };
  if (/^[a-z][a-z0-9+.-]*:/i.test(head)) return { kind: "link", url: head, label };
  return null;
}

// Units: one per character of text, one per token; formatting markers are found only
// among the characters, so a token's insides can never open or close formatting.
function toUnits(raw) {
  const units = [];
  const pattern = /<([^<>\n]+)>/g;
  let last = 0;
  const pushText = (text) => {
    for (const ch of decodeEntities(text)) units.push(ch);
  };
  for (const match of raw.matchAll(pattern)) {
    const token = parseToken(match[1]);
    if (!token) continue;
    pushText(raw.slice(last, match.index));
    units.push(token);
    last = match.index + match[0].length;
  }
  pushText(raw.slice(last));
  return units;
}

const MARKS = { "*": "b", _: "i", "~": "s" };
const isString = (u) => typeof u === "string";
const isSpace = (u) => isString(u) && /\s/.test(u);
const isWord = (u) => isString(u) && /[\p{L}\p{N}]/u.test(u);

function canOpen(units, i, start) {
  const prev = i > start ? units[i - 1] : null;
  const next = units[i + 1];
  return (prev === null || !isWord(prev)) && next !== undefined && !isSpace(next) && next !== units[i];
}

function findClose(units, i, end) {
  const mark = units[i];
  for (let k = i + 2; k < end; k += 1) {
    const unit = units[k];
    if (unit === "\n") return -1;
    if (unit === mark && !isSpace(units[k - 1]) && (k + 1 >= end || !isWord(units[k + 1]))) {
      return k;
    }
  }
  return -1;
}

function formatUnits(units, start, end, ctx, parent) {
  let buffer = "";
  const flush = () => {
    if (buffer) parent.append(document.createTextNode(withEmoji(buffer)));
    buffer = "";
  };
  for (let i = start; i < end; i += 1) {
    const unit = units[i];
    if (isString(unit)) {
      if (own(MARKS, unit) && canOpen(units, i, start)) {
        const close = findClose(units, i, end);
        if (close > i) {
          flush();
          const node = el(MARKS[unit]);
          formatUnits(units, i + 1, close, ctx, node);
          parent.append(node);
          i = close;
          continue;
        }
      }
      buffer += unit;
    } else {
      flush();
      parent.append(renderToken(unit, ctx));
    }
  }
  flush();
}

function renderToken(token, ctx) {
  switch (token.kind) {
    case "user": {
      const user = own(ctx.users, token.id);
      const name = user ? user.real_name || user.name : token.label || token.id;
      const node = el("span", "mention", `@${name}`);
      if (token.id === ctx.me) node.classList.add("mention-me");
      node.dataset.user = token.id;
      return node;
    }
    case "channel": {
      const name = own(ctx.channelNames, token.id) || token.label || token.id;
      const node = el("span", "mention channel-mention", `#${name}`);
      node.dataset.channel = token.id;
      return node;
    }
    case "usergroup": {
      const group = own(ctx.usergroups, token.id);
      const label = group ? `@${group.handle}` : token.label || `@${token.id}`;
      return el("span", "mention", label.startsWith("@") ? label : `@${label}`);
    }
    case "special":
      return el("span", "mention mention-me", `@${token.name}`);
    case "date": {
      const text = Number.isFinite(token.ts)
        ? formatSlackDate(token.ts, token.format, ctx)
        : token.label || "";
      const href = token.link ? safeUrl(token.link) : null;
      const node = href ? link(href, text) : el("span", "slack-date", text);
      if (Number.isFinite(token.ts)) node.title = new Date(token.ts * 1000).toISOString();
      return node;
    }
    case "link": {
      const href = safeUrl(token.url);
      const label = token.label || token.url;
      if (!href) return el("span", "unsafe-link", label);
      return link(href, label);
    }
    default:
      return document.createTextNode(token.text || "");
  }
}

function link(href, text) {
  const node = el("a", "link", text);
  node.setAttribute("href", href);
  node.setAttribute("target", "_blank");
  node.setAttribute("rel", "noopener noreferrer");
  return node;
}

// Block quotes, as Slack draws them: a line that starts with ">" is quoted (Slack sends
// it escaped, "&gt;", and the bot escapes lead data, so both count), one space after the
// marker is dropped, and ">>>" quotes everything after it. Formatting never spans lines,
// so each run of quoted or unquoted lines is formatted on its own.
const QUOTE_LINE = /^(?:>|&gt;) ?(.*)$/s;
const QUOTE_REST = /^(?:>>>|&gt;&gt;&gt;) ?(.*)$/s;

function quoteRuns(text) {
  const runs = [];
  const push = (quoted, line) => {
    const last = runs[runs.length - 1];
    if (last && last.quoted === quoted) last.lines.push(line);
    else runs.push({ quoted, lines: [line] });
  };
  const lines = text.split("\n");
  let fenced = false; // inside ```pre```, where ">" is just a character
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i];
    const rest = fenced ? null : line.match(QUOTE_REST);
    if (rest) {
      for (const quoted of [rest[1], ...lines.slice(i + 1)]) push(true, quoted);
      break;
    }
    const quote = fenced ? null : line.match(QUOTE_LINE);
    push(Boolean(quote), quote ? quote[1] : line);
    if ((line.match(/```/g) || []).length % 2) fenced = !fenced;
  }
  return runs;
}

function appendMrkdwn(text, ctx, container) {
  for (const segment of splitCode(text)) {
    if (segment.kind === "pre") container.append(el("pre", "pre", decodeEntities(segment.text)));
    else if (segment.kind === "code") container.append(el("code", "code", decodeEntities(segment.text)));
    else {
      const units = toUnits(segment.text);
      formatUnits(units, 0, units.length, ctx, container);
    }
  }
}

export function mrkdwn(text, ctx) {
  const container = el("span", "mrkdwn");
  for (const run of quoteRuns(String(text ?? ""))) {
    const target = run.quoted ? el("blockquote", "quote") : container;
    appendMrkdwn(run.lines.join("\n"), ctx, target);
    if (run.quoted) container.append(target);
  }
  return container;
}

// Slack decodes its three entities in plain_text too; nothing else is parsed there.
export function plainString(textObject) {
  const text = decodeEntities(String(textObject?.text ?? ""));
  return textObject?.emoji === false ? text : withEmoji(text);
}

function plainText(textObject) {
  return el("span", "plain", plainString(textObject));
}

export function renderText(textObject, ctx) {
  if (!textObject || typeof textObject !== "object") return el("span");
  if (textObject.type === "mrkdwn") return mrkdwn(textObject.text, ctx);
  if (textObject.type === "plain_text") return plainText(textObject);
  return inlinePlaceholder("text", textObject.type);
}

// ------------------------------------------------------------------------- dates

function dateParts(date, tz) {
  const parts = {};
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit", weekday: "long",
  });
  for (const part of format.formatToParts(date)) parts[part.type] = part.value;
  return parts;
}

function ordinal(day) {
  const n = Number(day);
  const suffix = n % 10 === 1 && n !== 11 ? "st" : n % 10 === 2 && n !== 12 ? "nd" : n % 10 === 3 && n !== 13 ? "rd" : "th";
  return `${n}${suffix}`;
}

function ago(seconds) {
  const abs = Math.abs(seconds);
  const units = [["year", 31536000], ["month", 2592000], ["day", 86400], ["hour", 3600], ["minute", 60]];
  for (const [unit, size] of units) {
    if (abs >= size) {
      const n = Math.floor(abs / size);
      const text = `${n} ${unit}${n === 1 ? "" : "s"}`;
      return seconds >= 0 ? `${text} ago` : `in ${text}`;
    }
  }
  return "just now";
}

// Slack's <!date^ts^format|fallback> tokens, in the viewer's time zone, relative to
// the bot's (demo) now for "Today" and "ago".
export function formatSlackDate(ts, format, ctx) {
  const tz = ctx.tz || "UTC";
  const date = new Date(ts * 1000);
  const now = new Date((ctx.now ? ctx.now() : Date.now() / 1000) * 1000);
  const p = dateParts(date, tz);
  const key = (d) => { const q = dateParts(d, tz); return `${q.year}-${q.month}-${q.day}`; };
  const month = (style) => new Intl.DateTimeFormat("en-US", { timeZone: tz, month: style }).format(date);
  const time = (secs) => new Intl.DateTimeFormat("en-US", {
    timeZone: tz, hour: "numeric", minute: "2-digit", second: secs ? "2-digit" : undefined,
  }).format(date);
  const base = {
    date_num: () => `${p.year}-${p.month}-${p.day}`,
    date_slash: () => `${p.month}/${p.day}/${p.year}`,
    date: () => `${month("long")} ${ordinal(p.day)}, ${p.year}`,
    date_short: () => `${month("short")} ${Number(p.day)}, ${p.year}`,
    date_long: () => `${p.weekday}, ${month("long")} ${ordinal(p.day)}, ${p.year}`,
    time: () => time(false),
    time_secs: () => time(true),
    ago: () => ago((now - date) / 1000),
  };
  const relative = () => {
    const day = 86400000;
    const which = { [key(now)]: "Today", [key(new Date(now - day))]: "Yesterday", [key(new Date(now.getTime() + day))]: "Tomorrow" };
    return which[key(date)];
  };
  const pretty = (name) => () => relative() || base[name]();
  const tokens = { ...base, date_pretty: pretty("date"), date_short_pretty: pretty("date_short"), date_long_pretty: pretty("date_long") };
  return format.replace(/\{(\w+)\}/g, (whole, name) => (own(tokens, name) ? tokens[name]() : whole));
}

// ----------------------------------------------------------------------- blocks

export function renderBlocks(blocks, ctx) {
  const container = el("div", "blocks");
  for (const block of Array.isArray(blocks) ? blocks : []) {
    const node = renderBlock(block, ctx);
    if (block && typeof block.block_id === "string") node.dataset.blockId = block.block_id;
    node.dataset.blockType = block?.type ?? "?";
    container.append(node);
  }
  return container;
}

function renderBlock(block, ctx) {
  switch (block?.type) {
    case "header": {
      const node = el("div", "bk-header");
      node.append(plainText(block.text));
      return node;
    }
    case "section":
      return renderSection(block, ctx);
    case "context":
      return renderContext(block, ctx);
    case "divider":
      return el("hr", "bk-divider");
    case "actions": {
      const node = el("div", "bk-actions");
      for (const element of block.elements || []) node.append(renderElement(element, block, ctx));
      return node;
    }
    case "image":
      return renderImageBlock(block);
    case "input":
      return ctx.form ? renderInput(block, ctx) : placeholder("block", "input outside a modal");
    default:
      return placeholder("block", block?.type);
  }
}

function renderSection(block, ctx) {
  const node = el("div", "bk-section");
  const main = el("div", "bk-section-main");
  if (block.text) {
    const text = el("div", "bk-section-text");
    text.append(renderText(block.text, ctx));
    main.append(text);
  }
  if (Array.isArray(block.fields) && block.fields.length) {
    const fields = el("div", "bk-fields");
    for (const field of block.fields) {
      const cell = el("div", "bk-field");
      cell.append(renderText(field, ctx));
      fields.append(cell);
    }
    main.append(fields);
  }
  node.append(main);
  if (block.accessory) {
    const accessory = el("div", "bk-accessory");
    accessory.append(
      block.accessory.type === "image"
        ? renderImage(block.accessory, "bk-accessory-image")
        : renderElement(block.accessory, block, ctx),
    );
    node.append(accessory);
  }
  return node;
}

function renderContext(block, ctx) {
  const node = el("div", "bk-context");
  for (const element of block.elements || []) {
    if (element?.type === "image") node.append(renderImage(element, "bk-context-image"));
    else if (element?.type === "mrkdwn" || element?.type === "plain_text") {
      const item = el("span", "bk-context-text");
      item.append(renderText(element, ctx));
      node.append(item);
    } else node.append(inlinePlaceholder("element", element?.type));
  }
  return node;
}

function imageSource(element) {
  if (element?.slack_file) return localFileUrl(element.slack_file.id);
  return safeUrl(element?.image_url, IMAGE_SCHEMES);
}

function renderImage(element, className) {
  const src = imageSource(element);
  if (!src) return el("span", `${className} image-missing`, element?.alt_text || "[image]");
  const img = el("img", className);
  img.setAttribute("src", src);
  img.setAttribute("alt", element.alt_text || "");
  img.setAttribute("referrerpolicy", "no-referrer");
  img.setAttribute("loading", "lazy");
  img.addEventListener("error", () => img.replaceWith(el("span", `${className} image-missing`, element.alt_text || "[image]")));
  return img;
}

function renderImageBlock(block) {
  const node = el("figure", "bk-image");
  if (block.title) {
    const caption = el("figcaption", "bk-image-title");
    caption.append(plainText(block.title));
    node.append(caption);
  }
  node.append(renderImage(block, "bk-image-img"));
  return node;
}

// ---------------------------------------------------------- interactive elements

function actionTarget(element, block) {
  return { action_id: element.action_id, block_id: block.block_id };
}

function renderElement(element, block, ctx) {
  switch (element?.type) {
    case "button":
      return renderButton(element, block, ctx);
    case "static_select":
    case "overflow":
      return renderMessageSelect(element, block, ctx);
    default:
      return inlinePlaceholder("element", element?.type);
  }
}

function renderButton(element, block, ctx) {
  const label = plainString(element.text);
  const url = element.url !== undefined ? safeUrl(element.url, IMAGE_SCHEMES) : null;
  const node = url ? el("a", "bk-button", label) : el("button", "bk-button", label);
  if (element.style === "primary" || element.style === "danger") node.classList.add(element.style);
  node.dataset.actionId = element.action_id ?? "";
  if (url) {
    node.setAttribute("href", url);
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer");
  } else {
    node.setAttribute("type", "button");
    if (element.url !== undefined) {
      node.disabled = true;
      node.title = "Not an http(s) link; the demo won't open it.";
      return node;
    }
  }
  if (!ctx.interactive) {
    if (!url) node.disabled = true;
    node.title = ctx.readOnlyHint || "";
    return node;
  }
  node.addEventListener("click", () => {
    // A link button opens the page and still tells the app, as in Slack.
    if (element.confirm && !window.confirm(confirmText(element.confirm))) return;
    ctx.onAction({ ...actionTarget(element, block), value: null }, node);
  });
  return node;
}

function confirmText(confirm) {
  return [confirm.title?.text, confirm.text?.text].filter(Boolean).join("\n\n");
}

function options(element) {
  const groups = Array.isArray(element.option_groups)
    ? element.option_groups
    : [{ options: element.options || [] }];
  return groups;
}

function appendOptions(select, element) {
  for (const group of options(element)) {
    const parent = group.label ? el("optgroup") : select;
    if (group.label) {
      parent.setAttribute("label", plainString(group.label));
      select.append(parent);
    }
    for (const option of group.options || []) {
      const node = el("option", null, plainString(option.text) || option.value);
      node.value = option.value ?? "";
      parent.append(node);
    }
  }
}

function renderMessageSelect(element, block, ctx) {
  const select = el("select", "bk-select");
  select.dataset.actionId = element.action_id ?? "";
  const prompt = el("option", null, element.type === "overflow" ? "⋯" : plainString(element.placeholder) || "Select an item");
  prompt.value = "";
  select.append(prompt);
  appendOptions(select, element);
  if (element.initial_option) select.value = element.initial_option.value;
  if (!ctx.interactive) {
    select.disabled = true;
    select.title = ctx.readOnlyHint || "";
    return select;
  }
  select.addEventListener("change", () => {
    if (select.value) ctx.onAction({ ...actionTarget(element, block), value: select.value }, select);
  });
  return select;
}

// ------------------------------------------------------------- modal inputs

const TEXT_INPUTS = { plain_text_input: "text", email_text_input: "email", url_text_input: "url", number_input: "number" };

function renderInput(block, ctx) {
  const element = block.element || {};
  const node = el("div", "bk-input");
  const id = `input-${block.block_id}`;
  const label = el("label", "bk-input-label");
  label.append(plainText(block.label));
  if (block.optional) label.append(el("span", "optional", " (optional)"));
  label.setAttribute("for", id);
  node.append(label);
  const preserved = own(ctx.form.preserved, block.block_id);
  let control;
  let read;
  if (own(TEXT_INPUTS, element.type)) {
    control = element.multiline ? el("textarea", "bk-textarea") : el("input", "bk-text");
    if (!element.multiline) control.setAttribute("type", TEXT_INPUTS[element.type]);
    if (element.placeholder) control.setAttribute("placeholder", plainString(element.placeholder));
    if (element.max_length) control.setAttribute("maxlength", String(element.max_length));
    control.value = preserved ?? element.initial_value ?? "";
    read = () => control.value;
  } else if (element.type === "static_select" || element.type === "multi_static_select") {
    control = el("select", "bk-select");
    const multi = element.type === "multi_static_select";
    if (multi) control.multiple = true;
    else {
      const prompt = el("option", null, plainString(element.placeholder) || "Select an item");
      prompt.value = "";
      control.append(prompt);
    }
    appendOptions(control, element);
    const initial = multi
      ? (element.initial_options || []).map((o) => o.value)
      : element.initial_option?.value ?? "";
    const chosen = preserved ?? initial;
    for (const option of control.querySelectorAll("option")) {
      option.selected = multi ? chosen.includes(option.value) : option.value === chosen;
    }
    read = () => (multi ? [...control.selectedOptions].map((o) => o.value) : control.value || null);
  } else if (element.type === "radio_buttons" || element.type === "checkboxes") {
    const multi = element.type === "checkboxes";
    control = el("div", "bk-choices");
    const initial = multi
      ? (element.initial_options || []).map((o) => o.value)
      : element.initial_option?.value ?? null;
    const chosen = preserved ?? initial;
    for (const option of element.options || []) {
      const row = el("label", "bk-choice");
      const box = el("input");
      box.setAttribute("type", multi ? "checkbox" : "radio");
      box.setAttribute("name", id);
      box.value = option.value ?? "";
      box.checked = multi ? (chosen || []).includes(box.value) : chosen === box.value;
      row.append(box, plainText(option.text));
      control.append(row);
    }
    read = () => {
      const checked = [...control.querySelectorAll("input:checked")].map((b) => b.value);
      return multi ? checked : checked[0] ?? null;
    };
  } else {
    node.append(placeholder("element", element.type));
    return node;
  }
  control.id = id;
  control.dataset.actionId = element.action_id ?? "";
  node.append(control);
  if (block.hint) node.append(el("div", "bk-hint", plainString(block.hint)));
  const error = own(ctx.form.errors, block.block_id);
  const errorNode = el("div", "bk-error", error || "");
  errorNode.hidden = !error;
  node.append(errorNode);
  if (error) node.classList.add("has-error");
  ctx.form.fields.push({
    blockId: block.block_id,
    actionId: element.action_id,
    optional: Boolean(block.optional),
    read,
    showError: (message) => {
      errorNode.textContent = message || "";
      errorNode.hidden = !message;
      node.classList.toggle("has-error", Boolean(message));
    },
  });
  return node;
}
