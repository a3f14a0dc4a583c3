// clinical-r1 web page: no framework, no network access beyond this server.
// Model text is only ever put in the page as textContent (never as HTML).
"use strict";

const $ = (id) => document.getElementById(id);
const state = { examples: [], result: null, controller: null };

function setStatus(text, isError = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", isError);
}

async function loadHealth() {
  try {
    const health = await (await fetch("/health")).json();
    $("model").textContent = `Model: ${health.model}`;
    $("key-row").hidden = !health.auth_required;
  } catch (err) {
    setStatus(`Cannot reach the server: ${err}`, true);
  }
}

async function loadExamples() {
  const response = await fetch("/v1/examples");
  if (!response.ok) return;
  state.examples = await response.json();
  const groups = new Map();
  for (const [index, example] of state.examples.entries()) {
    const key = `${example.department || "Other"} · ${example.language === "zh" ? "中文" : "English"}`;
    if (!groups.has(key)) {
      const group = document.createElement("optgroup");
      group.label = key;
      groups.set(key, group);
    }
    const option = document.createElement("option");
    option.value = String(index);
    option.textContent = `${example.id}: ${example.case.slice(0, 60)}…`;
    groups.get(key).appendChild(option);
  }
  for (const group of groups.values()) $("example").appendChild(group);
}

function pickExample() {
  const value = $("example").value;
  if (value === "") {
    $("reference").hidden = true;
    return;
  }
  const example = state.examples[Number(value)];
  $("case").value = example.case;
  $("language").value = example.language;
  const code = example.icd10 ? ` (${example.icd10})` : "";
  $("reference").textContent = `Reference diagnosis of this sample: ${example.diagnosis}${code}`;
  $("reference").hidden = false;
}

function clearOutput() {
  state.result = null;
  $("thinking").textContent = "";
  $("response").textContent = "";
  $("timings").textContent = "";
  $("diagnosis-box").hidden = true;
  $("icd10").querySelector("tbody").replaceChildren();
  $("copy").disabled = true;
}

function showResult(result) {
  state.result = result;
  if (result.thinking) $("thinking").textContent = result.thinking;
  $("response").textContent = result.response;
  const box = $("diagnosis-box");
  box.hidden = false;
  box.classList.toggle("none", !result.diagnosis);
  $("diagnosis").textContent = result.diagnosis
    ? result.diagnosis
    : `No diagnosis could be extracted (${result.error || "the response names none"}).`;
  const body = $("icd10").querySelector("tbody");
  body.replaceChildren();
  for (const candidate of result.icd10) {
    const row = document.createElement("tr");
    for (const text of [candidate.code, candidate.description, candidate.block]) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.appendChild(cell);
    }
    body.appendChild(row);
  }
  $("icd10").hidden = result.icd10.length === 0;
  const t = result.timings;
  const first = t.first_token_s == null ? "" : `first token ${t.first_token_s.toFixed(2)} s · `;
  $("timings").textContent = `${first}total ${t.total_s.toFixed(2)} s · queued ${t.queue_s.toFixed(2)} s`;
  $("copy").disabled = false;
  setStatus(result.valid ? "Done." : "Done, but the output is not in the expected format.");
}

// Server-sent events over a POST response (EventSource can only GET).
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
      }
      if (data.length) onEvent(event, JSON.parse(data.join("\n")));
    }
  }
}

async function errorText(response) {
  try {
    const body = await response.json();
    if (typeof body.detail === "string") return body.detail;
    if (Array.isArray(body.detail)) return body.detail.map((e) => `${e.loc.join(".")}: ${e.msg}`).join("; ");
  } catch (err) {
    // not JSON
  }
  return response.statusText;
}

async function diagnose() {
  const text = $("case").value;
  if (!text.trim()) {
    setStatus("Type or paste a case first.", true);
    return;
  }
  clearOutput();
  setStatus("Thinking…");
  $("submit").disabled = true;
  $("stop").disabled = false;
  state.controller = new AbortController();
  const headers = { "Content-Type": "application/json" };
  const key = $("api-key").value.trim();
  if (key) headers.Authorization = `Bearer ${key}`;
  const body = { case: text };
  if ($("language").value) body.language = $("language").value;
  try {
    const response = await fetch("/v1/diagnose/stream", {
      method: "POST",
      headers,
      body: JSON.stringify(body),
      signal: state.controller.signal,
    });
    if (!response.ok) {
      if (response.status === 401) $("key-row").hidden = false;
      setStatus(`Error ${response.status}: ${await errorText(response)}`, true);
      return;
    }
    let finished = false;
    await readEvents(response, (event, data) => {
      if (event === "thinking") {
        const pane = $("thinking");
        pane.textContent += data.text;
        pane.scrollTop = pane.scrollHeight;
      } else if (event === "response") {
        $("response").textContent += data.text;
        setStatus("Writing the final response…");
      } else if (event === "result") {
        finished = true;
        showResult(data);
      } else if (event === "error") {
        finished = true;
        setStatus(data.detail, true);
      }
    });
    if (!finished) setStatus("The connection ended before the answer was complete.", true);
  } catch (err) {
    if (err.name === "AbortError") setStatus("Stopped.");
    else setStatus(`Request failed: ${err}`, true);
  } finally {
    $("submit").disabled = false;
    $("stop").disabled = true;
    state.controller = null;
  }
}

function resultText(result) {
  const lines = [`Diagnosis: ${result.diagnosis || "(none extracted)"}`];
  for (const c of result.icd10) lines.push(`ICD-10 candidate: ${c.code} ${c.description}`);
  lines.push("", "Final response:", result.response, "", "Reasoning:", result.thinking);
  lines.push("", `Model: ${result.model}`);
  return lines.join("\n");
}

async function copyResult() {
  if (!state.result) return;
  const text = resultText(state.result);
  try {
    await navigator.clipboard.writeText(text);
  } catch (err) {
    // No clipboard permission (e.g. plain http on another host): copy through a hidden textarea.
    const area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  setStatus("Result copied to the clipboard.");
}

$("example").addEventListener("change", pickExample);
$("submit").addEventListener("click", diagnose);
$("stop").addEventListener("click", () => state.controller && state.controller.abort());
$("copy").addEventListener("click", copyResult);
$("case").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) diagnose();
});
loadHealth();
loadExamples();
