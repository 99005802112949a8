// markwatch clerk page: vanilla JS calling /api/v1 with the organisation's token (sessionStorage).
// Data is always put into the page with textContent, never as HTML. Views: #alerts (the work queue,
// first), #alert/ID (one alert, printable as the brand owner's report), #brands (watchlists and brands).
(function () {
  "use strict";
  const API = document.body.dataset.api || "/api/v1";
  const TOKEN_KEY = "markwatch.token";
  const STATUS = { new: "新预警", reviewing: "审查中", opposition_filed: "已提异议", dismissed: "已排除" };
  const SEVERITY = { high: "高", medium: "中", low: "低" };
  const KIND = { enterprise: "企业商标", collective: "集体商标", certification: "证明商标", geographical_indication: "地理标志" };
  const MOVES = { new: ["reviewing", "opposition_filed", "dismissed"], reviewing: ["opposition_filed", "dismissed", "new"],
                  opposition_filed: ["reviewing"], dismissed: ["reviewing", "new"] };
  const MARK_TYPE = { word: "文字", figurative: "图形", combined: "组合", "3d": "立体", colour: "颜色", sound: "声音" };
  const PAGE = 50;
  const $ = (sel) => document.querySelector(sel);
  const $$ = (sel) => Array.from(document.querySelectorAll(sel));

  function freshState() {
    return { me: null, watchlists: [], brands: {}, selected: null, due: "", sort: "deadline", offset: 0, total: 0,
             items: [], picked: new Set(), alert: null };
  }
  let state = freshState();
  let alertsAsked = 0;  // the newest alert list asked for: an older answer arriving after it is dropped

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null) continue;
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
      try {
        const body = await resp.json();
        detail = typeof body.detail === "string" ? body.detail
          : (body.detail || []).map((d) => (d.loc || []).slice(-1).join("") + "：" + d.msg).join("；");
      } catch (e) { /* not JSON */ }
      throw new Error(detail);
    }
    return resp;
  }
  const getJSON = async (path) => (await api(path)).json();

  // Every message sits next to the form or list it is about; all of them go when the organisation changes.
  function say(id, text) { const m = $(id); if (m) m.textContent = text || ""; }
  function clearMessages() { for (const m of $$(".error, .message")) m.textContent = ""; }
  const failed = (e) => e.message !== "401";

  // ------------------------------------------------------------ sign in and out
  async function signIn(token) {
    sessionStorage.setItem(TOKEN_KEY, token);
    state = freshState();
    clearMessages();
    quietReset();
    state.me = await getJSON("/me");
    $("#org-name").textContent = state.me.name + (state.me.is_admin ? "（管理员）" : "");
    $("#signin").hidden = true;
    $("#app").hidden = false;
    $("#who").hidden = false;
    await loadWatchlists();
    if (location.hash.startsWith("#alert/") || location.hash === "#brands" || location.hash === "#search") await route();
    else if (location.hash !== "#alerts") location.hash = "#alerts"; else await route();
  }

  function signOut(why) {
    sessionStorage.removeItem(TOKEN_KEY);
    state = freshState();
    clearMessages();
    quietReset();
    $("#alerts tbody").replaceChildren();
    $("#chart").replaceChildren();
    $("#app").hidden = true;
    $("#who").hidden = true;
    $("#signin").hidden = false;
    $("#signin-error").textContent = why || "";
  }

  // Forms back to their defaults without the reload a clerk's 清除 asks for.
  let resetting = false;
  function quietReset() {
    resetting = true;
    for (const f of ["#filters", "#bulk", "#review", "#brand-form", "#search-form", "#picture-form"]) $(f).reset();
    $("#search-results tbody").replaceChildren();
    $("#query-picture").hidden = true;
    resetting = false;
    setDue("");
  }

  // ------------------------------------------------------------ views
  async function route() {
    const hash = location.hash || "#alerts";
    const m = hash.match(/^#alert\/(\d+)$/);
    const view = m ? "alert" : ({ "#brands": "brands", "#search": "search" }[hash] || "alerts");
    $("#view-alerts").hidden = view !== "alerts";
    $("#view-alert").hidden = view !== "alert";
    $("#view-brands").hidden = view !== "brands";
    $("#view-search").hidden = view !== "search";
    for (const t of $$(".tabs [role=tab]")) t.setAttribute("aria-selected", String(t.dataset.view === view || (view === "alert" && t.dataset.view === "alerts")));
    try {
      if (view === "alert") await showAlert(Number(m[1]));
      else if (view === "brands") await selectWatchlist(state.selected || (state.watchlists[0] || {}).id);
      else if (view === "search") { /* the clerk starts a search */ }
      else await Promise.all([loadAlerts(), loadChart()]);
    } catch (e) { if (failed(e)) say(view === "alert" ? "#review-error" : "#filters-error", "加载失败：" + e.message); }
  }

  // ------------------------------------------------------------ watchlists and brands
  async function loadWatchlists() {
    state.watchlists = await getJSON("/watchlists");
    const lists = await Promise.all(state.watchlists.map((w) => getJSON("/watchlists/" + w.id + "/brands")));
    state.watchlists.forEach((w, i) => { state.brands[w.id] = lists[i]; });
    const ul = $("#watchlists");
    ul.replaceChildren();
    if (!state.watchlists.length) ul.append(el("li", { text: "（暂无监测名单）" }));
    for (const w of state.watchlists) {
      const li = el("li", { "data-id": String(w.id), tabindex: "0",
        text: w.name + "（" + w.brands + " 个商标" + (w.owned ? "" : "，订阅") + "）" });
      li.addEventListener("click", () => selectWatchlist(w.id));
      ul.append(li);
    }
    const wsel = $("#filters [name=watchlist_id]");
    const keep = wsel.value;
    wsel.replaceChildren(el("option", { value: "", text: "全部" }));
    for (const w of state.watchlists) wsel.append(el("option", { value: String(w.id), text: w.name }));
    wsel.value = keep;
    fillBrandFilter();
  }

  function fillBrandFilter() {
    const wid = $("#filters [name=watchlist_id]").value;
    const bsel = $("#filters [name=brand_id]");
    const keep = bsel.value;
    const seen = new Map();
    for (const w of state.watchlists) {
      if (wid && String(w.id) !== wid) continue;
      for (const b of state.brands[w.id] || []) if (!seen.has(b.brand_id)) seen.set(b.brand_id, b.mark);
    }
    bsel.replaceChildren(el("option", { value: "", text: "全部" }));
    for (const [id, mark] of [...seen.entries()].sort((a, b) => a[1].localeCompare(b[1], "zh"))) {
      bsel.append(el("option", { value: id, text: mark + "（" + id + "）" }));
    }
    bsel.value = seen.has(keep) ? keep : "";
  }

  async function selectWatchlist(id) {
    if (id == null) return;
    state.selected = id;
    for (const li of $$("#watchlists li")) li.classList.toggle("selected", li.dataset.id === String(id));
    const w = state.watchlists.find((x) => x.id === id);
    $("#brands-title").textContent = "重点商标 — " + (w ? w.name : "");
    $("#brand-form").hidden = !(w && w.owned);
    const brands = await getJSON("/watchlists/" + id + "/brands");
    state.brands[id] = brands;
    const tbody = $("#brands tbody");
    tbody.replaceChildren();
    for (const b of brands) {
      tbody.append(el("tr", { "data-brand": b.brand_id }, el("td", { text: b.brand_id }), el("td", { text: b.mark }),
        el("td", { text: (b.classes || []).join(",") }), el("td", { text: (b.similar_groups || []).join(",") }),
        el("td", { text: (b.aliases || []).join("、") }), el("td", { text: b.owner || "" })));
    }
  }

  function splitList(text) {
    return (text || "").split(/[,，、;；\s]+/).map((s) => s.trim()).filter(Boolean);
  }

  async function addBrand(ev) {
    ev.preventDefault();
    const f = ev.target;
    say("#brand-error", "");
    say("#brand-status", "");
    const classes = splitList(f.classes.value).map(Number);
    if (classes.some((c) => !Number.isInteger(c) || c < 1 || c > 45)) { say("#brand-error", "类别应为 1–45 的数字，以逗号分隔"); return; }
    try {
      await api("/watchlists/" + state.selected + "/brands", { method: "POST", json: {
        brand_id: f.brand_id.value.trim(), mark: f.mark.value.trim(), classes: classes, aliases: splitList(f.aliases.value) } });
      say("#brand-status", "已添加商标「" + f.mark.value.trim() + "」，下次运行时将与全部公告比对。");
      f.reset();
      await loadWatchlists();
      await selectWatchlist(state.selected);
    } catch (e) { if (failed(e)) say("#brand-error", "添加失败：" + e.message); }
  }

  // ------------------------------------------------------------ the work queue
  function filters() {
    const f = $("#filters");
    const p = new URLSearchParams();
    for (const name of ["watchlist_id", "brand_id", "class", "severity", "status", "q"]) {
      const v = f.elements[name].value.trim();
      if (v) p.set(name, v);
    }
    if (state.due) p.set("due", state.due);
    else {
      if (f.deadline_from.value) p.set("deadline_from", f.deadline_from.value);
      if (f.deadline_to.value) p.set("deadline_to", f.deadline_to.value);
    }
    return p;
  }

  async function loadAlerts() {
    const p = filters();
    p.set("limit", PAGE);
    p.set("offset", state.offset);
    if (state.sort !== "deadline") p.set("sort", state.sort);
    say("#filters-error", "");
    const asked = ++alertsAsked;
    const page = await getJSON("/alerts?" + p.toString());
    if (asked !== alertsAsked) return;  // a newer sort, filter or page was asked for meanwhile
    state.total = page.total;
    state.items = page.items;
    $("#alerts-total").textContent = "共 " + page.total + " 条";
    // the due views hold the open alerts only (new, reviewing): say so beside the window
    $("#due-range").textContent = state.due && page.deadline_from
      ? "截止日 " + page.deadline_from + " 至 " + page.deadline_to + "（新预警、审查中）" : "";
    $("#page").textContent = page.total
      ? "第 " + (state.offset + 1) + "–" + Math.min(state.offset + PAGE, page.total) + " 条，共 " + page.total + " 条" : "";
    $("#prev").disabled = state.offset === 0;
    $("#next").disabled = state.offset + PAGE >= page.total;
    for (const th of $$("#alerts th[data-sort]")) {
      const key = th.dataset.sort;
      th.setAttribute("aria-sort", state.sort === key ? "ascending" : state.sort === "-" + key ? "descending" : "none");
    }
    const tbody = $("#alerts tbody");
    tbody.replaceChildren();
    if (!page.items.length) tbody.append(el("tr", {}, el("td", { colspan: "9", class: "empty", text: "没有符合条件的预警" })));
    for (const a of page.items) tbody.append(alertRow(a));
    $("#pick-all").checked = page.items.length > 0 && page.items.every((a) => state.picked.has(a.alert_id));
    showPicked();
  }

  function daysText(a) {
    if (a.days_left == null) return "";
    return a.days_left < 0 ? "已过期 " + (-a.days_left) + " 天" : "剩余 " + a.days_left + " 天";
  }

  function alertRow(a) {
    const pick = el("input", { type: "checkbox", class: "pick", value: String(a.alert_id), "aria-label": "选择预警 " + a.alert_id });
    pick.checked = state.picked.has(a.alert_id);
    pick.addEventListener("change", () => {
      if (pick.checked) state.picked.add(a.alert_id); else state.picked.delete(a.alert_id);
      showPicked();
    });
    const deadline = el("td", {}, el("div", { text: a.opposition_deadline || "未知" }),
      el("div", { class: "days" + (a.days_left != null && a.days_left <= 14 ? " urgent" : ""), text: daysText(a) }));
    const reasons = el("ul", { class: "reasons" });
    for (const r of (a.reasons || []).slice(0, 2)) reasons.append(el("li", { title: r.detail_en || "", text: r.detail }));
    if ((a.reasons || []).length > 2) reasons.append(el("li", { class: "days", text: "等 " + a.reasons.length + " 条理由" }));
    const status = el("td", { class: "status st-" + a.status }, el("span", { class: "badge", text: STATUS[a.status] || a.status }),
      a.status_by ? el("div", { class: "days", text: a.status_by }) : null);
    if (a.can_review === false) {  // a subscriber reads the owner's review, it does not set it
      pick.disabled = true;
      pick.title = "只有监测名单的所有者可以修改处理状态";
    }
    return el("tr", { "data-alert": String(a.alert_id) }, el("td", { class: "pick" }, pick), deadline,
      el("td", { class: "sev-" + a.severity, text: (SEVERITY[a.severity] || a.severity) + " " + a.score.toFixed(2) }),
      el("td", { text: a.brand + "（" + a.brand_id + "）" }),
      el("td", {}, el("a", { href: "#alert/" + a.alert_id, class: "open", text: a.mark || "（图形）" }), pictures(a)),
      el("td", { text: a.application_no + " / 第" + (a.classes || []).join("、") + "类" }),
      el("td", { text: a.applicant || "" }),
      el("td", {}, reasons), status);
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

  function showPicked() {
    const n = state.picked.size;
    $("#bulk-count").textContent = "已选 " + n + " 条";
    $("#bulk button[type=submit]").disabled = n === 0;
  }

  async function bulkReview(ev) {
    ev.preventDefault();
    const f = ev.target;
    say("#bulk-error", "");
    say("#bulk-status", "");
    const ids = [...state.picked];
    if (!ids.length) { say("#bulk-error", "请先勾选要处理的预警"); return; }
    try {
      const done = await (await api("/alerts/status", { method: "POST",
        json: { alert_ids: ids, status: f.status.value, comment: f.comment.value.trim() || null } })).json();
      say("#bulk-status", "已将 " + done.changed.length + " 条预警改为「" + STATUS[done.status] + "」"
        + (done.unchanged.length ? "，" + done.unchanged.length + " 条原已如此，未新增记录" : "") + "。");
      state.picked.clear();
      f.comment.value = "";
      await Promise.all([loadAlerts(), loadChart()]);
    } catch (e) { if (failed(e)) say("#bulk-error", "批量处理失败：" + e.message); }
  }

  function filenameOf(resp, fallback) {
    const cd = resp.headers.get("Content-Disposition") || "";
    const star = cd.match(/filename\*=(?:UTF-8|utf-8)''([^;]+)/);
    if (star) return decodeURIComponent(star[1]);
    const plain = cd.match(/filename="?([^";]+)"?/);
    return plain ? plain[1] : fallback;
  }

  function saveDownload(resp, blob, name) {
    const url = URL.createObjectURL(blob);
    const a = el("a", { href: url, download: filenameOf(resp, name) });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    return filenameOf(resp, name);
  }

  async function exportXlsx() {
    say("#bulk-error", "");
    say("#bulk-status", "");
    try {
      const p = filters();
      p.set("format", "xlsx");
      const resp = await api("/alerts/export?" + p.toString());
      const name = saveDownload(resp, await resp.blob(), "markwatch-alerts.xlsx");
      say("#bulk-status", "已下载 " + name + "（" + state.total + " 条）。");
    } catch (e) { if (failed(e)) say("#bulk-error", "导出失败：" + e.message); }
  }

  // ------------------------------------------------------------ one alert
  function facts(dl, rows) {
    dl.replaceChildren();
    for (const [label, value, cls] of rows) {
      dl.append(el("dt", { text: label }), el("dd", { class: cls || null, text: value == null || value === "" ? "—" : String(value) }));
    }
  }

  function groupsText(groups, shared) {
    if (!groups || !groups.length) return null;
    return groups.map((g) => (shared.includes(g.code) ? "★" : "") + g.code + (g.name ? " " + g.name : "")).join("；");
  }

  async function showAlert(id) {
    say("#review-error", "");
    say("#review-status", "");
    const a = await getJSON("/alerts/" + id);
    state.alert = a;
    $("#report-title").textContent = "商标异议预警：初审商标「" + (a.mark || "（图形）") + "」与监测商标「" + a.brand + "」";
    $("#report-meta").textContent = "预警编号 " + a.alert_id + " · 监测名单 " + a.watchlist + " · 风险 "
      + (SEVERITY[a.severity] || a.severity) + "（近似度 " + a.score.toFixed(2) + "）· 状态 " + (STATUS[a.status] || a.status);
    $("#brand-mark").textContent = a.brand;
    $("#new-mark").textContent = a.mark || "（图形）";
    facts($("#brand-facts"), [["商标编号", a.brand_id], ["别名", (a.brand_aliases || []).join("、")],
      ["权利人", a.brand_owner], ["商标种类", KIND[a.brand_kind] || a.brand_kind],
      ["驰名商标", a.brand_well_known ? "是" : "否"], ["监测名单", a.watchlist]]);
    facts($("#mark-facts"), [["申请号", a.application_no], ["商标类型", MARK_TYPE[a.mark_type] || a.mark_type],
      ["申请人", a.applicant], ["申请人地址", a.applicant_address], ["代理机构", a.agent], ["申请日", a.filing_date]]);
    const shared = a.shared_groups || [];
    const classCell = (list) => (list || []).map((c) => ((a.shared_classes || []).includes(c) ? "★" : "") + "第" + c + "类").join("、") || null;
    const rows = [["类别", classCell(a.brand_classes), classCell(a.classes)],
      ["类似群", groupsText(a.brand_groups, shared),
        (groupsText(a.mark_groups, shared) || null) && groupsText(a.mark_groups, shared) + (a.mark_groups_from_goods ? "（由商品名称对应）" : "")],
      ["商品/服务", null, (a.goods || []).join("；") || null]];
    const tbody = $("#goods-table tbody");
    tbody.replaceChildren();
    for (const [label, brand, mark] of rows) {
      tbody.append(el("tr", {}, el("th", { text: label }), el("td", { text: brand || "—" }), el("td", { text: mark || "—" })));
    }
    tbody.append(el("tr", { class: "days" }, el("td", { colspan: "3", text: "★ 为双方相同的类别或类似群" })));
    facts($("#deadline-facts"), [["初审公告日", a.publication_date], ["公告期号", a.gazette_issue],
      ["异议截止日", (a.opposition_deadline || "未知") + (a.days_left != null ? "（" + daysText(a) + "）" : ""),
        a.days_left != null && a.days_left <= 14 ? "urgent" : null],
      ["期限说明", a.deadline_note]]);
    $("#alert-score").textContent = "近似度 " + a.score.toFixed(2);
    const ul = $("#alert-reasons");
    ul.replaceChildren();
    for (const r of a.reasons || []) ul.append(el("li", { title: r.detail_en || "", text: r.detail }));
    const hist = $("#history tbody");
    hist.replaceChildren();
    if (!a.history.length) hist.append(el("tr", {}, el("td", { colspan: "4", text: "尚未处理" })));
    for (const h of a.history) {
      hist.append(el("tr", {}, el("td", { text: (h.at || "").replace("T", " ").slice(0, 16) }),
        el("td", { text: STATUS[h.status] || h.status }), el("td", { text: h.actor || "" }), el("td", { text: h.comment || "" })));
    }
    $("#report-foot").textContent = "本报告由 " + (state.me ? state.me.name : "") + " 于 " + new Date().toISOString().slice(0, 10)
      + " 经 markwatch 生成。近似判断供参考；是否在异议截止日前提出异议，由商标权利人决定。";
    const sel = $("#review [name=status]");
    sel.replaceChildren();
    for (const s of [a.status].concat(MOVES[a.status] || [])) sel.append(el("option", { value: s, text: STATUS[s] || s }));
    sel.value = a.status;
    $("#review [name=comment]").value = a.status_comment || "";
    const readOnly = a.can_review === false;  // a subscriber reads the owner's review, it does not set it
    for (const c of $$("#review select, #review input, #review button")) {
      c.disabled = readOnly;
      c.title = readOnly ? "只有监测名单的所有者可以修改处理状态" : "";
    }
  }

  async function downloadPack() {
    const a = state.alert;
    say("#review-error", "");
    try {
      const resp = await api("/alerts/" + a.alert_id + "/pack?format=docx");
      const name = saveDownload(resp, await resp.blob(), "异议材料-" + a.application_no + ".docx");
      say("#review-status", "已下载 " + name + "。");
    } catch (e) { if (failed(e)) say("#review-error", "下载异议材料失败：" + e.message); }
  }

  async function review(ev) {
    ev.preventDefault();
    const f = ev.target;
    const a = state.alert;
    say("#review-error", "");
    say("#review-status", "");
    try {
      const done = await (await api("/alerts/" + a.alert_id + "/status", { method: "POST",
        json: { status: f.status.value, comment: f.comment.value.trim() || null } })).json();
      await showAlert(a.alert_id);
      say("#review-status", done.changed ? "已保存：「" + STATUS[done.status] + "」。" : "状态和备注均未改变，未新增处理记录。");
    } catch (e) { if (failed(e)) say("#review-error", "保存失败：" + e.message); }
  }

  // ------------------------------------------------------------ chart (inline SVG bars)
  const SVG = "http://www.w3.org/2000/svg";
  const SEV_COLOUR = { high: "#b00020", medium: "#d9822b", low: "#7b8794" };
  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text != null) e.textContent = text;
    return e;
  }

  function niceStep(max, parts) {
    const raw = Math.max(1, max / parts);
    const pow = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 5, 10]) if (m * pow >= raw) return m * pow;
    return 10 * pow;
  }

  async function loadChart() {
    const by = $("#chart-by").value;
    const p = filters();
    p.set("by", by === "month" ? "severity" : by);
    const data = await getJSON("/alerts/timeline?" + p.toString());
    const box = $("#chart");
    box.replaceChildren();
    if (!data.months.length) { box.append(el("p", { text: "暂无数据" })); return; }
    box.append(by === "month" ? monthBars(data) : totalBars(data, by));
  }

  function monthBars(data) {
    const n = data.months.length;
    const W = 640, H = 240, L = 40, R = 10, T = 12, B = 44;
    const max = Math.max(1, ...data.totals);
    const step = niceStep(max, 4);
    const top = Math.ceil(max / step) * step;
    const y = (v) => T + (H - T - B) * (1 - v / top);
    const slot = (W - L - R) / n;
    const bw = Math.min(48, slot * 0.6);
    const root = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "每月预警数（按风险）" });
    for (let v = 0; v <= top; v += step) {
      root.append(svg("line", { x1: L, y1: y(v), x2: W - R, y2: y(v), stroke: v ? "#e4e7eb" : "#999" }));
      root.append(svg("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end", "font-size": 11, fill: "#52606d", class: "tick" }, String(v)));
    }
    data.months.forEach((m, i) => {
      const cx = L + slot * (i + 0.5);
      let base = 0;
      for (const s of data.series) {
        const v = s.counts[i];
        if (!v) continue;
        const rect = svg("rect", { x: cx - bw / 2, y: y(base + v), width: bw, height: y(base) - y(base + v),
                                   fill: SEV_COLOUR[s.key] || "#1c4e80", class: "bar" });
        rect.append(svg("title", {}, m + " " + (SEVERITY[s.key] || s.key) + "风险：" + v + " 条"));
        root.append(rect);
        base += v;
      }
      if (data.totals[i]) root.append(svg("text", { x: cx, y: y(data.totals[i]) - 4, "text-anchor": "middle", "font-size": 11, fill: "#1f2933", class: "total" }, String(data.totals[i])));
      const label = m === "unknown" ? "日期不详" : m.slice(0, 4) + "年" + Number(m.slice(5)) + "月";
      if (n <= 12 || i % Math.ceil(n / 12) === 0) root.append(svg("text", { x: cx, y: H - B + 16, "text-anchor": "middle", "font-size": 11, fill: "#52606d", class: "month" }, label));
    });
    let lx = L;
    for (const key of ["high", "medium", "low"]) {
      root.append(svg("rect", { x: lx, y: H - 14, width: 10, height: 10, fill: SEV_COLOUR[key] }));
      root.append(svg("text", { x: lx + 14, y: H - 5, "font-size": 12, fill: "#1f2933", class: "legend" }, SEVERITY[key] + "风险"));
      lx += 70;
    }
    return root;
  }

  function totalBars(data, by) {
    const rows = data.series.slice().sort((a, b) => b.total - a.total).slice(0, 12);
    const W = 640, row = 24, L = 130, R = 40, T = 8;
    const H = T + row * rows.length + 24;
    const max = Math.max(1, ...rows.map((s) => s.total));
    const step = niceStep(max, 4);
    const top = Math.ceil(max / step) * step;
    const x = (v) => L + (W - L - R) * v / top;
    const root = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": by === "class" ? "各类别预警数" : "各商标预警数" });
    for (let v = 0; v <= top; v += step) {
      root.append(svg("line", { x1: x(v), y1: T, x2: x(v), y2: H - 20, stroke: v ? "#e4e7eb" : "#999" }));
      root.append(svg("text", { x: x(v), y: H - 6, "text-anchor": "middle", "font-size": 11, fill: "#52606d", class: "tick" }, String(v)));
    }
    rows.forEach((s, i) => {
      const yy = T + i * row;
      root.append(svg("text", { x: L - 8, y: yy + 16, "text-anchor": "end", "font-size": 12, fill: "#1f2933", class: "label" }, s.key));
      const rect = svg("rect", { x: L, y: yy + 4, width: Math.max(1, x(s.total) - L), height: row - 8, fill: "#1c4e80", class: "bar" });
      rect.append(svg("title", {}, s.key + "：" + s.total + " 条"));
      root.append(rect);
      root.append(svg("text", { x: x(s.total) + 4, y: yy + 16, "font-size": 11, fill: "#1f2933", class: "total" }, String(s.total)));
    });
    return root;
  }

  // ------------------------------------------------------------ clearance search (商标检索)
  const classesOf = (text) => (text || "").split(/[,，;；\s]+/).filter(Boolean).map(Number);

  function showResults(results, picture) {
    const body = $("#search-results tbody");
    body.replaceChildren();
    if (!results.length) body.append(el("tr", {}, el("td", { class: "empty", colspan: "6", text: "没有近似商标" })));
    for (const r of results) {
      const where = picture ? "图形近似 " + r.similarity.toFixed(2) : r.found_in;
      const reasons = el("ul", { class: "reasons" }, ...(r.reasons || []).slice(0, 4).map((x) => el("li", { text: x.detail })));
      body.append(el("tr", { "data-application": r.application_no },
        el("td", { text: r.score.toFixed(3) }),
        el("td", { text: r.mark || "（" + (MARK_TYPE[r.mark_type] || "无文字") + "）" }),
        el("td", { class: "found-in", text: where }),
        el("td", { text: r.application_no }),
        el("td", { text: (r.classes || []).join(",") }),
        el("td", {}, reasons)));
    }
  }

  async function searchText(ev) {
    ev.preventDefault();
    clearMessages();
    const f = new FormData(ev.target);
    const q = new URLSearchParams({ mark: f.get("mark"), top: "20" });
    for (const c of classesOf(f.get("classes"))) q.append("classes", String(c));
    try {
      const a = await getJSON("/search?" + q.toString());
      showResults(a.results, false);
      say("#search-status", "检索了 " + a.index_marks + " 件商标（索引更新于 " + (a.index_updated_at || "—") + "）"
        + (a.marks_not_indexed ? "，其后入库的 " + a.marks_not_indexed + " 件尚未检索" : "")
        + (a.picture_words_index ? "；含图中文字" : ""));
    } catch (e) { if (failed(e)) say("#search-error", "检索失败：" + e.message); }
  }

  async function searchPicture(ev) {
    ev.preventDefault();
    clearMessages();
    const form = ev.target;
    const file = form.querySelector("[name=file]").files[0];
    if (!file) return;
    const img = $("#query-picture");
    img.src = URL.createObjectURL(file);
    img.hidden = false;
    const q = new URLSearchParams({ top: "20" });
    for (const c of classesOf(new FormData(form).get("classes"))) q.append("classes", String(c));
    const body = new FormData();
    body.append("file", file, file.name);
    try {
      const a = await (await api("/search/image?" + q.toString(), { method: "POST", body })).json();
      showResults(a.results, true);
      if (a.not_compared) say("#search-status", a.not_compared);
      else say("#search-status", "比对了 " + a.index_pictures + " 件商标图样（索引更新于 " + (a.index_updated_at || "—") + "）"
        + (a.pictures_not_indexed ? "，其后入库的 " + a.pictures_not_indexed + " 件尚未检索" : "") + (a.note ? "；" + a.note : ""));
    } catch (e) { if (failed(e)) say("#search-error", "以图检索失败：" + e.message); }
  }

  // ------------------------------------------------------------ wiring
  $("#signin-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("#signin-error").textContent = "";
    try { await signIn($("#token").value.trim()); $("#token").value = ""; }
    catch (e) { if (failed(e)) $("#signin-error").textContent = "登录失败：" + e.message; }
  });
  $("#signout").addEventListener("click", () => signOut(""));
  window.addEventListener("hashchange", () => { if (!$("#app").hidden) route(); });
  for (const t of $$(".tabs [role=tab]")) t.addEventListener("click", () => { location.hash = "#" + t.dataset.view; });
  $("#brand-form").addEventListener("submit", addBrand);
  $("#search-form").addEventListener("submit", searchText);
  $("#picture-form").addEventListener("submit", searchPicture);
  $("#export-xlsx").addEventListener("click", exportXlsx);
  $("#chart-by").addEventListener("change", () => loadChart().catch((e) => { if (failed(e)) say("#filters-error", e.message); }));
  const reload = () => { state.offset = 0; return Promise.all([loadAlerts(), loadChart()]).catch((e) => { if (failed(e)) say("#filters-error", "筛选失败：" + e.message); }); };
  $("#filters").addEventListener("submit", (ev) => { ev.preventDefault(); reload(); });
  $("#filters").addEventListener("reset", () => { if (!resetting) setTimeout(() => { setDue(""); fillBrandFilter(); if (!$("#app").hidden) reload(); }, 0); });
  for (const name of ["watchlist_id", "brand_id", "severity", "status"]) {
    $("#filters [name=" + name + "]").addEventListener("change", () => { if (name === "watchlist_id") fillBrandFilter(); reload(); });
  }
  function setDue(due) {
    state.due = due;
    for (const b of $$(".due-view")) b.setAttribute("aria-pressed", String(b.dataset.due === due));
    for (const n of ["deadline_from", "deadline_to"]) $("#filters [name=" + n + "]").disabled = !!due;
  }
  for (const b of $$(".due-view")) b.addEventListener("click", () => { setDue(b.dataset.due); reload(); });
  for (const th of $$("#alerts th[data-sort]")) {
    th.querySelector("button").addEventListener("click", () => {
      const key = th.dataset.sort;
      state.sort = state.sort === key ? "-" + key : key;
      state.offset = 0;
      loadAlerts().catch((e) => { if (failed(e)) say("#filters-error", e.message); });
    });
  }
  $("#pick-all").addEventListener("change", (ev) => {
    for (const a of state.items) { if (ev.target.checked) state.picked.add(a.alert_id); else state.picked.delete(a.alert_id); }
    for (const box of $$("#alerts tbody input.pick")) box.checked = ev.target.checked;
    showPicked();
  });
  $("#bulk").addEventListener("submit", bulkReview);
  $("#prev").addEventListener("click", () => { state.offset = Math.max(0, state.offset - PAGE); loadAlerts(); });
  $("#next").addEventListener("click", () => { state.offset += PAGE; loadAlerts(); });
  $("#back").addEventListener("click", () => { location.hash = "#alerts"; });
  $("#print").addEventListener("click", () => window.print());
  $("#pack").addEventListener("click", downloadPack);
  $("#review").addEventListener("submit", review);
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) signIn(saved).catch(() => signOut(""));
})();
