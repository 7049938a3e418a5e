// lambda_lab's runtime interface client for Node.js handlers: loads the handler named by
// _HANDLER from LAMBDA_TASK_ROOT and serves invocations through the Lambda Runtime API
// (AWS_LAMBDA_RUNTIME_API), with the Node.js runtime's shapes: console lines
// "<time>\t<requestId>\t<LEVEL>\t<message>", errors as {errorType, errorMessage, trace},
// Runtime.ImportModuleError / Runtime.HandlerNotFound at init, the context object with
// getRemainingTimeInMillis(), async handlers and callback handlers.
import http from "node:http";
import path from "node:path";
import fs from "node:fs";
import util from "node:util";
import { pathToFileURL } from "node:url";

const [HOST, PORT] = process.env.AWS_LAMBDA_RUNTIME_API.split(":");
const BASE = "/2018-06-01/runtime";
let currentRequestId = undefined;

function request(method, route, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(body);
    const req = http.request({ host: HOST, port: Number(PORT), method, path: BASE + route,
      headers: { ...headers, ...(data ? { "Content-Length": data.length } : {}) },
      agent: false }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers,
        body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    if (data) req.write(data);
    req.end();
  });
}

// ---------------------------------------------------------------- logging
function line(level, args) {
  const text = util.format(...args).replace(/\n/g, "\r");
  process.stdout.write(`${new Date().toISOString()}\t${currentRequestId}\t${level}\t${text}\n`);
}
console.log = (...a) => line("INFO", a);
console.info = (...a) => line("INFO", a);
console.warn = (...a) => line("WARN", a);
console.error = (...a) => line("ERROR", a);
console.debug = (...a) => line("DEBUG", a);
console.trace = (...a) => line("TRACE", a);
console.fatal = (...a) => line("FATAL", a);

// ---------------------------------------------------------------- errors
function toRapidResponse(error) {
  if (error instanceof Error) {
    return { errorType: error.name || "Error", errorMessage: error.message,
      trace: String(error.stack || "").split("\n") };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

class NamedError extends Error {
  constructor(name, message) { super(message); this.name = name; }
}

// ---------------------------------------------------------------- loading the handler
async function loadHandler() {
  const root = process.env.LAMBDA_TASK_ROOT;
  const handlerString = process.env._HANDLER || "";
  const base = path.basename(handlerString);
  const dot = base.indexOf(".");
  if (dot < 1) {
    throw new NamedError("Runtime.MalformedHandlerName", "Bad handler");
  }
  const moduleName = path.join(path.dirname(handlerString), base.slice(0, dot));
  const methodPath = base.slice(dot + 1).split(".");
  const found = [".js", ".mjs", ".cjs"].map((ext) => path.resolve(root, moduleName + ext))
    .find((p) => fs.existsSync(p));
  if (!found) {
    throw new NamedError("Runtime.ImportModuleError",
      `Error: Cannot find module '${moduleName}'\nRequire stack:\n- /var/runtime/index.mjs`);
  }
  let mod;
  try {
    mod = await import(pathToFileURL(found).href);
  } catch (e) {
    if (e instanceof SyntaxError) throw new NamedError("Runtime.UserCodeSyntaxError", String(e));
    throw e;
  }
  let fn = mod;
  for (const part of methodPath) fn = fn == null ? undefined : (fn[part] ?? fn.default?.[part]);
  if (typeof fn !== "function") {
    throw new NamedError("Runtime.HandlerNotFound", `${base} is undefined or not exported`);
  }
  return fn;
}

// ---------------------------------------------------------------- invoking
function makeContext(headers) {
  const deadline = Number(headers["lambda-runtime-deadline-ms"]);
  const parse = (v) => (v ? JSON.parse(v) : undefined);
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: headers["lambda-runtime-invoked-function-arn"],
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: headers["lambda-runtime-aws-request-id"],
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    identity: parse(headers["lambda-runtime-cognito-identity"]),
    clientContext: parse(headers["lambda-runtime-client-context"]),
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
  };
}

function run(handler, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (err, result) => {
      if (settled) return;
      settled = true;
      if (err !== undefined && err !== null) reject(err); else resolve(result);
    };
    try {
      const out = handler(event, context, callback);
      if (out && typeof out.then === "function") out.then((r) => callback(null, r), callback);
      else if (handler.length < 3) callback(null, out);
    } catch (e) {
      callback(e);
    }
  });
}

async function main() {
  let handler;
  try {
    handler = await loadHandler();
  } catch (e) {
    const err = toRapidResponse(e);
    line("ERROR", ["Uncaught Exception", "\t" + JSON.stringify(err)]);
    await request("POST", "/init/error", JSON.stringify(err),
      { "Lambda-Runtime-Function-Error-Type": err.errorType });
    process.exit(1);
  }
  for (;;) {
    const next = await request("GET", "/invocation/next");
    if (next.status !== 200) process.exit(0);
    const id = next.headers["lambda-runtime-aws-request-id"];
    currentRequestId = id;
    if (next.headers["lambda-runtime-trace-id"]) {
      process.env._X_AMZN_TRACE_ID = next.headers["lambda-runtime-trace-id"];
    }
    const context = makeContext(next.headers);
    try {
      const result = await run(handler, JSON.parse(next.body || "null"), context);
      await request("POST", `/invocation/${id}/response`, JSON.stringify(result ?? null));
    } catch (e) {
      const err = toRapidResponse(e);
      line("ERROR", ["Invoke Error", "\t" + JSON.stringify(err)]);
      await request("POST", `/invocation/${id}/error`, JSON.stringify(err),
        { "Lambda-Runtime-Function-Error-Type": err.errorType });
    }
  }
}

main();
