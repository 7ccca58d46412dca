/*
 * The console's charts: inline SVG drawn here, no library and no CDN (the console's policy
 * allows this origin's scripts only). Every chart is a <figure> whose <svg role="img"> carries a
 * <title> and a <desc> that says in words what the chart shows, followed by the same numbers as
 * a table: colour is never the only way to tell series apart (each has its own dash pattern and
 * is named in the legend), and a screen reader or a keyboard user gets the table.
 *
 * Exposed as window.tmCharts: days (rates per day by variant), lift (cumulative lift with its
 * interval over time), shares (stacked share of pulls per day), intervals (one estimate and its
 * interval per row, e.g. each arm's posterior).
 */
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  // Colour-blind-safe (Okabe-Ito) hues dark enough for 3:1 contrast on white.
  var PALETTE = ["#0b5cad", "#b34700", "#007a5a", "#a8327a", "#5c4d00", "#4b3b9e"];
  var DASHES = ["", "7 4", "2 3", "9 3 2 3", "4 2", "1 2"];
  var W = 720, H = 240, L = 58, R = 150, T = 16, B = 40;
  var uid = 0;

  function svgEl(tag, attrs, text) {
    var n = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (text != null) n.textContent = text;
    return n;
  }
  function htmlEl(tag, attrs, text) {
    var n = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (text != null) n.textContent = text;
    return n;
  }
  function finite(v) { return typeof v === "number" && isFinite(v); }
  function pct(v) { return finite(v) ? (v * 100).toFixed(1) + "%" : "-"; }
  function signedPct(v) { return finite(v) ? (v > 0 ? "+" : "") + (v * 100).toFixed(1) + "%" : "-"; }

  // A figure with an accessible svg and, under it, the data as a table in a <details>.
  function figure(id, title, desc, height, head, rows) {
    var n = ++uid;
    var svg = svgEl("svg", { id: id, width: W, height: height, viewBox: "0 0 " + W + " " + height,
                             role: "img", "aria-labelledby": "ct" + n + " cd" + n, "class": "chart" });
    svg.appendChild(svgEl("title", { id: "ct" + n }, title));
    svg.appendChild(svgEl("desc", { id: "cd" + n }, desc));
    var table = htmlEl("table", { "class": "chart-data" });
    table.appendChild(htmlEl("caption", null, title));
    var thead = table.appendChild(htmlEl("thead")).appendChild(htmlEl("tr"));
    head.forEach(function (h) { thead.appendChild(htmlEl("th", { scope: "col" }, h)); });
    var tbody = table.appendChild(htmlEl("tbody"));
    rows.forEach(function (r) {
      var tr = tbody.appendChild(htmlEl("tr"));
      r.forEach(function (c, i) { tr.appendChild(htmlEl(i ? "td" : "th", i ? null : { scope: "row" }, c)); });
    });
    var details = htmlEl("details");
    details.appendChild(htmlEl("summary", null, "Data table: " + title));
    details.appendChild(table);
    var fig = htmlEl("figure", { "class": "chart-figure" });
    fig.appendChild(htmlEl("figcaption", null, title));
    fig.appendChild(svg);
    fig.appendChild(details);
    return { figure: fig, svg: svg };
  }

  function scale(lo, hi, from, to) {
    if (hi === lo) { hi = lo + 1; }
    return function (v) { return from + (v - lo) / (hi - lo) * (to - from); };
  }

  // x axis labels (first, middle, last day) and y ticks (low, zero if inside, high).
  function axes(svg, days, x, y, lo, hi, fmt, height) {
    var base = height - B;
    svg.appendChild(svgEl("line", { x1: L, x2: W - R, y1: base, y2: base, stroke: "#6b6b6b" }));
    var ticks = [lo, hi];
    if (lo < 0 && hi > 0) ticks.push(0);
    ticks.forEach(function (v) {
      svg.appendChild(svgEl("text", { x: L - 6, y: y(v) + 4, "font-size": 11, "text-anchor": "end" }, fmt(v)));
      svg.appendChild(svgEl("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "#e2e2e2" }));
    });
    var idx = days.length > 2 ? [0, Math.floor((days.length - 1) / 2), days.length - 1] : days.map(function (_, i) { return i; });
    idx.forEach(function (i) {
      svg.appendChild(svgEl("text", { x: x(i), y: base + 16, "font-size": 11, "text-anchor": "middle" }, days[i]));
    });
  }

  function legend(svg, names, y0) {
    names.forEach(function (name, k) {
      var yy = y0 + 18 * k;
      svg.appendChild(svgEl("line", { x1: W - R + 10, x2: W - R + 34, y1: yy, y2: yy, stroke: PALETTE[k % PALETTE.length],
                                      "stroke-width": 2.5, "stroke-dasharray": DASHES[k % DASHES.length] }));
      svg.appendChild(svgEl("text", { x: W - R + 40, y: yy + 4, "font-size": 12 }, name));
    });
  }

  // Runs of consecutive days where get(day) is finite: lines and bands break over gaps.
  function runs(points, ok) {
    var out = [], cur = [];
    points.forEach(function (p, i) {
      if (ok(p)) cur.push([i, p]); else if (cur.length) { out.push(cur); cur = []; }
    });
    if (cur.length) out.push(cur);
    return out;
  }

  /*
   * A rate per day, one line per variant. series: {variant: [{day, value}]}; days: every day.
   */
  function days(id, title, allDays, series, fmt) {
    fmt = fmt || pct;
    var names = Object.keys(series).sort();
    var byDay = {};
    names.forEach(function (n) { byDay[n] = {}; series[n].forEach(function (p) { byDay[n][p.day] = p.value; }); });
    var values = [];
    names.forEach(function (n) { allDays.forEach(function (d) { if (finite(byDay[n][d])) values.push(byDay[n][d]); }); });
    var rows = allDays.map(function (d) { return [d].concat(names.map(function (n) { return fmt(byDay[n][d]); })); });
    var desc = values.length
      ? names.map(function (n) {
          var last = allDays.slice().reverse().find(function (d) { return finite(byDay[n][d]); });
          return n + ": " + (last ? fmt(byDay[n][last]) + " on " + last : "no data");
        }).join("; ") + "."
      : "No data yet for these days.";
    var f = figure(id, title, desc, H, ["day"].concat(names), rows);
    if (!values.length) {
      f.svg.appendChild(svgEl("text", { x: L, y: H / 2, fill: "#555" }, "no data yet"));
      return f.figure;
    }
    var hi = Math.max.apply(null, values) * 1.1 || 1, lo = 0;
    var x = scale(0, Math.max(allDays.length - 1, 1), L, W - R), y = scale(lo, hi, H - B, T);
    if (allDays.length === 1) x = function () { return (L + W - R) / 2; };
    axes(f.svg, allDays, x, y, lo, hi, fmt, H);
    names.forEach(function (n, k) {
      var color = PALETTE[k % PALETTE.length];
      var pts = allDays.map(function (d) { return byDay[n][d]; });
      runs(pts, finite).forEach(function (run) {
        f.svg.appendChild(svgEl("polyline", { fill: "none", stroke: color, "stroke-width": 2.5,
          "stroke-dasharray": DASHES[k % DASHES.length],
          points: run.map(function (p) { return x(p[0]).toFixed(1) + "," + y(p[1]).toFixed(1); }).join(" ") }));
        run.forEach(function (p) { f.svg.appendChild(svgEl("circle", { cx: x(p[0]), cy: y(p[1]), r: 3, fill: color })); });
      });
    });
    legend(f.svg, names, T + 8);
    return f.figure;
  }

  /*
   * The lift of each treatment over control on the data up to each day, with its interval as
   * a band. lift: {variant: [{day, lift, lift_ci: [lo, hi], significant}]}.
   */
  function lift(id, title, allDays, lifts, alpha) {
    var names = Object.keys(lifts).sort();
    var level = Math.round((1 - (alpha || 0.05)) * 100) + "%";
    var ok = function (p) { return p && finite(p.lift) && p.lift_ci && finite(p.lift_ci[0]) && finite(p.lift_ci[1]); };
    var values = [0];
    names.forEach(function (n) { lifts[n].forEach(function (p) { if (ok(p)) values.push(p.lift_ci[0], p.lift_ci[1]); }); });
    var rows = [];
    names.forEach(function (n) {
      lifts[n].forEach(function (p) {
        rows.push([p.day, n, signedPct(p.lift), ok(p) ? signedPct(p.lift_ci[0]) + " to " + signedPct(p.lift_ci[1]) : (p.message || "-"),
                   String(p.control_units) + " / " + String(p.units), p.significant ? "yes" : "no"]);
      });
    });
    var desc = names.map(function (n) {
      var last = lifts[n].slice().reverse().find(ok);
      if (!last) return n + ": not testable yet";
      var where = last.lift_ci[0] > 0 ? "above zero" : last.lift_ci[1] < 0 ? "below zero" : "includes zero";
      return n + " on " + last.day + ": lift " + signedPct(last.lift) + ", " + level + " interval " +
             signedPct(last.lift_ci[0]) + " to " + signedPct(last.lift_ci[1]) + " (" + where + ")";
    }).join("; ") + ".";
    var f = figure(id, title, desc, H, ["day", "variant", "lift", level + " interval", "units (control / variant)", "significant"], rows);
    if (values.length === 1) {
      f.svg.appendChild(svgEl("text", { x: L, y: H / 2, fill: "#555" }, "not enough units yet"));
      return f.figure;
    }
    var lo = Math.min.apply(null, values), hi = Math.max.apply(null, values);
    var pad = (hi - lo) * 0.08 || 0.1;
    lo -= pad; hi += pad;
    var x = scale(0, Math.max(allDays.length - 1, 1), L, W - R), y = scale(lo, hi, H - B, T);
    if (allDays.length === 1) x = function () { return (L + W - R) / 2; };
    axes(f.svg, allDays, x, y, lo, hi, signedPct, H);
    f.svg.appendChild(svgEl("line", { x1: L, x2: W - R, y1: y(0), y2: y(0), stroke: "#333", "stroke-dasharray": "3 3" }));
    var index = {};
    allDays.forEach(function (d, i) { index[d] = i; });
    names.forEach(function (n, k) {
      var color = PALETTE[k % PALETTE.length];
      var pts = allDays.map(function (d) { return lifts[n].find(function (p) { return p.day === d; }); });
      runs(pts, ok).forEach(function (run) {
        var upper = run.map(function (p) { return x(p[0]).toFixed(1) + "," + y(p[1].lift_ci[1]).toFixed(1); });
        var lower = run.slice().reverse().map(function (p) { return x(p[0]).toFixed(1) + "," + y(p[1].lift_ci[0]).toFixed(1); });
        if (run.length === 1) {  // one day: a vertical interval bar
          f.svg.appendChild(svgEl("line", { x1: x(run[0][0]), x2: x(run[0][0]), y1: y(run[0][1].lift_ci[0]), y2: y(run[0][1].lift_ci[1]),
                                            stroke: color, "stroke-width": 6, "stroke-opacity": 0.35, "class": "lift-band" }));
        } else {
          f.svg.appendChild(svgEl("polygon", { points: upper.concat(lower).join(" "), fill: color, "fill-opacity": 0.15,
                                               stroke: color, "stroke-opacity": 0.4, "class": "lift-band" }));
        }
        f.svg.appendChild(svgEl("polyline", { fill: "none", stroke: color, "stroke-width": 2.5, "stroke-dasharray": DASHES[k % DASHES.length],
          points: run.map(function (p) { return x(p[0]).toFixed(1) + "," + y(p[1].lift).toFixed(1); }).join(" ") }));
        run.forEach(function (p) {
          f.svg.appendChild(svgEl("circle", { cx: x(p[0]), cy: y(p[1].lift), r: p[1].significant ? 4.5 : 3, fill: color }));
        });
      });
    });
    legend(f.svg, names, T + 8);
    f.svg.appendChild(svgEl("text", { x: W - R + 10, y: T + 26 + 18 * names.length, "font-size": 11, fill: "#555" }, "band: " + level + " interval"));
    return f.figure;
  }

  /*
   * Each arm's share of the day's pulls, as stacked columns. rows: [{day, arm, pulls, share}].
   */
  function shares(id, title, allDays, arms, rows) {
    var cell = {};
    rows.forEach(function (r) { cell[r.day + "|" + r.arm] = r; });
    var tableRows = allDays.map(function (d) {
      return [d].concat(arms.map(function (a) {
        var r = cell[d + "|" + a];
        return r && finite(r.share) ? pct(r.share) + " (" + r.pulls + ")" : "-";
      }));
    });
    var lastDay = allDays.slice().reverse().find(function (d) { return arms.some(function (a) { var r = cell[d + "|" + a]; return r && finite(r.share); }); });
    var desc = lastDay
      ? "On " + lastDay + ": " + arms.map(function (a) { var r = cell[lastDay + "|" + a]; return a + " " + pct(r && r.share); }).join(", ") + "."
      : "No pulls in these days.";
    var f = figure(id, title, desc, H, ["day"].concat(arms.map(function (a) { return a + " share (pulls)"; })), tableRows);
    var y = scale(0, 1, H - B, T);
    var slot = (W - R - L) / Math.max(allDays.length, 1);
    var x = function (i) { return L + slot * i + slot / 2; };
    axes(f.svg, allDays, x, y, 0, 1, pct, H);
    allDays.forEach(function (d, i) {
      var acc = 0;
      arms.forEach(function (a, k) {
        var r = cell[d + "|" + a];
        if (!r || !finite(r.share) || r.share <= 0) return;
        var top = y(acc + r.share), bottom = y(acc);
        var rect = svgEl("rect", { x: L + slot * i + slot * 0.15, width: slot * 0.7, y: top, height: bottom - top,
                                   fill: PALETTE[k % PALETTE.length], "class": "share-bar" });
        if (k % 2) rect.setAttribute("fill-opacity", "0.75");
        rect.appendChild(svgEl("title", null, d + ": " + a + " " + pct(r.share)));
        f.svg.appendChild(rect);
        acc += r.share;
      });
    });
    arms.forEach(function (a, k) {
      var yy = T + 8 + 18 * k;
      f.svg.appendChild(svgEl("rect", { x: W - R + 10, y: yy - 6, width: 14, height: 12, fill: PALETTE[k % PALETTE.length] }));
      f.svg.appendChild(svgEl("text", { x: W - R + 30, y: yy + 4, "font-size": 12 }, a));
    });
    return f.figure;
  }

  /*
   * One estimate with its interval per row, on a shared axis (e.g. each arm's posterior rate).
   * items: [{label, value, low, high}].
   */
  function intervals(id, title, items, fmt, desc) {
    fmt = fmt || pct;
    var rowH = 26, height = items.length * rowH + 40;
    var lo = Math.min.apply(null, items.map(function (i) { return i.low; }).concat([0]));
    var hi = Math.max.apply(null, items.map(function (i) { return i.high; }).concat([0]));
    var f = figure(id, title, desc, height, ["", "estimate", "interval"],
                   items.map(function (i) { return [i.label, fmt(i.value), fmt(i.low) + " to " + fmt(i.high)]; }));
    var x = scale(lo, hi, 150, W - 30);
    f.svg.appendChild(svgEl("line", { x1: x(lo), x2: x(hi), y1: height - 24, y2: height - 24, stroke: "#6b6b6b" }));
    [lo, hi].forEach(function (v) {
      f.svg.appendChild(svgEl("text", { x: x(v), y: height - 8, "font-size": 11, "text-anchor": "middle" }, fmt(v)));
    });
    items.forEach(function (it, k) {
      var yy = 16 + k * rowH, color = PALETTE[k % PALETTE.length];
      f.svg.appendChild(svgEl("text", { x: 0, y: yy + 4, "font-size": 12 }, it.label));
      f.svg.appendChild(svgEl("line", { x1: x(it.low), x2: x(it.high), y1: yy, y2: yy, stroke: color, "stroke-width": 3 }));
      f.svg.appendChild(svgEl("circle", { cx: x(it.value), cy: yy, r: 5, fill: color }));
    });
    return f.figure;
  }

  window.tmCharts = { days: days, lift: lift, shares: shares, intervals: intervals, pct: pct, signedPct: signedPct };
})();
