/* The chat inside the widget's frame. Untrusted text only ever reaches the page through
 * textContent and DOM nodes; the bot's Markdown is parsed into elements here. */
(function () {
  "use strict";
  var NS = "MindworkWidget";
  var STORE = "mindwork-widget:v1";
  var TIMEOUT_MS = 30000;
  var SLOW_MS = 6000;
  var config = JSON.parse(document.getElementById("widget-config").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var transcript = $("transcript"), statusBox = $("status"), announcer = $("announcer");
  var input = $("message"), form = $("composer"), sendButton = $("send");
  var crisisPanel = $("crisis"), crisisToggle = $("crisis-toggle");
  input.maxLength = config.max_message_chars;

  // --- page settings from the loader (fragment), checked again: anyone can craft this URL ---
  // The rules are the server's (bot/settings.py PAGE_FIELDS), sent in the config.
  var fragment = new URLSearchParams(location.hash.slice(1));
  var metadata = {};
  Object.keys(config.page_fields).forEach(function (key) {
    var rule = config.page_fields[key], value = (fragment.get(key) || "").trim();
    if (rule.join_spaces) value = value.split(/\s+/).join(" ");
    if (!new RegExp(rule.pattern, rule.flags).test(value)) return;
    metadata[key] = rule.upper ? value.toUpperCase() : value;
  });
  // --- the widget's own words, in English or Spanish -------------------------------------------
  // Spanish when the embed snippet's data-lang says so, or the host page's lang (the loader passes
  // either as `lang` in the fragment), else when the browser's language is Spanish; English
  // otherwise. The bot's turns come in the message's language from the server. The table between
  // the markers is JSON (tests/unit/test_spanish_texts.py reads it: both languages, same keys).
  var STRINGS = /* strings */ {
    "en": {
      "page_title": "Questions about depression and ketamine: automated assistant",
      "title": "Depression & ketamine questions",
      "close": "Close chat",
      "subtitle": "Automated assistant · no one at the clinic reads this chat",
      "subtitle_clinic": " · automated assistant · no one there reads this chat",
      "crisis_toggle": "Crisis help",
      "clear": "Clear chat",
      "crisis_title": "Crisis help, now",
      "crisis_done": "Back to the chat",
      "conversation": "Conversation",
      "question_label": "Your question",
      "placeholder": "Ask a question…",
      "send": "Send",
      "you_said": "You said: ",
      "not_sent": "Not sent yet",
      "crisis_resources": "Crisis resources: ",
      "assistant": "Assistant: ",
      "suggested": "Suggested questions",
      "plan_group": "Your safety plan",
      "plan_print": "Print my plan",
      "plan_save": "Save as a file",
      "plan_file": "my-safety-plan.txt",
      "plan_saved": "Your safety plan was saved as a file on this device.",
      "retry": "Retry",
      "typing": "The assistant is typing…",
      "slow": "Still working on it, thank you for waiting…",
      "failed": "Couldn't reach the assistant. Your message is kept.",
      "failed_announce": "Couldn't reach the assistant. Your message is kept; use Retry to send it again.",
      "cleared": "Conversation cleared.",
      "unanswered": "Your last message wasn't answered."
    },
    "es": {
      "page_title": "Preguntas sobre depresión y ketamina: asistente automático",
      "title": "Preguntas sobre depresión y ketamina",
      "close": "Cerrar el chat",
      "subtitle": "Asistente automático · nadie de la clínica lee este chat",
      "subtitle_clinic": " · asistente automático · nadie de allí lee este chat",
      "crisis_toggle": "Ayuda en crisis",
      "clear": "Borrar el chat",
      "crisis_title": "Ayuda en crisis, ahora",
      "crisis_done": "Volver al chat",
      "conversation": "Conversación",
      "question_label": "Tu pregunta",
      "placeholder": "Escribe tu pregunta…",
      "send": "Enviar",
      "you_said": "Dijiste: ",
      "not_sent": "Todavía no se envió",
      "crisis_resources": "Recursos de crisis: ",
      "assistant": "Asistente: ",
      "suggested": "Preguntas sugeridas",
      "plan_group": "Tu plan de seguridad",
      "plan_print": "Imprimir mi plan",
      "plan_save": "Guardar como archivo",
      "plan_file": "mi-plan-de-seguridad.txt",
      "plan_saved": "Tu plan de seguridad se guardó como archivo en este dispositivo.",
      "retry": "Reintentar",
      "typing": "El asistente está escribiendo…",
      "slow": "Sigo en ello, gracias por esperar…",
      "failed": "No se pudo contactar al asistente. Tu mensaje se guardó.",
      "failed_announce": "No se pudo contactar al asistente. Tu mensaje se guardó; usa Reintentar para enviarlo de nuevo.",
      "cleared": "Conversación borrada.",
      "unanswered": "Tu último mensaje no recibió respuesta."
    }
  } /* end strings */;
  function pickLanguage(asked) {
    asked = (asked || "").trim().toLowerCase().slice(0, 2);
    if (STRINGS.hasOwnProperty(asked)) return asked;
    var browser = (navigator.language || "").toLowerCase();
    return browser.slice(0, 2) === "es" ? "es" : "en";
  }
  var lang = pickLanguage(fragment.get("lang"));
  var T = STRINGS[lang];
  // The page's own words, as chat.html has them in English.
  if (lang !== "en") {
    document.documentElement.lang = lang;
    document.title = T.page_title;
    $("title").textContent = T.title;
    $("close").setAttribute("aria-label", T.close);
    $("subtitle").textContent = T.subtitle;
    crisisToggle.textContent = T.crisis_toggle;
    $("clear").textContent = T.clear;
    $("crisis-title").textContent = T.crisis_title;
    $("crisis-done").textContent = T.crisis_done;
    transcript.setAttribute("aria-label", T.conversation);
    document.querySelector("label[for='message']").textContent = T.question_label;
    input.placeholder = T.placeholder;
    sendButton.textContent = T.send;
  }
  var region = metadata.region || config.region;
  // The greeting names the lines of the page's region (any other region: the local number).
  var byRegion = config.greeting.by_region;
  var greeting = {
    text: byRegion[region] || byRegion[config.other_region],
    buttons: config.greeting.buttons
  };
  var hostOrigin = fragment.get("host");
  if (config.host_origins.indexOf(hostOrigin) < 0) hostOrigin = null;
  var accent = fragment.get("accent");
  if (accent && /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(accent)) applyAccent(accent);
  if (metadata.clinic_name) {
    $("subtitle").textContent = metadata.clinic_name + T.subtitle_clinic;
  }

  function applyAccent(hex) {
    var h = hex.slice(1);
    if (h.length === 3) h = h.replace(/./g, "$&$&");
    var lum = [0, 2, 4].map(function (i) {
      var c = parseInt(h.substr(i, 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    var L = 0.2126 * lum[0] + 0.7152 * lum[1] + 0.0722 * lum[2];
    var text = (L + 0.05) / 0.05 > 1.05 / (L + 0.05) ? "#111111" : "#ffffff";
    var bar = $("bar");
    bar.style.background = hex;
    bar.style.color = text;
    sendButton.style.background = hex;
    sendButton.style.color = text;
    accentUser = { background: hex, color: text };
  }
  var accentUser = null;

  // --- state, kept for this tab only ------------------------------------------------------
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) {
      return (b + 256).toString(16).slice(1);
    }).join("");
  }
  function load() {
    try {
      var saved = JSON.parse(sessionStorage.getItem(STORE));
      if (saved && typeof saved.id === "string" && Array.isArray(saved.turns)) return saved;
    } catch (e) { /* unreadable or blocked storage: start afresh */ }
    return { id: newId(), turns: [], open: false, draft: "" };
  }
  var state = load();
  function save() {
    try { sessionStorage.setItem(STORE, JSON.stringify(state)); } catch (e) { /* storage full */ }
  }

  // --- safe Markdown: **bold**, _italic_, [text](url), "- " and "1. " lists, paragraphs ------
  var INLINE = /\*\*(.+?)\*\*|(^|[^\p{L}\p{N}_])_(.+?)_(?![\p{L}\p{N}_])|\[([^\]]+)\]\(([^)\s]+)\)/u;
  function safeHref(url) {
    if (/^(tel|sms):\+?[0-9]{1,20}$/i.test(url)) return url;
    // A clinic's own answers may give an address (bot/clinic_answers.py checks the same form).
    if (/^mailto:[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+$/.test(url)) return url;
    if (!/^https:\/\//i.test(url)) return null;
    try { return new URL(url).protocol === "https:" ? url : null; } catch (e) { return null; }
  }
  function inline(text, parent) {
    while (text) {
      var m = INLINE.exec(text);
      if (!m) { parent.appendChild(document.createTextNode(text)); return; }
      var before = text.slice(0, m.index) + (m[2] || "");
      if (before) parent.appendChild(document.createTextNode(before));
      if (m[1] !== undefined) {
        inline(m[1], parent.appendChild(document.createElement("strong")));
      } else if (m[3] !== undefined) {
        inline(m[3], parent.appendChild(document.createElement("em")));
      } else {
        var href = safeHref(m[5]);
        if (href) {
          var a = parent.appendChild(document.createElement("a"));
          a.href = href;
          if (/^https:/i.test(href)) { a.target = "_blank"; a.rel = "noopener noreferrer"; }
          inline(m[4], a);
        } else {
          parent.appendChild(document.createTextNode(m[4]));
        }
      }
      text = text.slice(m.index + m[0].length);
    }
  }
  // Tap-to-call and tap-to-text links that end a line move to a row of their own under it, so
  // on a phone a line's name and number read as text and its links sit together below.
  var SEPARATOR = /^[\s·:]*$/;
  function isPhoneLink(node) {
    return node.nodeType === 1 && node.tagName === "A" && /^(tel|sms):/i.test(node.getAttribute("href"));
  }
  // A line's web chat link ("chat online") joins its row, but only a row with a phone link.
  function isLineLink(node) {
    return isPhoneLink(node) || (node.nodeType === 1 && node.tagName === "A" && /^https:/i.test(node.getAttribute("href")));
  }
  function actionRow(block) {
    var trailing = [], node = block.lastChild;
    while (node && (isLineLink(node) || (node.nodeType === 3 && SEPARATOR.test(node.data)))) {
      trailing.unshift(node);
      node = node.previousSibling;
    }
    var links = trailing.filter(isLineLink);
    if (!trailing.some(isPhoneLink)) return;
    trailing.forEach(function (n) { block.removeChild(n); });
    var textEnd = block.lastChild;
    if (textEnd && textEnd.nodeType === 3) textEnd.data = textEnd.data.replace(/:\s*$/, "");
    var row = block.appendChild(document.createElement("span"));
    row.className = "actions";
    links.forEach(function (link) { row.appendChild(link); });
  }
  var BULLET = /^\s*[-*] /, NUMBERED = /^\s*(\d{1,3})[.)] /;
  function markdown(text, parent) {
    text.split(/\n{2,}/).forEach(function (block) {
      var list = null, para = null;
      block.split("\n").forEach(function (line) {
        var numbered = NUMBERED.exec(line);
        if (numbered || BULLET.test(line)) {
          para = null;
          var tag = numbered ? "OL" : "UL";
          if (!list || list.tagName !== tag) {
            list = parent.appendChild(document.createElement(tag));
            if (numbered && numbered[1] !== "1") list.start = parseInt(numbered[1], 10);
          }
          var item = list.appendChild(document.createElement("li"));
          inline(line.replace(numbered ? NUMBERED : BULLET, ""), item);
          actionRow(item);
        } else if (line.trim()) {
          list = null;
          if (para) para.appendChild(document.createTextNode(" "));
          para = para || parent.appendChild(document.createElement("p"));
          inline(line.trim(), para);
        }
      });
      if (para) actionRow(para);
    });
  }

  // --- rendering -----------------------------------------------------------------------------
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  var reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");
  // The latest turn in view. A bot turn taller than the transcript is shown from its first line,
  // or a long answer would be read from the middle; anything shorter keeps the bottom in view.
  function scrollDown(smooth) {
    var last = transcript.lastElementChild;
    var top = transcript.scrollHeight;
    if (last && last.classList.contains("bot")) {
      top = last.getBoundingClientRect().top - transcript.getBoundingClientRect().top +
        transcript.scrollTop - 8;
    }
    top = Math.min(top, transcript.scrollHeight - transcript.clientHeight);
    // An explicit "smooth" would override the reduced-motion CSS, so it is asked for only here.
    transcript.scrollTo({ top: top, behavior: smooth && !reducedMotion.matches ? "smooth" : "auto" });
  }
  function renderUser(turn) {
    if (turn.hidden) return;
    var node = el("div", "turn user");
    var bubble = node.appendChild(el("div", "bubble"));
    bubble.appendChild(el("span", "sr-only", T.you_said));
    bubble.appendChild(document.createTextNode(turn.shown || turn.text));
    if (accentUser) { bubble.style.background = accentUser.background; bubble.style.color = accentUser.color; }
    if (turn.failed) node.appendChild(el("div", "failed-note", T.not_sent));
    transcript.appendChild(node);
  }
  // A bot turn: its messages, then the notice from its marker as a quiet footer.
  function renderBot(turn) {
    var marker = turn.marker || {};
    var node = el("div", "turn bot" + (marker.kind === "crisis" ? " crisis" : "") +
      (marker.kind === "support" ? " support" : ""));
    node.dataset.kind = marker.kind || "";
    var bubble = node.appendChild(el("div", "bubble"));
    bubble.appendChild(el("span", "sr-only", marker.kind === "crisis" ? T.crisis_resources : T.assistant));
    var notice = marker.notice || config.notice;
    var buttons = [];
    turn.messages.forEach(function (message) {
      if (typeof message.text === "string") {
        var text = message.text.trim();
        var tail = "_" + notice + "_";
        if (text.slice(-tail.length) === tail) text = text.slice(0, -tail.length).trim();
        markdown(text, bubble);
      }
      if (Array.isArray(message.buttons)) buttons = buttons.concat(message.buttons);
    });
    bubble.appendChild(el("p", "notice", notice));
    if (marker.safety_plan === "finished" || marker.safety_plan === "shown") planTools(node, bubble);
    if (buttons.length) {
      var row = node.appendChild(el("div", "buttons"));
      row.setAttribute("role", "group");
      row.setAttribute("aria-label", T.suggested);
      buttons.forEach(function (b) {
        if (!b || typeof b.title !== "string" || typeof b.payload !== "string") return;
        var button = row.appendChild(el("button", "", b.title));
        button.type = "button";
        button.addEventListener("click", function () { send(b.payload, b.title); });
      });
    }
    transcript.appendChild(node);
    return bubble;
  }
  // --- the finished safety plan: printed or saved on the person's own device, never sent ----
  function planText(bubble) {
    var lines = [];
    bubble.querySelectorAll("p, li").forEach(function (block) {
      if (block.classList.contains("notice")) return;
      var prefix = block.tagName === "LI" ? (Array.prototype.indexOf.call(block.parentNode.children, block) + 1) + ". " : "";
      lines.push(prefix + block.textContent.replace(/\s+/g, " ").trim());
    });
    return lines.join("\n\n") + "\n";
  }
  function planTools(node, bubble) {
    var row = node.appendChild(el("div", "plan-tools"));
    row.setAttribute("role", "group");
    row.setAttribute("aria-label", T.plan_group);
    var print = row.appendChild(el("button", "", T.plan_print));
    print.type = "button";
    print.addEventListener("click", function () {
      document.querySelectorAll(".print-target").forEach(function (n) { n.classList.remove("print-target"); });
      node.classList.add("print-target");
      window.print();
    });
    var save = row.appendChild(el("button", "", T.plan_save));
    save.type = "button";
    save.addEventListener("click", function () {
      var link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([planText(bubble)], { type: "text/plain;charset=utf-8" }));
      link.download = T.plan_file;
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(function () { URL.revokeObjectURL(link.href); }, 1000);
      announce(T.plan_saved);
    });
  }

  function render(smooth) {
    // Rebuilding empties the transcript; start the scroll from where the reader was.
    var from = transcript.scrollTop;
    transcript.textContent = "";
    renderBot({ messages: [greeting], marker: { kind: "smalltalk", notice: config.notice } });
    state.turns.forEach(function (turn) {
      if (turn.from === "user") renderUser(turn); else renderBot(turn);
    });
    transcript.scrollTop = from;
    scrollDown(smooth);
  }
  function announce(text) {
    announcer.textContent = "";
    setTimeout(function () { announcer.textContent = text; }, 50);
  }
  // A message that could not be sent was read by nobody: the region's lines go beside the error,
  // from the page's own config, so no one has to find "Crisis help" first.
  var shortLines = config.crisis_short[region] || config.crisis_short[config.other_region];
  function setStatus(kind, text, retry) {
    statusBox.textContent = "";
    statusBox.className = "status" + (kind === "error" ? " error" : "");
    if (kind === "typing") {
      var dots = statusBox.appendChild(el("span", "typing"));
      dots.setAttribute("aria-hidden", "true");
      dots.appendChild(el("span")); dots.appendChild(el("span")); dots.appendChild(el("span"));
      statusBox.appendChild(el("span", "sr-only", text));
    } else if (text) {
      statusBox.appendChild(document.createTextNode(text));
    }
    if (retry) {
      var again = statusBox.appendChild(el("button", "retry", T.retry));
      again.type = "button";
      again.addEventListener("click", retry);
    }
    if (kind === "error") markdown(shortLines, statusBox.appendChild(el("div", "status-lines")));
    scrollDown(); // the status takes room from the transcript: keep the latest turn in view
  }

  // --- talking to the server -------------------------------------------------------------
  var busy = false;
  function send(message, shown, hidden) {
    if (busy || !message.trim()) return;
    state.turns.push({ from: "user", text: message, shown: shown || null, hidden: !!hidden });
    save();
    render();
    deliver();
  }
  // Sends the last user turn; on failure it stays on screen, marked, with a retry.
  function deliver() {
    var turn = state.turns[state.turns.length - 1];
    if (!turn || turn.from !== "user") return;
    busy = true;
    sendButton.disabled = true;
    setStatus("typing", T.typing);
    var controller = new AbortController();
    var slow = setTimeout(function () {
      setStatus("typing", T.slow);
    }, SLOW_MS);
    var timeout = setTimeout(function () { controller.abort(); }, TIMEOUT_MS);
    fetch(config.webhook, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      // `channel` tells the clinic's insights that a turn came through the widget, not the API.
      body: JSON.stringify({
        sender: state.id, message: turn.text, metadata: Object.assign({ channel: "widget" }, metadata)
      }),
      signal: controller.signal,
      credentials: "omit"
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (messages) {
      if (!Array.isArray(messages)) throw new Error("bad reply");
      var marker = null;
      messages.forEach(function (m) { if (m && m.custom) marker = m.custom; });
      turn.failed = false;
      state.turns.push({ from: "bot", messages: messages, marker: marker });
      save();
      setStatus("", "");
      render(true);
      var last = transcript.lastElementChild.querySelector(".bubble");
      announce(last.textContent);
    }).catch(function () {
      turn.failed = true;
      save();
      render();
      setStatus("error", T.failed, function () {
        turn.failed = false;
        save();
        render();
        deliver();
        input.focus();
      });
      announce(T.failed_announce);
    }).then(function () {
      clearTimeout(slow);
      clearTimeout(timeout);
      busy = false;
      sendButton.disabled = false;
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    if (busy || !text.trim()) return;
    input.value = "";
    state.draft = "";
    send(text.trim());
    input.focus();
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  input.addEventListener("input", function () { state.draft = input.value; save(); });

  // --- coming back after tapping a crisis line: "Were you able to reach someone?" ---------
  // A person who taps a line's call or text link and comes back to the chat (the tab visible
  // again, or the widget opened again) is asked by the assistant (the payload below; README
  // "The crisis conversation"). Only the moment is kept, in this tab's storage.
  var RETURNED = "/crisis_returned";
  var AWAY_MS = 2000;
  function leftToReachOut(event) {
    var link = event.target.closest && event.target.closest("a[href^='tel:'], a[href^='sms:']");
    if (link) { state.reachedOutAt = Date.now(); save(); }
  }
  function cameBack() {
    if (!state.reachedOutAt || Date.now() - state.reachedOutAt < AWAY_MS || busy) return;
    state.reachedOutAt = null;
    save();
    send(RETURNED, null, true);
  }
  transcript.addEventListener("click", leftToReachOut);
  crisisPanel.addEventListener("click", leftToReachOut);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") cameBack();
  });

  // --- crisis help: from the page itself, no server needed --------------------------------
  var crisisText = config.crisis[region] || config.crisis[config.other_region];
  markdown(crisisText, $("crisis-body"));
  function showCrisis(show) {
    crisisPanel.hidden = !show;
    crisisToggle.setAttribute("aria-expanded", String(show));
    if (show) crisisPanel.querySelector("a, button").focus(); else crisisToggle.focus();
  }
  crisisToggle.addEventListener("click", function () { showCrisis(crisisPanel.hidden); });
  $("crisis-done").addEventListener("click", function () { showCrisis(false); });

  $("clear").addEventListener("click", function () {
    state = { id: newId(), turns: [], open: state.open, draft: "" };
    input.value = "";
    save();
    setStatus("", "");
    render();
    announce(T.cleared);
    input.focus();
  });

  // --- the host page: exact origin both ways ----------------------------------------------
  function toHost(type) {
    if (hostOrigin && window.parent !== window) {
      window.parent.postMessage({ ns: NS, type: type, open: state.open }, hostOrigin);
    }
  }
  // Closing from inside is recorded at once: the visitor may leave the page before the host's
  // "closed" reply arrives, and the next page of the tab must not reopen the chat.
  function closeFromInside() {
    state.open = false;
    save();
    toHost("close");
  }
  $("close").addEventListener("click", closeFromInside);
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    if (!crisisPanel.hidden) showCrisis(false); else closeFromInside();
  });
  window.addEventListener("message", function (event) {
    if (!hostOrigin || event.origin !== hostOrigin || event.source !== window.parent) return;
    var message = event.data;
    if (!message || message.ns !== NS) return;
    if (message.type === "open") {
      state.open = true;
      save();
      if (message.focus) input.focus();
      scrollDown();
      cameBack();
    } else if (message.type === "closed") {
      state.open = false;
      save();
    }
  });

  input.value = state.draft || "";
  render();
  // A message that was never answered (the tab navigated or the server failed): offer it again.
  var last = state.turns[state.turns.length - 1];
  if (last && last.from === "user") {
    last.failed = true;
    render();
    setStatus("error", T.unanswered, function () {
      last.failed = false; save(); render(); deliver();
    });
  }
  toHost("ready");
})();
