// Shared helpers for the benchmark suites: statistics, machine description,
// terminal / markdown tables, and hand-written SVG charts. No dependencies.
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT_DIR = path.resolve(BENCH_DIR, '..');

// ---- statistics -----------------------------------------------------------

export function median(xs) {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** (max - min) / median, in percent: how noisy the repetitions were */
export function spreadPct(xs) {
  const v = xs.filter((x) => Number.isFinite(x));
  if (v.length < 2) return 0;
  const m = median(v);
  return m ? ((Math.max(...v) - Math.min(...v)) / m) * 100 : 0;
}

// ---- formatting -----------------------------------------------------------

export function fmtNs(ns) {
  if (!Number.isFinite(ns)) return 'n/a';
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(ns >= 1e7 ? 1 : 2)} ms`;
  if (ns >= 1e4) return `${(ns / 1e3).toFixed(ns >= 1e5 ? 0 : 1)} us`;
  if (ns >= 1e3) return `${Math.round(ns).toLocaleString('en-US')} ns`;
  return `${ns.toFixed(ns >= 100 ? 0 : 1)} ns`;
}

export function fmtNum(x, digits = 1) {
  if (!Number.isFinite(x)) return 'n/a';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function fmtMiB(kib) {
  if (!Number.isFinite(kib)) return 'n/a';
  const mib = kib / 1024;
  return mib >= 100 ? fmtNum(mib, 0) : fmtNum(mib, 1);
}

export function fmtRatio(r) {
  if (!Number.isFinite(r)) return 'n/a';
  return `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}x`;
}

export function fmtSize(bytes) {
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes / (1 << 20)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

export function parseSize(s) {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?\s*$/i.exec(s);
  if (!m) throw new Error(`bad size: ${s}`);
  const unit = (m[2] || 'b').toLowerCase()[0];
  const mul = { b: 1, k: 1024, m: 1 << 20, g: 1 << 30 }[unit];
  return Math.round(parseFloat(m[1]) * mul);
}

// ---- tables ---------------------------------------------------------------

const displayWidth = (s) => [...String(s)].length;

/** Plain terminal table with aligned columns. align: 'l' | 'r' per column. */
export function textTable(headers, rows, align = []) {
  const widths = headers.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ''))));
  const cell = (s, i) => {
    const str = String(s ?? '');
    const pad = ' '.repeat(widths[i] - displayWidth(str));
    return (align[i] || (i === 0 ? 'l' : 'r')) === 'l' ? str + pad : pad + str;
  };
  const line = (r) => '| ' + r.map(cell).join(' | ') + ' |';
  const sep = '|' + widths.map((w, i) => ((align[i] || (i === 0 ? 'l' : 'r')) === 'l' ? '-' : '-').repeat(w + 2)).join('|') + '|';
  return [line(headers), sep, ...rows.map(line)].join('\n');
}

/** GitHub markdown table (same content). */
export function mdTable(headers, rows, align = []) {
  const a = headers.map((_, i) => ((align[i] || (i === 0 ? 'l' : 'r')) === 'l' ? '---' : '---:'));
  return [
    '| ' + headers.join(' | ') + ' |',
    '| ' + a.join(' | ') + ' |',
    ...rows.map((r) => '| ' + r.map((c) => String(c ?? '')).join(' | ') + ' |'),
  ].join('\n');
}

// ---- machine --------------------------------------------------------------

function tryRead(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function tryExec(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

export function machineInfo() {
  const cpuinfo = tryRead('/proc/cpuinfo');
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1]?.trim() || os.cpus()[0]?.model || 'unknown';
  const gcc = tryExec('gcc', ['-dumpfullversion']) || tryExec('cc', ['-dumpversion']);
  const thp = /\[(\w+)\]/.exec(tryRead('/sys/kernel/mm/transparent_hugepage/enabled'))?.[1] || 'n/a';
  return {
    nproc: os.availableParallelism ? os.availableParallelism() : os.cpus().length,
    cpu: model,
    ram_gib: +(os.totalmem() / 2 ** 30).toFixed(1),
    kernel: `${os.type()} ${os.release()}`,
    arch: process.arch,
    node: process.version,
    gcc: gcc || 'n/a',
    thp,
    loadavg_start: os.loadavg().map((x) => +x.toFixed(2)),
    // what was measured: the commit, and whether the tree had local changes
    git: tryExec('git', ['-C', ROOT_DIR, 'rev-parse', '--short', 'HEAD']) || 'n/a',
    git_dirty_core: tryExec('git', ['-C', ROOT_DIR, 'status', '--porcelain', '--', 'native', 'lib', 'CMakeLists.txt', 'binding.gyp']) !== '',
  };
}

export function machineLine(m) {
  return `${m.nproc} cores (${m.cpu}), ${m.ram_gib} GiB RAM, ${m.kernel}, Node ${m.node}, gcc ${m.gcc}, THP ${m.thp}`;
}

export function today() {
  return new Date().toISOString().slice(0, 10);
}

export function writeFileEnsured(file, text) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

// ---- command line ---------------------------------------------------------

/** Parses the options both suites share (--quick, --json, --reps N,
 * --contenders a,b, --help) into a copy of `defaults`; any other option goes
 * to `extra(name, value, o)`, which returns false when it does not know it.
 * `value()` reads the option's value (`--x=v` or `--x v`). Bad options print
 * a message and exit 1. Returns the options, with reps defaulted (1 quick, 5). */
export function parseBenchArgs(argv, { defaults, contenders, usage, extra }) {
  const o = { quick: false, json: false, reps: null, contenders, ...defaults };
  try {
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i];
      const value = () => {
        const eq = a.indexOf('=');
        if (eq >= 0) return a.slice(eq + 1);
        if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
        return argv[++i];
      };
      const name = a.split('=')[0];
      if (a === '--quick') o.quick = true;
      else if (a === '--json') o.json = true;
      else if (name === '--reps') o.reps = Math.max(1, parseInt(value(), 10));
      else if (name === '--contenders') o.contenders = value().split(',').map((s) => s.trim()).filter(Boolean);
      else if (a === '--help' || a === '-h') {
        console.log(usage);
        process.exit(0);
      } else if (!extra(name, value, o)) throw new Error(`unknown option ${a} (try --help)`);
    }
    for (const c of o.contenders)
      if (!contenders.includes(c)) throw new Error(`unknown contender ${c}; known: ${contenders.join(', ')}`);
  } catch (e) {
    console.error(String(e.message || e));
    process.exit(1);
  }
  o.reps ??= o.quick ? 1 : 5;
  return o;
}

/** The terminal report: tables, notes, targets (not judged on --quick: tiny
 * op counts measure start-up, not steady state), failures, skipped
 * contenders, elapsed time. Marks the targets' status in place. */
export function reportText({ tables, notes = [], targets, quick, failures, failureLabel, skipped, elapsed }) {
  const text = [''];
  for (const t of tables) text.push(t.title, textTable(t.headers, t.rows), '');
  if (notes.length) text.push(...notes, '');
  text.push('Targets:');
  if (quick) {
    for (const t of targets) if (t.status !== 'n/a') t.status = 'not judged (--quick)';
    text.push('  (--quick: smoke run, targets are not judged)');
  }
  for (const t of targets) text.push(`  [${(quick && t.status.startsWith('not judged') ? 'QUICK' : t.status.toUpperCase()).padEnd(6)}] ${t.target}: ${t.measured}`);
  if (failures.length) text.push('', 'Failures:', ...failures.map((f) => `  ${failureLabel(f)} rep ${f.rep + 1}: ${f.error}`));
  for (const [c, reason] of Object.entries(skipped)) text.push(`skipped ${c}: ${reason.split('\n')[0]}`);
  text.push(`(${elapsed.toFixed(1)} s)`);
  return text;
}

/** Tables go to stdout, or to stderr when stdout carries --json. */
export function outputs(opts) {
  return {
    log: (...a) => (opts.json ? console.error(...a) : console.log(...a)),
    progress: (s) => process.stderr.write(s),
  };
}

/** Writes a suite's results: <date>-<suite>.json and <suite>.svg under
 * bench/results (bench/results/quick for --quick runs); prints the JSON with
 * --json. Returns the paths written. */
export function writeResults(suite, doc, svg, { quick, json }, progress) {
  const outDir = path.join(BENCH_DIR, 'results', quick ? 'quick' : '');
  const jsonFile = path.join(outDir, `${today()}-${suite}.json`);
  const svgFile = path.join(outDir, `${suite}.svg`);
  writeFileEnsured(jsonFile, JSON.stringify(doc, null, 1) + '\n');
  writeFileEnsured(svgFile, svg);
  progress(`wrote ${path.relative(ROOT_DIR, jsonFile)} and ${path.relative(ROOT_DIR, svgFile)}\n`);
  if (json) process.stdout.write(JSON.stringify(doc, null, 1) + '\n');
}

// ---- SVG ------------------------------------------------------------------

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function logTicks(lo, hi) {
  const ticks = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) ticks.push(10 ** e);
  return ticks;
}

function logDomain(values) {
  const v = values.filter((x) => Number.isFinite(x) && x > 0);
  if (!v.length) return [1, 10];
  return [10 ** Math.floor(Math.log10(Math.min(...v))), 10 ** Math.ceil(Math.log10(Math.max(...v)))];
}

/** 0..hi with about 5 round steps covering max(values, refs) */
function linearDomain(values) {
  const top = Math.max(1e-9, ...values.filter(Number.isFinite)) * 1.08;
  const raw = top / 5, mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((st) => st >= raw);
  return { lo: 0, hi: Math.ceil(top / step) * step, ticks: Array.from({ length: Math.ceil(top / step) + 1 }, (_, i) => i * step) };
}

/**
 * Grouped bar panel, log-scale y (linear: true for a 0-based linear scale).
 * groups: [{label, values: {series: number}}]. refLines: [{value, label}]
 * draws dashed horizontal lines (e.g. 1.0x for ratios).
 * Returns an SVG fragment placed at (x, y) with the given size.
 */
export function barPanel({ x, y, width, height, title, yLabel, groups, series, colors, fmt = (v) => String(v), linear = false, refLines = [] }) {
  const out = [];
  const padL = 64, padB = 38, padT = 26, padR = 10;
  const pw = width - padL - padR, ph = height - padT - padB;
  const all = groups.flatMap((g) => series.map((s) => g.values[s]));
  const lin = linear ? linearDomain([...all, ...refLines.map((r) => r.value)]) : null;
  const [lo, hi] = linear ? [lin.lo, lin.hi] : logDomain(all);
  const ly = linear
    ? (v) => padT + ph - ((v - lo) / (hi - lo)) * ph
    : (v) => padT + ph - ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * ph;
  out.push(`<g transform="translate(${x},${y})">`);
  out.push(`<text x="${padL}" y="16" font-size="14" font-weight="bold">${esc(title)}</text>`);
  for (const t of linear ? lin.ticks : logTicks(lo, hi)) {
    if (t < lo || t > hi) continue;
    const ty = ly(t);
    out.push(`<line x1="${padL}" x2="${padL + pw}" y1="${ty}" y2="${ty}" stroke="#ddd"/>`);
    out.push(`<text x="${padL - 6}" y="${ty + 4}" font-size="11" text-anchor="end">${esc(fmt(t))}</text>`);
  }
  out.push(`<text transform="translate(14,${padT + ph / 2}) rotate(-90)" font-size="11" text-anchor="middle">${esc(yLabel)}</text>`);
  const gw = pw / groups.length;
  const bw = Math.min(28, (gw * 0.8) / series.length);
  groups.forEach((g, gi) => {
    const gx = padL + gi * gw + (gw - bw * series.length) / 2;
    series.forEach((s, si) => {
      const v = g.values[s];
      if (!Number.isFinite(v) || v <= 0) return;
      const by = ly(Math.max(v, lo));
      out.push(
        `<rect x="${gx + si * bw}" y="${by}" width="${bw - 2}" height="${padT + ph - by}" fill="${colors[si]}"><title>${esc(`${g.label} / ${s}: ${fmt(v)}`)}</title></rect>`,
      );
      out.push(
        `<text x="${gx + si * bw + (bw - 2) / 2}" y="${by - 3}" font-size="9" text-anchor="middle">${esc(fmt(v))}</text>`,
      );
    });
    out.push(`<text x="${padL + gi * gw + gw / 2}" y="${padT + ph + 16}" font-size="12" text-anchor="middle">${esc(g.label)}</text>`);
  });
  for (const r of refLines) {
    if (!(r.value > lo && r.value <= hi)) continue;
    const ry = ly(r.value);
    out.push(`<line x1="${padL}" x2="${padL + pw}" y1="${ry}" y2="${ry}" stroke="#555" stroke-dasharray="5,4"/>`);
    if (r.label) out.push(`<text x="${padL + 3}" y="${ry - 3}" font-size="10" fill="#555">${esc(r.label)}</text>`);
  }
  out.push(`<line x1="${padL}" x2="${padL + pw}" y1="${padT + ph}" y2="${padT + ph}" stroke="#333"/>`);
  out.push(`<line x1="${padL}" x2="${padL}" y1="${padT}" y2="${padT + ph}" stroke="#333"/>`);
  out.push('</g>');
  return out.join('\n');
}

/**
 * Line panel. lines: [{name, color, points: [[x, y], ...]}]. xs may be
 * categorical (xLabels given: x is the index) or numeric linear.
 */
export function linePanel({ x, y, width, height, title, yLabel, xLabel, lines, xLabels, logY = false, fmtY = String, fmtX = String }) {
  const out = [];
  const padL = 64, padB = 40, padT = 26, padR = 10;
  const pw = width - padL - padR, ph = height - padT - padB;
  const ys = lines.flatMap((l) => l.points.map((p) => p[1])).filter(Number.isFinite);
  const xs = lines.flatMap((l) => l.points.map((p) => p[0])).filter(Number.isFinite);
  let lo, hi, linStep = 1;
  if (logY) [lo, hi] = logDomain(ys);
  else {
    lo = 0;
    const raw = (Math.max(1e-9, ...ys) * 1.05) / 5;
    const mag = 10 ** Math.floor(Math.log10(raw));
    linStep = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((st) => st >= raw);
    hi = Math.ceil((Math.max(1e-9, ...ys) * 1.05) / linStep) * linStep;
  }
  const x0 = xLabels ? 0 : Math.min(0, ...xs), x1 = xLabels ? Math.max(1, xLabels.length - 1) : Math.max(1, ...xs);
  const inset = xLabels ? pw / (2 * Math.max(1, xLabels.length)) : 0; // categorical: half a slot each side
  const lx = (v) => padL + (xLabels ? inset + (xLabels.length > 1 ? (v / (xLabels.length - 1)) * (pw - 2 * inset) : pw / 2 - inset) : ((v - x0) / (x1 - x0)) * pw);
  const ly = (v) =>
    logY
      ? padT + ph - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * ph
      : padT + ph - ((v - lo) / (hi - lo)) * ph;
  out.push(`<g transform="translate(${x},${y})">`);
  out.push(`<text x="${padL}" y="16" font-size="14" font-weight="bold">${esc(title)}</text>`);
  const yt = logY ? logTicks(lo, hi) : Array.from({ length: Math.round((hi - lo) / linStep) + 1 }, (_, i) => lo + i * linStep);
  for (const t of yt) {
    if (t < lo || t > hi) continue;
    out.push(`<line x1="${padL}" x2="${padL + pw}" y1="${ly(t)}" y2="${ly(t)}" stroke="#ddd"/>`);
    out.push(`<text x="${padL - 6}" y="${ly(t) + 4}" font-size="11" text-anchor="end">${esc(fmtY(t))}</text>`);
  }
  if (xLabels) {
    xLabels.forEach((lab, i) => out.push(`<text x="${lx(i)}" y="${padT + ph + 16}" font-size="12" text-anchor="middle">${esc(lab)}</text>`));
  } else {
    for (let i = 0; i <= 5; i++) {
      const t = x0 + ((x1 - x0) * i) / 5;
      out.push(`<text x="${lx(t)}" y="${padT + ph + 16}" font-size="11" text-anchor="middle">${esc(fmtX(t))}</text>`);
    }
  }
  if (xLabel) out.push(`<text x="${padL + pw / 2}" y="${padT + ph + 34}" font-size="11" text-anchor="middle">${esc(xLabel)}</text>`);
  out.push(`<text transform="translate(14,${padT + ph / 2}) rotate(-90)" font-size="11" text-anchor="middle">${esc(yLabel)}</text>`);
  for (const l of lines) {
    const pts = l.points.filter((p) => Number.isFinite(p[1]) && (!logY || p[1] > 0));
    if (!pts.length) continue;
    out.push(`<polyline fill="none" stroke="${l.color}" stroke-width="2" points="${pts.map((p) => `${lx(p[0]).toFixed(1)},${ly(p[1]).toFixed(1)}`).join(' ')}"/>`);
    if (pts.length <= 16)
      for (const p of pts)
        out.push(`<circle cx="${lx(p[0]).toFixed(1)}" cy="${ly(p[1]).toFixed(1)}" r="3" fill="${l.color}"><title>${esc(`${l.name}: ${fmtY(p[1])}`)}</title></circle>`);
  }
  out.push(`<line x1="${padL}" x2="${padL + pw}" y1="${padT + ph}" y2="${padT + ph}" stroke="#333"/>`);
  out.push(`<line x1="${padL}" x2="${padL}" y1="${padT}" y2="${padT + ph}" stroke="#333"/>`);
  out.push('</g>');
  return out.join('\n');
}

export function legend({ x, y, series, colors }) {
  const out = [`<g transform="translate(${x},${y})" font-size="12">`];
  let cx = 0;
  series.forEach((s, i) => {
    out.push(`<rect x="${cx}" y="-10" width="12" height="12" fill="${colors[i]}"/>`);
    out.push(`<text x="${cx + 16}" y="0">${esc(s)}</text>`);
    cx += 28 + displayWidth(s) * 7;
  });
  out.push('</g>');
  return out.join('\n');
}

export function svgDoc(width, height, body, subtitle) {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    body,
    subtitle ? `<text x="10" y="${height - 8}" font-size="10" fill="#555">${esc(subtitle)}</text>` : '',
    '</svg>',
    '',
  ].join('\n');
}

/**
 * The JSON result a benchmark child printed on its last stdout line (spawnSync
 * result `r`), or `{ error }` saying why there is none (its own error, the
 * signal or exit code, and the last `stderrLines` lines of its stderr).
 */
export function childResult(r, stderrLines = 3) {
  let parsed;
  try {
    parsed = JSON.parse((r.stdout || '').trim().split('\n').pop());
  } catch {}
  if (r.status !== 0 || r.error || !parsed || parsed.error) {
    const why = parsed?.error || (r.error ? String(r.error) : r.signal ? `killed by ${r.signal}` : `exit code ${r.status}`);
    const err = stderrLines ? (r.stderr || '').trim().split('\n').slice(-stderrLines).join(' | ') : '';
    return { error: `${why.split('\n')[0]}${err ? ` [stderr: ${err}]` : ''}` };
  }
  return parsed;
}
