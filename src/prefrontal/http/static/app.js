// The web inbox's little script: post answers as JSON, follow the event stream, and refresh
// a section when the journal says it changed. Text is only ever set as text (textContent);
// sections come back from the server already escaped.
"use strict";
const status = document.getElementById("status");

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    credentials: "same-origin",
    body: JSON.stringify(body || {}),
  });
  const data = await response.json();
  if (!response.ok) { throw new Error(data.message || response.statusText); }
  return data;
}

async function refresh(name) {
  const response = await fetch("/fragment/" + name, { credentials: "same-origin" });
  if (response.ok) {
    const section = document.getElementById(name);
    const open = [...section.querySelectorAll("details[open]")].map((d) => d.dataset.domain);
    section.innerHTML = await response.text();  // escaped by the server
    for (const d of section.querySelectorAll("details")) {
      if (open.includes(d.dataset.domain)) { d.open = true; }
    }
  }
}

function say(text) { status.textContent = text; }

document.getElementById("ask").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = document.getElementById("text");
  const domain = document.getElementById("domain").value || null;
  try {
    const done = await post("/api/ask", { text: text.value, domain: domain });
    say("Asked: " + done.request_id);
    text.value = "";
  } catch (error) { say("Error: " + error.message); }
});

document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-action]");
  if (!button) { return; }
  const id = button.dataset.id;
  const action = button.dataset.action;
  const paths = {
    approve: ["/api/inbox/" + encodeURIComponent(id) + "/approve", { note: "" }],
    deny: ["/api/inbox/" + encodeURIComponent(id) + "/deny", { note: "" }],
    route: ["/api/inbox/" + encodeURIComponent(id) + "/route", { domain: button.dataset.domain }],
    cancel: ["/api/timers/" + encodeURIComponent(id) + "/cancel", {}],
  };
  button.disabled = true;
  try {
    await post(paths[action][0], paths[action][1]);
    say(action + " " + id + ": done");
    await Promise.all(["waiting", "timers"].map(refresh));
  } catch (error) { say("Error: " + error.message); button.disabled = false; }
});

const SECTIONS_OF = {
  inbox: ["waiting", "digest"], approval: ["waiting"], routed: ["waiting"],
  timer_set: ["timers"], timer: ["timers"], timer_cancelled: ["timers"],
  decision: ["domains"], report: ["domains"],
};

function follow() {
  const lines = document.getElementById("lines");
  const source = new EventSource("/api/events?after=" + (lines.dataset.last || 0));
  source.addEventListener("journal", (message) => {
    const event = JSON.parse(message.data);
    const li = document.createElement("li");
    li.className = event.kind;
    const seq = document.createElement("span");
    seq.className = "seq";
    seq.textContent = "#" + event.seq;
    li.append(seq, " " + event.line);
    const list = document.getElementById("lines");
    list.append(li);
    list.dataset.last = event.seq;
    list.scrollTop = list.scrollHeight;
    for (const name of SECTIONS_OF[event.kind] || []) { refresh(name); }
  });
}
follow();
