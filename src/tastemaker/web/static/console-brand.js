/*
 * The brand kit and guardrails view: a form with a labelled field for each rule of the kit
 * (voice, banned claims and words, competitors, legal lines, safe copy), the raw JSON kept as an
 * "advanced" editor for what the form does not cover (channel limits), and a read-only overview
 * of each experience's content checks and allowed sensitive topics (declared per experience).
 * A 4xx from the API is shown next to the field it names, and that field gets the focus.
 *
 * Registered as window.tmViews.brand; console.js calls it with its helpers (window.tmConsole).
 */
(function () {
  "use strict";
  var VOICES = ["warm", "playful", "premium", "plain"];
  // name: [label, hint, kind]; "lines" fields are one entry per line.
  var FIELDS = {
    name: ["Brand name", "Used in copy and shown to copywriters.", "text"],
    voice: ["Voice", "How copy is written; an experience can still choose its own.", "voice"],
    tone: ["Tone", "A sentence a copywriter reads, up to 300 characters.", "area"],
    banned_claims: ["Banned claims", "One per line. Copy making one of these claims is never shown (every brand also bans best, guaranteed, cure, #1, number one).", "lines"],
    banned_words: ["Banned words and phrases", "One per line: the words the brand never uses.", "lines"],
    competitors: ["Competitors", "One per line: names copy must never mention.", "lines"],
    legal_lines: ["Legal lines", "One per line: shown verbatim with every piece of copy.", "lines"],
    safe_title: ["Safe title", "Shown when written copy fails a check; up to 60 characters.", "text"],
    safe_description: ["Safe description", "Up to 160 characters.", "text"],
    cta: ["Call to action", "Up to 32 characters.", "text"]
  };
  var GROUPS = [
    ["Voice", ["name", "voice", "tone"]],
    ["Guardrails", ["banned_claims", "banned_words", "competitors", "legal_lines"]],
    ["Safe copy", ["safe_title", "safe_description", "cta"]]
  ];

  function brand(ui) {
    var h = ui.h;
    ui.api("GET", "/v1/brand-kit").catch(function (err) {
      if (err.status === 404) return { brand_kit: {}, version: null };  // no kit yet: start empty
      throw err;
    }).then(function (data) {
      var kit = data.brand_kit || {};
      var inputs = {}, errors = {};
      var formError = h("p", { "class": "error", id: "brand-error", role: "alert" });

      function field(name) {
        var spec = FIELDS[name], id = "kit-" + name, input;
        if (spec[2] === "voice") {
          input = h("select", { id: id, name: name },
            h("option", { value: "", text: "(each experience's own)" }),
            ...VOICES.map(function (v) { return h("option", { value: v, text: v }); }));
          input.value = kit.voice || "";
        } else if (spec[2] === "lines" || spec[2] === "area") {
          input = h("textarea", { id: id, name: name, rows: spec[2] === "lines" ? "4" : "2", "class": "short" });
          input.value = spec[2] === "lines" ? (kit[name] || []).join("\n") : (kit[name] || "");
        } else {
          input = h("input", { type: "text", id: id, name: name, size: "50" });
          input.value = kit[name] || "";
        }
        var hint = h("span", { "class": "muted hint", id: id + "-hint", text: spec[1] });
        var err = h("span", { "class": "error", id: id + "-error" });
        input.setAttribute("aria-describedby", hint.id + " " + err.id);
        inputs[name] = input;
        errors[name] = err;
        return h("div", { "class": "field" }, h("label", { "for": id, text: spec[0] }), input, hint, err);
      }

      function clearErrors() {
        formError.textContent = "";
        Object.keys(inputs).forEach(function (k) { inputs[k].removeAttribute("aria-invalid"); errors[k].textContent = ""; });
      }

      // The API names a field as the person would write it: "banned_claims[2]" is banned_claims.
      function showError(err) {
        var name = (err.field || "").split(/[.[]/)[0];
        if (inputs[name]) {
          inputs[name].setAttribute("aria-invalid", "true");
          errors[name].textContent = err.detail;
          inputs[name].focus();
        }
        formError.textContent = "Not saved: " + (inputs[name] ? FIELDS[name][0] + ": " : "") + err.detail;
        ui.failed(err);
      }

      function fromForm() {
        var body = JSON.parse(JSON.stringify(kit));  // keep what only the JSON editor holds
        Object.keys(FIELDS).forEach(function (name) {
          var v = inputs[name].value;
          if (FIELDS[name][2] === "lines") {
            var lines = v.split("\n").map(function (l) { return l.trim(); }).filter(Boolean);
            if (lines.length) body[name] = lines; else delete body[name];
          } else if (v.trim()) {
            body[name] = v.trim();
          } else {
            delete body[name];
          }
        });
        return body;
      }

      function save(body) {
        clearErrors();
        ui.api("PUT", "/v1/brand-kit", body).then(function (r) {
          ui.say("Brand kit saved as version " + r.version);
          brand(ui);
        }).catch(showError);
      }

      var form = h("form", { id: "brand-form", novalidate: "", on: { submit: function (e) { e.preventDefault(); save(fromForm()); } } },
        ...GROUPS.map(function (g) { return h("fieldset", null, h("legend", { text: g[0] }), ...g[1].map(field)); }),
        formError,
        h("p", null, h("button", { type: "submit", "class": "btn primary", id: "save-brand", text: "Save brand kit" })));

      var area = h("textarea", { id: "brand-kit", "aria-label": "Brand kit (JSON)", spellcheck: "false" });
      area.value = JSON.stringify(kit, null, 2);
      var advanced = h("details", { id: "brand-advanced" },
        h("summary", { text: "Advanced: the whole kit as JSON (channel limits, everything at once)" }),
        area,
        h("p", null, h("button", { type: "button", "class": "btn", id: "save-brand-json", text: "Save JSON", on: { click: function () {
          var body;
          try { body = JSON.parse(area.value); } catch (e) { formError.textContent = "The JSON does not parse: " + e.message; return; }
          save(body);
        } } })));

      var overview = h("div", { id: "guardrails-overview" });
      ui.show("Brand kit and guardrails",
        h("p", { "class": "muted", text: "Every experience inherits the kit: lists add to each experience's own, single values apply where the experience kept the default." +
                                         (data.version ? " Current version: " + data.version + "." : " No kit saved yet.") }),
        form, advanced, overview);
      ui.api("GET", "/v1/guardrails").then(function (g) {
        overview.replaceChildren(
          h("h3", { text: "Content checks and sensitive topics, per experience" }),
          h("p", { "class": "muted", text: "Never inferred or written about unless an experience allows it (its guardrails.allowed_topics): " + g.sensitive_topics.join(", ").replace(/_/g, " ") + "." }),
          ui.table(["experience", "checks on the answer", "checks on the copy", "allowed sensitive topics", "review"],
            g.experiences.map(function (x) {
              return [x.key, x.input_checks.join(", "), x.output_checks.join(", "), x.allowed_topics.join(", ") || "none",
                      x.review ? "soft failures go to review" : "off"];
            })));
      }).catch(ui.failed);
    }).catch(ui.failed);
  }

  window.tmViews = window.tmViews || {};
  window.tmViews.brand = brand;
})();
