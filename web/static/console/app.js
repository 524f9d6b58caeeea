// Berth's web console: applications and environments with their status,
// the selected environment's operations (each workflow step, live),
// deployments, releases and a log tail, and a form that creates an
// application from a docker-compose file. Plain DOM, no framework; every
// value from the API is set as text, never as HTML.
import { APIError, call, clearSession, idempotencyKey, orgPath, saveSession, session } from "./api.js";

const $ = (sel) => document.querySelector(sel);

/** h("li", {class: "app", dataset: {app: "x"}}, "text", child) */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const status = (s) => h("span", { class: `status ${s || ""}` }, s || "?");

function ago(iso) {
  if (!iso) return "";
  const t = new Date(iso);
  return isNaN(t) ? iso : t.toLocaleString();
}

function elapsed(start, end) {
  if (!start) return "";
  const ms = (end ? new Date(end) : new Date()) - new Date(start);
  if (!(ms >= 0)) return "";
  return ms < 60000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60000)} m ${Math.round((ms % 60000) / 1000)} s`;
}

const state = {
  selected: null, // {app, env}
  logs: { key: "", since: 0, seen: new Set() },
  timer: 0,
  busy: false,
};

// ---- sign-in ----------------------------------------------------------

function showSignedIn() {
  const s = session();
  $("#login").hidden = !!s;
  $("#main").hidden = !s;
  $("#logout").hidden = !s;
  $("#who").textContent = s ? `organisation ${s.org}` : "";
  if (s) {
    const saved = JSON.parse(sessionStorage.getItem("berth.selected") || "null");
    if (saved && !state.selected) state.selected = saved;
    tick();
  } else {
    clearTimeout(state.timer);
  }
}

$("#login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  const org = f.org.value.trim();
  const token = f.token.value.trim();
  $("#login-error").textContent = "";
  try {
    // The token must work on the organisation before it is kept.
    await call("GET", orgPath(org, "applications"), { token });
  } catch (e) {
    $("#login-error").textContent = `Sign-in failed: ${e.message}`;
    return;
  }
  saveSession(org, token);
  f.reset();
  showSignedIn();
});

$("#logout").addEventListener("click", () => {
  clearSession();
  sessionStorage.removeItem("berth.selected");
  state.selected = null;
  showSignedIn();
});

// ---- polling ----------------------------------------------------------

async function tick() {
  clearTimeout(state.timer);
  if (!session()) return;
  let running = false;
  try {
    running = (await Promise.all([refreshApps(), refreshEnvironment()])).some(Boolean);
  } catch (e) {
    if (e instanceof APIError && e.status === 401) {
      clearSession();
      $("#login-error").textContent = "The token was refused; sign in again.";
      showSignedIn();
      return;
    }
  }
  // Faster while a workflow runs.
  state.timer = setTimeout(tick, running ? 1000 : 2500);
}

async function refreshApps() {
  const { org } = session();
  let apps;
  try {
    apps = await call("GET", orgPath(org, "applications"));
    $("#apps-error").textContent = "";
  } catch (e) {
    $("#apps-error").textContent = e.message;
    throw e;
  }
  apps.sort((a, b) => a.appName.localeCompare(b.appName));
  const envs = await Promise.all(
    apps.map((a) => call("GET", orgPath(org, "applications", a.appName, "environments")).catch(() => [])),
  );
  const list = $("#apps");
  list.replaceChildren(
    ...apps.map((a, i) =>
      h(
        "li",
        { class: "app", dataset: { app: a.appName } },
        h("span", { class: "name" }, a.appName),
        status(a.status),
        // Task counts are per environment: list-applications gives none.
        h("span", { class: "muted" }, ` ${(a.containerNames || []).join(", ")}`),
        h(
          "ul",
          {},
          envs[i].map((e) =>
            h(
              "li",
              {
                class: "env" + (isSelected(a.appName, e.envName) ? " selected" : ""),
                dataset: { env: `${a.appName}/${e.envName}` },
                onclick: () => select(a.appName, e.envName),
              },
              e.envName,
              status(e.status),
              h("span", { class: "muted" }, ` ${e.runningCount ?? 0}/${e.desiredCount ?? 0} tasks`),
            ),
          ),
        ),
      ),
    ),
  );
  $("#apps-empty").hidden = apps.length > 0;
  const busy = (s) => ["CREATING", "DELETING", "DEPLOYING", "UPDATING"].includes(s);
  return apps.some((a) => busy(a.status)) || envs.flat().some((e) => busy(e.status));
}

function isSelected(app, env) {
  return state.selected && state.selected.app === app && state.selected.env === env;
}

function select(app, env) {
  state.selected = { app, env };
  sessionStorage.setItem("berth.selected", JSON.stringify(state.selected));
  for (const el of document.querySelectorAll("li.env")) el.classList.toggle("selected", el.dataset.env === `${app}/${env}`);
  $("#operations").replaceChildren(h("p", { class: "muted" }, "Loading…"));
  $("#logs").textContent = "";
  tick();
}

// ---- the selected environment ------------------------------------------

async function refreshEnvironment() {
  const sel = state.selected;
  if (!sel) return false;
  const { org } = session();
  const base = ["applications", sel.app, "environments", sel.env];
  $("#env-title").textContent = `${sel.app} / ${sel.env}`;
  let env;
  try {
    env = await call("GET", orgPath(org, ...base));
  } catch (e) {
    $("#env-error").textContent = e.message;
    if (e instanceof APIError && e.status === 404) {
      $("#env-summary").replaceChildren(h("p", { class: "muted" }, "This environment is gone."));
      $("#operations").replaceChildren();
      return false;
    }
    throw e;
  }
  const errors = [];
  const part = (what) =>
    call("GET", orgPath(org, ...base, what)).catch((e) => {
      errors.push(`${what}: ${e.message}`);
      return [];
    });
  const [listed, deps, rels, appOp] = await Promise.all([
    part("operations"),
    part("deployments"),
    part("releases"),
    sel.env === "production" ? applicationOperation(org, sel.app).catch((e) => errors.push(`application: ${e.message}`)) : null,
  ]);
  // list-operations leaves out production's provisioning: it is the
  // application's operation.
  const ops = appOp && !listed.some((o) => o.id === appOp.id) ? [...listed, appOp] : listed;
  ops.sort((a, b) => (b.startedAt || "").localeCompare(a.startedAt || ""));
  $("#env-error").textContent = errors.join("\n");
  renderSummary(env);
  renderOperations(ops || []);
  renderDeployments(deps || []);
  renderReleases(rels || []);
  if ($("#follow").checked) await tailLogs(org, base);
  return (ops || []).some((o) => o.status === "RUNNING");
}

// applicationOperation is the application's own workflow (its
// provisioning or teardown) as get-operation gives it, found from the
// application's progress (execution `<workflow>-<uid>[-<version>]`).
async function applicationOperation(org, app) {
  const a = await call("GET", orgPath(org, "applications", app));
  const p = a.progress;
  if (!p || !p.operation || !p.execution || !p.execution.startsWith(p.operation + "-")) return null;
  const uid = p.execution.slice(p.operation.length + 1).split("-")[0];
  try {
    return await call("GET", orgPath(org, "operations", `${p.operation}.${app}.${uid}`));
  } catch {
    // Shown from the record's progress when the operation cannot be read.
    return { id: p.execution, operation: p.operation, status: p.state, percent: p.percent, steps: p.steps, startedAt: p.startedAt, finishedAt: p.finishedAt };
  }
}

function renderSummary(env) {
  $("#env-summary").replaceChildren(
    h(
      "p",
      { id: "env-status", dataset: { status: env.status } },
      "Status ",
      status(env.status),
      env.deploymentStatus ? h("span", { class: "muted" }, ` deployment ${env.deploymentStatus}`) : null,
      ` · ${env.runningCount ?? 0}/${env.desiredCount ?? 0} tasks`,
      env.release ? ` · release ${env.release}` : "",
      env.deploying ? ` · deploying #${env.deploying}` : "",
      env.statusReason ? h("span", { class: "error" }, ` ${env.statusReason}`) : null,
    ),
  );
}

function renderOperations(ops) {
  if (!ops.length) {
    $("#operations").replaceChildren(h("p", { class: "muted" }, "None."));
    return;
  }
  $("#operations").replaceChildren(
    ...ops.slice(0, 5).map((o) =>
      h(
        "div",
        { class: "op", dataset: { op: o.id, operation: o.operation, status: o.status } },
        h(
          "div",
          {},
          h("span", { class: "name" }, o.operation),
          o.deployment ? ` #${o.deployment}` : "",
          status(o.status),
          h("span", { class: "muted" }, ` ${o.percent}% · ${elapsed(o.startedAt, o.finishedAt)} · started ${ago(o.startedAt)}`),
        ),
        h("progress", { max: "100", value: String(o.percent || 0) }),
        ...(o.steps || []).map((s) =>
          h(
            "div",
            { class: "step", dataset: { step: s.name, state: s.state } },
            h("span", { class: "name" }, s.name),
            h("span", { class: `state ${s.state}` }, s.state),
            h("span", { class: "muted" }, elapsed(s.startedAt, s.finishedAt)),
            h("span", { class: "muted" }, s.detail || ""),
          ),
        ),
        o.error ? h("p", { class: "error" }, o.error) : null,
      ),
    ),
  );
}

function table(sel, head, rows) {
  const t = $(sel);
  t.replaceChildren(
    h("thead", {}, h("tr", {}, head.map((c) => h("th", {}, c)))),
    h("tbody", {}, rows.length ? rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, c ?? "")))) : h("tr", {}, h("td", { colspan: String(head.length), class: "muted" }, "None."))),
  );
}

function renderDeployments(deps) {
  table(
    "#deployments",
    ["#", "action", "status", "release", "by", "created", "took"],
    deps.slice(0, 10).map((d) => [d.deployment, d.action, status(d.status), d.release, d.createdBy, ago(d.createdAt), elapsed(d.createdAt, d.finishedAt)]),
  );
}

function renderReleases(rels) {
  table(
    "#releases",
    ["release", "cause", "images", "by", "created"],
    rels.slice(0, 10).map((r) => [
      r.release,
      r.cause,
      (r.images || []).map((i) => (typeof i === "string" ? i : `${i.container || i.name || ""} ${i.image || i.identifier || ""}`.trim())).join(", "),
      r.createdBy,
      ago(r.createdAt),
    ]),
  );
}

// The log tail: each poll asks for the lines since the newest one shown.
async function tailLogs(org, base) {
  const key = `${org}/${base.join("/")}`;
  const logs = state.logs;
  if (logs.key !== key) {
    Object.assign(logs, { key, since: 0, seen: new Set() });
    $("#logs").textContent = "";
  }
  let nextToken;
  const lines = [];
  for (let page = 0; page < 5; page++) {
    let res;
    try {
      res = await call("GET", orgPath(org, ...base, "logs"), { query: { startTime: logs.since || undefined, limit: 200, nextToken } });
    } catch (e) {
      if (!lines.length) $("#logs").dataset.error = e.message;
      break;
    }
    for (const ev of res.logEvents || []) {
      const id = `${ev.timestamp}|${ev.logStreamName}|${ev.message}`;
      if (logs.seen.has(id)) continue;
      logs.seen.add(id);
      lines.push(ev);
    }
    nextToken = res.nextToken;
    if (!nextToken) break;
  }
  if (!lines.length) return;
  lines.sort((a, b) => a.timestamp - b.timestamp);
  logs.since = Math.max(logs.since, lines[lines.length - 1].timestamp);
  // Keep the ids of the newest millisecond only: the next poll starts there.
  logs.seen = new Set([...logs.seen].filter((id) => id.startsWith(`${logs.since}|`)));
  const pre = $("#logs");
  const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
  const container = (s) => (s || "").split("/")[1] || "";
  pre.append(lines.map((ev) => `${new Date(ev.timestamp).toISOString()} ${container(ev.logStreamName)} ${ev.message.replace(/\n$/, "")}\n`).join(""));
  const all = pre.textContent.split("\n");
  if (all.length > 2000) pre.textContent = all.slice(-2000).join("\n");
  if (atEnd) pre.scrollTop = pre.scrollHeight;
}

// ---- create an application from a docker-compose file -------------------

const form = $("#create-form");

form.file.addEventListener("change", async () => {
  const file = form.file.files[0];
  if (file) form.compose.value = await file.text();
});

function showResult(kind, title, items = []) {
  $("#create-result").replaceChildren(
    h("p", { class: kind, dataset: { result: kind } }, title),
    items.length ? h("ul", {}, items.map((i) => h("li", {}, i))) : null,
  );
}

async function validate() {
  const { org } = session();
  const v = await call("POST", orgPath(org, "compose", "validate"), { body: { compose: form.compose.value, application: form.appName.value || undefined } });
  return v;
}

$("#validate").addEventListener("click", async () => {
  try {
    const v = await validate();
    const names = (v.translatedComposeDefinition.containers || []).map((c) => c.name).join(", ");
    showResult("ok", `Valid: containers ${names}.`, v.translationWarnings || []);
  } catch (e) {
    showResult("error", `Invalid: ${e.message}`);
  }
});

form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const appName = form.appName.value.trim();
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  showResult("muted", `Creating ${appName}…`);
  try {
    const v = await validate();
    const { org } = session();
    const created = await call("POST", orgPath(org, "applications"), {
      body: { appName, composeDefinition: v.translatedComposeDefinition },
      headers: { "Idempotency-Key": idempotencyKey() },
    });
    showResult("ok", `Created ${created.appName} (${created.status}); provisioning follows under Operations.`, v.translationWarnings || []);
    select(created.appName, "production");
  } catch (e) {
    showResult("error", `Not created: ${e.message}`);
  } finally {
    button.disabled = false;
  }
});

showSignedIn();
