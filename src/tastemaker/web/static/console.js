/*
 * The marketer console: a small no-build front end over the admin API (/v1). The admin key is
 * asked once and kept in sessionStorage (this tab only); every call sends it as a bearer token.
 * Each view is a function that fetches what it shows; nothing is cached, so what an editor sees
 * is what the API holds. Text from the API is always set as textContent, never as HTML.
 * The charts are in console-charts.js (window.tmCharts), the brand kit form in console-brand.js
 * (window.tmViews.brand); both get the helpers below through window.tmConsole.
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
          var err = new Error((e.message || "HTTP " + r.status) + (e.field ? " (" + e.field + ")" : ""));
          err.field = e.field || null;  // forms show it next to the field it names
          err.detail = e.message || "HTTP " + r.status;
          err.status = r.status;
          throw err;
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
            h("p", { "class": "muted", id: "preview-source",
                     text: (a.fallback ? "fallback · " : "") + "copy: " + ((a.copy && a.copy.source) || "none") +
                           (a.copy && a.copy.source === "safe" ? " (the written copy broke a guardrail; the brand's safe copy is shown)" : "") +
                           " · version " + a.experience_version }));
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
        var cta = h("input", { type: "text", value: r.proposed.cta || "", size: "16",
                               "aria-label": "Call to action for review " + r.id });
        var problem = h("p", { "class": "error", id: "review-error-" + r.id, role: "alert" });
        var inputs = { title: title, description: desc, cta: cta };
        function decide(action, body) {
          return function () {
            Object.keys(inputs).forEach(function (k) { inputs[k].removeAttribute("aria-invalid"); });
            problem.textContent = "";
            api("POST", "/v1/review/" + r.id + "/" + action, body && body()).then(function () {
              say("Review " + r.id + ": " + action + (action === "edit" ? "ed and approved" : "d"));
              review();
            }).catch(function (err) {
              var input = inputs[err.field];
              problem.textContent = (input ? input.getAttribute("aria-label") + ": " : "") + err.detail;
              if (input) {
                input.setAttribute("aria-invalid", "true");
                input.setAttribute("aria-describedby", problem.id);
                input.focus();
              }
              failed(err);
            });
          };
        }
        return [r.experience, r.answer || r.answer_key, h("div", null, title, h("br"), desc, h("br"), cta, problem),
                r.reasons.join(", "),
                h("div", null,
                  h("button", { type: "button", "class": "btn primary", "data-approve": String(r.id), text: "Approve", on: { click: decide("approve") } }), " ",
                  h("button", { type: "button", "class": "btn", text: "Save edit", on: { click: decide("edit", function () {
                    return { title: title.value, description: desc.value, cta: cta.value }; }) } }), " ",
                  h("button", { type: "button", "class": "btn", text: "Reject", on: { click: decide("reject") } }))];
      });
      show("Review queue", rows.length ? table(["experience", "answer", "proposed copy", "why", ""], rows)
                                        : h("p", { id: "queue-empty", text: "Nothing waiting for review." }));
    }).catch(failed);
  }

  // -- brand kit and guardrails: the form is in console-brand.js -------------------------------
  function brand() { window.tmViews.brand(window.tmConsole); }

  // -- experiments: the analysis now, and day by day ---------------------------------------------
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

  function analysis(key, into) {
    var path = "/v1/experiments/" + encodeURIComponent(key);
    Promise.all([api("GET", path + "/analysis"), api("GET", path + "/timeline?days=30")]).then(function (both) {
      var a = both[0], t = both[1], charts = window.tmCharts;
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
        var now = results.filter(function (r) { return r.lift_ci && r.lift_ci[0] != null && r.lift_ci[1] != null; });
        if (now.length) {
          parts.push(charts.intervals("lift-chart", "Lift over control now, with 95% intervals",
            now.map(function (r) { return { label: r.variant + " · " + r.metric, value: r.lift, low: r.lift_ci[0], high: r.lift_ci[1] }; }),
            charts.signedPct, now.map(function (r) { return r.variant + " on " + r.metric + ": " + charts.signedPct(r.lift); }).join("; ") + "."));
        }
      }
      if (a.srm && a.srm.alarm) parts.push(h("p", { "class": "error", text: "Sample ratio mismatch: " + a.srm.message }));
      parts.push(h("h3", { text: "Day by day" }));
      var series = function (metric) {
        var out = {};
        Object.keys(t.daily).forEach(function (v) { out[v] = t.daily[v].map(function (d) { return { day: d.day, value: d[metric] }; }); });
        return out;
      };
      parts.push(h("div", { "class": "charts", id: "experiment-charts" },
        charts.lift("lift-over-time", "Lift of " + t.metric + " over " + t.control + ", cumulative to each day", t.days, t.lift, t.alpha),
        charts.days("answer-rate-chart", "Answer rate per day, by variant", t.days, series("answer_rate")),
        charts.days("conversion-chart", "Conversion rate per day, by variant", t.days, series("conversion_rate"))));
      parts.push(h("p", { "class": "muted", text: "The lift uses the experiment's metric on everyone exposed up to the end of each day, as the analysis above would have read it then; answer and conversion rates are the report's, per day served." }));
      parts.push(h("details", null, h("summary", { text: "Everything the analysis returned" }), h("pre", { text: JSON.stringify(a, null, 2) })));
      into.replaceChildren.apply(into, parts);
    }).catch(failed);
  }

  // -- bandits: arm shares per day and what the policy believes now ------------------------------
  function bandits() {
    api("GET", "/v1/bandits").then(function (data) {
      var out = h("div", { id: "bandit-out", "aria-live": "polite" });
      var rows = data.bandits.map(function (b) {
        var pulls = b.arms.reduce(function (n, a) { return n + a.pulls; }, 0);
        return [h("button", { type: "button", "class": "btn", "data-bandit": b.bandit, text: b.bandit,
                              on: { click: function () { bandit(b.bandit, out); } } }),
                b.arms.map(function (a) { return a.arm; }).join(", "), String(pulls)];
      });
      show("Bandits", h("p", { "class": "muted", text: "Thompson sampling over titles, templates or prompts: which arm gets the traffic, day by day." }),
           rows.length ? table(["bandit", "arms", "pulls"], rows) : h("p", { text: "No bandit has counted a reward yet." }), out);
    }).catch(failed);
  }

  function bandit(key, into) {
    api("GET", "/v1/bandits/" + encodeURIComponent(key) + "/history?days=30").then(function (d) {
      var charts = window.tmCharts;
      var arms = d.arms.map(function (a) { return a.arm; });
      into.replaceChildren(
        h("h3", { text: "Bandit " + key }),
        table(["arm", "pulls", "rewards", "rate", "share", "posterior mean", "95% credible interval"], d.arms.map(function (a) {
          return [a.arm, String(a.pulls), String(a.rewards), pct(a.rate), pct(a.share), pct(a.posterior.mean),
                  pct(a.posterior.low) + " to " + pct(a.posterior.high)];
        })),
        h("div", { "class": "charts" },
          charts.shares("arm-share-chart", "Share of pulls per day, by arm", d.days, arms, d.shares),
          charts.intervals("posterior-chart", "Each arm's reward rate now: posterior mean and 95% interval",
            d.arms.map(function (a) { return { label: a.arm, value: a.posterior.mean, low: a.posterior.low, high: a.posterior.high }; }), pct,
            d.arms.map(function (a) { return a.arm + " " + pct(a.posterior.mean); }).join(", ") + ".")));
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
    var receipt = h("div", { id: "receipt" });
    function need() { var v = id.value.trim(); if (!v) say("Enter a user id first"); return v; }
    show("People", h("p", { "class": "muted", text: "Everything stored about one person, or erase them everywhere (with a receipt)." }),
      h("p", null, h("label", { "for": "person", text: "User id " }), id, " ",
        h("button", { type: "button", "class": "btn", text: "Export", on: { click: function () {
          var v = need(); if (!v) return;
          api("GET", "/v1/people/" + encodeURIComponent(v) + "/export").then(function (d) {
            var rows = Object.keys(d.tables).reduce(function (n, t) { return n + d.tables[t].length; }, 0);
            receipt.replaceChildren();
            out.textContent = JSON.stringify(d, null, 2);
            say("Exported " + v + ": " + rows + " rows");
          }).catch(failed);
        } } }), " ",
        h("button", { type: "button", "class": "btn", text: "Erase", on: { click: function () {
          var v = need(); if (!v || !window.confirm("Erase " + v + " everywhere? This cannot be undone.")) return;
          api("DELETE", "/v1/people/" + encodeURIComponent(v)).then(function (d) {
            var removed = Object.keys(d.tables).filter(function (t) { return d.tables[t]; });
            receipt.replaceChildren(h("h3", { text: "Erasure receipt" }),
              table(["receipt", "erased at", "rows removed", "model"],
                    [[h("code", { id: "receipt-id", text: d.receipt_id }), when(d.erased_at),
                      removed.map(function (t) { return t + ": " + d.tables[t]; }).join(", ") || "none", d.model]]));
            out.textContent = JSON.stringify(d, null, 2);
            say("Erased " + v + ": receipt " + d.receipt_id);
          }).catch(failed);
        } } })), receipt, out);
  }

  function audit() {
    api("GET", "/v1/audit?limit=200").then(function (data) {
      show("Audit log", table(["when", "who", "action", "target", "detail"], data.entries.map(function (e) {
        return [when(e.ts), e.actor, e.action, e.target, JSON.stringify(e.detail)];
      })));
    }).catch(failed);
  }

  var VIEWS = { experiences: experiences, review: review, brand: brand, experiments: experiments,
                bandits: bandits, report: report, catalog: catalog, people: people, audit: audit };
  window.tmConsole = { h: h, api: api, say: say, show: show, table: table, failed: failed, when: when };

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
