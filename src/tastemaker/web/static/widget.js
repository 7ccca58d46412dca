/*
 * tastemaker widget: one <script> tag on a brand's page shows an experience's prompt, asks the
 * public API for a result and paints it in place with its reasons.
 *
 *   <script src="https://TASTEMAKER/widget.js" data-experience="weekend-mood"
 *           data-key="PUBLIC_KEY" data-user="optional-known-user-id" async></script>
 *
 * Optional: data-target="#css-selector" (where to mount; default: right after the script),
 * data-variant, data-api (API origin; default: where this script came from).
 * No build step, no dependencies, nothing fetched but this file and the API.
 *
 * Journey events go to POST /v1/events: prompt_shown, prompt_answered, prompt_abandoned
 * ("No thanks", or leaving the page unanswered), result_viewed and click (with request_id).
 * Performance marks: tm:start, tm:prompt-shown, tm:answer, tm:first-result, and the measure
 * "tm:time-to-first-result" (answer to painted result), which the benchmark reads.
 * The host page can listen for "tastemaker:result" on the widget's root element.
 * Styling: CSS variables on .tm-widget or any ancestor: --tm-font, --tm-fg, --tm-bg,
 * --tm-muted, --tm-accent, --tm-accent-fg, --tm-border, --tm-radius, --tm-gap. The widget
 * never sets them itself (its defaults are var() fallbacks), so the brand's values always win.
 * The defaults keep text at 4.5:1 contrast or more (#555 on white: 7.5:1; white on #1d4ed8: 6.7:1).
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var perf = window.performance;
  function mark(name) {
    try { perf.mark(name); } catch (e) { /* marks are best effort */ }
  }
  mark("tm:start");

  var ds = script.dataset;
  var key = ds.key;
  var experience = ds.experience;
  var variant = ds.variant || "default";
  var api = ds.api || new URL(script.src, document.baseURI).origin;
  var seq = (window.__tastemakerSeq = (window.__tastemakerSeq || 0) + 1);
  var uid = "tm" + seq;

  function anonymousId() {
    var id = null;
    try { id = window.localStorage.getItem("tastemaker:anon"); } catch (e) { /* no storage */ }
    if (!id) {
      var rand = window.crypto && window.crypto.randomUUID ? window.crypto.randomUUID()
        : String(Math.random()).slice(2) + String(Date.now());
      id = "anon-" + rand;
      try { window.localStorage.setItem("tastemaker:anon", id); } catch (e) { /* no storage */ }
    }
    return id;
  }
  var user = ds.user || anonymousId();

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    }
    if (text != null) node.textContent = text;  // never innerHTML: answers are untrusted
    return node;
  }

  function call(method, path, body, keepalive) {
    var init = {
      method: method,
      headers: { "Authorization": "Bearer " + key },
      keepalive: !!keepalive,
    };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(api + path, init).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) {
          var err = new Error((data.error && data.error.message) || ("HTTP " + r.status));
          err.status = r.status;
          throw err;
        }
        return data;
      });
    });
  }

  function track(type, extra, keepalive) {
    var ev = { user_id: user, type: type, ts: Date.now() / 1000,
               context: { experience: experience, variant: variant, url: location.href } };
    if (extra) Object.keys(extra).forEach(function (k) { ev[k] = extra[k]; });
    return call("POST", "/v1/events", { events: [ev] }, keepalive).catch(function () {
      /* a lost event must never break the page */
    });
  }

  var STYLE_ID = "tastemaker-widget-style";
  function injectStyle() {
    if (document.getElementById(STYLE_ID)) return;
    var css = [
      ".tm-widget{font-family:var(--tm-font,inherit);color:var(--tm-fg,#1a1a1a);background:var(--tm-bg,#ffffff);",
      "border:1px solid var(--tm-border,#c8c8c8);border-radius:var(--tm-radius,8px);padding:1rem;",
      "max-width:40rem;line-height:1.45}",
      ".tm-widget *{box-sizing:border-box}",
      ".tm-question{font-size:1.15rem;margin:0 0 var(--tm-gap,0.75rem)}",
      ".tm-choices{display:flex;flex-wrap:wrap;gap:0.5rem;margin:0 0 var(--tm-gap,0.75rem)}",
      ".tm-widget button,.tm-widget input{font:inherit}",
      ".tm-choice,.tm-submit{background:var(--tm-accent,#1d4ed8);color:var(--tm-accent-fg,#ffffff);border:0;",
      "border-radius:var(--tm-radius,8px);padding:0.5rem 0.9rem;cursor:pointer}",
      ".tm-choice[aria-pressed=true]{outline:3px solid var(--tm-fg,#1a1a1a);outline-offset:2px}",
      ".tm-dismiss{background:transparent;color:var(--tm-muted,#555555);border:0;padding:0.25rem 0;",
      "text-decoration:underline;cursor:pointer}",
      ".tm-text{display:flex;gap:0.5rem;margin:0 0 var(--tm-gap,0.75rem)}",
      ".tm-text input{flex:1;padding:0.5rem;border:1px solid var(--tm-muted,#555555);",
      "border-radius:var(--tm-radius,8px);color:var(--tm-fg,#1a1a1a);background:var(--tm-bg,#ffffff)}",
      ".tm-widget :focus-visible{outline:3px solid var(--tm-accent,#1d4ed8);outline-offset:2px}",
      ".tm-notice,.tm-consent{color:var(--tm-muted,#555555);font-size:0.875rem;margin:0.25rem 0}",
      ".tm-results:empty{display:none}",
      ".tm-results{margin-top:var(--tm-gap,0.75rem)}",
      ".tm-title{font-size:1.1rem;margin:0 0 0.25rem}",
      ".tm-items{padding-left:1.25rem;margin:0.5rem 0}",
      ".tm-item{margin:0 0 0.5rem}",
      ".tm-item a,.tm-item-button{color:var(--tm-accent,#1d4ed8);font-weight:600}",
      ".tm-item-button{background:none;border:0;padding:0;cursor:pointer;text-align:left;",
      "text-decoration:underline}",
      ".tm-reasons{color:var(--tm-muted,#555555);font-size:0.875rem;margin:0.1rem 0 0;padding:0;",
      "list-style:none}",
      ".tm-error{color:#a40000}",
      ".tm-label{display:block;font-size:1.15rem;margin:0 0 var(--tm-gap,0.75rem);font-weight:600}",
    ].join("");
    var style = el("style", { id: STYLE_ID });
    style.textContent = css;
    document.head.appendChild(style);
  }

  var root = el("section", { "class": "tm-widget", "aria-labelledby": uid + "-q",
                             "data-experience": experience || "" });
  var target = ds.target ? document.querySelector(ds.target) : null;
  if (target) target.appendChild(root);
  else script.parentNode.insertBefore(root, script.nextSibling);
  injectStyle();

  // One live region, present from the start so screen readers announce what lands in it.
  var results = el("div", { "class": "tm-results", "aria-live": "polite", "aria-busy": "false" });
  var state = { answered: false, abandoned: false, spec: null };

  function fail(message) {
    results.setAttribute("aria-busy", "false");
    results.replaceChildren(el("p", { "class": "tm-error", role: "alert" }, message));
  }

  if (!key || !experience) {
    root.appendChild(results);
    fail("This widget needs data-experience and data-key.");
    return;
  }

  function renderResult(data) {
    var frag = document.createDocumentFragment();
    var copy = data.copy || {};
    var title = el("h3", { "class": "tm-title", id: uid + "-title", tabindex: "-1" },
                   copy.title || "Your picks");
    frag.appendChild(title);
    if (copy.description) frag.appendChild(el("p", { "class": "tm-description" }, copy.description));
    var list = el("ol", { "class": "tm-items", "aria-labelledby": uid + "-title" });
    (data.items || []).forEach(function (item) {
      var li = el("li", { "class": "tm-item", "data-item": item.id });
      var reasonsId = uid + "-r-" + item.id;
      var link;
      if (item.url) {
        link = el("a", { href: item.url, "aria-describedby": reasonsId }, item.title);
      } else {
        link = el("button", { type: "button", "class": "tm-item-button",
                              "aria-describedby": reasonsId }, item.title);
      }
      link.addEventListener("click", function () {
        track("click", { item_id: item.id, request_id: data.request_id }, true);
      });
      li.appendChild(link);
      if (item.price != null) li.appendChild(el("span", { "class": "tm-price" },
                                                " " + Number(item.price).toFixed(2)));
      var reasons = el("ul", { "class": "tm-reasons", id: reasonsId });
      (item.reasons || []).forEach(function (r) { reasons.appendChild(el("li", null, r)); });
      li.appendChild(reasons);
      list.appendChild(li);
    });
    frag.appendChild(list);
    if (copy.legal) frag.appendChild(el("p", { "class": "tm-notice" }, copy.legal));
    results.replaceChildren(frag);
    results.setAttribute("aria-busy", "false");
    title.focus();  // keyboard and screen-reader users land on what they asked for
    // The result is painted at the next frame: that is the moment the person sees it.
    window.requestAnimationFrame(function () {
      mark("tm:first-result");
      try { perf.measure("tm:time-to-first-result", "tm:answer", "tm:first-result"); }
      catch (e) { /* no marks */ }
      root.dispatchEvent(new CustomEvent("tastemaker:result", { bubbles: true, detail: data }));
    });
    track("result_viewed", { request_id: data.request_id });
  }

  function answer(body) {
    if (!state.answered) track("prompt_answered", null);
    state.answered = true;
    try { perf.clearMarks("tm:answer"); } catch (e) { /* ignore */ }
    mark("tm:answer");
    results.setAttribute("aria-busy", "true");
    body.user_id = user;
    body.variant = variant;
    body.context = { hour: new Date().getHours(),
                     device: window.matchMedia("(max-width: 640px)").matches ? "mobile" : "desktop",
                     locale: navigator.language ? navigator.language.slice(0, 35) : undefined };
    return call("POST", "/v1/experiences/" + encodeURIComponent(experience) + "/answer", body)
      .then(renderResult)
      .catch(function (err) {
        fail(err.status === 422 ? err.message : "Sorry, we could not load your picks. Please try again.");
      });
  }

  function renderConsent() {
    var wrap = el("p", { "class": "tm-consent" });
    var box = el("input", { type: "checkbox", id: uid + "-memory" });
    var label = el("label", { "for": uid + "-memory" },
                   " Remember my answers to personalise future visits");
    wrap.appendChild(box);
    wrap.appendChild(label);
    var path = "/v1/people/" + encodeURIComponent(user) + "/consent";
    call("GET", path).then(function (data) {
      var memory = data.consent && data.consent.memory;
      box.checked = !!(memory && memory.granted);
    }).catch(function () { /* unknown: unchecked */ });
    box.addEventListener("change", function () {
      call("PUT", path, { consent: { memory: box.checked } }).catch(function () {
        box.checked = !box.checked;
        fail("Your choice could not be saved. Please try again.");
      });
    });
    return wrap;
  }

  function renderPrompt(spec) {
    state.spec = spec;
    var prompt = spec.prompt;
    var qid = uid + "-q";
    if (prompt.kind === "choice" || (prompt.choices && prompt.choices.length)) {
      root.appendChild(el("h2", { "class": "tm-question", id: qid }, prompt.question));
      var group = el("div", { "class": "tm-choices", role: "group", "aria-labelledby": qid });
      prompt.choices.forEach(function (c) {
        var b = el("button", { type: "button", "class": "tm-choice", "data-choice": c.id,
                               "aria-pressed": "false" }, c.label);
        b.addEventListener("click", function () {
          group.querySelectorAll("button").forEach(function (o) {
            o.setAttribute("aria-pressed", String(o === b));
          });
          answer({ choice: c.id });
        });
        group.appendChild(b);
      });
      root.appendChild(group);
    } else {
      var form = el("form", { "class": "tm-text" });
      var inputId = uid + "-text";
      var label = el("label", { "class": "tm-label", "for": inputId, id: qid }, prompt.question);
      var input = el("input", { type: "text", id: inputId, name: "text", required: "",
                                maxlength: String(prompt.max_length || 200),
                                autocomplete: "off" });
      if (prompt.placeholder) input.setAttribute("placeholder", prompt.placeholder);
      var submit = el("button", { type: "submit", "class": "tm-submit" }, "Show me");
      form.appendChild(input);
      form.appendChild(submit);
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        var text = input.value.trim();
        if (text) answer({ text: text });
      });
      root.appendChild(label);
      root.appendChild(form);
    }
    if (prompt.privacy_notice) {
      root.appendChild(el("p", { "class": "tm-notice", id: uid + "-notice" }, prompt.privacy_notice));
    }
    root.appendChild(renderConsent());
    var dismiss = el("button", { type: "button", "class": "tm-dismiss" }, "No thanks");
    dismiss.addEventListener("click", function () {
      abandon(false);
      root.hidden = true;
    });
    root.appendChild(dismiss);
    root.appendChild(results);
    mark("tm:prompt-shown");
    track("prompt_shown", null);
  }

  function abandon(leaving) {
    if (state.answered || state.abandoned || !state.spec) return;
    state.abandoned = true;
    track("prompt_abandoned", null, leaving);
  }
  window.addEventListener("pagehide", function () { abandon(true); });

  call("GET", "/v1/experiences/" + encodeURIComponent(experience))
    .then(renderPrompt)
    .catch(function () {
      root.appendChild(results);
      fail("Sorry, this is not available right now.");
    });
})();
