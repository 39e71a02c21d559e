// Renders sample mrkdwn and blocks with the demo's render.js; the test checks the DOM.
// Evaluated in the page by tests/test_demo_browser.py.
async () => {
  const r = await import("/demo/static/render.js");
  const ctx = {
    users: {U0REP1: {real_name: "Ana Rep", name: "ana"}},
    usergroups: {S0REPS: {handle: "sales-reps"}},
    channelNames: {C0LEADS: "sales-leads"},
    me: "U0REP1", tz: "Europe/Berlin", now: () => 1767261600,
    interactive: true, clicks: [],
  };
  ctx.onAction = (target) => ctx.clicks.push(target);
  const md = (text) => r.mrkdwn(text, ctx);
  const blocks = r.renderBlocks([
    {type: "header", text: {type: "plain_text", text: "A &amp; B :tada:"}},
    {type: "section", text: {type: "mrkdwn", text: "Lead"},
     fields: [{type: "mrkdwn", text: "*Score*\n91"}, {type: "plain_text", text: "x"}],
     accessory: {type: "button", action_id: "acc", text: {type: "plain_text", text: "Go"}}},
    {type: "context", elements: [
      {type: "image", image_url: "https://example.com/i.png", alt_text: "logo"},
      {type: "mrkdwn", text: "_small_"}, {type: "timepicker"}]},
    {type: "divider"},
    {type: "actions", block_id: "acts", elements: [
      {type: "button", action_id: "yes", style: "primary", text: {type: "plain_text", text: "Yes"}},
      {type: "button", action_id: "no", style: "danger", text: {type: "plain_text", text: "No"}},
      {type: "button", action_id: "web", url: "https://example.com/x", text: {type: "plain_text", text: "Web"}},
      {type: "button", action_id: "js", url: "javascript:alert(1)", text: {type: "plain_text", text: "JS"}},
      {type: "static_select", action_id: "pick", options: [
        {text: {type: "plain_text", text: "One"}, value: "1"}]},
      {type: "datepicker", action_id: "when"}]},
    {type: "image", image_url: "javascript:alert(1)", alt_text: "bad image"},
    {type: "image", image_url: "https://example.com/chart.png", alt_text: "chart",
     title: {type: "plain_text", text: "Chart"}},
    {type: "rich_text", elements: []},
    {type: "video"},
  ], ctx);
  document.body.append(blocks);
  blocks.querySelector('[data-action-id="yes"]').click();
  const select = blocks.querySelector('select[data-action-id="pick"]');
  select.value = "1";
  select.dispatchEvent(new Event("change"));
  const html = (node) => node.outerHTML;
  return {
    formatting: html(md("*bold* _it_ ~gone~ `co*de*` ```pre _x_``` snake_case_name 2*3*4")),
    mentions: md("<@U0REP1> <@U0NOBODY> <#C0LEADS> <!subteam^S0REPS> <!here> <!channel>").textContent,
    mentionMe: md("<@U0REP1>").querySelector(".mention-me") !== null,
    links: html(md("<https://example.com|site> <javascript:alert(1)|bad> <mailto:a@example.com|mail> <https://example.com>")),
    entities: html(md("&lt;b&gt;x&lt;/b&gt; &amp;lt;script&amp;gt; *&lt;i&gt;*")),
    date: md("<!date^1767261600^{date_short_pretty} at {time}|fallback>").textContent,
    dateLong: md("<!date^1767261600^{date_long} {date_num} {ago}|fallback>").textContent,
    dateOther: md("<!date^1767088800^{date_short_pretty}|fallback>").textContent,
    dateBad: md("<!date^soon^{date}|the fallback>").textContent,
    emoji: md(":white_check_mark: :constructor: :no_such_emoji:").textContent,
    quotes: html(md("before\n> quoted *b*\n&gt;also\nafter `> no`\n```\n> in pre\n```\n>>> rest\nmore")),
    header: blocks.querySelector(".bk-header").textContent,
    unsupported: [...blocks.querySelectorAll(".bk-unsupported")].map((n) => n.textContent),
    primary: blocks.querySelector('[data-action-id="yes"]').className,
    danger: blocks.querySelector('[data-action-id="no"]').className,
    web: html(blocks.querySelector('[data-action-id="web"]')),
    js: html(blocks.querySelector('[data-action-id="js"]')),
    images: [...blocks.querySelectorAll("img")].map((n) => n.getAttribute("src")),
    badImage: blocks.querySelector('[data-block-type="image"]').textContent,
    fields: [...blocks.querySelectorAll(".bk-field")].map((n) => n.textContent),
    clicks: ctx.clicks,
  };
}
