// markwatch clerk page: vanilla JS calling /api/v1 with the organisation's token (sessionStorage).
// Data is always put into the page with textContent, never as HTML.
(function () {
  "use strict";
  const API = document.body.dataset.api || "/api/v1";
  const TOKEN_KEY = "markwatch.token";
  const STATUS = { new: "新预警", reviewing: "审查中", opposition_filed: "已提异议", dismissed: "已排除" };
  const SEVERITY = { high: "高", medium: "中", low: "低" };
  const MOVES = { new: ["reviewing", "opposition_filed", "dismissed"], reviewing: ["opposition_filed", "dismissed", "new"],
                  opposition_filed: ["reviewing"], dismissed: ["reviewing", "new"] };
  const PAGE = 50;
  const state = { watchlists: [], selected: null, offset: 0, total: 0 };
  const $ = (sel) => document.querySelector(sel);

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
    }
    for (const c of children) if (c != null) e.append(c);
    return e;
  }

  async function api(path, options) {
    const opts = Object.assign({ headers: {} }, options || {});
    opts.headers = Object.assign({ Authorization: "Bearer " + sessionStorage.getItem(TOKEN_KEY) }, opts.headers);
    if (opts.json !== undefined) {
      opts.body = JSON.stringify(opts.json);
      opts.headers["Content-Type"] = "application/json";
      delete opts.json;
    }
    const resp = await fetch(API + path, opts);
    if (resp.status === 401) { signOut("令牌无效或已过期，请重新登录。"); throw new Error("401"); }
    if (!resp.ok) {
      let detail = resp.statusText;
      try { const body = await resp.json(); detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail); } catch (e) { /* not JSON */ }
      throw new Error(detail);
    }
    return resp;
  }
  const getJSON = async (path) => (await api(path)).json();

  function say(text, isError) {
    const m = $("#message");
    m.textContent = text || "";
    m.className = isError ? "message error" : "message";
  }

  // ------------------------------------------------------------ sign in
  async function signIn(token) {
    sessionStorage.setItem(TOKEN_KEY, token);
    const me = await getJSON("/me");
    $("#org-name").textContent = me.name + (me.is_admin ? "（管理员）" : "");
    $("#signin").hidden = true;
    $("#app").hidden = false;
    $("#who").hidden = false;
    await loadWatchlists();
    await Promise.all([loadAlerts(), loadChart()]);
  }

  function signOut(why) {
    sessionStorage.removeItem(TOKEN_KEY);
    $("#app").hidden = true;
    $("#who").hidden = true;
    $("#signin").hidden = false;
    $("#signin-error").textContent = why || "";
  }

  // ------------------------------------------------------------ watchlists and brands
  async function loadWatchlists() {
    state.watchlists = await getJSON("/watchlists");
    const ul = $("#watchlists");
    ul.replaceChildren();
    if (!state.watchlists.length) ul.append(el("li", { text: "（暂无监测名单）" }));
    for (const w of state.watchlists) {
      const li = el("li", { "data-id": String(w.id), text: w.name + "（" + w.brands + " 个商标" + (w.owned ? "" : "，订阅") + "）" });
      li.addEventListener("click", () => selectWatchlist(w.id));
      ul.append(li);
    }
    if (state.watchlists.length) await selectWatchlist(state.selected || state.watchlists[0].id);
  }

  async function selectWatchlist(id) {
    state.selected = id;
    for (const li of document.querySelectorAll("#watchlists li")) li.classList.toggle("selected", li.dataset.id === String(id));
    const w = state.watchlists.find((x) => x.id === id);
    $("#brands-title").textContent = "重点商标 — " + (w ? w.name : "");
    $("#brand-form").hidden = !(w && w.owned);
    const brands = await getJSON("/watchlists/" + id + "/brands");
    const tbody = $("#brands tbody");
    tbody.replaceChildren();
    for (const b of brands) {
      tbody.append(el("tr", { "data-brand": b.brand_id }, el("td", { text: b.brand_id }), el("td", { text: b.mark }),
        el("td", { text: (b.classes || []).join(",") }), el("td", { text: (b.aliases || []).join("、") })));
    }
  }

  function splitList(text) {
    return (text || "").split(/[,，、;；\s]+/).map((s) => s.trim()).filter(Boolean);
  }

  async function addBrand(ev) {
    ev.preventDefault();
    const f = ev.target;
    const classes = splitList(f.classes.value).map(Number);
    if (classes.some((c) => !Number.isInteger(c) || c < 1 || c > 45)) { say("类别应为 1–45 的数字，以逗号分隔", true); return; }
    try {
      await api("/watchlists/" + state.selected + "/brands", { method: "POST", json: {
        brand_id: f.brand_id.value.trim(), mark: f.mark.value.trim(), classes: classes, aliases: splitList(f.aliases.value) } });
      say("已添加商标「" + f.mark.value.trim() + "」，下次运行时将与全部公告比对。");
      f.reset();
      await loadWatchlists();
    } catch (e) { say("添加失败：" + e.message, true); }
  }

  // ------------------------------------------------------------ alerts
  function filters() {
    const p = new URLSearchParams();
    if (state.selected) p.set("watchlist_id", state.selected);
    if ($("#filter-status").value) p.set("status", $("#filter-status").value);
    if ($("#filter-severity").value) p.set("severity", $("#filter-severity").value);
    return p;
  }

  async function loadAlerts() {
    const p = filters();
    p.set("limit", PAGE);
    p.set("offset", state.offset);
    const page = await getJSON("/alerts?" + p.toString());
    state.total = page.total;
    $("#alerts-total").textContent = "共 " + page.total + " 条";
    $("#page").textContent = page.total ? (state.offset + 1) + "–" + Math.min(state.offset + PAGE, page.total) : "0";
    $("#prev").disabled = state.offset === 0;
    $("#next").disabled = state.offset + PAGE >= page.total;
    const tbody = $("#alerts tbody");
    tbody.replaceChildren();
    if (!page.items.length) tbody.append(el("tr", {}, el("td", { colspan: "8", text: "暂无预警" })));
    for (const a of page.items) tbody.append(alertRow(a));
  }

  function alertRow(a) {
    const days = a.days_left == null ? "" : (a.days_left < 0 ? "已过期 " + (-a.days_left) + " 天" : "剩余 " + a.days_left + " 天");
    const deadline = el("td", {}, el("div", { text: a.opposition_deadline || "未知" }),
      el("div", { class: "days" + (a.days_left != null && a.days_left <= 14 ? " urgent" : ""), text: days }));
    const reasons = el("ul", { class: "reasons" });
    for (const r of a.reasons || []) reasons.append(el("li", { title: r.detail_en || "", text: r.detail }));
    const select = el("select", { class: "status", "aria-label": "处理状态" });
    for (const s of [a.status].concat(MOVES[a.status] || [])) {
      const o = el("option", { value: s, text: STATUS[s] || s });
      if (s === a.status) o.selected = true;
      select.append(o);
    }
    const comment = el("input", { class: "comment", placeholder: "备注", maxlength: "2000" });
    if (a.status_comment) comment.value = a.status_comment;
    const save = el("button", { type: "button", class: "save", text: "保存" });
    save.addEventListener("click", async () => {
      try {
        const updated = await (await api("/alerts/" + a.alert_id + "/status", { method: "POST",
          json: { status: select.value, comment: comment.value || null } })).json();
        say("预警 " + a.alert_id + "（" + a.mark + "）已改为「" + STATUS[updated.status] + "」");
        await Promise.all([loadAlerts(), loadChart()]);
      } catch (e) { say("保存失败：" + e.message, true); }
    });
    const by = a.status_by ? el("div", { class: "days", text: STATUS[a.status] + " · " + a.status_by }) : null;
    const pack = el("button", { type: "button", class: "pack", text: "异议材料" });
    pack.addEventListener("click", () => download("/alerts/" + a.alert_id + "/pack?format=docx",
      "异议材料-" + a.application_no + ".docx"));
    return el("tr", { "data-alert": String(a.alert_id) }, deadline,
      el("td", { class: "sev-" + a.severity, text: (SEVERITY[a.severity] || a.severity) + " " + a.score.toFixed(2) }),
      el("td", { text: a.brand + "（" + a.brand_id + "）" }),
      el("td", {}, el("strong", { text: a.mark }), pictures(a)),
      el("td", { text: a.application_no + " / 第" + (a.classes || []).join("、") + "类" }),
      el("td", { text: a.applicant || "" }),
      el("td", {}, reasons),
      el("td", { class: "review" }, select, comment, save, pack, by));
  }

  // the brand's logo and the gazette mark's image side by side, fetched with the token (blob URLs)
  function pictures(a) {
    if (!a.mark_image && !a.brand_logo) return null;
    const box = el("div", { class: "pictures" });
    for (const [side, shown, label] of [["logo", a.brand_logo, "监测商标图样"], ["mark", a.mark_image, "初审商标图样"]]) {
      if (!shown) continue;
      const img = el("img", { class: "picture-" + side, alt: label, title: label });
      box.append(img);
      api("/alerts/" + a.alert_id + "/image/" + side).then((r) => r.blob())
        .then((b) => { img.src = URL.createObjectURL(b); }).catch(() => img.remove());
    }
    return box;
  }

  async function download(path, name) {
    try {
      const url = URL.createObjectURL(await (await api(path)).blob());
      const a = el("a", { href: url, download: name });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      say("已下载 " + name);
    } catch (e) { say("下载失败：" + e.message, true); }
  }

  async function exportXlsx() {
    try {
      const p = filters();
      p.set("format", "xlsx");
      const blob = await (await api("/alerts/export?" + p.toString())).blob();
      const url = URL.createObjectURL(blob);
      const a = el("a", { href: url, download: "markwatch-预警.xlsx" });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      say("已下载 XLSX。");
    } catch (e) { say("下载失败：" + e.message, true); }
  }

  // ------------------------------------------------------------ chart (inline SVG)
  const COLOURS = ["#1c4e80", "#b00020", "#2e7d32", "#b26a00", "#6a1b9a", "#00838f"];
  const SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    return e;
  }

  async function loadChart() {
    const p = filters();
    p.delete("status");
    p.delete("severity");
    p.set("by", $("#chart-by").value);
    const data = await getJSON("/alerts/timeline?" + p.toString());
    drawChart(data);
  }

  function drawChart(data) {
    const box = $("#chart");
    box.replaceChildren();
    if (!data.months.length) { box.append(el("p", { text: "暂无数据" })); return; }
    const series = data.series.slice(0, COLOURS.length);
    const W = 520, H = 240, L = 36, R = 16, T = 10, B = 40;
    const max = Math.max(1, ...series.flatMap((s) => s.counts));
    const n = data.months.length;
    const x = (i) => L + (n === 1 ? (W - L - R) / 2 : i * (W - L - R) / (n - 1));
    const y = (v) => T + (H - T - B) * (1 - v / max);
    const root = svg("svg", { viewBox: "0 0 " + W + " " + (H + 20 * Math.ceil(series.length / 3)), role: "img",
                              "aria-label": "预警趋势图" });
    root.append(svg("line", { x1: L, y1: y(0), x2: W - R, y2: y(0), stroke: "#999" }));
    root.append(svg("line", { x1: L, y1: T, x2: L, y2: y(0), stroke: "#999" }));
    for (const v of [...new Set([0, Math.round(max / 2), max])]) {
      const t = svg("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end", "font-size": 11, fill: "#52606d" });
      t.textContent = String(v);
      root.append(t);
    }
    data.months.forEach((m, i) => {
      if (n > 8 && i % Math.ceil(n / 8)) return;
      const anchor = n > 1 && i === n - 1 ? "end" : "middle";
      const t = svg("text", { x: x(i), y: y(0) + 16, "text-anchor": anchor, "font-size": 11, fill: "#52606d" });
      t.textContent = m;
      root.append(t);
    });
    series.forEach((s, k) => {
      const colour = COLOURS[k];
      const pts = s.counts.map((v, i) => x(i) + "," + y(v)).join(" ");
      root.append(svg("polyline", { points: pts, fill: "none", stroke: colour, "stroke-width": 2, class: "series" }));
      s.counts.forEach((v, i) => {
        const c = svg("circle", { cx: x(i), cy: y(v), r: 3, fill: colour });
        const tip = svg("title", {});
        tip.textContent = s.key + " " + data.months[i] + "：" + v;
        c.append(tip);
        root.append(c);
      });
      const lx = L + (k % 3) * 170, ly = H + 14 + 20 * Math.floor(k / 3);
      root.append(svg("rect", { x: lx, y: ly - 9, width: 10, height: 10, fill: colour }));
      const label = svg("text", { x: lx + 14, y: ly, "font-size": 12, fill: "#1f2933", class: "legend" });
      label.textContent = s.key + "（" + s.total + "）";
      root.append(label);
    });
    box.append(root);
  }

  // ------------------------------------------------------------ wiring
  $("#signin-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("#signin-error").textContent = "";
    try { await signIn($("#token").value.trim()); $("#token").value = ""; }
    catch (e) { if (e.message !== "401") $("#signin-error").textContent = "登录失败：" + e.message; }
  });
  $("#signout").addEventListener("click", () => signOut(""));
  $("#brand-form").addEventListener("submit", addBrand);
  $("#export-xlsx").addEventListener("click", exportXlsx);
  $("#chart-by").addEventListener("change", loadChart);
  for (const id of ["#filter-status", "#filter-severity"]) $(id).addEventListener("change", () => { state.offset = 0; loadAlerts(); });
  $("#prev").addEventListener("click", () => { state.offset = Math.max(0, state.offset - PAGE); loadAlerts(); });
  $("#next").addEventListener("click", () => { state.offset += PAGE; loadAlerts(); });
  document.addEventListener("click", (ev) => {
    if (ev.target.closest && ev.target.closest("#watchlists li")) { state.offset = 0; setTimeout(() => { loadAlerts(); loadChart(); }, 0); }
  });
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) signIn(saved).catch(() => signOut(""));
})();
