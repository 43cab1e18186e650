/* Clinic web widget loader. One <script> tag; adds a launcher and a chat panel framed from the
 * assistant's own origin. Globals: window.MindworkWidget only. Styles: inside its own
 * shadow root only. Bad data-* values are ignored with a console warning. */
(function () {
  "use strict";
  var NS = "MindworkWidget";
  if (window[NS]) return; // loaded twice: the first copy owns the page
  var script = document.currentScript;
  if (!script || !script.src) {
    console.warn("Clinic widget: load it with a plain <script src> tag.");
    return;
  }
  var widgetOrigin = new URL(script.src).origin;
  var data = script.dataset;

  // The same rules the server applies (bot/settings.py); the server checks again.
  var PHONE = /^\+?[0-9][0-9 ().-]{1,23}[0-9]$/;
  var RULES = {
    clinicName: ["clinic_name", function (v) {
      v = v.split(/\s+/).join(" ").trim();
      return /^[\p{L}\p{N}\p{M}_ .,'&/+-]{1,80}$/u.test(v) ? v : null;
    }],
    clinicPhone: ["clinic_phone", function (v) {
      v = v.trim();
      var digits = v.replace(/\D/g, "").length;
      return PHONE.test(v) && digits >= 3 && digits <= 15 ? v : null;
    }],
    bookingUrl: ["booking_url", function (v) {
      v = v.trim();
      if (!/^https:\/\//i.test(v) || v.length > 300 || /[\s<>"'()[\]{}\\^`|]/.test(v)) return null;
      try {
        var u = new URL(v);
        return u.hostname && !u.username && !u.password ? v : null;
      } catch (e) {
        return null;
      }
    }],
    region: ["region", function (v) {
      return /^[A-Za-z]{2}$/.test(v.trim()) ? v.trim().toUpperCase() : null;
    }],
    accent: ["accent", function (v) {
      v = v.trim();
      return /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(v) ? v : null;
    }],
    // The chat's own words: "es" or "en" (a tag such as "es-MX" counts by its language).
    lang: ["lang", pageLanguage]
  };
  function pageLanguage(v) {
    v = (v || "").trim().toLowerCase();
    return /^(en|es)(-[a-z0-9]{1,8})*$/.test(v) ? v.slice(0, 2) : null;
  }
  var settings = {};
  Object.keys(RULES).forEach(function (key) {
    var value = data[key];
    if (value === undefined || value === "") return;
    var clean = RULES[key][1](value);
    if (clean === null) {
      console.warn("Clinic widget: ignored an invalid data-" +
        key.replace(/[A-Z]/g, function (c) { return "-" + c.toLowerCase(); }) + " value.");
    } else {
      settings[RULES[key][0]] = clean;
    }
  });
  // Without data-lang, a page whose own lang is Spanish gets the chat's words in Spanish (else the
  // chat page follows the browser's language).
  if (!settings.lang && pageLanguage(document.documentElement.lang) === "es") settings.lang = "es";
  var accent = settings.accent || "#1d5c8f";
  var accentText = readableOn(accent);

  // Black or white, whichever contrasts more with the accent (WCAG relative luminance).
  function readableOn(hex) {
    var h = hex.slice(1);
    if (h.length === 3) h = h.replace(/./g, "$&$&");
    var lum = [0, 2, 4].map(function (i) {
      var c = parseInt(h.substr(i, 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    var L = 0.2126 * lum[0] + 0.7152 * lum[1] + 0.0722 * lum[2];
    return (L + 0.05) / 0.05 > 1.05 / (L + 0.05) ? "#111111" : "#ffffff";
  }

  var CSS =
    ".launcher{all:initial;box-sizing:border-box;display:inline-flex;align-items:center;gap:8px;" +
    "min-height:48px;padding:12px 18px;border-radius:24px;cursor:pointer;font:600 16px/1.2 " +
    "system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;box-shadow:0 2px 10px rgba(0,0,0,.3)}" +
    ".launcher:focus-visible{outline:3px solid #111;outline-offset:3px;box-shadow:0 0 0 6px #fff}" +
    ".panel{position:fixed;right:16px;bottom:84px;width:380px;height:min(640px,calc(100vh - 100px));" +
    "border-radius:12px;overflow:hidden;box-shadow:0 6px 30px rgba(0,0,0,.35);background:#fff}" +
    "iframe{all:initial;display:block;width:100%;height:100%;border:0}[hidden]{display:none!important}" +
    ".fb{box-sizing:border-box;height:100%;overflow:auto;padding:16px;color:#1a1a1a;font-size:15px}" +
    ".fb h2{font-size:18px;margin:0}.fb h3{font-size:16px;color:#8a0016}.fb li{margin:6px 0}" +
    ".fb a{display:inline-block;margin:2px 4px 2px 0;padding:3px 10px;border-radius:14px;" +
    "background:#8a0016;color:#fff;font-weight:600;text-decoration:none;white-space:nowrap}" +
    ".fb button{font:inherit;min-height:40px;margin-right:8px;padding:6px 14px;border-radius:6px;" +
    "border:1px solid;background:#fff;color:#124069;cursor:pointer}" +
    ".fb :focus-visible{outline:3px solid #0b4f8a;outline-offset:2px}" +
    "@media (max-width:479.98px){.panel{inset:0;width:100%;height:100%;border-radius:0}}";

  // Inline !important declarations on its own element outrank any rule of the host page.
  var HOST_STYLE = {
    all: "initial", position: "fixed", right: "16px", bottom: "16px", "z-index": "2147483000",
    display: "block", visibility: "visible", opacity: "1", transform: "none", filter: "none",
    font: "16px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"
  };

  // When the chat page cannot load, crisis help must not depend on the server: the lines are
  // built in. A copy of bot/crisis_lines.yml (a test keeps them equal):
  // region: [region name, emergency numbers, lines: [name, call, text, text word, hours, chat]].
  var LINES = {
    "US": ["the US", ["911"], [["988 Suicide & Crisis Lifeline", "988", "988", "", "24/7",
      "https://988lifeline.org/chat"]]],
    "CA": ["Canada", ["911"], [["9-8-8 Suicide Crisis Helpline", "988", "988", "", "24/7", ""]]],
    "GB": ["the UK", ["999"], [["Samaritans", "116 123", "", "", "24/7", ""],
      ["Shout", "", "85258", "SHOUT", "24/7", ""]]],
    "IE": ["Ireland", ["112", "999"], [["Samaritans", "116 123", "", "", "24/7", ""],
      ["50808", "", "50808", "", "24/7", ""]]],
    "AU": ["Australia", ["000"], [["Lifeline", "13 11 14", "0477 13 11 14", "", "24/7", ""]]],
    "NZ": ["New Zealand", ["111"], [["Need to talk? 1737", "1737", "1737", "", "24/7", ""]]]
  };
  // Free lines in many countries, for a page whose region is not in LINES.
  var DIRECTORY = "https://findahelpline.com";
  // No ready message this long after the frame starts, or soon after it loads (an error page
  // loads too), and the chat counts as unavailable.
  var READY_MS = 8000, AFTER_LOAD_MS = 2000;

  function start() {
    var host = document.createElement("mindwork-widget");
    for (var property in HOST_STYLE) host.style.setProperty(property, HOST_STYLE[property], "important");
    var root = host.attachShadow({ mode: "open" });
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS); // constructed sheets also work under a host page's strict CSP
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      var style = document.createElement("style");
      style.textContent = CSS;
      root.appendChild(style);
    }
    var launcher = document.createElement("button");
    launcher.type = "button";
    launcher.className = "launcher";
    launcher.textContent = "Ask our information assistant";
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", "mindwork-panel");
    launcher.style.background = accent;
    launcher.style.color = accentText;
    var panel = document.createElement("div");
    panel.className = "panel";
    panel.id = "mindwork-panel";
    panel.hidden = true;
    var params = new URLSearchParams(settings);
    params.set("host", location.origin);
    // The fragment never reaches the server's logs.
    var src = widgetOrigin + "/widget/chat#" + params.toString();
    root.appendChild(panel);
    root.appendChild(launcher);

    var frame = null, ready = false, failed = false, retrying = false, attempt = 0, fallback;
    // A fresh frame per attempt, so a late answer from an abandoned one cannot count.
    function loadFrame() {
      var mine = ++attempt;
      var fresh = document.createElement("iframe");
      fresh.title = "The clinic's automated information assistant";
      fresh.src = src;
      fresh.hidden = failed; // a retry keeps the fallback in view until the chat is ready
      function check() { if (mine === attempt && !ready) fail(); }
      fresh.addEventListener("load", function () { setTimeout(check, AFTER_LOAD_MS); });
      setTimeout(check, READY_MS);
      ready = false;
      if (frame) panel.replaceChild(fresh, frame); else panel.appendChild(fresh);
      frame = fresh;
    }
    loadFrame();
    document.body.appendChild(host);

    function post(type, extra) {
      if (!ready) return;
      var message = { ns: NS, type: type };
      for (var k in extra) message[k] = extra[k];
      frame.contentWindow.postMessage(message, widgetOrigin);
    }
    function open(focus) {
      panel.hidden = false;
      launcher.setAttribute("aria-expanded", "true");
      if (failed) { if (focus) fallback.title.focus(); return; }
      if (focus) frame.focus();
      post("open", { focus: !!focus });
    }
    function close(focus) {
      if (panel.hidden) return;
      panel.hidden = true;
      launcher.setAttribute("aria-expanded", "false");
      post("closed", {});
      if (focus) launcher.focus();
    }
    function showChat() {
      failed = retrying = false;
      fallback.box.hidden = true;
      frame.hidden = false;
      if (!panel.hidden) { frame.focus(); post("open", { focus: true }); }
    }
    function fail() {
      var hadFocus = !panel.hidden && root.activeElement === frame;
      if (!fallback) fallback = buildFallback();
      failed = true;
      frame.hidden = true;
      fallback.box.hidden = false;
      fallback.retry.textContent = "Try again";
      if (retrying) say("Still unavailable. Please try again later.");
      retrying = false;
      // Only someone already in the widget is moved; focus elsewhere on the page stays put.
      if (hadFocus) fallback.title.focus();
    }
    function say(text) { fallback.status.textContent = text; } // a role=status: read out

    // The panel shown instead of the chat: DOM calls only, no markup from anywhere.
    function buildFallback() {
      function el(tag, text, parent) {
        var node = document.createElement(tag);
        if (text) node.textContent = text;
        (parent || box).appendChild(node);
        return node;
      }
      function link(scheme, number, label, parent) {
        var a = el("a", label + " " + number, parent);
        a.href = scheme + ":" + number.replace(/[^0-9+]/g, "");
      }
      function web(url, label, parent) {
        var a = el("a", label, parent);
        a.href = url;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
      }
      function button(text, action) {
        var b = el("button", text, row);
        b.type = "button";
        b.addEventListener("click", action);
        return b;
      }
      var box = document.createElement("section");
      box.className = "fb";
      box.setAttribute("aria-labelledby", "mw-fb-title");
      var title = el("h2", "The chat is unavailable right now");
      title.id = "mw-fb-title";
      title.tabIndex = -1;
      el("p", "The clinic's assistant can't be reached. You can try again in a moment.");
      var row = el("p");
      var retry = button("Try again", function () {
        if (ready) return showChat();
        retrying = true;
        say("Trying again…");
        loadFrame();
      });
      button("Close", function () { close(true); });
      var status = el("p");
      status.setAttribute("role", "status");
      el("h3", "If you or someone else may be in danger, please reach out now:");
      var list = el("ul");
      var lines = LINES[settings.region];
      // Every line is labelled with its region: no number is shown as if it were universal.
      function region(r, where) {
        r[2].forEach(function (l) {
          var item = el("li", where + ": " + l[0] + (l[4] ? " (" + l[4] + ")" : "") + " ", list);
          if (l[1]) link("tel", l[1], "Call", item);
          if (l[2]) link("sms", l[2], l[3] ? "Text " + l[3] + " to" : "Text", item);
          if (l[5]) web(l[5], "Chat online", item);
        });
        var item = el("li", where + ", in an emergency: ", list);
        r[1].forEach(function (n) { link("tel", n, "Call", item); });
      }
      if (!lines) el("li", "In an emergency, call your local emergency number.", list);
      else region(lines, "In " + lines[0]);
      if (!lines) web(DIRECTORY, "findahelpline.com",
        el("li", "Free helplines in your country: ", list));
      if (settings.region !== "US") region(LINES.US, "In the US");
      if (lines) el("li", "Outside " + lines[0] + ": call your local emergency number", list);
      if (settings.clinic_phone) {
        link("tel", settings.clinic_phone, "Call",
          el("p", "To reach " + (settings.clinic_name || "the clinic") + ": "));
      }
      panel.appendChild(box);
      return { box: box, title: title, retry: retry, status: status };
    }

    launcher.addEventListener("click", function () {
      if (panel.hidden) open(true); else close(true);
    });
    root.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !panel.hidden) close(true);
    });
    window.addEventListener("message", function (event) {
      if (event.origin !== widgetOrigin || event.source !== frame.contentWindow) return;
      var message = event.data;
      if (!message || message.ns !== NS) return;
      if (message.type === "ready") {
        ready = true;
        if (failed && !retrying && !panel.hidden) {
          // Late, while someone may be reading the crisis lines: offer the chat, don't swap it in.
          fallback.retry.textContent = "Open the chat";
          say("The chat is available now.");
        } else if (failed) {
          showChat();
        } else if (!panel.hidden) {
          frame.focus(); // opened while the frame was loading: its document has the focus now
          post("open", { focus: true });
        }
        else if (message.open) open(false); // it was open on the previous page of this tab
      } else if (message.type === "close") {
        close(true);
      }
    });
    window[NS] = Object.freeze({
      open: function () { open(true); },
      close: function () { close(true); }
    });
  }

  // Reserve the namespace now so a second copy loaded before the page is ready stays out.
  window[NS] = Object.freeze({});
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
