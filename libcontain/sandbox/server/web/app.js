// contain serve's page: containers with live usage (from /monitor/statistics.json), a sandbox
// file browser (/files/browse, /files/download) and a live tail of a file (/files/read with
// offsets). Plain script, no build step, nothing fetched but this server's API.
"use strict";

const STATS_EVERY_MS = 2000;
const TAIL_EVERY_MS = 1000;
const LIST_EVERY_MS = 5000;
const TAIL_CHUNK = 65536; // bytes per /files/read while catching up
const TAIL_START = 256 * 1024; // how much of an existing file to show when opening it
const TAIL_KEEP = 1 << 20; // characters kept in the viewer

const $ = (sel) => document.querySelector(sel);

// ---- API -------------------------------------------------------------------------------

let token = sessionStorage.getItem("contain-token") || "";
(function tokenFromHash() {
  const m = location.hash.match(/(?:^#|&)token=([^&]+)/);
  if (m) {
    token = decodeURIComponent(m[1]);
    sessionStorage.setItem("contain-token", token);
    history.replaceState(null, "", location.pathname + location.search);
  }
})();

class APIError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(path, params) {
  const url = new URL(path, location.href);
  for (const [k, v] of Object.entries(params || {})) url.searchParams.set(k, v);
  const headers = token ? { Authorization: "Bearer " + token } : {};
  const res = await fetch(url, { headers, cache: "no-store" });
  if (res.status === 401) {
    askToken();
    throw new APIError(401, "token required");
  }
  const body = await res.json().catch(() => ({ error: res.statusText }));
  if (!res.ok) throw new APIError(res.status, body.error || res.statusText);
  return body;
}

let asking = false;
function askToken() {
  const dlg = $("#token-dialog");
  if (asking || dlg.open) return;
  asking = true;
  dlg.showModal();
}
$("#token-form").addEventListener("submit", () => {
  token = $("#token-input").value.trim();
  sessionStorage.setItem("contain-token", token);
  asking = false;
  refreshStats();
  browse(view.path);
});

// ---- formatting --------------------------------------------------------------------------

function human(bytes) {
  if (bytes == null) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let v = bytes;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return (i === 0 ? v.toFixed(0) : v < 10 ? v.toFixed(1) : v.toFixed(0)) + " " + units[i];
}

function ago(seconds) {
  const d = Date.now() / 1000 - seconds;
  if (d < 45) return "just now";
  if (d < 3600) return Math.round(d / 60) + " min ago";
  if (d < 86400) return Math.round(d / 3600) + " h ago";
  if (d < 30 * 86400) return Math.round(d / 86400) + " days ago";
  return new Date(seconds * 1000).toLocaleDateString();
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}

const ICONS = {
  dir: "M1.5 3.5h4l1.5 1.5h7.5v8.5h-13z",
  file: "M3.5 1.5h6l3 3v10h-9z M9.5 1.5v3h3",
  other: "M8 2.5a5.5 5.5 0 1 0 0 11a5.5 5.5 0 1 0 0-11",
};
function icon(kind) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("class", "icon");
  svg.setAttribute("aria-hidden", "true");
  const p = document.createElementNS("http://www.w3.org/2000/svg", "path");
  p.setAttribute("d", ICONS[kind]);
  p.setAttribute("fill", kind === "dir" ? "currentColor" : "none");
  p.setAttribute("fill-opacity", kind === "dir" ? ".18" : "1");
  p.setAttribute("stroke", "currentColor");
  p.setAttribute("stroke-linejoin", "round");
  svg.append(p);
  return svg;
}

function meter(used, limit, text) {
  const m = el("div", { class: "meter" + (limit ? "" : " unbounded") });
  const fig = el("div", { class: "figures" }, el("span", { text: text || human(used) }));
  fig.append(el("span", { class: "of", text: limit ? "of " + human(limit) : "no limit" }));
  const fill = el("div", { class: "fill" });
  if (limit) {
    const pct = Math.min(100, (100 * used) / limit);
    fill.style.width = pct.toFixed(1) + "%";
    if (pct >= 90) fill.classList.add("full");
    else if (pct >= 70) fill.classList.add("high");
  } else {
    fill.style.width = "0";
  }
  m.append(fig, el("div", { class: "track" }, fill));
  return m;
}

// ---- containers ----------------------------------------------------------------------------

const prevCPU = new Map(); // id -> {t, secs}
let containers = [];
let selected = null;

async function refreshStats() {
  const live = $("#live");
  try {
    containers = await api("monitor/statistics.json");
    live.dataset.state = "live";
    $("#live-text").textContent = "live · " + new Date().toLocaleTimeString();
    renderContainers();
  } catch (e) {
    live.dataset.state = "error";
    $("#live-text").textContent = e.status === 401 ? "token required" : "unreachable";
  }
}

function cpuPercent(c) {
  const s = c.statistics;
  const secs = s.cpus_user_time_secs + s.cpus_system_time_secs;
  const prev = prevCPU.get(c.container_id);
  prevCPU.set(c.container_id, { t: s.timestamp, secs });
  if (!prev || s.timestamp <= prev.t) return null;
  return (100 * (secs - prev.secs)) / (s.timestamp - prev.t);
}

function renderContainers() {
  const body = $("#containers-body");
  const rows = [];
  $("#containers-count").textContent =
    containers.length === 0 ? "" : (containers.length === 1 ? "1 container" : containers.length + " containers") + " · select one to open its sandbox";
  for (const c of containers) {
    const s = c.statistics;
    const pct = cpuPercent(c);
    const cpuText = pct == null ? "…" : pct.toFixed(pct < 10 ? 1 : 0) + "%";
    const cpuLimit = s.cpus_limit ? s.cpus_limit * 100 : null;
    const cpuFill = el("div", { class: "fill" });
    // Through the CSSOM, not a style attribute: the page's CSP allows no inline styles.
    cpuFill.style.width = (cpuLimit && pct != null ? Math.min(100, (100 * pct) / cpuLimit) : 0) + "%";
    const total = s.cpus_user_time_secs + s.cpus_system_time_secs;
    const cpu = el("div", { class: "meter" + (cpuLimit ? "" : " unbounded") },
      el("div", { class: "figures" },
        el("span", { text: cpuText }),
        el("span", { class: "of", text: cpuLimit ? "of " + +s.cpus_limit.toFixed(2) + " CPU" : total.toFixed(1) + " s used" })),
      el("div", { class: "track" }, cpuFill));
    const status = el("span", { class: "badge " + c.status, text: c.status });
    const statusCell = el("td", { class: "status" }, status);
    if (s.mem_oom_kill_count > 0) statusCell.append(el("span", { class: "badge oom", text: "OOM ×" + s.mem_oom_kill_count }));
    const tr = el("tr", {
      class: "container" + (c.container_id === selected ? " selected" : ""),
      "data-id": c.container_id,
      "data-status": c.status,
      onclick: () => selectContainer(c.container_id),
    },
      el("td", {}, el("span", { class: "cid", text: c.container_id })),
      statusCell,
      el("td", { class: "num mono", text: String(c.pid) }),
      el("td", {}, cpu),
      el("td", { class: "mem" }, meter(s.mem_total_bytes, s.mem_limit_bytes)),
      el("td", { class: "num", text: s.pids_current + (s.pids_limit ? " / " + s.pids_limit : "") }),
      el("td", { class: "disk" }, s.disk_used_bytes == null ? el("span", { class: "hint", text: "not measured" }) : meter(s.disk_used_bytes, s.disk_limit_bytes)));
    rows.push(tr);
  }
  if (rows.length === 0) {
    rows.push(el("tr", { class: "empty" }, el("td", { colspan: "7", text: "No running containers. Sandboxes of stopped ones are under Files." })));
  }
  body.replaceChildren(...rows);
}

function sandboxOf(id) {
  const c = containers.find((x) => x.container_id === id);
  return (c && c.sandbox) || "/containers/" + id + "/latest";
}

async function selectContainer(id) {
  selected = id;
  renderContainers();
  const sb = sandboxOf(id);
  await browse(sb);
  // Show its stdout when the sandbox has one (io.contain.stdio=sandbox), else stderr.
  const names = view.entries.map((e) => e.path.split("/").pop());
  const pick = ["stdout", "stderr"].find((n) => names.includes(n));
  if (pick) openFile(sb + "/" + pick, sb);
}

// ---- file browser --------------------------------------------------------------------------

const view = { path: "/containers", entries: [] };

function downloadURL(path) {
  return "files/download?path=" + encodeURIComponent(path);
}

// A download link. With a token the browser cannot add the header to a plain link, so the
// file is fetched and handed over as a blob.
function downloadLink(path, label, cls) {
  const a = el("a", { class: cls || "button", href: downloadURL(path), download: path.split("/").pop(), text: label });
  a.addEventListener("click", async (ev) => {
    if (!token) return;
    ev.preventDefault();
    const res = await fetch(downloadURL(path), { headers: { Authorization: "Bearer " + token } });
    if (!res.ok) return;
    const url = URL.createObjectURL(await res.blob());
    const tmp = el("a", { href: url, download: path.split("/").pop() });
    document.body.append(tmp);
    tmp.click();
    tmp.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  });
  return a;
}

function kindOf(mode) {
  if (mode[0] === "d") return "dir";
  if (mode[0] === "-") return "file";
  return "other";
}

function renderCrumbs(path) {
  const nav = $("#crumbs");
  const parts = path.split("/").filter(Boolean);
  const out = [el("a", { href: "#", onclick: (e) => { e.preventDefault(); browse("/"); }, text: "/" })];
  let acc = "";
  parts.forEach((p, i) => {
    acc += "/" + p;
    const target = acc;
    if (i > 0) out.push(el("span", { class: "sep", text: "/" }));
    if (i === parts.length - 1) out.push(el("span", { class: "here", text: p }));
    else out.push(el("a", { href: "#", onclick: (e) => { e.preventDefault(); browse(target); }, text: p }));
  });
  nav.replaceChildren(...out);
}

let browseGen = 0;
let browsing = 0; // browse calls in flight

async function browse(path) {
  path = path || "/";
  const gen = ++browseGen;
  const body = $("#entries");
  browsing++;
  try {
    const entries = await api("files/browse", { path });
    if (gen !== browseGen) return; // the user went elsewhere meanwhile
    view.path = path;
    view.entries = entries;
    renderCrumbs(path);
    const rows = [];
    const parent = path.split("/").slice(0, -1).join("/") || "/";
    if (path !== "/") {
      rows.push(el("tr", { "data-kind": "dir", class: "up" },
        el("td", { class: "name" }, el("a", { href: "#", onclick: (e) => { e.preventDefault(); browse(parent); } }, icon("dir"), "..")),
        el("td"), el("td"), el("td"), el("td"), el("td")));
    }
    entries.sort((a, b) => {
      const da = kindOf(a.mode) === "dir";
      const db = kindOf(b.mode) === "dir";
      if (da !== db) return da ? -1 : 1;
      return a.path.localeCompare(b.path);
    });
    for (const e of entries) {
      const name = e.path.split("/").pop();
      const kind = kindOf(e.mode);
      let label;
      if (kind === "dir") {
        label = el("a", { href: "#", onclick: (ev) => { ev.preventDefault(); browse(e.path); } }, icon("dir"), name);
      } else if (kind === "file") {
        label = el("a", { href: "#", onclick: (ev) => { ev.preventDefault(); openFile(e.path); } }, icon("file"), name);
      } else {
        label = el("span", { title: "not a regular file: not served" }, icon("other"), name);
      }
      rows.push(el("tr", { "data-path": e.path, "data-kind": kind, class: e.path === tail.path ? "open" : null },
        el("td", { class: "name", title: e.path }, label),
        el("td", { class: "num", text: kind === "dir" ? "" : human(e.size) }),
        el("td", { title: new Date(e.mtime * 1000).toLocaleString(), text: ago(e.mtime) }),
        el("td", { class: "mode", text: e.mode }),
        el("td", { class: "owner", text: e.uid + ":" + e.gid }),
        el("td", { class: "num" }, kind === "file" ? downloadLink(e.path, "Download") : null)));
    }
    if (entries.length === 0) rows.push(el("tr", { class: "empty" }, el("td", { colspan: "6", text: "Empty directory." })));
    body.replaceChildren(...rows);
  } catch (e) {
    if (e.status === 401 || gen !== browseGen) return;
    view.path = path;
    view.entries = [];
    renderCrumbs(path);
    body.replaceChildren(el("tr", { class: "empty" }, el("td", { colspan: "6", text: "Cannot list " + path + ": " + e.message })));
  } finally {
    browsing--;
  }
}

// ---- live tail -----------------------------------------------------------------------------

const tail = { path: null, offset: 0, timer: null, gen: 0, sandbox: null };

function renderTabs() {
  const tabs = $("#viewer-tabs");
  if (!tail.sandbox) {
    tabs.replaceChildren();
    return;
  }
  const names = view.entries.map((e) => e.path.split("/").pop());
  tabs.replaceChildren(...["stdout", "stderr"].filter((n) => names.includes(n)).map((n) =>
    el("button", {
      type: "button", role: "tab", "aria-selected": String(tail.path === tail.sandbox + "/" + n), text: n,
      onclick: () => openFile(tail.sandbox + "/" + n, tail.sandbox),
    })));
}

async function openFile(path, sandbox) {
  clearTimeout(tail.timer);
  const gen = ++tail.gen;
  tail.path = path;
  tail.sandbox = sandbox || null;
  $("#viewer-path").textContent = path;
  $("#viewer-output").textContent = "";
  $("#viewer-output").dataset.opened = String(gen); // which opening the text belongs to
  const dl = downloadLink(path, "Download", "button");
  dl.id = "viewer-download";
  $("#viewer-download").replaceWith(dl);
  renderTabs();
  for (const tr of document.querySelectorAll("#entries tr")) tr.classList.toggle("open", tr.dataset.path === path);
  try {
    const size = (await api("files/read", { path, offset: -1 })).offset;
    if (gen !== tail.gen) return;
    tail.offset = Math.max(0, size - TAIL_START);
  } catch (e) {
    $("#viewer-output").textContent = "Cannot read " + path + ": " + e.message;
    return;
  }
  poll(gen);
}

async function poll(gen) {
  if (gen !== tail.gen) return;
  try {
    // Catch up in chunks, then wait for more.
    for (;;) {
      const r = await api("files/read", { path: tail.path, offset: tail.offset, length: TAIL_CHUNK });
      if (gen !== tail.gen) return;
      if (r.length > 0) append(r.data);
      tail.offset = r.offset + r.length;
      $("#viewer-size").textContent = human(tail.offset);
      if (r.length < TAIL_CHUNK / 2) break;
    }
  } catch (e) {
    if (gen !== tail.gen) return;
    $("#viewer-size").textContent = e.status === 404 ? "gone" : "read failed: " + e.message;
  }
  tail.timer = setTimeout(() => poll(gen), TAIL_EVERY_MS);
}

function append(text) {
  const out = $("#viewer-output");
  const stick = $("#follow").checked;
  const span = el("span", { class: "fresh", text });
  out.append(span);
  // Keep the viewer bounded: drop the oldest pieces past TAIL_KEEP characters.
  let total = out.textContent.length;
  while (total > TAIL_KEEP && out.firstChild) {
    total -= out.firstChild.textContent.length;
    out.firstChild.remove();
  }
  if (stick) out.scrollTop = out.scrollHeight;
}

// ---- start ---------------------------------------------------------------------------------

refreshStats().then(() => {
  if (containers.length > 0) selectContainer(containers[0].container_id);
  else browse("/containers");
});
setInterval(refreshStats, STATS_EVERY_MS);
// The listing follows the files too (sizes grow, files appear), less often.
setInterval(() => {
  if (!document.hidden && browsing === 0) browse(view.path);
}, LIST_EVERY_MS);
