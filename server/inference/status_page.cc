#include "server/inference/status_page.h"

namespace seedlm::serve {

// Kept small and dependency-free: plain DOM, fetch and sessionStorage.
const char kStatusPageHtml[] = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>seedlm-serve</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; margin-bottom: 0.2em; }
.figures { display: flex; gap: 2em; margin: 1em 0; }
.figure { border: 1px solid #ccc; border-radius: 6px; padding: 0.6em 1em; }
.figure .v { font-size: 1.6em; font-weight: bold; }
table { border-collapse: collapse; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3em 0.8em; text-align: left; }
#error { color: #b00; }
#login { display: none; margin: 1em 0; }
</style>
</head>
<body>
<h1>seedlm-serve: <span id="model">…</span></h1>
<div id="login">
  <label>Token <input id="token" type="password" autocomplete="off"></label>
  <button id="save">Use token</button>
</div>
<div id="error"></div>
<div class="figures">
  <div class="figure"><div>tokens/s</div><div class="v" id="tps">0</div></div>
  <div class="figure"><div>queue depth</div><div class="v" id="queue">0</div></div>
  <div class="figure"><div>running batch</div><div class="v" id="running">0</div></div>
  <div class="figure"><div>tokens generated</div><div class="v" id="tokens">0</div></div>
  <div class="figure"><div>requests</div><div class="v" id="requests">0</div></div>
</div>
<h2>Executors</h2>
<table>
<thead><tr><th>id</th><th>name</th><th>kind</th><th>layers</th><th>bytes</th></tr></thead>
<tbody id="executors"></tbody>
</table>
<p id="local"></p>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
let last = null;  // {t, tokens} of the previous poll
function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = String(text);
  row.appendChild(td);
}
function show(s) {
  $("model").textContent = s.model.id;
  const now = performance.now();
  if (last !== null && now > last.t) {
    const tps = (s.tokens_generated_total - last.tokens) * 1000 / (now - last.t);
    $("tps").textContent = Math.max(0, tps).toFixed(1);
  }
  last = {t: now, tokens: s.tokens_generated_total};
  $("queue").textContent = String(s.queue_depth);
  $("running").textContent = String(s.running_batch_size);
  $("tokens").textContent = String(s.tokens_generated_total);
  $("requests").textContent = String(s.requests_total);
  const body = $("executors");
  body.replaceChildren();
  for (const e of s.executors) {
    const row = document.createElement("tr");
    cell(row, e.id);
    cell(row, e.name);
    cell(row, e.kind);
    cell(row, e.layers[1] > e.layers[0] ?
              "[" + e.layers[0] + ", " + e.layers[1] + ")" : "standing by");
    cell(row, e.bytes);
    body.appendChild(row);
  }
  $("local").textContent = s.executors.length === 0 ?
      "Every layer runs in-process (" + s.model.n_layers + " layers)." : "";
}
async function poll() {
  const headers = {};
  const token = sessionStorage.getItem("seedlm-token");
  if (token) headers["Authorization"] = "Bearer " + token;
  try {
    const r = await fetch("/api/v1/status", {headers});
    if (r.status === 401 || r.status === 403) {
      $("login").style.display = "block";
      $("error").textContent = "A client token is needed.";
      return;
    }
    if (!r.ok) throw new Error("HTTP " + r.status);
    $("login").style.display = "none";
    $("error").textContent = "";
    show(await r.json());
  } catch (err) {
    $("error").textContent = "Cannot reach the server: " + err.message;
  }
}
$("save").addEventListener("click", () => {
  sessionStorage.setItem("seedlm-token", $("token").value);
  $("token").value = "";
  poll();
});
poll();
setInterval(poll, 1000);
</script>
</body>
</html>
)HTML";

}  // namespace seedlm::serve
