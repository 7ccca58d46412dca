/*
 * The marketer console: a small no-build front end over the admin API (/v1). The admin key is
 * asked once and kept in sessionStorage (this tab only); every call sends it as a bearer token.
 * Each view is a function that fetches what it shows; nothing is cached, so what an editor sees
 * is what the API holds. Text from the API is always set as textContent, never as HTML.
 */
(function () {
  "use strict";
  var KEY = "tastemaker:admin-key";
  var main = document.getElementById("main");
  var nav = document.getElementById("nav");
  var statusLine = document.getElementById("status");

  function h(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "on") Object.keys(attrs.on).forEach(function (e) { node.addEventListener(e, attrs.on[e]); });
      else if (k === "text") node.textContent = attrs.text;
      else node.setAttribute(k, attrs[k]);
    });
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c == null) continue;
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return node;
  }
  function say(msg) { statusLine.textContent = msg; }

  function api(method, path, body, raw) {
    var init = { method: method, headers: { Authorization: "Bearer " + sessionStorage.getItem(KEY) } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (r) {
      if (raw && r.ok) return r.text();
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) {
          var e = data.error || {};
          throw new Error((e.message || "HTTP " + r.status) + (e.field ? " (" + e.field + ")" : ""));
        }
        return data;
      });
    });
  }
  function failed(err) { say("Error: " + err.message); }
  function when(ts) { return ts ? new Date(ts * 1000).toISOString().replace("T", " ").slice(0, 19) : ""; }
  function table(head, rows) {
    return h("table", null,
      h("thead", null, h("tr", null, ...head.map(function (t) { return h("th", { scope: "col", text: t }); }))),
      h("tbody", null, ...rows.map(function (r) {
        return h("tr", null, ...r.map(function (c) {
          return h("td", null, c instanceof Node ? c : document.createTextNode(c == null ? "" : String(c)));
        }));
      })));
  }
  function show(title) {
    main.replaceChildren(h("h2", { id: "view-title", text: title }));
    for (var i = 1; i < arguments.length; i++) if (arguments[i]) main.appendChild(arguments[i]);
    return main;
  }

  // -- experiences: list, edit, preview, history, rollback ---------------------------------------
  function experiences() {
    api("GET", "/v1/experiences").then(function (data) {
      var rows = data.experiences.map(function (x) {
        return [h("button", { type: "button", "class": "btn", "data-open": x.key, text: x.key,
                              on: { click: function () { editor(x.key); } } }),
                x.name, x.prompt.kind, x.prompt.question];
      });
      show("Experiences",
           h("p", null, h("button", { type: "button", "class": "btn primary", id: "new-experience",
                                      text: "New experience", on: { click: function () { editor(null); } } })),
           table(["key", "name", "prompt", "question"], rows));
    }).catch(failed);
  }

  var TEMPLATE = {
    key: "new-experience", name: "New experience",
    prompt: { kind: "choice", question: "Pick a vibe",
              choices: [{ id: "chill", label: "Chill", means: "calm relaxed mellow" }] },
    default_items: [],
  };

  function editor(key) {
    var area = h("textarea", { id: "spec", "aria-label": "Experience (JSON)", spellcheck: "false" });
    var preview = h("div", { id: "preview", "aria-live": "polite" });
    var history = h("div", { id: "history" });
    var answerBox = h("input", { type: "text", id: "preview-answer", "aria-label": "Answer to preview" });
    var save = h("button", { type: "button", "class": "btn primary", id: "save", text: "Save",
      on: { click: function () {
        var spec;
        try { spec = JSON.parse(area.value); } catch (e) { say("Error: the JSON does not parse: " + e.message); return; }
        api("POST", "/v1/experiences", spec).then(function (r) {
          say("Saved " + spec.key + " as version " + r.version);
          key = spec.key;
          loadHistory();
        }).catch(failed);
      } } });
    var run = h("button", { type: "button", "class": "btn", id: "preview-run", text: "Preview",
      on: { click: function () {
        var spec = JSON.parse(area.value);
        var value = answerBox.value.trim();
        var isChoice = spec.prompt && spec.prompt.kind === "choice";
        var body = isChoice ? { choice: value || spec.prompt.choices[0].id } : { text: value || spec.prompt.question };
        api("POST", "/v1/experiences/" + encodeURIComponent(spec.key) + "/answer", body).then(function (a) {
          preview.replaceChildren(
            h("h3", { text: (a.copy && a.copy.title) || "Result" }),
            h("p", { text: (a.copy && a.copy.description) || "" }),
            h("ol", null, ...a.items.map(function (it) {
              return h("li", { "class": "preview-item" }, it.title,
                       h("div", { "class": "reasons", text: it.reasons.join(" · ") }));
            })),
            h("p", { "class": "muted", text: (a.fallback ? "fallback · " : "") + "version " + a.experience_version }));
        }).catch(failed);
      } } });

    function loadHistory() {
      if (!key) return;
      api("GET", "/v1/versions/experience/" + encodeURIComponent(key)).then(function (data) {
        var latest = data.versions[0];
        if (!area.value) area.value = JSON.stringify(latest.body, null, 2);
        history.replaceChildren(h("h3", { text: "Version history" }), table(["version", "saved", "by", ""],
          data.versions.map(function (v) {
            return [v.version, when(v.created_at), v.created_by || "",
                    v === latest ? "current" : h("button", { type: "button", "class": "btn", text: "Roll back to v" + v.version,
                      on: { click: function () {
                        api("POST", "/v1/rollback", { kind: "experience", key: key, to: v.version }).then(function (r) {
                          say("Rolled back " + key + ": now version " + r.version);
                          area.value = JSON.stringify(v.body, null, 2);
                          loadHistory();
                        }).catch(failed);
                      } } })];
          })));
      }).catch(failed);
    }
    if (!key) area.value = JSON.stringify(TEMPLATE, null, 2);
    show(key ? "Experience " + key : "New experience",
         h("div", { "class": "cols" },
           h("div", null, h("p", { "class": "muted", text: "The experience as JSON (the CLI takes YAML too). Saving makes a new version." }),
             area, h("p", null, save)),
           h("div", null, h("h3", { text: "Preview with a live answer" }),
             h("p", null, h("label", { "for": "preview-answer", text: "Answer (a choice id or free text) " }), answerBox, " ", run),
             preview, history)));
    loadHistory();
  }

  // -- review queue ------------------------------------------------------------------------------
  function review() {
    api("GET", "/v1/review").then(function (data) {
      var rows = data.items.map(function (r) {
        var title = h("input", { type: "text", value: r.proposed.title || "", "aria-label": "Title for review " + r.id });
        var desc = h("input", { type: "text", value: r.proposed.description || "", size: "50",
                                "aria-label": "Description for review " + r.id });
        function decide(action, body) {
          return function () {
            api("POST", "/v1/review/" + r.id + "/" + action, body && body()).then(function () {
              say("Review " + r.id + ": " + action + (action === "edit" ? "ed and approved" : "d"));
              review();
            }).catch(failed);
          };
        }
        return [r.experience, r.answer || r.answer_key, h("div", null, title, h("br"), desc),
                r.reasons.join(", "),
                h("div", null,
                  h("button", { type: "button", "class": "btn primary", "data-approve": String(r.id), text: "Approve", on: { click: decide("approve") } }), " ",
                  h("button", { type: "button", "class": "btn", text: "Save edit", on: { click: decide("edit", function () {
                    return { title: title.value, description: desc.value }; }) } }), " ",
                  h("button", { type: "button", "class": "btn", text: "Reject", on: { click: decide("reject") } }))];
      });
      show("Review queue", rows.length ? table(["experience", "answer", "proposed copy", "why", ""], rows)
                                        : h("p", { id: "queue-empty", text: "Nothing waiting for review." }));
    }).catch(failed);
  }

  // -- brand kit ---------------------------------------------------------------------------------
  function brand() {
    // No kit yet is a 404: start from an empty one.
    api("GET", "/v1/brand-kit").catch(function () { return { brand_kit: {} }; }).then(function (kit) {
      var area = h("textarea", { id: "brand-kit", "aria-label": "Brand kit (JSON)" });
      area.value = JSON.stringify(kit.brand_kit || kit, null, 2);
      show("Brand kit and guardrails", h("p", { "class": "muted", text: "Voice, banned words and claims, competitors, safe copy; every experience inherits it." }),
           area, h("p", null, h("button", { type: "button", "class": "btn primary", text: "Save brand kit", on: { click: function () {
             var body;
             try { body = JSON.parse(area.value); } catch (e) { say("Error: " + e.message); return; }
             api("PUT", "/v1/brand-kit", body).then(function () { say("Brand kit saved"); }).catch(failed);
           } } })));
    }).catch(failed);
  }

  // -- experiments and the report ----------------------------------------------------------------
  function experiments() {
    api("GET", "/v1/experiments").then(function (data) {
      var result = h("div", { id: "analysis", "aria-live": "polite" });
      var rows = data.experiments.map(function (x) {
        return [h("button", { type: "button", "class": "btn", "data-experiment": x.key, text: x.key,
                              on: { click: function () { analysis(x.key, result); } } }),
                x.experience, (x.spec && x.spec.target) || "", x.status || ""];
      });
      show("Experiments", rows.length ? table(["key", "experience", "target", "status"], rows)
                                       : h("p", { text: "No experiments yet." }), result);
    }).catch(failed);
  }

  function fmt(x) { return typeof x === "number" ? (Math.abs(x) < 10 ? x.toFixed(4) : x.toFixed(1)) : (x == null ? "-" : String(x)); }

  function pct(x) { return typeof x === "number" ? (x * 100).toFixed(1) + "%" : "-"; }

  // Lift of each variant over control with its interval, on one axis through zero (inline SVG).
  function liftChart(results) {
    var NS = "http://www.w3.org/2000/svg";
    var rows = results.filter(function (r) { return r.lift_ci && isFinite(r.lift_ci[0]) && isFinite(r.lift_ci[1]); });
    var lo = Math.min(0, ...rows.map(function (r) { return r.lift_ci[0]; }));
    var hi = Math.max(0, ...rows.map(function (r) { return r.lift_ci[1]; }));
    var W = 520, L = 150, R = 20, rowH = 28, H = rows.length * rowH + 30;
    function x(v) { return L + (v - lo) / ((hi - lo) || 1) * (W - L - R); }
    function s(tag, attrs, text) {
      var n = document.createElementNS(NS, tag);
      Object.keys(attrs).forEach(function (k) { n.setAttribute(k, attrs[k]); });
      if (text) n.textContent = text;
      return n;
    }
    var svg = s("svg", { width: W, height: H, role: "img", "aria-label": "Lift over control with 95% intervals", id: "lift-chart" });
    svg.appendChild(s("line", { x1: x(0), x2: x(0), y1: 0, y2: H - 20, stroke: "#555", "stroke-dasharray": "3 3" }));
    svg.appendChild(s("text", { x: x(0), y: H - 5, "text-anchor": "middle", "font-size": "11" }, "0"));
    rows.forEach(function (r, i) {
      var y = 15 + i * rowH;
      svg.appendChild(s("text", { x: 0, y: y + 4, "font-size": "12" }, r.variant + " · " + r.metric));
      svg.appendChild(s("line", { x1: x(r.lift_ci[0]), x2: x(r.lift_ci[1]), y1: y, y2: y, stroke: "#1d4ed8", "stroke-width": "3" }));
      svg.appendChild(s("circle", { cx: x(r.lift), cy: y, r: 5, fill: r.significant ? "#0a7a2f" : "#1d4ed8" }));
    });
    return svg;
  }

  function analysis(key, into) {
    api("GET", "/v1/experiments/" + encodeURIComponent(key) + "/analysis").then(function (a) {
      var parts = [h("h3", { text: "Result of " + key })];
      (a.decisions || []).forEach(function (d) {
        parts.push(h("p", { "class": "decision" }, h("strong", { text: d.decision }), " ", d.reason || d.message || ""));
      });
      parts.push(table(["variant", "units"], (a.variants || []).map(function (v) { return [v.name || v.variant, v.units]; })));
      var results = a.results || [];
      if (results.length) {
        parts.push(table(["variant", "metric", "control", "variant mean", "lift", "95% interval", "p"],
          results.map(function (r) {
            return [r.variant, r.metric, fmt(r.control && r.control.mean), fmt(r.treatment && r.treatment.mean),
                    pct(r.lift), r.lift_ci ? pct(r.lift_ci[0]) + " to " + pct(r.lift_ci[1]) : "-", fmt(r.p_value)];
          })));
        parts.push(liftChart(results));
      }
      if (a.srm && a.srm.alarm) parts.push(h("p", { "class": "error", text: "Sample ratio mismatch: " + a.srm.message }));
      parts.push(h("details", null, h("summary", { text: "Everything the analysis returned" }), h("pre", { text: JSON.stringify(a, null, 2) })));
      into.replaceChildren.apply(into, parts);
    }).catch(failed);
  }

  function report() {
    var frame = h("iframe", { title: "Report", sandbox: "" });
    show("Report", h("p", { "class": "muted", text: "Objective and guardrails per experience, variant and day (last 30 days)." }), frame);
    api("GET", "/v1/report.html", undefined, true).then(function (html) { frame.srcdoc = html; }).catch(failed);
  }

  // -- catalog: browse a page at a time, or search with the engine's own BM25 ------------------
  function catalog() {
    var q = h("input", { type: "search", id: "catalog-q" });
    var out = h("div", { id: "catalog-out", "aria-live": "polite" });
    var offset = 0;
    function load() {
      var params = "?limit=50&offset=" + offset + (q.value.trim() ? "&q=" + encodeURIComponent(q.value.trim()) : "");
      api("GET", "/v1/items" + params).then(function (d) {
        var count = d.matches != null ? d.matches + " matches" : d.total + " items";
        out.replaceChildren(
          h("p", { "class": "muted", text: count + (d.message ? " · " + d.message : "") + " · showing " + (offset + 1) + "-" + (offset + d.items.length) }),
          table(["id", "title", "price", "available", "attributes"], d.items.map(function (i) {
            return [i.id, i.title, i.price == null ? "" : i.price.toFixed(2), i.available ? "yes" : "no",
                    Object.keys(i.attributes).map(function (k) { return k + ": " + [].concat(i.attributes[k]).join(", "); }).join("; ")];
          })),
          h("p", null,
            h("button", { type: "button", "class": "btn", text: "Previous", on: { click: function () { offset = Math.max(0, offset - 50); load(); } } }), " ",
            h("button", { type: "button", "class": "btn", text: "Next", on: { click: function () { if (d.items.length === 50) { offset += 50; load(); } } } })));
      }).catch(failed);
    }
    var form = h("form", { role: "search", on: { submit: function (e) { e.preventDefault(); offset = 0; load(); } } },
      h("label", { "for": "catalog-q", text: "Search the catalog " }), q, " ", h("button", { type: "submit", "class": "btn", text: "Search" }));
    show("Catalog", form, out);
    load();
  }

  // -- people: export and erasure ----------------------------------------------------------------
  function people() {
    var id = h("input", { type: "text", id: "person", required: "" });
    var out = h("pre", { id: "person-out", "aria-live": "polite" });
    function need() { var v = id.value.trim(); if (!v) say("Enter a user id first"); return v; }
    show("People", h("p", { "class": "muted", text: "Everything stored about one person, or erase them everywhere (with a receipt)." }),
      h("p", null, h("label", { "for": "person", text: "User id " }), id, " ",
        h("button", { type: "button", "class": "btn", text: "Export", on: { click: function () {
          var v = need(); if (!v) return;
          api("GET", "/v1/people/" + encodeURIComponent(v) + "/export").then(function (d) { out.textContent = JSON.stringify(d, null, 2); }).catch(failed);
        } } }), " ",
        h("button", { type: "button", "class": "btn", text: "Erase", on: { click: function () {
          var v = need(); if (!v || !window.confirm("Erase " + v + " everywhere? This cannot be undone.")) return;
          api("DELETE", "/v1/people/" + encodeURIComponent(v)).then(function (d) { out.textContent = JSON.stringify(d, null, 2); say("Erased " + v); }).catch(failed);
        } } })), out);
  }

  function audit() {
    api("GET", "/v1/audit?limit=200").then(function (data) {
      show("Audit log", table(["when", "who", "action", "target", "detail"], data.entries.map(function (e) {
        return [when(e.ts), e.actor, e.action, e.target, JSON.stringify(e.detail)];
      })));
    }).catch(failed);
  }

  var VIEWS = { experiences: experiences, review: review, brand: brand, experiments: experiments,
                report: report, catalog: catalog, people: people, audit: audit };

  function go(view) {
    nav.querySelectorAll("button[data-view]").forEach(function (b) {
      if (b.dataset.view === view) b.setAttribute("aria-current", "page"); else b.removeAttribute("aria-current");
    });
    say("");
    VIEWS[view]();
  }
  nav.addEventListener("click", function (e) {
    var v = e.target.dataset && e.target.dataset.view;
    if (v) go(v);
  });
  document.getElementById("logout").addEventListener("click", function () {
    sessionStorage.removeItem(KEY);
    location.reload();
  });

  function start() {
    nav.hidden = false;
    go("experiences");
  }
  if (sessionStorage.getItem(KEY)) { start(); return; }
  document.getElementById("login").addEventListener("submit", function (e) {
    e.preventDefault();
    sessionStorage.setItem(KEY, document.getElementById("admin-key").value.trim());
    // A cheap admin-only call tells a wrong or public key apart before anything is shown.
    api("GET", "/v1/audit?limit=1").then(start).catch(function (err) {
      sessionStorage.removeItem(KEY);
      document.getElementById("login-error").textContent = "That key was not accepted: " + err.message;
    });
  });
})();
