// Checks of what the containers run: every --flag the manifests pass is one
// the real binary accepts (from its --help/--helpfull text, read at test
// time from build/bin), every file a flag names lies under a mount, every
// $(VAR) is defined, the grace period outlasts the binary's SIGTERM drain,
// and every Secret a pod uses exists (or is declared external).
'use strict';

const { DEFAULT_DRAIN, binaryOf, containersOf, isWorkload, nameOf, podSpec } = require('./k8s_policy');

// Flag names in a usage or absl help text, dashed ("--state_dir" and
// "--state-dir" both give "state-dir").
function flagsFromHelp(text) {
  const flags = new Set();
  for (const m of text.matchAll(/--([a-z][a-z0-9_-]*)/g)) flags.add(m[1].replace(/_/g, '-'));
  return flags;
}

function parseArgs(args) {
  const out = [];
  for (let i = 0; i < (args || []).length; i++) {
    const a = String(args[i]);
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq >= 0) {
      out.push({ name: a.slice(2, eq), value: a.slice(eq + 1) });
    } else {
      const next = args[i + 1];
      const value = next !== undefined && !String(next).startsWith('--') ? String(next) : '';
      if (value) i++;
      out.push({ name: a.slice(2), value });
    }
  }
  return out;
}

function mountedAt(c, path) {
  return (c.volumeMounts || []).some((m) => path === m.mountPath || path.startsWith(`${m.mountPath.replace(/\/$/, '')}/`));
}

function checkArgs(objs, helpByBinary) {
  const out = [];
  for (const o of objs.filter(isWorkload)) {
    for (const c of containersOf(o)) {
      const bin = binaryOf(c);
      const help = helpByBinary[bin];
      const where = `${nameOf(o)} container ${c.name} (${bin})`;
      if (!help) {
        out.push(`flags: ${where}: no --help text of ${bin} to check its flags against`);
        continue;
      }
      const env = new Set((c.env || []).map((e) => e.name));
      for (const { name, value } of parseArgs(c.args)) {
        if (!help.has(name.replace(/_/g, '-'))) out.push(`flags: ${where} passes --${name}, which ${bin} does not accept`);
        for (const m of value.matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) {
          if (!env.has(m[1])) out.push(`env: ${where} --${name} uses $(${m[1]}), which is not in its env`);
        }
        if (value.startsWith('/') && !mountedAt(c, value)) {
          out.push(`mounts: ${where} --${name}=${value} is not under any of its volume mounts`);
        }
      }
    }
  }
  return out;
}

function checkGrace(objs) {
  const out = [];
  for (const o of objs.filter(isWorkload)) {
    const grace = podSpec(o).terminationGracePeriodSeconds;
    for (const c of podSpec(o).containers) {
      const bin = binaryOf(c);
      const flag = parseArgs(c.args).find((a) => a.name === 'drain-seconds');
      const drain = flag ? Number(flag.value) : DEFAULT_DRAIN[bin];
      if (drain === undefined) continue;
      if (grace === undefined || !(grace > drain)) {
        out.push(`grace: ${nameOf(o)} terminationGracePeriodSeconds ${grace} does not outlast ${bin}'s ${drain} s drain`);
      }
    }
  }
  return out;
}

// Secrets named by volumes, env and envFrom; with the keys used.
function secretRefs(o) {
  const refs = [];
  for (const v of podSpec(o).volumes || []) {
    if (v.secret) refs.push({ name: v.secret.secretName, keys: (v.secret.items || []).map((i) => i.key) });
  }
  for (const c of containersOf(o)) {
    for (const e of c.env || []) {
      const r = e.valueFrom && e.valueFrom.secretKeyRef;
      if (r) refs.push({ name: r.name, keys: [r.key] });
    }
    for (const e of c.envFrom || []) if (e.secretRef) refs.push({ name: e.secretRef.name, keys: [] });
  }
  return refs;
}

// external: names of Secrets created outside the manifests (prod).
function checkSecrets(objs, external) {
  const out = [];
  for (const o of objs.filter(isWorkload)) {
    for (const ref of secretRefs(o)) {
      const s = objs.find((x) => x.kind === 'Secret' && x.metadata.name === ref.name);
      if (!s) {
        if (!external.includes(ref.name)) out.push(`secrets: ${nameOf(o)} uses Secret ${ref.name}, which is neither rendered nor declared external`);
        continue;
      }
      const keys = Object.keys({ ...(s.data || {}), ...(s.stringData || {}) });
      for (const k of ref.keys) {
        if (!keys.includes(k)) out.push(`secrets: ${nameOf(o)} uses key ${k} of Secret ${ref.name}, which it lacks`);
      }
    }
  }
  for (const s of objs.filter((x) => x.kind === 'Secret')) {
    if (s.type === 'kubernetes.io/tls') out.push(`secrets: Secret/${s.metadata.name} puts a TLS key into the manifests`);
  }
  return out;
}

module.exports = { checkArgs, checkGrace, checkSecrets, flagsFromHelp, parseArgs };
