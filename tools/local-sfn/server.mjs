// A local Step Functions endpoint: the AWS JSON 1.0 API (StartExecution,
// DescribeExecution, ListExecutions, GetExecutionHistory, StopExecution,
// DescribeStateMachine, ListStateMachines) over aws-local-stepfunctions, whose
// Lambda Task states call a local Lambda Invoke endpoint (shared/lambdalocal).
//
//   node server.mjs config.json
//
// config.json:
//   { "port": 0, "region": "us-east-1", "account": "000000000000",
//     "lambdaEndpoint": "http://127.0.0.1:9001",
//     "stateMachines": { "<name>": { "definitionPath": "...", "substitutions": { "Key": "value" },
//                                   "waitTimeOverrides": { "<Wait state>": 0 },
//                                   "retryIntervalOverrides": { "<state>": 0 } } } }
//
// Relative definition paths are relative to the config file. Prints
// {"ready":true,"endpoint":"http://127.0.0.1:PORT"} on stdout when listening;
// everything else goes to stderr. Executions live in memory.

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { StateMachine, ExecutionAbortedError, ExecutionTimeoutError } from 'aws-local-stepfunctions';

const log = (...args) => console.error('local-sfn:', ...args);

const configPath = process.argv[2];
if (!configPath) {
  log('usage: server.mjs <config.json>');
  process.exit(2);
}
const config = JSON.parse(readFileSync(configPath, 'utf8'));
const region = config.region ?? 'us-east-1';
const account = config.account ?? '000000000000';
if (!config.lambdaEndpoint) throw new Error('config: lambdaEndpoint is required');
const lambdaEndpoint = config.lambdaEndpoint.replace(/\/+$/, '');
// Every Task is routed through invokeTask below; should one reach the
// library's own SDK client, it must still land here and never in AWS.
process.env.AWS_ENDPOINT_URL_LAMBDA = lambdaEndpoint;
process.env.AWS_REGION ??= region;
process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';

const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[^:]+:[^:]+:function:.+$/;
const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';

// ---- state machines -------------------------------------------------------

// substitute replaces ${Key} the way DefinitionSubstitutions does; a
// placeholder without a value is an error, not an empty string.
function substitute(text, values, where) {
  const missing = new Set();
  const out = text.replace(/\$\{([^}]+)\}/g, (_, key) => {
    if (!Object.hasOwn(values, key)) {
      missing.add(key);
      return '';
    }
    // Placeholders sit inside JSON strings: escape the value for one.
    return JSON.stringify(String(values[key])).slice(1, -1);
  });
  if (missing.size > 0) {
    throw new Error(`${where}: no substitution for ${[...missing].map((k) => '${' + k + '}').join(', ')}`);
  }
  return out;
}

// taskStates maps every Task state's name, at any depth (Parallel branches,
// Map iterators), to its Resource. aws-local-stepfunctions looks overrides up
// by state name only, so one name with two resources cannot be served.
function taskStates(definition, found = new Map()) {
  for (const [name, state] of Object.entries(definition.States ?? {})) {
    if (state.Type === 'Task') {
      if (found.has(name) && found.get(name) !== state.Resource) {
        throw new Error(`Task state name ${name} is used for two resources (${found.get(name)}, ${state.Resource})`);
      }
      found.set(name, state.Resource);
    }
    for (const branch of state.Branches ?? []) taskStates(branch, found);
    const iterator = state.ItemProcessor ?? state.Iterator;
    if (iterator) taskStates(iterator, found);
  }
  return found;
}

const machines = new Map(); // ARN -> machine
for (const [name, sm] of Object.entries(config.stateMachines ?? {})) {
  const file = path.resolve(path.dirname(configPath), sm.definitionPath);
  const text = substitute(readFileSync(file, 'utf8'), sm.substitutions ?? {}, file);
  const definition = JSON.parse(text);
  let machine;
  try {
    machine = new StateMachine(definition); // validates with asl-validator
  } catch (err) {
    throw new Error(`${file}: ${err.message}`);
  }
  const tasks = taskStates(definition);
  for (const [state, resource] of tasks) {
    if (!LAMBDA_ARN.test(resource) && resource !== LAMBDA_INVOKE) {
      log(`${name}: Task ${state} has resource ${resource}, which runs only in AWS; executions that reach it fail`);
    }
  }
  const arn = `arn:aws:states:${region}:${account}:stateMachine:${name}`;
  machines.set(arn, {
    arn,
    name,
    definition: text,
    machine,
    tasks,
    waitTimeOverrides: sm.waitTimeOverrides,
    retryIntervalOverrides: sm.retryIntervalOverrides,
    created: Date.now() / 1000,
    executions: new Map(), // name -> execution
  });
}

// ---- Lambda ---------------------------------------------------------------

// TaskError carries the error name that Retry and Catch match and, as its
// message, the Cause that Catch hands on: for a function error AWS uses the
// function's error payload verbatim, e.g. {"errorMessage":"...","errorType":"Berth.Timeout"}.
class TaskError extends Error {
  constructor(name, cause) {
    super(cause);
    this.name = name;
  }
}

async function invokeLambda(functionName, payload, qualifier) {
  const query = qualifier ? `?Qualifier=${encodeURIComponent(qualifier)}` : '';
  const url = `${lambdaEndpoint}/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations${query}`;
  let res;
  let body;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Amz-Invocation-Type': 'RequestResponse' },
      body: JSON.stringify(payload ?? {}),
    });
    body = await res.text();
  } catch (err) {
    throw new TaskError('Lambda.SdkClientException', `Unable to execute HTTP request: ${err.cause?.message ?? err.message}`);
  }
  const requestId = res.headers.get('x-amzn-requestid') ?? '';
  if (res.status < 200 || res.status > 299) {
    let code = (res.headers.get('x-amzn-errortype') ?? '').split(':')[0];
    let message = body;
    try {
      const parsed = JSON.parse(body);
      code ||= String(parsed.__type ?? parsed.code ?? '').split('#').pop().split(':')[0];
      message = parsed.Message ?? parsed.message ?? body;
    } catch {}
    const name =
      res.status === 429 ? 'Lambda.TooManyRequestsException'
      : code ? `Lambda.${code}`
      : res.status >= 500 ? 'Lambda.ServiceException'
      : 'Lambda.AWSLambdaException';
    throw new TaskError(
      name,
      `${message} (Service: AWSLambda; Status Code: ${res.status}; Error Code: ${code || name.slice(7)}; Request ID: ${requestId}; Proxy: null)`,
    );
  }
  if (res.headers.get('x-amz-function-error')) {
    let errorType = '';
    try {
      errorType = JSON.parse(body).errorType ?? '';
    } catch {}
    throw new TaskError(errorType || 'Lambda.Unknown', body);
  }
  let result = body;
  try {
    result = body === '' ? null : JSON.parse(body);
  } catch {}
  return { result, status: res.status, requestId, version: res.headers.get('x-amz-executed-version') ?? '$LATEST', body };
}

// taskHandler runs one Task state's resource and records the Task events
// AWS would write. It first yields a macrotask so that the library's
// StateEntered event, delivered through microtasks, is recorded before them.
function taskHandler(execution, resource) {
  return async (input) => {
    await new Promise((resolve) => setImmediate(resolve));
    if (LAMBDA_ARN.test(resource)) {
      execution.record('LambdaFunctionScheduled', {
        lambdaFunctionScheduledEventDetails: { resource, input: JSON.stringify(input), inputDetails: { truncated: false } },
      });
      execution.record('LambdaFunctionStarted');
      try {
        const { result, body } = await invokeLambda(resource, input);
        execution.record('LambdaFunctionSucceeded', {
          lambdaFunctionSucceededEventDetails: { output: body, outputDetails: { truncated: false } },
        });
        return result;
      } catch (err) {
        execution.record('LambdaFunctionFailed', { lambdaFunctionFailedEventDetails: { error: err.name, cause: err.message } });
        throw err;
      }
    }
    if (resource === LAMBDA_INVOKE) {
      const details = { resourceType: 'lambda', resource: 'invoke' };
      execution.record('TaskScheduled', {
        taskScheduledEventDetails: { ...details, region, parameters: JSON.stringify(input) },
      });
      execution.record('TaskStarted', { taskStartedEventDetails: details });
      try {
        if (typeof input?.FunctionName !== 'string') {
          throw new TaskError('States.Runtime', `${LAMBDA_INVOKE} needs Parameters.FunctionName`);
        }
        if (input.InvocationType && input.InvocationType !== 'RequestResponse') {
          throw new TaskError('States.Runtime', `InvocationType ${input.InvocationType} is not supported locally`);
        }
        const { result, status, requestId, version } = await invokeLambda(input.FunctionName, input.Payload, input.Qualifier);
        // The response shape of the optimized integration.
        const output = {
          ExecutedVersion: version,
          Payload: result,
          SdkHttpMetadata: { HttpHeaders: { 'X-Amz-Executed-Version': version, 'x-amzn-RequestId': requestId }, HttpStatusCode: status },
          SdkResponseMetadata: { RequestId: requestId },
          StatusCode: status,
        };
        execution.record('TaskSucceeded', {
          taskSucceededEventDetails: { ...details, output: JSON.stringify(output), outputDetails: { truncated: false } },
        });
        return output;
      } catch (err) {
        execution.record('TaskFailed', { taskFailedEventDetails: { ...details, error: err.name, cause: err.message } });
        throw err;
      }
    }
    const err = new TaskError('States.Runtime', `Task resource ${resource} runs only in AWS, not in local Step Functions`);
    err.isCatchable = false;
    err.isRetryable = false;
    throw err;
  };
}

// ---- executions -----------------------------------------------------------

const nowSeconds = () => Date.now() / 1000;

class Execution {
  constructor(sm, name, input) {
    this.sm = sm;
    this.name = name;
    this.arn = `arn:aws:states:${region}:${account}:execution:${sm.name}:${name}`;
    this.input = input;
    this.status = 'RUNNING';
    this.startDate = nowSeconds();
    this.events = [];
    this.parallelDepth = 0;
  }

  record(type, details = {}, timestamp = nowSeconds()) {
    const id = this.events.length + 1;
    this.events.push({ id, previousEventId: id - 1, timestamp, type, ...details });
  }

  start() {
    const handlers = {};
    for (const [state, resource] of this.sm.tasks) handlers[state] = taskHandler(this, resource);
    const run = this.sm.machine.run(JSON.parse(this.input), {
      overrides: {
        taskResourceLocalHandlers: handlers,
        waitTimeOverrides: this.sm.waitTimeOverrides,
        retryIntervalOverrides: this.sm.retryIntervalOverrides,
      },
      context: {
        Execution: { Id: this.arn, Name: this.name, RoleArn: `arn:aws:iam::${account}:role/local-sfn` },
        StateMachine: { Id: this.sm.arn, Name: this.sm.name },
      },
    });
    this.abort = run.abort;
    const events = (async () => {
      for await (const event of run.eventLogs) this.recordLibraryEvent(event);
    })();
    const result = run.result.then(
      (output) => ({ status: 'SUCCEEDED', output: JSON.stringify(output) }),
      (err) => {
        if (err instanceof ExecutionAbortedError) return { status: 'ABORTED' };
        if (err instanceof ExecutionTimeoutError) return { status: 'TIMED_OUT', error: 'States.Timeout' };
        const cause = err.cause ?? err;
        return { status: 'FAILED', error: cause.name, cause: causeText(cause) };
      },
    );
    // The status changes only once the history is complete, so a client
    // that sees SUCCEEDED also sees ExecutionSucceeded in the history.
    Promise.all([result, events]).then(([end]) => {
      Object.assign(this, end, { stopDate: nowSeconds() });
      if (end.status === 'ABORTED') {
        this.record('ExecutionAborted', { executionAbortedEventDetails: { error: this.stopError, cause: this.stopCause } });
      }
      log(`${this.arn} ${this.status}${this.error ? ` ${this.error}` : ''}`);
    });
  }

  // recordLibraryEvent maps an aws-local-stepfunctions event log entry onto
  // the AWS HistoryEvent it stands for; entries with no counterpart are dropped.
  recordLibraryEvent(e) {
    const t = e.timestamp / 1000;
    const state = e.state;
    switch (e.type) {
      case 'ExecutionStarted':
        return this.record('ExecutionStarted', {
          executionStartedEventDetails: { input: this.input, inputDetails: { truncated: false }, roleArn: `arn:aws:iam::${account}:role/local-sfn` },
        }, t);
      case 'ExecutionSucceeded':
        return this.record('ExecutionSucceeded', {
          executionSucceededEventDetails: { output: JSON.stringify(e.output), outputDetails: { truncated: false } },
        }, t);
      case 'ExecutionFailed':
        return this.record('ExecutionFailed', { executionFailedEventDetails: { error: e.Error, cause: causeText(e.Cause) } }, t);
      case 'ExecutionTimeout':
        return this.record('ExecutionTimedOut', { executionTimedOutEventDetails: { error: 'States.Timeout' } }, t);
      case 'StateEntered':
        this.record(`${state.type}StateEntered`, {
          stateEnteredEventDetails: { name: state.name, input: JSON.stringify(state.input), inputDetails: { truncated: false } },
        }, t);
        if (state.type === 'Parallel' || state.type === 'Map') this.record(`${state.type}StateStarted`, {}, t);
        return;
      case 'StateExited':
        if (state.type === 'Parallel' || state.type === 'Map') this.record(`${state.type}StateSucceeded`, {}, t);
        return this.record(`${state.type}StateExited`, {
          stateExitedEventDetails: { name: state.name, output: JSON.stringify(state.output), outputDetails: { truncated: false } },
        }, t);
      case 'StateFailed':
        if (state.type === 'Task' && e.Error === 'States.Timeout') {
          const lambda = LAMBDA_ARN.test(this.sm.tasks.get(state.name));
          return this.record(lambda ? 'LambdaFunctionTimedOut' : 'TaskTimedOut', {
            [lambda ? 'lambdaFunctionTimedOutEventDetails' : 'taskTimedOutEventDetails']: { error: 'States.Timeout', cause: causeText(e.Cause) },
          }, t);
        }
        if (state.type === 'Parallel' || state.type === 'Map') {
          return this.record(`${state.type}StateFailed`, {}, t);
        }
        return; // Task failures are recorded by taskHandler; Fail states end in ExecutionFailed
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const key = e.type[0].toLowerCase() + e.type.slice(1) + 'EventDetails';
        return this.record(e.type, { [key]: { name: e.parentState.name, index: e.index } }, t);
      }
      default:
        return; // StateRetried, StateCaught, ParallelBranch*: AWS has no such events
    }
  }

  describe() {
    return strip({
      executionArn: this.arn,
      stateMachineArn: this.sm.arn,
      name: this.name,
      status: this.status,
      startDate: this.startDate,
      stopDate: this.stopDate,
      input: this.input,
      inputDetails: { included: true },
      output: this.output,
      outputDetails: this.output === undefined ? undefined : { included: true },
      error: this.error,
      cause: this.cause,
    });
  }
}

function causeText(cause) {
  if (cause === undefined || cause === null) return undefined;
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) return cause.message;
  return JSON.stringify(cause);
}

function strip(o) {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

// ---- API ------------------------------------------------------------------

class ApiError extends Error {
  constructor(type, message, status = 400) {
    super(message);
    this.type = type;
    this.status = status;
  }
}

function machineFor(arn) {
  if (typeof arn !== 'string' || !arn.startsWith('arn:')) throw new ApiError('InvalidArn', `Invalid Arn: '${arn}'`);
  const sm = machines.get(arn);
  if (!sm) throw new ApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
  return sm;
}

function executionFor(arn) {
  const m = /^arn:aws[a-z-]*:states:[^:]+:[^:]+:execution:([^:]+):([^:]+)$/.exec(arn ?? '');
  if (!m) throw new ApiError('InvalidArn', `Invalid Arn: '${arn}'`);
  const sm = machines.get(`arn:aws:states:${region}:${account}:stateMachine:${m[1]}`);
  const execution = sm?.executions.get(m[2]);
  if (!execution) throw new ApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
  return execution;
}

function page(items, maxResults, nextToken, key) {
  const start = nextToken ? Number(Buffer.from(nextToken, 'base64url').toString()) : 0;
  if (!Number.isInteger(start) || start < 0) throw new ApiError('InvalidToken', `Invalid Token: '${nextToken}'`);
  const size = maxResults > 0 ? Math.min(maxResults, 1000) : 100;
  const out = { [key]: items.slice(start, start + size) };
  if (start + size < items.length) out.nextToken = Buffer.from(String(start + size)).toString('base64url');
  return out;
}

const operations = {
  StartExecution({ stateMachineArn, name, input }) {
    const sm = machineFor(stateMachineArn);
    if (!name) throw new ApiError('ValidationException', 'name is required by local Step Functions');
    if (!/^[^\s<>{}[\]?*"#%\\^|~`$&,;:/]{1,80}$/.test(name)) throw new ApiError('InvalidName', `Invalid Name: '${name}'`);
    input ??= '{}';
    try {
      JSON.parse(input);
    } catch (err) {
      throw new ApiError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${err.message}'`);
    }
    const existing = sm.executions.get(name);
    if (existing) {
      // AWS's idempotency for STANDARD workflows: the same name and input
      // while the execution runs is the same start; otherwise the name is taken.
      if (existing.status === 'RUNNING' && existing.input === input) {
        return { executionArn: existing.arn, startDate: existing.startDate };
      }
      throw new ApiError('ExecutionAlreadyExists', `Execution Already Exists: '${existing.arn}'`);
    }
    const execution = new Execution(sm, name, input);
    sm.executions.set(name, execution);
    execution.start();
    log(`${execution.arn} started`);
    return { executionArn: execution.arn, startDate: execution.startDate };
  },

  DescribeExecution({ executionArn }) {
    return executionFor(executionArn).describe();
  },

  ListExecutions({ stateMachineArn, statusFilter, maxResults, nextToken }) {
    const sm = machineFor(stateMachineArn);
    const items = [...sm.executions.values()]
      .filter((e) => !statusFilter || e.status === statusFilter)
      .sort((a, b) => b.startDate - a.startDate)
      .map((e) => strip({ executionArn: e.arn, stateMachineArn: sm.arn, name: e.name, status: e.status, startDate: e.startDate, stopDate: e.stopDate }));
    return page(items, maxResults, nextToken, 'executions');
  },

  GetExecutionHistory({ executionArn, maxResults, nextToken, reverseOrder, includeExecutionData }) {
    let events = [...executionFor(executionArn).events];
    if (reverseOrder) events.reverse();
    if (includeExecutionData === false) {
      events = events.map((e) =>
        Object.fromEntries(
          Object.entries(e).map(([k, v]) => [k, k.endsWith('EventDetails') ? strip({ ...v, input: undefined, output: undefined }) : v]),
        ),
      );
    }
    return page(events, maxResults, nextToken, 'events');
  },

  StopExecution({ executionArn, error, cause }) {
    const execution = executionFor(executionArn);
    if (execution.status === 'RUNNING') {
      execution.stopError = error;
      execution.stopCause = cause;
      execution.abort();
    }
    return { stopDate: nowSeconds() };
  },

  DescribeStateMachine({ stateMachineArn }) {
    const sm = machineFor(stateMachineArn);
    return {
      stateMachineArn: sm.arn,
      name: sm.name,
      status: 'ACTIVE',
      definition: sm.definition,
      roleArn: `arn:aws:iam::${account}:role/local-sfn`,
      type: 'STANDARD',
      creationDate: sm.created,
    };
  },

  ListStateMachines({ maxResults, nextToken }) {
    const items = [...machines.values()].map((sm) => ({ stateMachineArn: sm.arn, name: sm.name, type: 'STANDARD', creationDate: sm.created }));
    return page(items, maxResults, nextToken, 'stateMachines');
  },
};

function reply(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/x-amz-json-1.0',
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': randomUUID(),
  });
  res.end(text);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    try {
      const target = req.headers['x-amz-target'] ?? '';
      const op = target.startsWith('AWSStepFunctions.') ? operations[target.slice('AWSStepFunctions.'.length)] : undefined;
      if (req.method !== 'POST' || !op) throw new ApiError('UnknownOperationException', `Unknown operation ${target || req.method + ' ' + req.url}`);
      let params;
      try {
        params = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
      } catch {
        throw new ApiError('SerializationException', 'Request body is not JSON');
      }
      reply(res, 200, op(params));
    } catch (err) {
      if (!(err instanceof ApiError)) log(err.stack ?? err);
      const type = err instanceof ApiError ? err.type : 'InternalFailure';
      reply(res, err instanceof ApiError ? err.status : 500, { __type: `com.amazonaws.states#${type}`, message: err.message });
    }
  });
});

server.listen(config.port ?? 0, '127.0.0.1', () => {
  const { port } = server.address();
  process.stdout.write(JSON.stringify({ ready: true, endpoint: `http://127.0.0.1:${port}` }) + '\n');
});

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
