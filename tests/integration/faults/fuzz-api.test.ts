/**
 * 1,000 fuzzed inputs to the public API, each sent twice: through the tRPC fetch handler that
 * app/api/trpc/[trpc]/route.ts serves (server/http/trpc-handler.ts, with real Request objects) and
 * through createCaller. Inputs: mutated graph documents (from examples/txt2img.json), random JSON,
 * oversized strings, huge numbers, NaN-like values, wrong types, deeply nested arrays and
 * prototype-pollution keys (`__proto__`, `constructor`, `prototype`), for graphs.create/save/import,
 * runs.validate/enqueue/sweep and shares.get. Over HTTP also malformed bodies, wrong methods and
 * bodies over the request limit.
 *
 * Asserted: 0 crashes (no 5xx, no INTERNAL_SERVER_ERROR, no non-tRPC error), 0 hangs (every call
 * answers within CALL_TIMEOUT_MS), every rejection clear: a message, and for BAD_REQUEST field-level
 * details (`fieldErrors`) or the graph's node-keyed errors (`graphErrors`). Object.prototype is
 * untouched afterwards and the app still answers. The PRNG seed is printed; FAULT_SEED replays one.
 */
import { readFileSync } from "node:fs";
import type { TRPCError } from "@trpc/server";
import { getErrorShape } from "@trpc/server/unstable-core-do-not-import";
import { afterAll, beforeAll, expect, it } from "vitest";
import { trpcHandler } from "../../../server/http/trpc-handler";
import { appRouter } from "../../../server/routers/_app";
import { makeTestApp, type TestApp } from "../helpers/app";
import { txt2img } from "../helpers/documents";
import { type ClientError, callerError, fuzzSeed, type Prng, prng, TimedOut, within } from "./helpers";

const INPUTS = Number(process.env.FAULT_FUZZ_INPUTS ?? 1000);
const SEED = fuzzSeed(20261125);
// A call still unanswered after this is a hang: generous, as a loaded machine answers in seconds, not ms.
const CALL_TIMEOUT_MS = 30_000;
const MAX_REQUEST_MB = 2;

let t: TestApp;
let handle: (req: Request) => Promise<Response>;
let graphId: string;
let versionId: string;
let shareToken: string;
const base = JSON.parse(readFileSync("examples/txt2img.json", "utf8")) as Record<string, unknown>;
const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort().join(",");

beforeAll(async () => {
  t = await makeTestApp({ startWorker: false, env: { PETALFLOW_MAX_REQUEST_MB: MAX_REQUEST_MB } });
  handle = trpcHandler(async () => t.app);
  const { graph } = await t.caller.graphs.create({ name: "Fuzz target", document: txt2img() });
  graphId = graph.id;
  versionId = graph.headVersion!.id;
  shareToken = (await t.caller.shares.create({ versionId })).token;
});

afterAll(async () => {
  await t?.close();
});

// ---- Hostile values -----------------------------------------------------------------------------

const PROTO_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf"];

function deepArray(depth: number): unknown {
  let v: unknown = [];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

function deepObject(depth: number, key: string): unknown {
  let v: unknown = {};
  for (let i = 0; i < depth; i++) v = { [key]: v };
  return v;
}

/** A value meant to break something. `wire`: it will travel as JSON (no NaN, undefined, bigint). */
function hostile(r: Prng, wire: boolean): unknown {
  const pick = r.int(0, 27);
  switch (pick) {
    case 0:
      return "";
    case 1:
      return "x".repeat(r.pick([65, 256, 5001, 20_001, 1_000_001]));
    case 2:
      return r.pick([1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, -Number.MAX_SAFE_INTEGER - 2, 2 ** 64]);
    case 3:
      return r.pick([-0, 5e-324, -1, 0.5, 1.5e-10, 4294967296]);
    case 4:
      return wire ? r.pick(["NaN", "Infinity", "-Infinity", null]) : r.pick([NaN, Infinity, -Infinity]);
    case 5:
      return r.pick(["NaN", "Infinity", "1e999", "-0", "0x10", " 42 ", "42abc", "18446744073709551616"]);
    case 6:
      return null;
    case 7:
      return r.pick([true, false]);
    case 8:
      return [];
    case 9:
      return {};
    case 10:
      return deepArray(r.pick([50, 500, 2000]));
    case 11:
      return deepObject(r.pick([50, 500]), r.pick(["a", "__proto__", "constructor"]));
    case 12:
      return JSON.parse(
        `{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}`,
      );
    case 13:
      return { constructor: { prototype: { polluted: true } } };
    case 14:
      return r.pick(["../../etc/passwd", "/etc/passwd", "..\\..\\windows", "%2e%2e%2f", "a/../../b"]);
    case 15:
      return r.pick(["\u0000", "\ud800", "\uffff", "é\u0301", "🌸".repeat(1000), "\n\r\t", "<script>"]);
    case 16:
      return Array.from({ length: r.pick([3, 100, 3000]) }, (_, i) => i);
    case 17:
      return wire ? null : r.pick([undefined, 10n ** 30n, () => 1, Symbol("s"), new Date(), /re/]);
    case 18:
      return r.pick(["a", "b", "model", "seed", "steps", "cfg"]);
    case 19:
      return r.int(-1000, 100000);
    case 20:
      return randomJson(r, 3, wire);
    case 21:
      return {
        nodeId: r.pick(["noise", "sampler", "x", "__proto__"]),
        param: r.pick(["seed", "cfg"]),
        value: 1,
      };
    case 22:
      return r.pick(["seed", "12345678901234567890123", "-5", "007", "1.5"]);
    case 23:
      return Array.from({ length: r.int(1, 5) }, () => hostile(r, wire));
    case 24:
      return "A".repeat(r.pick([19, 20, 32, 64, 65]));
    case 25:
      return r.pick(["cmdoesnotexist000000000000", "x".repeat(64), "bad id!", " "]);
    default:
      return r.pick([0, 1, 2, 7, 16, 64, 100, 1000, 99999]);
  }
}

function randomJson(r: Prng, depth: number, wire: boolean): unknown {
  if (depth <= 0 || r.chance(0.3)) {
    const k = r.int(0, 4);
    return k === 0
      ? r.int(-1e6, 1e6)
      : k === 1
        ? r.bytes(r.int(0, 12)).join("")
        : k === 2
          ? null
          : k === 3
            ? r.chance(0.5)
            : hostile(r, wire);
  }
  if (r.chance(0.5)) return Array.from({ length: r.int(0, 5) }, () => randomJson(r, depth - 1, wire));
  const o: Record<string, unknown> = {};
  for (let i = r.int(0, 5); i > 0; i--) {
    const key = r.chance(0.2)
      ? r.pick(PROTO_KEYS)
      : r.pick(["id", "type", "nodes", "edges", "format", "x", "a"]);
    Object.defineProperty(o, key, {
      value: randomJson(r, depth - 1, wire),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return o;
}

// ---- Mutated documents --------------------------------------------------------------------------

type Json = Record<string, unknown> | unknown[];

/** Every container in a JSON tree with the path to it. */
function containers(v: unknown, out: Json[] = []): Json[] {
  if (v && typeof v === "object") {
    out.push(v as Json);
    for (const x of Object.values(v)) containers(x, out);
  }
  return out;
}

function setOwn(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The example document with 1–4 random changes: values replaced, keys removed or added, ids broken. */
function mutatedDocument(r: Prng, wire: boolean): unknown {
  const doc = structuredClone(base) as Record<string, unknown>;
  const nodes = doc.nodes as { id: string; type: string; params: Record<string, unknown> }[];
  const edges = doc.edges as { from: { node: string }; to: { node: string } }[];
  for (let m = r.int(1, 4); m > 0; m--) {
    try {
      mutateOnce(r, wire, doc, nodes, edges);
    } catch {
      // An earlier change broke what this one edits (nodes replaced by a number, …): keep going.
    }
  }
  return doc;
}

function mutateOnce(
  r: Prng,
  wire: boolean,
  doc: Record<string, unknown>,
  nodes: { id: string; type: string; params: Record<string, unknown> }[],
  edges: { from: { node: string }; to: { node: string } }[],
): void {
  // Widget values most often: they pass the document schema and reach validation and planning.
  switch (r.pick([0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 8, 9])) {
    case 0: {
      // A widget value out of bounds or of the wrong type.
      const n = r.pick(nodes);
      const keys = Object.keys(n.params);
      setOwn(n.params, keys.length && r.chance(0.7) ? r.pick(keys) : r.pick(PROTO_KEYS), hostile(r, wire));
      break;
    }
    case 1:
      r.pick(nodes).type = r.pick(["no-such-node", "__proto__", "constructor", "", "unet-step"]);
      break;
    case 2:
      if (r.chance(0.5)) r.pick(edges).to.node = r.pick(["ghost", "model", "sampler", "__proto__"]);
      else
        (r.pick(edges) as unknown as Record<"from" | "to", { port: string }>)[
          r.pick(["from", "to"] as const)
        ].port = r.pick(PROTO_KEYS);
      break;
    case 3:
      // A cycle or a self loop.
      r.pick(edges).from.node = r.pick(edges).to.node;
      break;
    case 4:
      nodes.splice(r.int(0, nodes.length - 1), 1);
      break;
    case 5:
      nodes.push(structuredClone(r.pick(nodes))); // duplicate id
      break;
    case 6: {
      const cs = containers(doc);
      const c = r.pick(cs);
      if (Array.isArray(c)) {
        if (c.length) c[r.int(0, c.length - 1)] = hostile(r, wire);
        else c.push(hostile(r, wire));
      } else {
        const keys = Object.keys(c);
        if (keys.length && r.chance(0.5)) delete c[r.pick(keys)];
        else
          setOwn(
            c,
            r.chance(0.5) ? r.pick(PROTO_KEYS) : r.pick(keys.length ? keys : ["x"]),
            hostile(r, wire),
          );
      }
      break;
    }
    case 7:
      setOwn(
        doc,
        r.pick(["format", "formatVersion", "nodes", "edges", "name", "metadata"]),
        hostile(r, wire),
      );
      break;
    case 8:
      nodes.find((n) => n.type === "model-loader")!.params.model = r.pick([
        "../tiny-sd",
        "/etc",
        "tiny-sd",
        "..",
        ".hidden",
        "a\u0000b",
        "C:\\models",
      ]);
      break;
    default:
      setOwn(doc, "metadata", JSON.parse('{"__proto__": {"polluted": 1}, "constructor": {"prototype": 1}}'));
  }
}

// ---- Procedure inputs ---------------------------------------------------------------------------

type Proc =
  | "graphs.create"
  | "graphs.save"
  | "graphs.import"
  | "runs.validate"
  | "runs.enqueue"
  | "runs.sweep"
  | "shares.get";
const QUERIES = new Set<Proc>(["runs.validate", "shares.get"]);
const PROCS: Proc[] = [
  "graphs.create",
  "graphs.save",
  "graphs.import",
  "runs.validate",
  "runs.enqueue",
  "runs.sweep",
  "shares.get",
];

const maybe = (r: Prng, p: number, f: () => unknown) => (r.chance(p) ? f() : undefined);

function document(r: Prng, wire: boolean): unknown {
  return r.chance(0.85)
    ? mutatedDocument(r, wire)
    : r.chance(0.5)
      ? randomJson(r, 4, wire)
      : hostile(r, wire);
}

function inputFor(proc: Proc, r: Prng, wire: boolean): unknown {
  // Now and then the whole input is of the wrong kind.
  if (r.chance(0.1)) return r.chance(0.5) ? hostile(r, wire) : randomJson(r, 3, wire);
  const fuzzy = (p: number, good: () => unknown) => (r.chance(p) ? hostile(r, wire) : good());
  switch (proc) {
    case "graphs.create":
      return {
        name: fuzzy(0.4, () => `fuzz ${r.int(0, 1e6)}`),
        description: maybe(r, 0.3, () => hostile(r, wire)),
        tags: maybe(r, 0.3, () => (r.chance(0.5) ? hostile(r, wire) : [hostile(r, wire), "ok"])),
        document: maybe(r, 0.9, () => document(r, wire)),
      };
    case "graphs.save":
      return {
        id: fuzzy(0.3, () => graphId),
        document: document(r, wire),
        message: maybe(r, 0.3, () => hostile(r, wire)),
      };
    case "graphs.import": {
      const kind = r.chance(0.7) ? "json" : r.chance(0.8) ? "png" : hostile(r, wire);
      const text = r.chance(0.7) ? (JSON.stringify(document(r, true)) ?? "null") : hostile(r, wire);
      return {
        source:
          kind === "png"
            ? {
                kind,
                base64: r.chance(0.5)
                  ? Buffer.from(r.bytes(r.int(0, 200))).toString("base64")
                  : hostile(r, wire),
              }
            : { kind, text },
        name: maybe(r, 0.3, () => hostile(r, wire)),
        tags: maybe(r, 0.2, () => hostile(r, wire)),
      };
    }
    case "runs.validate":
    case "runs.enqueue":
      return {
        ...(r.chance(0.2)
          ? { versionId: fuzzy(0.5, () => versionId) }
          : { document: document(r, wire), graphId: maybe(r, 0.2, () => fuzzy(0.5, () => graphId)) }),
        overrides: maybe(r, 0.4, () =>
          r.chance(0.3)
            ? hostile(r, wire)
            : {
                seed: maybe(r, 0.6, () => hostile(r, wire)),
                set: maybe(r, 0.6, () => [
                  {
                    nodeId: fuzzy(0.3, () => "noise"),
                    param: fuzzy(0.3, () => "seed"),
                    value: hostile(r, wire),
                  },
                ]),
              },
        ),
        batch: maybe(r, proc === "runs.enqueue" ? 0.3 : 0, () =>
          r.chance(0.5)
            ? hostile(r, wire)
            : { count: hostile(r, wire), seeds: r.pick(["sequential", "random", "x"]) },
        ),
        priority: maybe(r, 0.2, () => hostile(r, wire)),
      };
    case "runs.sweep":
      return {
        document: document(r, wire),
        axes: fuzzy(0.3, () =>
          Array.from({ length: r.int(0, 3) }, () => ({
            nodeId: fuzzy(0.2, () => r.pick(["noise", "sampler", "schedule", "ghost"])),
            param: fuzzy(0.2, () => r.pick(["seed", "cfg", "steps", "nope"])),
            values: fuzzy(0.3, () => Array.from({ length: r.int(0, 10) }, () => hostile(r, wire))),
          })),
        ),
      };
    case "shares.get":
      return { token: fuzzy(0.8, () => shareToken) };
  }
}

// ---- Calls and their verdicts -------------------------------------------------------------------

interface Tally {
  calls: number;
  ok: number;
  rejected: Record<string, number>;
  crashes: string[];
  hangs: string[];
  unclear: string[];
}
const newTally = (): Tally => ({ calls: 0, ok: 0, rejected: {}, crashes: [], hangs: [], unclear: [] });

const CLIENT_ERRORS = new Set([
  "BAD_REQUEST",
  "PARSE_ERROR",
  "NOT_FOUND",
  "TOO_MANY_REQUESTS",
  "PAYLOAD_TOO_LARGE",
  "METHOD_NOT_SUPPORTED",
  "UNSUPPORTED_MEDIA_TYPE",
]);

/**
 * `wire`: a request that is not a JSON input at all (a broken body, a wrong method): there are no
 * fields to point at, so a message is all a clear answer needs.
 */
function judge(tally: Tally, label: string, e: ClientError, wire = false): void {
  const kind =
    e.code === "BAD_REQUEST"
      ? (e.graphErrors as { errors?: unknown[] } | null)?.errors?.length
        ? "BAD_REQUEST (graph errors)"
        : e.fieldErrors
          ? "BAD_REQUEST (field errors)"
          : "BAD_REQUEST (message)"
      : e.code;
  tally.rejected[kind] = (tally.rejected[kind] ?? 0) + 1;
  const where = `${label}: ${e.code} ${JSON.stringify(e.message).slice(0, 300)}`;
  if (e.code === "INTERNAL_SERVER_ERROR" || e.code === "NOT_A_TRPC_ERROR") {
    tally.crashes.push(where);
    return;
  }
  if (!CLIENT_ERRORS.has(e.code)) tally.unclear.push(`unexpected code: ${where}`);
  if (typeof e.message !== "string" || e.message.trim().length < 5)
    tally.unclear.push(`no message: ${where}`);
  if (e.code === "BAD_REQUEST" && !wire) {
    const fields = e.fieldErrors && Object.keys(e.fieldErrors).length > 0;
    const graph = (e.graphErrors as { errors?: unknown[] } | null)?.errors?.length;
    if (!fields && !graph) tally.unclear.push(`no field-level details: ${where}`);
  }
}

const format = (error: TRPCError, path: string) =>
  getErrorShape({
    config: appRouter._def._config,
    error,
    type: QUERIES.has(path as Proc) ? "query" : "mutation",
    path,
    input: undefined,
    ctx: undefined,
  });

async function viaCaller(tally: Tally, proc: Proc, input: unknown, label: string): Promise<void> {
  tally.calls++;
  const [router, name] = proc.split(".");
  const fn = (t.caller as unknown as Record<string, Record<string, (i: unknown) => Promise<unknown>>>)[
    router
  ][name];
  try {
    await within(CALL_TIMEOUT_MS, label, fn(input));
    tally.ok++;
  } catch (e) {
    if (e instanceof TimedOut) tally.hangs.push(label);
    else
      judge(
        tally,
        label,
        callerError(e, (err) => format(err, proc)),
      );
  }
}

const url = (proc: string, input?: string) =>
  `http://127.0.0.1:3000/api/trpc/${proc}${input === undefined ? "" : `?input=${encodeURIComponent(input)}`}`;

/** Sends a request through the route's handler and judges the answer as a client would. */
async function viaHttp(tally: Tally, req: Request, label: string, wire = false): Promise<void> {
  tally.calls++;
  let res: Response;
  let text: string;
  try {
    res = await within(CALL_TIMEOUT_MS, label, handle(req));
    text = await within(CALL_TIMEOUT_MS, label, res.text());
  } catch (e) {
    if (e instanceof TimedOut) tally.hangs.push(label);
    else tally.crashes.push(`${label}: the handler threw ${(e as Error).stack?.slice(0, 300)}`);
    return;
  }
  if (res.status >= 500) {
    tally.crashes.push(`${label}: HTTP ${res.status} ${text.slice(0, 300)}`);
    return;
  }
  let body: {
    result?: unknown;
    error?:
      | string
      | {
          message: string;
          data?: { code: string; fieldErrors: Record<string, string[]> | null; graphErrors: unknown };
        };
  };
  try {
    body = JSON.parse(text);
  } catch {
    tally.crashes.push(`${label}: HTTP ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
    return;
  }
  if (res.status < 300 && body.result !== undefined) {
    tally.ok++;
    return;
  }
  if (typeof body.error === "string") {
    // The handler's own refusals before tRPC (413, 403): { error: "message" }.
    const code = res.status === 413 ? "PAYLOAD_TOO_LARGE" : `HTTP_${res.status}`;
    judge(tally, label, { code, message: body.error, fieldErrors: null, graphErrors: null }, true);
    return;
  }
  if (!body.error?.data) {
    tally.unclear.push(`${label}: HTTP ${res.status} without an error shape: ${text.slice(0, 200)}`);
    return;
  }
  judge(
    tally,
    label,
    {
      code: body.error.data.code,
      message: body.error.message,
      fieldErrors: body.error.data.fieldErrors,
      graphErrors: body.error.data.graphErrors,
    },
    wire,
  );
}

function httpRequest(proc: Proc, input: unknown): Request {
  const json = input === undefined ? undefined : JSON.stringify(input);
  const headers = {
    host: "127.0.0.1:3000",
    "content-type": "application/json",
    "x-petalflow-client": "fuzz",
  };
  if (QUERIES.has(proc)) return new Request(url(proc, json), { headers });
  return new Request(url(proc), { method: "POST", headers, body: json });
}

/** Requests that only exist on the wire: broken bodies, wrong methods, oversized bodies. */
function rawRequest(r: Prng): { req: Request; what: string } {
  const proc = r.pick(PROCS);
  const headers = { host: "127.0.0.1:3000", "content-type": "application/json" };
  switch (r.int(0, 5)) {
    case 0:
      return {
        what: "malformed JSON body",
        req: new Request(url(proc), {
          method: "POST",
          headers,
          body: r.pick(['{"name":', "{'a':1}", "\u0000\u0001", "[1,2", '{"a":1}}', "NaN", "undefined"]),
        }),
      };
    case 1:
      return {
        what: "malformed ?input=",
        req: new Request(`${url(proc)}?input=${r.pick(["%7B", "{", "%E0%A4%A", "x"])}`, { headers }),
      };
    case 2:
      return {
        what: "wrong method",
        req: QUERIES.has(proc)
          ? new Request(url(proc), { method: "PUT", headers, body: "{}" })
          : new Request(url(proc, "{}"), { headers }),
      };
    case 3:
      return {
        what: "body over the request limit",
        req: new Request(url(proc), {
          method: "POST",
          headers,
          body: JSON.stringify({ name: "x".repeat(MAX_REQUEST_MB * 1024 * 1024 + 10) }),
        }),
      };
    case 4:
      return {
        what: "unknown procedure",
        req: new Request(
          url(r.pick(["graphs.nope", "__proto__.x", "constructor", "graphs.__proto__"]), "{}"),
          {
            headers,
          },
        ),
      };
    default:
      return {
        what: "random bytes body",
        req: new Request(url(proc), { method: "POST", headers, body: Buffer.from(r.bytes(r.int(0, 300))) }),
      };
  }
}

it(`answers ${INPUTS} fuzzed inputs with clear errors, over HTTP and through createCaller`, async () => {
  const started = Date.now();
  console.log(`fuzz-api: seed ${SEED} (replay with FAULT_SEED=${SEED}), ${INPUTS} inputs`);
  const r = prng(SEED);
  const http = newTally();
  const caller = newTally();
  const byProc: Record<string, number> = {};
  for (let i = 0; i < INPUTS; i++) {
    if (i % 20 === 19) {
      const { req, what } = rawRequest(r);
      byProc[`raw: ${what}`] = (byProc[`raw: ${what}`] ?? 0) + 1;
      await viaHttp(http, req, `#${i} raw ${what}`, true);
      continue;
    }
    const proc = r.pick(PROCS);
    byProc[proc] = (byProc[proc] ?? 0) + 1;
    // One input, drawn once: as JSON over HTTP, and as the same value (plus non-JSON values now and
    // then: NaN, undefined, bigint, functions) through createCaller.
    const state = r.int(0, 2 ** 31);
    const wireInput = inputFor(proc, prng(state), true);
    await viaHttp(http, httpRequest(proc, wireInput), `#${i} HTTP ${proc}`);
    const callerInput = r.chance(0.7) ? wireInput : inputFor(proc, prng(state), false);
    await viaCaller(caller, proc, callerInput, `#${i} caller ${proc}`);
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const summary = (x: Tally) =>
    `${x.calls} calls: ${x.ok} accepted, rejected ${JSON.stringify(x.rejected)}; ` +
    `${x.crashes.length} crashes, ${x.hangs.length} hangs, ${x.unclear.length} unclear`;
  console.log(`fuzz-api: ${INPUTS} inputs in ${seconds} s; by procedure ${JSON.stringify(byProc)}`);
  console.log(`  HTTP:   ${summary(http)}`);
  console.log(`  caller: ${summary(caller)}`);
  for (const line of [
    ...http.crashes,
    ...caller.crashes,
    ...http.hangs,
    ...caller.hangs,
    ...http.unclear,
    ...caller.unclear,
  ].slice(0, 40))
    console.log(`  ${line}`);

  expect({
    crashes: http.crashes.slice(0, 5),
    hangs: http.hangs.slice(0, 5),
    unclear: http.unclear.slice(0, 5),
  }).toEqual({
    crashes: [],
    hangs: [],
    unclear: [],
  });
  expect({
    crashes: caller.crashes.slice(0, 5),
    hangs: caller.hangs.slice(0, 5),
    unclear: caller.unclear.slice(0, 5),
  }).toEqual({
    crashes: [],
    hangs: [],
    unclear: [],
  });
  // Both paths accepted something and refused something: the fuzzer reaches past the input schema.
  expect(http.ok).toBeGreaterThan(0);
  expect(caller.ok).toBeGreaterThan(0);

  // No prototype was polluted, and the app still serves.
  expect(Object.getOwnPropertyNames(Object.prototype).sort().join(",")).toBe(prototypeBefore);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  const listed = await t.caller.graphs.list({ limit: 100 });
  expect(listed.items.length).toBeGreaterThan(0);
  for (const g of listed.items) expect(Object.getPrototypeOf(g)).toBe(Object.prototype);
  const stored = await t.caller.graphs.get({ id: graphId });
  expect(stored.id).toBe(graphId);
}, 300_000); // a fixed amount of work: the limit is for a hang, not for the machine's speed
