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
    }]
  };
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
    ".panel[hidden]{display:none}" +
    "iframe{all:initial;display:block;width:100%;height:100%;border:0}" +
    "@media (max-width:479.98px){.panel{inset:0;width:100%;height:100%;border-radius:0}}";

  // Inline !important declarations on its own element outrank any rule of the host page.
  var HOST_STYLE = {
    all: "initial", position: "fixed", right: "16px", bottom: "16px", "z-index": "2147483000",
    display: "block", visibility: "visible", opacity: "1", transform: "none", filter: "none",
    font: "16px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"
  };

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
    launcher.textContent = "Questions? Chat with us";
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", "mindwork-panel");
    launcher.style.background = accent;
    launcher.style.color = accentText;
    var panel = document.createElement("div");
    panel.className = "panel";
    panel.id = "mindwork-panel";
    panel.hidden = true;
    var frame = document.createElement("iframe");
    frame.title = "Chat with the clinic assistant";
    var params = new URLSearchParams(settings);
    params.set("host", location.origin);
    // The fragment never reaches the server's logs.
    frame.src = widgetOrigin + "/widget/chat#" + params.toString();
    panel.appendChild(frame);
    root.appendChild(panel);
    root.appendChild(launcher);
    document.body.appendChild(host);

    var ready = false;
    function post(type, extra) {
      if (!ready) return;
      var message = { ns: NS, type: type };
      for (var k in extra) message[k] = extra[k];
      frame.contentWindow.postMessage(message, widgetOrigin);
    }
    function open(focus) {
      panel.hidden = false;
      launcher.setAttribute("aria-expanded", "true");
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
        if (!panel.hidden) {
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
