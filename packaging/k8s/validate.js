#!/usr/bin/env node
// Validates the Kubernetes manifests of packaging/k8s against the Kubernetes
// API schemas, with no cluster:
//
//   1. renders the kustomization as kustomize would (namespace, images,
//      ConfigMap generators with content-hash names, and, as a second
//      rendering, the optional old-kernels patch), or takes a rendering from
//      `kubectl kustomize` given with --rendered FILE;
//   2. validates every object with kubernetes-models (types, required
//      fields, enumerations, formats) and, since those schemas allow any
//      extra key, walks each object against the models' type declarations
//      so that a misspelt field (readOnlyRootFileSystem) is an error too;
//   3. checks what the DaemonSet promises: no privilege, the host access
//      the probes need and nothing else, probes and scrape annotations on
//      the port bpfalert.conf listens on, rules identical to rules/.
//
// Usage: node validate.js [--rendered FILE]...   (modules from NODE_PATH or
// a node_modules beside package.json; see Makefile target validate-k8s)
"use strict";

const fs = require("fs");
const path = require("path");
const crypto = require("crypto");
const YAML = require("yaml");

const HERE = __dirname;
const REPO = path.resolve(HERE, "../..");
const MODELS = path.dirname(require.resolve("kubernetes-models/package.json"));
const NODE_MODULES = path.dirname(MODELS);

let passed = 0;
const failures = [];

function check(ok, what) {
	if (ok) passed++;
	else failures.push(what);
	return ok;
}

// ---- YAML ----

function loadDocs(file) {
	const text = fs.readFileSync(file, "utf8");
	const docs = YAML.parseAllDocuments(text, { prettyErrors: true });
	const out = [];
	for (const d of docs) {
		if (!check(d.errors.length === 0, `${file}: ${d.errors.map((e) => e.message).join("; ")}`))
			continue;
		const js = d.toJS();
		if (js !== null && js !== undefined) out.push(js);
	}
	return out;
}

// ---- kustomize, the parts this kustomization uses ----

const KUSTOMIZATION_KEYS = new Set([
	"apiVersion", "kind", "namespace", "resources", "images",
	"configMapGenerator", "patches", "labels", "commonAnnotations",
]);

function configMapFor(gen, base) {
	const data = {};
	for (const f of gen.files || []) {
		const file = path.join(base, f);
		if (!check(fs.existsSync(file), `kustomization: generator ${gen.name}: no file ${f}`))
			continue;
		data[path.basename(f)] = fs.readFileSync(file, "utf8");
	}
	const hash = crypto.createHash("sha256").update(JSON.stringify(data)).digest("hex").slice(0, 10);
	return {
		apiVersion: "v1",
		kind: "ConfigMap",
		metadata: { name: `${gen.name}-${hash}` },
		data,
	};
}

function isPlainObject(v) {
	return v !== null && typeof v === "object" && !Array.isArray(v);
}

// Strategic merge as kubectl does it for the fields patched here: maps
// merge, lists of named objects merge by name, other lists are replaced.
function strategicMerge(base, patch) {
	if (Array.isArray(base) && Array.isArray(patch) &&
	    patch.every((e) => isPlainObject(e) && "name" in e)) {
		const out = base.map((e) => ({ ...e }));
		for (const p of patch) {
			const i = out.findIndex((e) => e.name === p.name);
			if (i >= 0) out[i] = strategicMerge(out[i], p);
			else out.push(p);
		}
		return out;
	}
	if (isPlainObject(base) && isPlainObject(patch)) {
		const out = { ...base };
		for (const [k, v] of Object.entries(patch))
			out[k] = k in base ? strategicMerge(base[k], v) : v;
		return out;
	}
	return patch;
}

function setImages(obj, images) {
	const containers = obj.spec?.template?.spec?.containers || [];
	for (const c of containers) {
		for (const img of images) {
			if (c.image === img.name || c.image.startsWith(img.name + ":"))
				c.image = `${img.newName || img.name}:${img.newTag || "latest"}`;
		}
	}
}

function renameConfigMaps(obj, names) {
	for (const v of obj.spec?.template?.spec?.volumes || []) {
		if (v.configMap && names[v.configMap.name]) v.configMap.name = names[v.configMap.name];
	}
}

function render(withPatches) {
	const kfile = path.join(HERE, "kustomization.yaml");
	const [k] = loadDocs(kfile);
	for (const key of Object.keys(k))
		check(KUSTOMIZATION_KEYS.has(key), `kustomization.yaml: unknown key '${key}'`);
	check(k.apiVersion === "kustomize.config.k8s.io/v1beta1" && k.kind === "Kustomization",
	      "kustomization.yaml: apiVersion/kind");
	let objs = [];
	for (const r of k.resources || []) {
		const file = path.join(HERE, r);
		if (check(fs.existsSync(file), `kustomization: no resource ${r}`))
			objs.push(...loadDocs(file));
	}
	const names = {};
	for (const gen of k.configMapGenerator || []) {
		const cm = configMapFor(gen, HERE);
		names[gen.name] = cm.metadata.name;
		objs.push(cm);
	}
	for (const p of withPatches) {
		const [patch] = loadDocs(path.join(HERE, p));
		objs = objs.map((o) => (o.kind === patch.kind && o.metadata.name === patch.metadata.name
			? strategicMerge(o, patch) : o));
	}
	for (const o of objs) {
		if (o.kind !== "Namespace" && k.namespace) o.metadata.namespace = k.namespace;
		setImages(o, k.images || []);
		renameConfigMaps(o, names);
	}
	return { objs, kustomization: k };
}

// ---- schema validation ----

function modelClass(obj) {
	const [group, version] = obj.apiVersion.includes("/")
		? obj.apiVersion.split("/") : ["", obj.apiVersion];
	const dir = group === "" ? version : `${group}/${version}`;
	const file = path.join(MODELS, dir, `${obj.kind}.js`);
	if (!fs.existsSync(file)) return null;
	return { cls: require(file)[obj.kind], dts: file.replace(/\.js$/, ".d.ts") };
}

// The declared properties of the first interface of a .d.ts file: name ->
// { type, file }.  Types are TypeScript text: Array<X>, { [key: string]: X; },
// string-literal unions, primitives, or interface names imported above.
const declCache = new Map();

function stripComments(text) {
	return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

function declarations(dts) {
	if (declCache.has(dts)) return declCache.get(dts);
	const text = stripComments(fs.readFileSync(dts, "utf8"));
	const imports = {};
	for (const m of text.matchAll(/import \{ ([^}]+) \} from "([^"]+)"/g)) {
		for (const name of m[1].split(",").map((s) => s.trim()))
			imports[name] = m[2];
	}
	const start = text.search(/export interface \w+(?: extends [\w, ]+)? \{/);
	let props = null;
	if (start >= 0) {
		props = {};
		let i = text.indexOf("{", start) + 1;
		let depth = 1, cur = "";
		for (; i < text.length && depth > 0; i++) {
			const c = text[i];
			if (c === "{" || c === "<") depth++;
			if (c === "}" || c === ">") depth--;
			if (depth === 0) break;
			if (c === ";" && depth === 1) {
				const m = cur.trim().match(/^"([^"]+)"\??:\s*([\s\S]+)$/);
				if (m) props[m[1]] = { type: m[2].trim() };
				cur = "";
			} else {
				cur += c;
			}
		}
	}
	const decl = { props, imports, dir: path.dirname(dts) };
	declCache.set(dts, decl);
	return decl;
}

function resolveImport(decl, name) {
	const spec = decl.imports[name];
	if (!spec) return null;
	const base = spec.startsWith(".") ? path.join(decl.dir, spec) : path.join(NODE_MODULES, spec);
	const file = base + ".d.ts";
	return fs.existsSync(file) ? file : null;
}

// Walks `value` against the TypeScript type `type` declared in `decl`;
// reports keys no declaration has.
function walkType(value, type, decl, where) {
	const arr = type.match(/^Array<([\s\S]+)>$/);
	if (arr) {
		if (Array.isArray(value))
			value.forEach((v, i) => walkType(v, arr[1].trim(), decl, `${where}[${i}]`));
		return;
	}
	const map = type.match(/^\{\s*\[key: string\]:\s*([\s\S]+?);?\s*\}$/);
	if (map) {
		if (isPlainObject(value))
			for (const [k, v] of Object.entries(value)) walkType(v, map[1].trim(), decl, `${where}.${k}`);
		return;
	}
	if (/^I\w+$/.test(type)) {
		const file = resolveImport(decl, type);
		if (file) walkObject(value, file, where);
	}
}

function walkObject(value, dts, where) {
	const decl = declarations(dts);
	if (!decl.props || !isPlainObject(value)) return;  // a type alias (IntOrString, Quantity)
	for (const [k, v] of Object.entries(value)) {
		const p = decl.props[k];
		if (!check(p !== undefined, `${where}: unknown field '${k}'`)) continue;
		walkType(v, p.type, decl, `${where}.${k}`);
	}
}

function validateObject(obj, label) {
	const what = `${label}: ${obj.kind}/${obj.metadata?.name}`;
	const m = modelClass(obj);
	if (!check(m !== null, `${what}: no schema for ${obj.apiVersion} ${obj.kind}`)) return;
	try {
		new m.cls(obj).validate();
		check(true, what);
	} catch (e) {
		check(false, `${what}: ${e.message}`);
	}
	walkObject(obj, m.dts, what);
}

// ---- what the DaemonSet promises ----

const ALLOWED_CAPS = new Set(["BPF", "PERFMON", "SYS_RESOURCE", "DAC_READ_SEARCH"]);
const HOST_PATHS = {
	"/sys/kernel/btf": true, "/sys/kernel/tracing": true, "/sys/fs/bpf": true,
	"/sys/fs/cgroup": true, "/var/log/pods": true, "/var/lib/bpfalert": false,
};  // path -> mounted read-only

function metricsPort(conf) {
	const m = conf.match(/^\s*metrics\s*[:=]\s*\{\s*listen\s*=\s*"([^"]*)"/m);
	if (!m) return null;
	const hp = m[1].match(/^(.*):(\d+)$/);
	return hp ? { host: hp[1], port: Number(hp[2]) } : null;
}

function checkDaemonSet(objs, label, extraCaps) {
	const ds = objs.find((o) => o.kind === "DaemonSet");
	if (!check(ds, `${label}: a DaemonSet`)) return;
	const pod = ds.spec.template.spec;
	const c = pod.containers.find((x) => x.name === "bpfalert");
	if (!check(c, `${label}: container bpfalert`)) return;
	const sc = c.securityContext || {};
	check(pod.hostPID === true, `${label}: hostPID`);
	check(!pod.hostNetwork && !pod.hostIPC, `${label}: no host network or IPC namespace`);
	check(sc.privileged === false, `${label}: not privileged`);
	check(sc.allowPrivilegeEscalation === false, `${label}: allowPrivilegeEscalation false`);
	check(sc.readOnlyRootFilesystem === true, `${label}: readOnlyRootFilesystem`);
	const caps = sc.capabilities || {};
	check(JSON.stringify(caps.drop) === '["ALL"]', `${label}: capabilities drop ALL`);
	for (const cap of caps.add || [])
		check(ALLOWED_CAPS.has(cap) || extraCaps.includes(cap), `${label}: capability ${cap} not justified`);
	for (const cap of [...ALLOWED_CAPS, ...extraCaps])
		check((caps.add || []).includes(cap), `${label}: capability ${cap} added`);
	const r = c.resources || {};
	for (const kind of ["requests", "limits"])
		for (const res of ["cpu", "memory"])
			check(r[kind] && r[kind][res] !== undefined, `${label}: resources.${kind}.${res}`);
	check(JSON.stringify(pod.tolerations) === '[{"operator":"Exists"}]', `${label}: tolerates every taint`);

	const port = (c.ports || []).find((p) => p.name === "metrics");
	if (!check(port, `${label}: a metrics port`)) return;
	for (const probe of ["livenessProbe", "readinessProbe", "startupProbe"]) {
		const g = c[probe] && c[probe].httpGet;
		check(g && g.path === "/healthz" && (g.port === "metrics" || g.port === port.containerPort),
		      `${label}: ${probe} on /healthz of the metrics port`);
	}
	const ann = ds.spec.template.metadata.annotations || {};
	check(ann["prometheus.io/scrape"] === "true", `${label}: prometheus.io/scrape`);
	check(ann["prometheus.io/port"] === String(port.containerPort), `${label}: prometheus.io/port is the metrics port`);
	check(ann["prometheus.io/path"] === "/metrics", `${label}: prometheus.io/path`);

	const mounts = Object.fromEntries((c.volumeMounts || []).map((m) => [m.name, m]));
	const found = {};
	for (const v of pod.volumes || []) {
		if (!v.hostPath) continue;
		const m = mounts[v.name];
		found[v.hostPath.path] = true;
		if (!check(v.hostPath.path in HOST_PATHS, `${label}: unexpected hostPath ${v.hostPath.path}`)) continue;
		check(m && m.mountPath === v.hostPath.path, `${label}: ${v.hostPath.path} mounted at the same path`);
		check(m && Boolean(m.readOnly) === HOST_PATHS[v.hostPath.path],
		      `${label}: ${v.hostPath.path} ${HOST_PATHS[v.hostPath.path] ? "read-only" : "writable"}`);
	}
	for (const p of Object.keys(HOST_PATHS)) check(found[p], `${label}: hostPath ${p}`);

	const cmName = (pod.volumes.find((v) => v.name === "config") || {}).configMap?.name;
	const cm = objs.find((o) => o.kind === "ConfigMap" && o.metadata.name === cmName);
	if (check(cm && cm.data["bpfalert.conf"], `${label}: the config volume is the generated ConfigMap`)) {
		const listen = metricsPort(cm.data["bpfalert.conf"]);
		check(listen && (listen.host === "0.0.0.0" || listen.host === "[::]"),
		      `${label}: bpfalert.conf listens on every address of the pod`);
		check(listen && listen.port === port.containerPort, `${label}: bpfalert.conf listens on the metrics port`);
	}
	const args = c.args || [];
	const ci = args.indexOf("-c");
	const confMount = mounts.config && mounts.config.mountPath;
	check(ci >= 0 && args[ci + 1] === `${confMount}/bpfalert.conf`, `${label}: -c names the mounted bpfalert.conf`);
}

function checkRulesCopies(k) {
	const gen = (k.configMapGenerator || []).find((g) => g.name === "bpfalert-rules");
	const listed = (gen ? gen.files : []).map((f) => path.basename(f)).sort();
	const shipped = fs.readdirSync(path.join(REPO, "rules")).filter((f) => /\.(rules|json)$/.test(f)).sort();
	check(JSON.stringify(listed) === JSON.stringify(shipped),
	      `kustomization: bpfalert-rules lists ${listed.join(", ")}; rules/ has ${shipped.join(", ")} (make k8s-rules)`);
	for (const f of shipped) {
		const copy = path.join(HERE, "rules", f);
		check(fs.existsSync(copy) &&
		      fs.readFileSync(copy, "utf8") === fs.readFileSync(path.join(REPO, "rules", f), "utf8"),
		      `packaging/k8s/rules/${f} differs from rules/${f} (make k8s-rules)`);
	}
}

// ---- main ----

function main() {
	const rendered = [];
	for (let i = 2; i < process.argv.length; i++) {
		if (process.argv[i] === "--rendered" && process.argv[i + 1]) rendered.push(process.argv[++i]);
		else { console.error("usage: validate.js [--rendered FILE]..."); process.exit(2); }
	}
	const base = render([]);
	const patched = render(["old-kernels.patch.yaml"]);
	for (const o of base.objs) validateObject(o, "rendered");
	for (const o of patched.objs.filter((x) => x.kind === "DaemonSet")) validateObject(o, "with old-kernels.patch.yaml");
	walkObject(loadDocs(path.join(HERE, "old-kernels.patch.yaml"))[0],
		   path.join(MODELS, "apps/v1/DaemonSet.d.ts"), "old-kernels.patch.yaml");
	checkDaemonSet(base.objs, "rendered", []);
	checkDaemonSet(patched.objs, "with old-kernels.patch.yaml", ["SYS_ADMIN"]);
	checkRulesCopies(base.kustomization);
	for (const file of rendered) {
		const objs = loadDocs(file);
		for (const o of objs) validateObject(o, file);
		checkDaemonSet(objs, file, []);
	}
	for (const f of failures) console.log(`FAIL ${f}`);
	console.log(`k8s manifests: ${passed} passed, ${failures.length} failed`);
	process.exit(failures.length ? 1 : 0);
}

main();
