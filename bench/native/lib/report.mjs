// Medians, ratios, tables, targets and the chart of the native suite.
// Harness workloads compare offheap with each peer (offheap/peer columns, as
// since the first version of the suite); program and server workloads compare
// every contender with mimalloc, as issue 11's targets do.
import {
  median, spreadPct, fmtNs, fmtNum, fmtMiB, fmtRatio, machineLine, barPanel, linePanel, legend, svgDoc, PALETTE,
} from '../../lib/common.mjs';
import { CONTENDERS } from './build.mjs';
import { rssTrend } from './measure.mjs';

const FIT_COLUMNS = [
  ['uniform_64_1m', 'uniform 64 B-1 MiB'],
  ['pow2_64_1m', '2^k, 64 B-1 MiB'],
  ['pow2_plus_header', '2^k + 8-272 B (256 B-64 KiB)'],
  ['uniform_16_4096', 'uniform 16-4096 B'],
];

const fmtSeconds = (s) => (Number.isFinite(s) ? `${s >= 10 ? s.toFixed(1) : s.toFixed(2)} s` : 'n/a');

/** the metric's value as a time-like ratio vs mimalloc (< 1: faster / more throughput) */
export function timeRatio(w, v, mi) {
  return w.metric.better === 'lower' ? v / mi : mi / v;
}

function trendOf(rs) {
  if (!rs[0]?.rss_samples) return null;
  const trends = rs.map((r) => rssTrend(r.rss_samples));
  const flat = trends.filter((t) => t.verdict === 'flat').length, grow = trends.filter((t) => t.verdict === 'growing').length;
  return {
    rss_trend: flat + grow === 0 ? 'n/a' : grow > flat ? 'growing' : 'flat',
    rss_trend_detail: `${flat} flat / ${grow} growing of ${rs.length}`,
    rss_growth_kib: median(trends.map((t) => t.growth_kib)),
    rss_slope_mib_per_s: median(trends.map((t) => t.slope_mib_per_s)),
  };
}

/** the repetition closest to the median: its RSS samples represent the run */
function representative(rs, key, med) {
  return rs.reduce((best, r) => (Math.abs(r[key] - med) < Math.abs(best[key] - med) ? r : best), rs[0]);
}

/** raw: {contender: [result, ...]} -> {contender: summary} */
export function summarize(name, w, raw, contenders) {
  const summary = {};
  for (const c of contenders) {
    const rs = raw[c] || [];
    if (!rs.length) continue;
    if (name === 'fit') {
      summary[c] = { reps: rs.length, fit: Object.fromEntries(FIT_COLUMNS.map(([k]) => [k, median(rs.map((r) => r.fit[k]))])), version: rs[0].version };
      continue;
    }
    const key = w.metric.key;
    const vals = rs.map((r) => r[key]);
    const med = median(vals);
    const s = { reps: rs.length, [key]: med, spread_pct: +spreadPct(vals).toFixed(1), peak_rss_kib: median(rs.map((r) => r.peak_rss_kib)) };
    if (w.kind === 'harness') Object.assign(s, { mops: median(rs.map((r) => r.mops)), rss_live_kib: median(rs.map((r) => r.rss_live_kib)), ops: rs[0].ops, version: rs[0].version });
    else {
      s.wall_s = median(rs.map((r) => r.wall_s));
      s.cpu_s = median(rs.map((r) => r.cpu_s));
      if (w.kind === 'server') Object.assign(s, { mops: median(rs.map((r) => r.mops)), ops: median(rs.map((r) => r.ops)), threads: rs[0].threads });
      else s.output_sha256 = rs[0].output_sha256;
    }
    const trend = trendOf(rs);
    if (trend) Object.assign(s, trend, { rss_samples: representative(rs, key, med).rss_samples });
    if (rs[0].offheap_stats) s.offheap_stats = representative(rs, key, med).offheap_stats;
    summary[c] = s;
  }
  if (name === 'fit') return summary;
  const pairedRatio = (a, b, f) => median(a.slice(0, Math.min(a.length, b.length)).map((r, i) => f(r, b[i])));
  if (w.kind === 'harness') {
    const off = summary.offheap;
    if (off) {
      off.ratios = {};
      for (const c of contenders) {
        if (c === 'offheap' || !summary[c]) continue;
        // paired: offheap and the peer ran back to back in each repetition; the
        // median of the per-repetition ratios cancels slow drifts in machine load
        const paired = pairedRatio(raw.offheap, raw[c], (a, b) => a.ns_per_op / b.ns_per_op);
        off.ratios[c] = { time: off.ns_per_op / summary[c].ns_per_op, time_paired: paired, rss: off.peak_rss_kib / summary[c].peak_rss_kib };
      }
    }
  } else if (summary.mimalloc) {
    const mi = summary.mimalloc, key = w.metric.key;
    for (const c of contenders) {
      if (!summary[c]) continue;
      summary[c].vs_mimalloc = {
        time: timeRatio(w, summary[c][key], mi[key]),
        time_paired: pairedRatio(raw[c], raw.mimalloc, (a, b) => timeRatio(w, a[key], b[key])),
        rss: summary[c].peak_rss_kib / mi.peak_rss_kib,
      };
    }
  }
  return summary;
}

const trendCell = (s) => (s.rss_trend === 'n/a' ? 'n/a' : `${s.rss_trend} (${s.rss_growth_kib >= 0 ? '+' : ''}${fmtMiB(s.rss_growth_kib)} MiB)`);

/** one table per workload: {workload, title, headers, rows} */
export function tableFor(name, w, summary, contenders, skipped, extraNote = '') {
  const rows = [];
  let headers;
  const title = `${w.title}: ${w.desc}${extraNote}`;
  if (name === 'fit') {
    headers = ['allocator', ...FIT_COLUMNS.map(([, label]) => label)];
    for (const c of contenders) rows.push(summary[c] ? [c, ...FIT_COLUMNS.map(([k]) => `${summary[c].fit[k].toFixed(3)}x`)] : [c, 'failed', '', '', '']);
  } else if (w.kind === 'harness') {
    const isPC = name === 'prodcons', hasTrend = name === 'prodcons' || name === 'threads';
    headers = ['allocator', 'ns/op', isPC ? 'Mfrees/s' : 'Mops/s', 'spread', 'peak RSS MiB', 'offheap/peer time', 'paired', 'offheap/peer RSS'];
    if (hasTrend) headers.push('RSS over time');
    const off = summary.offheap;
    for (const c of contenders) {
      const s = summary[c];
      if (!s) {
        rows.push([c, 'failed', ...Array(headers.length - 2).fill('')]);
        continue;
      }
      const r = off?.ratios?.[c];
      const row = [c, fmtNs(s.ns_per_op), fmtNum(s.mops, 2), `${s.spread_pct.toFixed(0)}%`, fmtMiB(s.peak_rss_kib), c === 'offheap' ? '1.00x' : r ? fmtRatio(r.time) : 'n/a', c === 'offheap' ? '' : r ? fmtRatio(r.time_paired) : 'n/a', c === 'offheap' ? '1.00x' : r ? fmtRatio(r.rss) : 'n/a'];
      if (hasTrend) row.push(trendCell(s));
      rows.push(row);
    }
  } else {
    const m = w.metric, rate = m.better === 'higher';
    headers = ['allocator', m.label, 'spread', 'peak RSS MiB', rate ? `${m.label} vs mimalloc` : 'time vs mimalloc', 'paired', 'RSS vs mimalloc'];
    if (w.kind === 'program') headers.push('CPU s');
    if (w.trend) headers.push('RSS over time');
    for (const c of contenders) {
      const s = summary[c];
      if (!s) {
        rows.push([c, 'failed', ...Array(headers.length - 2).fill('')]);
        continue;
      }
      const v = s.vs_mimalloc;
      // for rates the ratio column shows the rate ratio (> 1: more throughput)
      const metricRatio = v ? fmtRatio(rate ? 1 / v.time : v.time) : 'n/a';
      const paired = v && c !== 'mimalloc' ? fmtRatio(rate ? 1 / v.time_paired : v.time_paired) : '';
      const row = [c, rate ? fmtNum(s[m.key], 2) : fmtSeconds(s[m.key]), `${s.spread_pct.toFixed(0)}%`, fmtMiB(s.peak_rss_kib), metricRatio, paired, v ? fmtRatio(v.rss) : 'n/a'];
      if (w.kind === 'program') row.push(fmtNum(s.cpu_s, 2));
      if (w.trend) row.push(trendCell(s));
      rows.push(row);
    }
  }
  for (const c of Object.keys(skipped)) if (!contenders.includes(c)) rows.push([c, 'skipped', ...Array(headers.length - 2).fill('')]);
  return { workload: name, title, headers, rows };
}

/** issue 11 / DESIGN.md targets for the workloads that ran */
export function targetsFor(names, summaries, WORKLOADS) {
  const out = [];
  const add = (id, text, ok, measured) => out.push({ id, target: text, status: ok === null ? 'n/a' : ok ? 'met' : 'missed', measured });
  const pair = (wl) => [summaries[wl]?.offheap, summaries[wl]?.mimalloc];
  for (const wl of names) {
    const [o, m] = pair(wl);
    const w = WORKLOADS[wl];
    if (wl === 'small') {
      if (o && m) add('small', 'churn 16-4096 B: offheap <= 0.8x mimalloc ns/op', o.ns_per_op <= 0.8 * m.ns_per_op, `${fmtNs(o.ns_per_op)} vs ${fmtNs(m.ns_per_op)} = ${fmtRatio(o.ns_per_op / m.ns_per_op)}; paired ${fmtRatio(o.ratios.mimalloc.time_paired)}`);
      else add('small', 'churn 16-4096 B: offheap <= 0.8x mimalloc ns/op', null, 'offheap or mimalloc not measured');
    } else if (wl === 'large') {
      if (o && m) {
        add('large-time', 'churn 16 B-1 MiB: offheap <= 1.0x mimalloc ns/op', o.ns_per_op <= m.ns_per_op, `${fmtNs(o.ns_per_op)} vs ${fmtNs(m.ns_per_op)} = ${fmtRatio(o.ns_per_op / m.ns_per_op)}; paired ${fmtRatio(o.ratios.mimalloc.time_paired)}`);
        add('large-rss', 'churn 16 B-1 MiB: offheap peak RSS <= 1.5x mimalloc', o.peak_rss_kib <= 1.5 * m.peak_rss_kib, `${fmtMiB(o.peak_rss_kib)} vs ${fmtMiB(m.peak_rss_kib)} MiB = ${fmtRatio(o.peak_rss_kib / m.peak_rss_kib)}`);
      } else add('large', 'churn 16 B-1 MiB vs mimalloc', null, 'offheap or mimalloc not measured');
    } else if (wl === 'prodcons') {
      if (o && m) {
        add('prodcons-rate', 'producer/consumer: offheap frees/s >= mimalloc', o.mops >= m.mops, `${fmtNum(o.mops, 2)} vs ${fmtNum(m.mops, 2)} Mfrees/s = ${fmtRatio(o.mops / m.mops)}`);
        add('prodcons-rss', 'producer/consumer: offheap RSS flat', o.rss_trend === 'n/a' ? null : o.rss_trend === 'flat', `${o.rss_trend} (${o.rss_trend_detail}; growth ${fmtMiB(o.rss_growth_kib)} MiB, ${o.rss_slope_mib_per_s} MiB/s)`);
      } else add('prodcons', 'producer/consumer vs mimalloc', null, 'offheap or mimalloc not measured');
    } else if (wl === 'fit') {
      if (o) {
        const u = o.fit.uniform_64_1m, p = o.fit.pow2_64_1m;
        add('fit-uniform', 'fit: offheap block bytes / requested bytes <= 1.15 for uniform 64 B-1 MiB requests', u <= 1.15, `${u.toFixed(3)}x${m ? ` (mimalloc ${m.fit.uniform_64_1m.toFixed(3)}x)` : ''}`);
        add('fit-pow2', 'fit: offheap 2^k requests take exactly 2^k bytes (1.00x)', p === 1, `${p.toFixed(5)}x`);
      } else add('fit', 'fit: offheap block bytes / requested bytes', null, 'offheap not measured');
    } else if (w.kind === 'program') {
      if (o?.vs_mimalloc) {
        const v = o.vs_mimalloc;
        add(`${wl}-time`, `${w.title}: offheap time <= 1.0x mimalloc`, v.time <= 1, `${fmtSeconds(o.wall_s)} vs ${fmtSeconds(m.wall_s)} = ${fmtRatio(v.time)}; paired ${fmtRatio(v.time_paired)}`);
        add(`${wl}-rss`, `${w.title}: offheap peak RSS <= 1.10x mimalloc`, v.rss <= 1.1, `${fmtMiB(o.peak_rss_kib)} vs ${fmtMiB(m.peak_rss_kib)} MiB = ${fmtRatio(v.rss)}`);
      } else add(wl, `${w.title}: offheap vs mimalloc`, null, 'offheap or mimalloc not measured');
    } else if (wl === 'mstress' || wl === 'mstress8') {
      if (o?.vs_mimalloc) {
        const v = o.vs_mimalloc;
        add(`${wl}-time`, `${w.title}: offheap time <= 1.0x mimalloc`, v.time <= 1, `${fmtSeconds(o.seconds)} vs ${fmtSeconds(m.seconds)} = ${fmtRatio(v.time)}; paired ${fmtRatio(v.time_paired)}`);
        add(`${wl}-rss`, `${w.title}: offheap peak RSS <= 1.2x mimalloc`, v.rss <= 1.2, `${fmtMiB(o.peak_rss_kib)} vs ${fmtMiB(m.peak_rss_kib)} MiB = ${fmtRatio(v.rss)}`);
      } else add(wl, `${w.title}: offheap vs mimalloc`, null, 'offheap or mimalloc not measured');
    } else if (wl === 'larson') {
      if (o?.vs_mimalloc) add('larson', 'larson: offheap throughput >= 1.0x mimalloc', o.mops >= m.mops, `${fmtNum(o.mops, 2)} vs ${fmtNum(m.mops, 2)} Mops/s = ${fmtRatio(o.mops / m.mops)}; paired ${fmtRatio(1 / o.vs_mimalloc.time_paired)}`);
      else add('larson', 'larson: offheap vs mimalloc', null, 'offheap or mimalloc not measured');
    } else if (wl === 'xmalloc') {
      if (o?.vs_mimalloc) {
        add('xmalloc-rate', 'xmalloc producer/consumer: offheap frees/s >= 1.2x mimalloc', o.mops >= 1.2 * m.mops, `${fmtNum(o.mops, 2)} vs ${fmtNum(m.mops, 2)} Mfrees/s = ${fmtRatio(o.mops / m.mops)}; paired ${fmtRatio(1 / o.vs_mimalloc.time_paired)}`);
        add('xmalloc-rss', 'xmalloc producer/consumer: offheap RSS flat', o.rss_trend === 'n/a' ? null : o.rss_trend === 'flat', `${o.rss_trend} (${o.rss_trend_detail}; growth ${fmtMiB(o.rss_growth_kib)} MiB; peak ${fmtRatio(o.vs_mimalloc.rss)} mimalloc's)`);
      } else add('xmalloc', 'xmalloc producer/consumer: offheap vs mimalloc', null, 'offheap or mimalloc not measured');
    }
  }
  return out;
}

/** native.svg: absolute panels for the harness workloads, ratio panels vs mimalloc for programs and servers, fit, RSS over time */
export function renderSvg({ names, summaries, WORKLOADS, quick, reps, machine }) {
  const W = 980;
  const colorOf = (c) => PALETTE[CONTENDERS.indexOf(c)];
  const present = CONTENDERS.filter((c) => names.some((wl) => summaries[wl]?.[c]));
  const parts = [];
  parts.push(`<text x="10" y="22" font-size="17" font-weight="bold">offheap native benchmark: ${quick ? 'QUICK SMOKE RUN, ' : ''}medians of ${reps} interleaved run(s)</text>`);
  parts.push(legend({ x: 12, y: 46, series: present, colors: present.map(colorOf) }));
  let y = 56;
  const panel = (opts) => {
    parts.push(barPanel({ x: 0, y, width: W, height: 300, series: present, colors: present.map(colorOf), ...opts }));
    y += 310;
  };
  const valuesOf = (wl, f) => Object.fromEntries(present.map((c) => [c, summaries[wl]?.[c] ? f(summaries[wl][c]) : NaN]));
  const harness = names.filter((wl) => WORKLOADS[wl].kind === 'harness' && wl !== 'fit' && Object.keys(summaries[wl]).length);
  if (harness.length) {
    panel({ title: 'harness workloads: time per op (log scale, lower is better)', yLabel: 'ns per op', fmt: (v) => fmtNs(v), groups: harness.map((wl) => ({ label: WORKLOADS[wl].title, values: valuesOf(wl, (s) => s.ns_per_op) })) });
    panel({ title: 'harness workloads: peak RSS (log scale, lower is better)', yLabel: 'MiB', fmt: (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)), groups: harness.map((wl) => ({ label: WORKLOADS[wl].title, values: valuesOf(wl, (s) => s.peak_rss_kib / 1024) })) });
  }
  const vsMi = names.filter((wl) => WORKLOADS[wl].kind !== 'harness' && summaries[wl]?.mimalloc);
  if (vsMi.length) {
    const one = [{ value: 1, label: '' }];
    panel({ title: 'programs and server workloads: time vs mimalloc (dashed: 1.0; rates inverted; lower is better)', yLabel: 'x mimalloc', linear: true, refLines: one, fmt: (v) => v.toFixed(2), groups: vsMi.map((wl) => ({ label: WORKLOADS[wl].short ?? WORKLOADS[wl].title, values: valuesOf(wl, (s) => s.vs_mimalloc?.time) })) });
    panel({ title: 'programs and server workloads: peak RSS vs mimalloc (dashed: 1.0; lower is better)', yLabel: 'x mimalloc', linear: true, refLines: one, fmt: (v) => v.toFixed(2), groups: vsMi.map((wl) => ({ label: WORKLOADS[wl].short ?? WORKLOADS[wl].title, values: valuesOf(wl, (s) => s.vs_mimalloc?.rss) })) });
  }
  if (summaries.fit && Object.keys(summaries.fit).length) {
    panel({ title: 'memory fit: usable bytes / requested bytes (lower is better)', yLabel: 'ratio', linear: true, refLines: [{ value: 1, label: '' }, { value: 1.15, label: '1.15' }], fmt: (v) => v.toFixed(2), groups: FIT_COLUMNS.map(([k, label]) => ({ label, values: valuesOf('fit', (s) => s.fit[k]) })) });
  }
  const trendWl = ['prodcons', 'threads', 'xmalloc'].filter((wl) => summaries[wl] && Object.values(summaries[wl]).some((s) => s.rss_samples?.length));
  trendWl.forEach((wl, i) => {
    const lines = present.filter((c) => summaries[wl][c]?.rss_samples).map((c) => ({ name: c, color: colorOf(c), points: summaries[wl][c].rss_samples.map(([t, k]) => [t / 1000, k / 1024]) }));
    parts.push(linePanel({ x: (i * W) / trendWl.length, y, width: W / trendWl.length, height: 280, title: `${WORKLOADS[wl].short ?? WORKLOADS[wl].title}: RSS`, yLabel: 'RSS MiB', xLabel: 'seconds', lines, fmtY: (v) => v.toFixed(0), fmtX: (v) => v.toFixed(1) }));
  });
  if (trendWl.length) y += 290;
  return svgDoc(W, y + 20, parts.join('\n'), `${machineLine(machine)} | ${new Date().toISOString().slice(0, 16)}Z`);
}
