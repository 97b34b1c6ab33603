// The web chat: sends each message to /api/v1/chat and shows the replies.
// Replies are inserted as text (textContent), never as HTML.
"use strict";

const log = document.getElementById("log");
const form = document.getElementById("ask");
const input = document.getElementById("message");
const sender = sessionStorage.getItem("dvc-sender") || crypto.randomUUID();
sessionStorage.setItem("dvc-sender", sender);

function show(text, who, buttons) {
  const item = document.createElement("li");
  item.className = who;
  item.textContent = text;
  for (const button of buttons || []) {
    if (button.type === "web_url") {
      item.appendChild(link(button));
      continue;
    }
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = button.title;
    b.addEventListener("click", () => send(button.payload, button.title));
    item.appendChild(b);
  }
  log.appendChild(item);
  item.scrollIntoView({ block: "end" });
}

// A source page: opened in a new tab, and only when it is an http(s) address.
function link(button) {
  const a = document.createElement("a");
  a.textContent = button.title;
  if (/^https?:\/\//.test(button.url || "")) {
    a.href = button.url;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
  }
  return a;
}

async function send(message, shown) {
  show(shown || message, "user");
  try {
    const response = await fetch("/api/v1/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender, message }),
    });
    const replies = await response.json();
    if (!response.ok) throw new Error(replies.error ? replies.error.message : response.status);
    for (const reply of replies) if (reply.text) show(reply.text, "bot", reply.buttons);
  } catch (e) {
    show("Xin lỗi, chưa gửi được tin nhắn. Bạn vui lòng thử lại hoặc gọi 1900 1009.", "bot");
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const message = input.value;
  input.value = "";
  send(message);
});
