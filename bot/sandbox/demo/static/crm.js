// The CRM panel of `handoff demo --crm …`: the fake CRM's newest records, whose owner
// and status change as the visitor claims, accepts and rejects their cards. Without a
// CRM (/demo/crm/api/records answers 404) it adds nothing to the page.
// DOM built with textContent only, like app.js.

const REFRESH_MS = 1000;
const NAMES = { hubspot: "HubSpot", salesforce: "Salesforce" };

function node(tag, className, text) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined && text !== null) element.textContent = String(text);
  return element;
}

async function records() {
  const response = await fetch("/demo/crm/api/records", { cache: "no-store" });
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}

function row(record, stageLabel) {
  const item = node("li", "crm-record");
  const head = node("div", "crm-record-head");
  head.append(node("span", "crm-name", record.name || record.email), node("span", "crm-id", `#${record.id}`));
  const facts = node("dl", "crm-facts");
  const owner = record.owner || "(no owner)";
  for (const [label, value, changed] of [
    ["Owner", owner, Boolean(record.owner)],
    ["Status", record.status, record.status !== "—"],
    [stageLabel, record.stage, false],
    ["Notes", record.notes, record.notes > 0],
  ]) {
    facts.append(node("dt", null, label), node("dd", changed ? "crm-set" : null, value));
  }
  item.append(head, node("div", "crm-email", record.email), facts);
  return item;
}

function build(provider) {
  const panel = node("aside", "crm-panel");
  panel.id = "crm-panel";
  const header = node("div", "pane-header");
  header.append(node("strong", null, `${NAMES[provider] || provider} (fake)`));
  const button = node("button", "crm-new", "New MQL");
  button.type = "button";
  button.title = `Make a contact an MQL in the fake ${NAMES[provider] || provider}; it pushes it to the bot`;
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await fetch("/demo/crm/api/mql", { method: "POST" });
    } finally {
      button.disabled = false;
    }
  });
  header.append(button);
  const note = node(
    "p",
    "crm-note",
    "Records in the CRM. Claim, accept or reject a card: the owner and status change here.",
  );
  const list = node("ul", "crm-records");
  panel.append(header, note, list);
  (document.getElementById("main") || document.body).append(panel);
  return list;
}

async function start() {
  let first;
  try {
    first = await records();
  } catch {
    return;
  }
  if (!first) return;
  const list = build(first.provider);
  const stageLabel = first.provider === "hubspot" ? "Lifecycle" : "Stage";
  let shown = "";
  const draw = (data) => {
    const text = JSON.stringify(data.records);
    if (text === shown) return;
    shown = text;
    list.replaceChildren(...data.records.map((record) => row(record, stageLabel)));
    if (!data.records.length) list.append(node("li", "crm-empty", "No records yet: press New MQL."));
  };
  draw(first);
  setInterval(async () => {
    try {
      const data = await records();
      if (data) draw(data);
    } catch {
      // The demo server stopped or restarted; the next refresh tries again.
    }
  }, REFRESH_MS);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
